/*
 * Live updates of the browser UI: the /sync/ws WebSocket (PROTOCOL.md §3.9),
 * with stats polling while the socket is down.
 *
 * States (mode), and what moves between them:
 *   connecting  connect(): socket opening; sends `connect` once open
 *   live        `subscribed` with success for the current brain (or
 *               `connected` when there is no brain to follow)
 *   polling     closed(): the socket closed or never opened, or the
 *               subscription was refused; poll() runs every pollMs and a
 *               reconnect is tried after 1, 2, 4 … 30 s
 * Sync events of the followed brain go to onEvent(ev); the app filters and
 * debounces them. Only one socket is current: a socket replaced by
 * restart() is ignored when it finally closes.
 */
import { apiKey, enc } from './api.js';

const PING_MS = 25000;         // below the server's 60 s idle timeout
const MAX_BACKOFF_MS = 30000;

export class Live {
  /**
   * onEvent(ev)   a SyncEvent for the followed brain
   * onMode(mode)  "connecting" | "live" | "polling"
   * poll()        called every pollMs while polling (the app compares stats)
   */
  constructor({ onEvent, onMode, poll, pollMs = 5000 }) {
    this.onEvent = onEvent;
    this.onMode = onMode;
    this.poll = poll;
    this.pollMs = pollMs;
    this.ws = null;
    this.brain = null;         // brain to follow
    this.subscribed = null;    // brain a subscribe was sent for on this socket
    this.backoff = 1000;
    this.retryTimer = null;
    this.pollTimer = null;
    this.pingTimer = null;
    this.mode = 'off';
    this.clientId = `ui-${Math.random().toString(36).slice(2, 10)}`;
  }

  setMode(mode) {
    this.mode = mode;
    if (mode === 'polling') {
      if (!this.pollTimer) this.pollTimer = setInterval(() => this.poll(), this.pollMs);
    } else {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
    this.onMode(mode);
  }

  connect() {
    clearTimeout(this.retryTimer);
    const key = apiKey();
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync/ws` +
      (key ? `?token=${enc(key)}` : ''); // browsers cannot set headers on a WebSocket
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.closed(null);
      return;
    }
    this.ws = ws;
    this.subscribed = null;
    this.setMode('connecting');
    ws.onopen = () => {
      this.backoff = 1000;
      this.send({ action: 'connect', client_id: this.clientId });
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ action: 'ping' }), PING_MS);
    };
    ws.onmessage = (m) => this.message(ws, m);
    ws.onclose = () => this.closed(ws);
    ws.onerror = () => { /* onclose follows */ };
  }

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  message(ws, m) {
    if (ws !== this.ws) return;
    let ev;
    try { ev = JSON.parse(m.data); } catch { return; }
    if (ev.type === 'connected') {
      this.connected = true;
      if (this.brain) this.sendSubscribe();
      else this.setMode('live');
    } else if (ev.type === 'subscribed') {
      if (ev.brain_id === this.brain) this.setMode(ev.data && ev.data.success === false ? 'polling' : 'live');
    } else if (ev.type === 'error') {
      // A refused subscription (§6.5): keep the socket, fall back to polling.
      if (ev.data && ev.data.error === 'forbidden') this.setMode('polling');
    } else if (ev.brain_id && ev.brain_id === this.brain) {
      this.onEvent(ev);
    }
  }

  sendSubscribe() {
    if (this.subscribed === this.brain) return;
    if (this.subscribed) this.send({ action: 'unsubscribe', brain_id: this.subscribed });
    this.subscribed = this.brain;
    if (this.brain) this.send({ action: 'subscribe', brain_id: this.brain });
  }

  closed(ws) {
    if (ws && ws !== this.ws) return; // an old socket replaced by restart()
    clearInterval(this.pingTimer);
    this.ws = null;
    this.connected = false;
    this.setMode('polling');
    this.retryTimer = setTimeout(() => this.connect(), this.backoff);
    this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
  }

  /** Follow `brain` (null: none). */
  follow(brain) {
    this.brain = brain;
    if (this.connected) this.sendSubscribe();
  }

  /** Reconnect now (the API key changed). */
  restart() {
    const ws = this.ws;
    this.ws = null;
    this.connected = false;
    if (ws) ws.close();
    this.backoff = 1000;
    this.connect();
  }
}

/*
 * HTTP calls of the browser UI and the API-key prompt (PROTOCOL.md §6.5).
 *
 * Every call goes through api(): JSON in and out, X-Brain-ID when a brain
 * is given, `Authorization: Bearer <key>` when this tab has a key. A 401
 * opens the key dialog (one dialog however many calls got a 401 at once);
 * with a key entered the call is retried, otherwise it fails. The key lives
 * in sessionStorage only: it is gone when the tab closes.
 */
import { $ } from './util.js';

export const KEY_STORE = 'nmemd.apiKey';
export const enc = encodeURIComponent;

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_STORE);
}

const keyListeners = [];

/** Call fn() whenever the key changes (set or forgotten). */
export function onKeyChange(fn) {
  keyListeners.push(fn);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_STORE);
  for (const fn of keyListeners) fn();
}

let keyPrompt = null; // the open dialog's promise, shared by concurrent 401s

/** Ask for an API key; resolves true when one was entered. */
export function askKey(reason) {
  if (keyPrompt) return keyPrompt;
  const dlg = $('key-dialog');
  $('key-reason').textContent = reason;
  $('key-input').value = '';
  keyPrompt = new Promise((resolve) => {
    dlg.addEventListener('close', () => {
      keyPrompt = null;
      const key = $('key-input').value.trim();
      if (dlg.returnValue === 'ok' && key) {
        sessionStorage.setItem(KEY_STORE, key);
        for (const fn of keyListeners) fn();
        resolve(true);
      } else {
        resolve(false);
      }
    }, { once: true });
  });
  dlg.showModal();
  return keyPrompt;
}

/**
 * One JSON request. `brain` sets X-Brain-ID. A 401 asks for a key and
 * retries; other errors throw ApiError with the server's detail.
 */
export async function api(method, path, { body, brain } = {}) {
  for (;;) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (brain) headers['X-Brain-ID'] = brain;
    const key = apiKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    const r = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (r.status === 401) {
      const again = await askKey(key ? 'The server refused that key. Enter another one.'
        : 'This server needs an API key.');
      if (again) continue;
    }
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    if (!r.ok) throw new ApiError(r.status, (data && data.detail) || `${r.status} ${r.statusText}`);
    return data;
  }
}

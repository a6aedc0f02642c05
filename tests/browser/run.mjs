#!/usr/bin/env node
/*
 * Browser test of nmemd's /ui and /docs pages (make browser).
 *
 *   node tests/browser/run.mjs --bin bin/nmemd [--chromium /usr/bin/chromium]
 *                              [--out build/test-output] [--keep] [-k SUBSTR]
 *
 * Starts its own nmemd (free port, temp data dir, memory storage, ui.dir =
 * server/ui of this tree), seeds a brain over HTTP, and drives Debian's
 * headless Chromium with playwright-core (never a browser of its own:
 * executablePath is fixed, nothing is downloaded). Chromium runs with the
 * flags that keep it off the network (background networking, component
 * updates, sync, first-run), and --no-sandbox when run as root.
 *
 * Checks, in order (later ones use the page the earlier ones loaded):
 *   ui-graph       /ui?brain=<id> draws every neuron and synapse /api/graph has
 *   ui-click       clicking a neuron on the canvas opens its content,
 *                  synapses (both directions) and fibers, as the API has them
 *   ui-query       the search box highlights activated neurons and lists the
 *                  matched memories, best first, as POST /memory/query has them
 *   ui-live        a memory encoded over HTTP (from this process) appears
 *                  without reload, through /sync/ws
 *   docs           /docs lists every path of /openapi.json
 *   vendor         the npm packages' licences are served under /static/vendor/
 *   static-safety  /static refuses paths outside server/ui
 *   offline        no request left the server's origin; no page errors
 *   auth           with API keys on, /ui asks for a key, keeps it in
 *                  sessionStorage, then loads the graph and goes live
 * A screenshot of /ui (after the query and the live update) is saved as
 * <out>/ui.png, and of /docs as <out>/docs.png.
 *
 * Waiting is always polling with a deadline, never a fixed sleep. The last
 * line printed is "N passed, M failed"; the exit status is non-zero when
 * M > 0.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

const START_TIMEOUT = 20000;  // ms until /health answers
const STOP_TIMEOUT = 30000;   // ms until the server exits after SIGTERM
const UI_TIMEOUT = 20000;     // ms for a page condition
const SETTLE_TIMEOUT = 60000; // ms for the graph layout to stop moving (slow on a loaded CI machine)
const POLL_MS = 25;

/* ------------------------------------------------------------------ args */

function parseArgs(argv) {
  const a = { bin: null, chromium: '/usr/bin/chromium', out: path.join(ROOT, 'build', 'test-output'), keep: false, k: [] };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--bin') a.bin = argv[++i];
    else if (v === '--chromium') a.chromium = argv[++i];
    else if (v === '--out') a.out = argv[++i];
    else if (v === '--keep') a.keep = true;
    else if (v === '-k') a.k.push(argv[++i]);
    else { console.error(`unknown argument ${v}`); process.exit(2); }
  }
  if (!a.bin) { console.error('usage: run.mjs --bin PATH [--chromium PATH] [--out DIR] [--keep] [-k NAME]'); process.exit(2); }
  a.bin = path.resolve(a.bin);
  return a;
}

/* --------------------------------------------------------------- helpers */

const sleepTick = () => new Promise((r) => setTimeout(r, POLL_MS));

/** Poll cond() until it returns a truthy value; throw after `ms`. */
async function waitFor(cond, ms, what) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await sleepTick();
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** One HTTP request with a raw path (no URL normalisation); resolves {status, headers, body, json}. */
function request(port, method, rawPath, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const h = { ...headers };
    if (data) { h['Content-Type'] = 'application/json'; h['Content-Length'] = data.length; }
    const req = http.request({ host: '127.0.0.1', port, method, path: rawPath, headers: h, timeout: 30000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, body: text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${rawPath}: timeout`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/* ---------------------------------------------------------------- server */

class Server {
  constructor(bin, sets = []) {
    this.bin = bin;
    this.sets = sets;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nmemd-browser-'));
    this.proc = null;
    this.exit = null;
    this.headers = {};
  }

  async start() {
    this.port = await freePort();
    const args = ['--host', '127.0.0.1', '--port', String(this.port), '--data-dir', path.join(this.tmp, 'data'),
      '--storage', 'memory', '--set', `ui.dir=${path.join(ROOT, 'server', 'ui')}`];
    for (const s of this.sets) args.push('--set', s);
    fs.mkdirSync(path.join(this.tmp, 'data'), { recursive: true });
    const log = fs.openSync(path.join(this.tmp, 'stderr.log'), 'a');
    this.proc = spawn(this.bin, args, { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => {
      this.exit = { code, signal };
      resolve(this.exit);
    }));
    await waitFor(async () => {
      if (this.exit) throw new Error(`nmemd exited during start-up (${JSON.stringify(this.exit)}):\n${this.logTail()}`);
      const r = await request(this.port, 'GET', '/health');
      return r.status === 200;
    }, START_TIMEOUT, 'nmemd /health').catch((e) => {
      if (this.exit) throw new Error(`nmemd exited during start-up (${JSON.stringify(this.exit)}):\n${this.logTail()}`);
      throw e;
    });
    this.base = `http://127.0.0.1:${this.port}`;
    return this;
  }

  logTail() {
    try {
      return fs.readFileSync(path.join(this.tmp, 'stderr.log'), 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  }

  /** JSON request with this server's default headers; throws unless 2xx. */
  async api(method, p, { body, brain } = {}) {
    const headers = { ...this.headers };
    if (brain) headers['X-Brain-ID'] = brain;
    const r = await request(this.port, method, p, { body, headers });
    if (r.status < 200 || r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${r.body.slice(0, 300)}`);
    return r.json;
  }

  /** SIGTERM, wait for a clean exit (SIGKILL after STOP_TIMEOUT). */
  async stop() {
    if (!this.proc || this.exit) return this.exit;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => { if (!this.exit) this.proc.kill('SIGKILL'); }, STOP_TIMEOUT);
    const e = await this.exited;
    clearTimeout(t);
    return e;
  }

  cleanup(keep) {
    if (keep) console.log(`kept ${this.tmp}`);
    else fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

/* ------------------------------------------------------------------ seed */

const MEMORIES = [
  'Alice met Bob at the Paris office on Monday to discuss the database migration',
  'Bob prefers PostgreSQL over MySQL for the analytics workload',
  'The database migration finished on Friday after Carol fixed the cache bug',
  'Carol moved the weekly standup to Tuesday mornings at ten',
  'Dave deployed the new search service to the Berlin cluster',
  'Alice wrote the design document for the search ranking change',
  'The Berlin cluster ran out of disk space during the nightly backup',
  'Bob and Dave reviewed the backup retention policy on Wednesday',
  'Carol reported that the cache hit rate dropped after the deployment',
  'Alice decided to keep PostgreSQL as the primary database for billing',
];
const LIVE_MEMORY = 'Erin photographed the aurora over Reykjavik harbour with a new telescope';
const QUERY = 'What did Alice and Bob discuss about the database migration?';

async function seed(srv, name) {
  const b = await srv.api('POST', '/brain/create', { body: { name } });
  for (const content of MEMORIES) await srv.api('POST', '/memory/encode', { brain: b.id, body: { content } });
  return b.id;
}

/* ----------------------------------------------------------------- tests */

const results = { passed: 0, failed: 0 };

async function check(name, args, fn) {
  if (args.k.length && !args.k.some((k) => name.includes(k))) return;
  const t0 = Date.now();
  try {
    await fn();
    results.passed++;
    console.log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(2)}s)`);
  } catch (e) {
    results.failed++;
    console.log(`FAIL ${name} (${((Date.now() - t0) / 1000).toFixed(2)}s)`);
    for (const line of String(e && e.stack ? e.message : e).split('\n')) console.log(`    ${line}`);
  }
}

function chromiumArgs() {
  const a = ['--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--disable-gpu', '--disable-quic', '--disable-dev-shm-usage'];
  if (typeof process.getuid === 'function' && process.getuid() === 0) a.push('--no-sandbox');
  return a;
}

/** A page that records requests outside the server's origin and page errors. */
async function openPage(browser, srv) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.external = [];
  page.errors = [];
  const origins = [srv.base, `ws://127.0.0.1:${srv.port}`];
  const local = (u) => origins.some((o) => u === o || u.startsWith(`${o}/`)) || /^(data|blob|about):/.test(u);
  page.on('request', (r) => { if (!local(r.url())) page.external.push(r.url()); });
  page.on('websocket', (ws) => { if (!local(ws.url())) page.external.push(ws.url()); });
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.setDefaultTimeout(UI_TIMEOUT);
  return { context, page };
}

const ui = (page, expr, ...a) => page.evaluate(expr, ...a);

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    console.log(`FAIL setup: playwright-core is not installed in tests/browser (run: sh scripts/install-deps.sh): ${e.message}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  for (const [what, p] of [['chromium', args.chromium], ['nmemd', args.bin],
    ['vis-network (run scripts/install-deps.sh)', path.join(ROOT, 'server/ui/vendor/vis-network.min.js')]]) {
    if (!fs.existsSync(p)) {
      console.log(`FAIL setup: ${what} not found at ${p}`);
      console.log('0 passed, 1 failed');
      process.exit(1);
    }
  }
  fs.mkdirSync(args.out, { recursive: true });

  const servers = [];
  let browser = null;
  try {
    const srv = await new Server(args.bin).start();
    servers.push(srv);
    const brain = await seed(srv, 'browser-test');
    browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: chromiumArgs() });
    const { page } = await openPage(browser, srv);
    await runUiChecks(args, srv, brain, page);
    await runDocsChecks(args, srv, browser);
    await runAuthCheck(args, browser, servers);
  } catch (e) {
    results.failed++;
    console.log(`FAIL setup: ${e.message}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    for (const s of servers) {
      const e = await s.stop();
      if (e && (e.code !== 0 || e.signal)) {
        results.failed++;
        console.log(`FAIL shutdown: nmemd exited with ${JSON.stringify(e)}\n${s.logTail()}`);
      }
      s.cleanup(args.keep);
    }
  }
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed ? 1 : 0);
}

async function runUiChecks(args, srv, brain, page) {
  await check('ui-graph', args, async () => {
    await page.goto(`${srv.base}/ui?brain=${encodeURIComponent(brain)}`);
    await page.waitForFunction(() => window.nmemdUi, null, { timeout: UI_TIMEOUT });
    await ui(page, () => window.nmemdUi.ready);
    const limit = await ui(page, () => window.nmemdUi.limit);
    const g = await srv.api('GET', `/api/graph?limit=${limit}`, { brain });
    assert(g.neurons.length > 0, '/api/graph returned no neurons for the seeded brain');
    assert(await ui(page, () => window.nmemdUi.brainId()) === brain, 'the page did not pick ?brain=');
    const n = await ui(page, () => window.nmemdUi.nodeCount());
    const e = await ui(page, () => window.nmemdUi.edgeCount());
    assert(n === g.neurons.length, `graph shows ${n} neurons, /api/graph has ${g.neurons.length}`);
    assert(e === g.synapses.length, `graph shows ${e} synapses, /api/graph has ${g.synapses.length}`);
    assert(await page.locator('#graph canvas').count() === 1, 'no canvas in #graph');
    const stats = await page.locator('#stats').innerText();
    assert(stats.includes(String(g.stats.neuron_count)), `stats panel lacks the neuron count ${g.stats.neuron_count}: ${stats}`);
  });

  await check('ui-click', args, async () => {
    // Click the neuron farthest from its nearest neighbour (no overlap),
    // once the layout has stopped moving.
    await page.waitForFunction(() => window.nmemdUi.settled(), null, { timeout: SETTLE_TIMEOUT });
    const pos = await ui(page, () => Object.fromEntries(window.nmemdUi.nodeIds()
      .map((id) => [id, window.nmemdUi.domPosition(id)])));
    const box = await page.locator('#graph').boundingBox();
    const ids = Object.keys(pos).filter((id) => pos[id].x > 20 && pos[id].y > 20 &&
      pos[id].x < box.width - 20 && pos[id].y < box.height - 60);
    assert(ids.length > 0, 'no neuron is inside the visible canvas');
    let best = null;
    let bestD = -1;
    for (const id of ids) {
      let d = Infinity;
      for (const o of Object.keys(pos)) if (o !== id) d = Math.min(d, Math.hypot(pos[o].x - pos[id].x, pos[o].y - pos[id].y));
      if (d > bestD) { bestD = d; best = id; }
    }
    await page.mouse.click(box.x + pos[best].x, box.y + pos[best].y);
    await page.waitForFunction((id) => window.nmemdUi.selected() === id, best);
    const neuron = await srv.api('GET', `/memory/neurons/${encodeURIComponent(best)}`, { brain });
    await page.locator('#detail-content').waitFor();
    const content = await page.locator('#detail-content').innerText();
    assert(content.trim() === neuron.content.trim(), `detail shows "${content}", neuron has "${neuron.content}"`);
    const out = (await srv.api('GET', `/memory/synapses?source_id=${encodeURIComponent(best)}`, { brain })).synapses;
    const inc = (await srv.api('GET', `/memory/synapses?target_id=${encodeURIComponent(best)}`, { brain })).synapses
      .filter((s) => s.source_id !== best);
    const fib = (await srv.api('GET', `/memory/fibers?contains_neuron=${encodeURIComponent(best)}`, { brain })).fibers;
    assert(out.length + inc.length > 0, 'the clicked neuron has no synapses (seed too small?)');
    assert(await page.locator('#detail-out li').count() === out.length, `outgoing: page ${await page.locator('#detail-out li').count()}, API ${out.length}`);
    assert(await page.locator('#detail-in li').count() === inc.length, `incoming: page ${await page.locator('#detail-in li').count()}, API ${inc.length}`);
    assert(await page.locator('#detail-fibers li').count() === fib.length, `fibers: page ${await page.locator('#detail-fibers li').count()}, API ${fib.length}`);
    await page.locator('#detail-close').click();
    await page.locator('#detail').waitFor({ state: 'hidden' });
  });

  await check('ui-query', args, async () => {
    const expected = await srv.api('POST', '/memory/query', { brain, body: { query: QUERY, include_subgraph: true, reinforce: false } });
    assert(expected.fibers_matched.length > 0, 'the query matches nothing over HTTP (seed?)');
    await page.locator('#search-input').fill(QUERY);
    await page.locator('#search-button').click();
    await page.locator('#fiber-hits li').first().waitFor();
    const lit = await ui(page, () => window.nmemdUi.highlightedCount());
    const act = expected.subgraph.activations || {};
    const activated = new Set([...expected.subgraph.neuron_ids, ...Object.keys(act)]);
    assert(lit > 0, 'no neuron highlighted after the query');
    assert(lit <= activated.size, `${lit} highlighted, but only ${activated.size} neurons activated`);
    const shown = await page.locator('#fiber-hits li').evaluateAll((els) => els.map((e) => e.dataset.fiberId));
    const want = expected.fibers_matched.slice(0, 10);
    assert(JSON.stringify(shown) === JSON.stringify(want), `matched fibers listed ${JSON.stringify(shown)}, API ${JSON.stringify(want)}`);
    const first = await page.locator('#fiber-hits li').first().innerText();
    assert(/activation \d\.\d\d/.test(first), `no activation shown on the first match: ${first}`);
  });

  await check('ui-live', args, async () => {
    await page.waitForFunction(() => window.nmemdUi.liveMode() === 'live', null, { timeout: UI_TIMEOUT })
      .catch(async () => { throw new Error(`live mode is "${await ui(page, () => window.nmemdUi.liveMode())}", not "live" (/sync/ws)`); });
    const before = await ui(page, () => window.nmemdUi.nodeCount());
    const updates = await ui(page, () => window.nmemdUi.updates());
    const r = await srv.api('POST', '/memory/encode', { brain, body: { content: LIVE_MEMORY } });
    assert(r.neurons_created > 0, 'the live memory created no neurons');
    const fiber = await srv.api('GET', `/memory/fiber/${encodeURIComponent(r.fiber_id)}`, { brain });
    await page.waitForFunction(({ anchor, before }) => window.nmemdUi.nodeCount() > before &&
      window.nmemdUi.nodeIds().includes(anchor), { anchor: fiber.anchor_neuron_id, before }, { timeout: UI_TIMEOUT })
      .catch(async () => {
        throw new Error(`the new memory did not appear (nodes ${before} -> ${await ui(page, () => window.nmemdUi.nodeCount())}, ` +
          `live refreshes ${updates} -> ${await ui(page, () => window.nmemdUi.updates())})`);
      });
    await page.waitForFunction((u) => window.nmemdUi.updates() > u, updates)
      .catch(() => { throw new Error('nodes appeared without a live refresh'); });
    const limit = await ui(page, () => window.nmemdUi.limit);
    const g = await srv.api('GET', `/api/graph?limit=${limit}`, { brain });
    await page.waitForFunction((n) => window.nmemdUi.nodeCount() === n, g.neurons.length)
      .catch(async () => { throw new Error(`graph shows ${await ui(page, () => window.nmemdUi.nodeCount())} neurons after the update, /api/graph ${g.neurons.length}`); });
    await page.waitForFunction((n) => document.querySelector('#stats').innerText.includes(String(n)), g.stats.neuron_count);
  });
  // The picture of record: the query's highlight plus the live memory
  // (the mouse moved off the canvas so no neuron shows as hovered).
  await page.mouse.move(0, 0).catch(() => {});
  await page.screenshot({ path: path.join(args.out, 'ui.png') }).catch((e) => console.log(`screenshot: ${e.message}`));

  await check('offline', args, async () => {
    assert(page.external.length === 0, `requests left the server: ${page.external.join(', ')}`);
    assert(page.errors.length === 0, `page errors: ${page.errors.join(' | ')}`);
  });
}

async function runDocsChecks(args, srv, browser) {
  await check('docs', args, async () => {
    const { page, context } = await openPage(browser, srv);
    try {
      const spec = await srv.api('GET', '/openapi.json');
      await page.goto(`${srv.base}/docs`);
      await page.locator('.opblock').first().waitFor();
      const shown = new Set(await page.locator('.opblock-summary-path').evaluateAll((els) =>
        els.map((e) => e.getAttribute('data-path') || e.textContent.replace(/\u200b/g, '').trim())));
      const missing = Object.keys(spec.paths).filter((p) => !shown.has(p));
      assert(missing.length === 0, `paths of /openapi.json not rendered: ${missing.join(', ')}`);
      await page.evaluate(() => document.querySelector('.opblock-tag-section').scrollIntoView());
      await page.screenshot({ path: path.join(args.out, 'docs.png') });
      for (const p of ['/api/graph', '/brain/{brain_id}/decay']) assert(shown.has(p), `/docs lacks ${p}`);
      assert(page.external.length === 0, `requests left the server: ${page.external.join(', ')}`);
      assert(page.errors.length === 0, `page errors: ${page.errors.join(' | ')}`);
    } finally {
      await context.close();
    }
  });

  await check('vendor', args, async () => {
    for (const [p, want] of [['/static/vendor/vis-network.LICENSE', /MIT License/],
      ['/static/vendor/swagger-ui/LICENSE', /Apache License/],
      ['/static/vendor/vis-network.min.js', /vis-network/],
      ['/static/vendor/swagger-ui/swagger-ui-bundle.js', /SwaggerUI/]]) {
      const r = await request(srv.port, 'GET', p);
      assert(r.status === 200, `${p}: ${r.status}`);
      assert(want.test(r.body), `${p}: unexpected body`);
      if (p.endsWith('LICENSE')) assert(/^text\/plain/.test(r.headers['content-type'] || ''), `${p}: content type ${r.headers['content-type']}`);
      if (p.endsWith('.js')) assert(/javascript/.test(r.headers['content-type'] || ''), `${p}: content type ${r.headers['content-type']}`);
    }
    const r = await request(srv.port, 'GET', '/ui');
    assert(r.status === 200 && /^text\/html/.test(r.headers['content-type'] || ''), `/ui: ${r.status} ${r.headers['content-type']}`);
  });

  await check('static-safety', args, async () => {
    for (const p of ['/static/../Makefile', '/static/..%2f..%2fMakefile', '/static/%2e%2e/%2e%2e/Makefile',
      '/static/vendor/../../../Makefile', '/static/node_modules/.package-lock.json', '/static/nonexistent.js']) {
      const r = await request(srv.port, 'GET', p);
      assert(r.status === 404 || r.status === 400, `${p}: ${r.status}`);
    }
  });
}

async function runAuthCheck(args, browser, servers) {
  await check('auth', args, async () => {
    const key = `browser-test-${process.pid}-key`;
    const hash = createHash('sha256').update(key).digest('hex');
    const srv = await new Server(args.bin, ['auth.enabled=on', `auth.key=${hash} tester admin`]).start();
    servers.push(srv);
    const r = await request(srv.port, 'GET', '/brains');
    assert(r.status === 401, `/brains without a key: ${r.status}`);
    srv.headers = { Authorization: `Bearer ${key}` };
    const brain = await seed(srv, 'auth-test');
    const { page, context } = await openPage(browser, srv);
    try {
      await page.goto(`${srv.base}/ui?brain=${encodeURIComponent(brain)}`);
      await page.locator('#key-dialog[open]').waitFor();
      await page.locator('#key-input').fill(key);
      await page.locator('#key-ok').click();
      await ui(page, () => window.nmemdUi.ready);
      const g = await srv.api('GET', '/api/graph?limit=300', { brain });
      await page.waitForFunction((n) => window.nmemdUi.nodeCount() === n, g.neurons.length);
      assert(await ui(page, () => sessionStorage.getItem('nmemd.apiKey')) === key, 'key not kept in sessionStorage');
      await page.waitForFunction(() => window.nmemdUi.liveMode() === 'live')
        .catch(async () => { throw new Error(`live mode with a key is "${await ui(page, () => window.nmemdUi.liveMode())}" (/sync/ws?token=)`); });
      assert(page.errors.length === 0, `page errors: ${page.errors.join(' | ')}`);
    } finally {
      await context.close();
    }
  });
}

main().catch((e) => {
  console.log(`FAIL harness: ${e.stack || e}`);
  console.log(`${results.passed} passed, ${results.failed + 1} failed`);
  process.exit(1);
});

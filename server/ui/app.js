/*
 * nmemd browser UI (GET /ui; PROTOCOL.md §3.10). Plain JavaScript modules,
 * no build step; vis-network (window.vis) is loaded before this module from
 * /static/vendor/. This file holds the page's state, the graph and the
 * panels; api.js the HTTP calls and key prompt, live.js the WebSocket,
 * util.js DOM and formatting helpers.
 *
 * What it does:
 *   - brain picker (GET /brains; ?brain=<id> in the page URL selects one,
 *     ?limit=<n> sets how many neurons the graph asks for, default 300)
 *   - stats panel (GET /brain/{id}/stats)
 *   - graph (GET /api/graph), neurons coloured by type; a click opens the
 *     neuron's content, synapses (both directions) and fibers
 *   - search (POST /memory/query, include_subgraph, reinforce: false):
 *     activated neurons are enlarged and outlined by activation level, the
 *     matched fibers are listed best first
 *   - encode (POST /memory/encode)
 *   - live updates from the WebSocket /sync/ws (§3.9, live.js): change
 *     events for the shown brain are collected and applied once per
 *     DEBOUNCE_MS by re-reading /api/graph (positions of known neurons are
 *     kept). While the socket is down the page polls the brain's stats
 *     instead and reconnects with back-off.
 *   - API keys (§6.5): any 401 opens a dialog asking for a key, kept in
 *     sessionStorage; the WebSocket gets it as ?token=.
 *
 * Invariants:
 *   1. state.gen changes whenever the brain changes; a response that comes
 *      back for an older generation is dropped.
 *   2. Node styles are computed from state (type, highlight, fresh,
 *      selection) by nodeItem() alone, so any restyle is one DataSet update.
 *   3. Text from the server reaches the DOM only as text (textContent), never
 *      as HTML.
 *
 * Test hook (used by tests/browser/run.mjs; not an API for anything else):
 *   window.nmemdUi = {
 *     ready,               Promise, resolved once the first graph (or the
 *                          empty state) has been drawn
 *     nodeCount(),         neurons in the graph now
 *     edgeCount(),         synapses in the graph now
 *     highlightedCount(),  graph neurons highlighted by the last query
 *     liveMode(),          "live" | "polling" | "connecting" | "off"
 *     brainId(),           the brain shown
 *     limit,               the `limit` sent to /api/graph
 *     updates(),           number of live refreshes applied so far
 *     nodeIds(),           ids of the neurons in the graph
 *     domPosition(id),     {x, y} of a neuron in CSS pixels relative to #graph
 *     selected(),          id of the neuron in the detail panel, or null
 *     settled(),           true when the layout has stopped moving
 *   }
 */

import { api, askKey, apiKey, forgetKey, onKeyChange, enc } from './api.js';
import { Live } from './live.js';
import {
  $, clampInt, h, truncate, fmtNum, fmtLevel, fmtBytes, mapLimit, showError, cssVar,
} from './util.js';

const TYPES = ['time', 'spatial', 'entity', 'action', 'state', 'concept', 'sensory', 'intent'];
const TYPE_COLOURS = {
  time: '#4e79a7', spatial: '#59a14f', entity: '#f28e2b', action: '#e15759',
  state: '#76b7b2', concept: '#b07aa1', sensory: '#edc948', intent: '#ff9da7',
};
const UNKNOWN_COLOUR = '#9aa6b5';
const BRAIN_STORE = 'nmemd.brain';
const DEFAULT_LIMIT = 300;
const DEBOUNCE_MS = 250;     // live events arriving within this window cause one refresh
const POLL_MS = 5000;        // stats polling while the WebSocket is down
const FRESH_MS = 6000;       // how long new neurons keep their "new" outline
const MAX_FETCH = 200;       // neurons/synapses fetched one by one to complete a view
const CHANGE_EVENTS = new Set([
  'neuron_created', 'neuron_updated', 'neuron_deleted', 'synapse_created', 'synapse_updated',
  'synapse_deleted', 'fiber_created', 'fiber_updated', 'fiber_deleted', 'memory_encoded',
  'full_sync', 'partial_sync', 'job_finished',
]);

/* ------------------------------------------------------------------ state */

const params = new URLSearchParams(location.search);
const state = {
  gen: 0,                  // invariant 1
  brain: null,             // id of the brain shown
  brains: [],
  limit: clampInt(params.get('limit'), 1, 10000, DEFAULT_LIMIT),
  neurons: new Map(),      // id -> {id, type, content, metadata} for every known neuron
  fibers: new Map(),       // id -> {id, summary, neuron_count} from /api/graph
  totals: null,            // /api/graph stats (brain totals)
  stats: null,             // /brain/{id}/stats
  highlight: new Map(),    // neuron id -> activation level of the last query
  hitEdges: new Set(),     // synapse ids of the last query's subgraph
  fresh: new Set(),        // neuron ids added by a live update, for FRESH_MS
  selected: null,          // neuron id in the detail panel
  live: 'off',
  moving: false,           // the physics simulation is running
  updates: 0,
  pending: { fibers: new Set(), deleted: new Set() }, // queued by queueChange()
  pendingTimer: null,
  refreshing: null,
};

/* ------------------------------------------------------------------ graph */

const nodes = new vis.DataSet();
const edges = new vis.DataSet();
let network = null;
// Theme colours, read once from style.css (custom properties).
let fontColour = '#1c2430';
let edgeColour = '#9aa6b5';
let hitColour = '#f0a500';
let accentColour = '#2f6fdf';
let freshColour = '#2e9d5b';
let canvasColour = '#fbfcfd';

function neuronColour(type) {
  return TYPE_COLOURS[type] || UNKNOWN_COLOUR;
}

function isAnchor(n) {
  return !!(n && n.metadata && n.metadata.is_anchor);
}

/** The vis node for neuron n, from the current state (invariant 2). */
function nodeItem(n) {
  const colour = neuronColour(n.type);
  const level = state.highlight.get(n.id);
  const lit = level !== undefined;
  const fresh = state.fresh.has(n.id);
  const dim = state.highlight.size > 0 && !lit && !fresh;
  const selected = state.selected === n.id;
  const anchor = isAnchor(n);
  let label = truncate(n.content, anchor ? 34 : 24);
  if (lit) label += `  ${fmtLevel(level)}`;
  return {
    id: n.id,
    label,
    title: `${n.type}${anchor ? ' · memory' : ''}\n${truncate(n.content, 300)}`,
    shape: anchor ? 'diamond' : 'dot',
    size: lit ? 11 + 18 * Math.max(0, Math.min(1, level)) : (anchor ? 11 : 9),
    borderWidth: lit || fresh || selected ? 4 : 1,
    color: {
      background: colour,
      border: selected ? accentColour : lit ? hitColour : fresh ? freshColour : colour,
      highlight: { background: colour, border: accentColour },
      hover: { background: colour, border: hitColour },
    },
    opacity: dim ? 0.22 : 1,
    font: { color: fontColour, size: lit ? 14 : 12, strokeWidth: 3, strokeColor: canvasColour },
    shadow: lit ? { enabled: true, color: hitColour, size: 14, x: 0, y: 0 } : { enabled: false },
  };
}

function edgeItem(s) {
  const lit = state.hitEdges.has(s.id);
  const dim = state.highlight.size > 0 && !lit;
  return {
    id: s.id,
    from: s.source_id,
    to: s.target_id,
    arrows: s.direction === 'uni' ? { to: { enabled: true, scaleFactor: 0.5 } } : { to: { enabled: false } },
    width: (lit ? 2 : 0.5) + 2.5 * (typeof s.weight === 'number' ? s.weight : 0.5),
    color: { color: lit ? hitColour : edgeColour, highlight: accentColour, opacity: dim ? 0.12 : lit ? 1 : 0.55 },
    title: `${s.type} · weight ${fmtLevel(s.weight)} · ${s.direction}`,
    synapse: s,
  };
}

function restyleNodes(ids) {
  const items = [];
  for (const id of ids || nodes.getIds()) {
    const n = state.neurons.get(id);
    if (n && nodes.get(id)) items.push(nodeItem(n));
  }
  if (items.length) nodes.update(items);
}

function restyleEdges() {
  edges.update(edges.get().map((e) => edgeItem(e.synapse)));
}

function initNetwork() {
  fontColour = cssVar('--fg') || fontColour;
  edgeColour = cssVar('--muted') || edgeColour;
  hitColour = cssVar('--hit') || hitColour;
  accentColour = cssVar('--accent') || accentColour;
  freshColour = cssVar('--ok') || freshColour;
  canvasColour = cssVar('--graph-bg') || canvasColour;
  network = new vis.Network($('graph'), { nodes, edges }, {
    autoResize: true,
    nodes: { shape: 'dot', font: { face: 'system-ui, sans-serif' } },
    edges: { smooth: false, selectionWidth: 1.5, hoverWidth: 0.5 },
    physics: {
      solver: 'forceAtlas2Based',
      forceAtlas2Based: { gravitationalConstant: -45, springLength: 90, springConstant: 0.06, avoidOverlap: 0.3 },
      stabilization: { iterations: 200, updateInterval: 50 },
      minVelocity: 0.75, // settle sooner than the default 0.1; the last creep is invisible
    },
    interaction: { hover: true, tooltipDelay: 250, keyboard: { enabled: true, bindToWindow: false } },
  });
  network.on('click', (ev) => {
    if (ev.nodes.length) selectNeuron(ev.nodes[0]);
  });
  network.on('stabilizationIterationsDone', () => network.setOptions({ physics: { stabilization: false } }));
  network.on('startStabilizing', () => { state.moving = true; });
  network.on('stabilized', () => { state.moving = false; });
}

/** A neuron's position, or null when it is not drawn. */
function position(id) {
  try {
    const p = network.getPosition(id);
    return p && Number.isFinite(p.x) ? p : null;
  } catch {
    return null;
  }
}

/**
 * Merge an /api/graph answer into the graph. `replace`: the answer is the
 * whole view, so neurons and synapses it lacks are removed. New neurons are
 * placed next to a known neighbour and, when `markFresh`, outlined for a while.
 */
function mergeGraph(g, { replace = false, markFresh = false } = {}) {
  const added = [];
  const items = [];
  for (const n of g.neurons || []) {
    state.neurons.set(n.id, n);
    if (!nodes.get(n.id)) added.push(n.id);
    items.push(nodeItem(n));
  }
  // Place new neurons beside a neighbour that is already drawn, so a live
  // update grows the picture where it belongs instead of in the centre.
  const near = new Map();
  for (const s of g.synapses || []) {
    near.set(s.source_id, near.get(s.source_id) || s.target_id);
    near.set(s.target_id, near.get(s.target_id) || s.source_id);
  }
  const addedSet = new Set(added);
  if (nodes.length > 0) {
    for (const it of items) {
      if (!addedSet.has(it.id)) continue;
      const p = near.has(it.id) && !addedSet.has(near.get(it.id)) ? position(near.get(it.id)) : null;
      if (p) {
        it.x = p.x + (Math.random() - 0.5) * 80;
        it.y = p.y + (Math.random() - 0.5) * 80;
      }
    }
  }
  if (markFresh && nodes.length > 0) {
    for (const id of added) state.fresh.add(id);
    for (const it of items) if (addedSet.has(it.id)) Object.assign(it, nodeItem(state.neurons.get(it.id)));
    if (added.length) {
      setTimeout(() => {
        for (const id of added) state.fresh.delete(id);
        restyleNodes(added);
      }, FRESH_MS);
    }
  }
  if (replace) {
    const keep = new Set(items.map((it) => it.id));
    removeNodes(nodes.getIds().filter((id) => !keep.has(id)));
  }
  if (added.length) state.moving = true; // until vis reports 'stabilized'
  nodes.update(items);
  const eitems = (g.synapses || []).filter((s) => nodes.get(s.source_id) && nodes.get(s.target_id)).map(edgeItem);
  if (replace) {
    const keep = new Set(eitems.map((e) => e.id));
    const gone = edges.getIds().filter((id) => !keep.has(id));
    if (gone.length) edges.remove(gone);
  }
  edges.update(eitems);
  for (const f of g.fibers || []) state.fibers.set(f.id, f);
  return added;
}

/** Remove neurons from the graph, with the synapses that touch them. */
function removeNodes(ids) {
  const gone = new Set(ids.filter((id) => nodes.get(id)));
  if (!gone.size) return;
  edges.remove(edges.getIds({ filter: (e) => gone.has(e.from) || gone.has(e.to) }));
  nodes.remove([...gone]);
}

/** GET /api/graph for the current brain (the first `limit` neurons, or around a neuron). */
function fetchGraph(extra = '') {
  return api('GET', `/api/graph?limit=${state.limit}${extra}`, { brain: state.brain });
}

async function loadGraph({ markFresh = false } = {}) {
  const gen = state.gen;
  const g = await fetchGraph();
  if (gen !== state.gen) return null;
  state.totals = g.stats;
  // The answer is the whole brain when it holds no more than `limit`
  // neurons; only then may it remove what it does not list.
  const whole = !g.stats || g.stats.neuron_count <= (g.neurons || []).length;
  const added = mergeGraph(g, { replace: whole, markFresh });
  updateCaption();
  renderLegend();
  return { g, added, whole };
}

/** Neurons (and the synapses among them) that the graph lacks: fetch them one by one. */
async function ensureInGraph(neuronIds, synapseIds) {
  const gen = state.gen;
  const brain = state.brain;
  const missingN = neuronIds.filter((id) => !nodes.get(id)).slice(0, MAX_FETCH);
  const got = await mapLimit(missingN, 8, (id) =>
    state.neurons.get(id) || api('GET', `/memory/neurons/${enc(id)}`, { brain }).catch(() => null));
  if (gen !== state.gen) return;
  const missingS = (synapseIds || []).filter((id) => !edges.get(id)).slice(0, MAX_FETCH);
  const syn = await mapLimit(missingS, 8, (id) =>
    api('GET', `/memory/synapses/${enc(id)}`, { brain }).catch(() => null));
  if (gen !== state.gen) return;
  mergeGraph({ neurons: got.filter(Boolean), synapses: syn.filter(Boolean) });
  updateCaption();
}

function updateCaption() {
  const t = state.totals;
  const shown = nodes.length;
  const cap = t ? `${fmtNum(shown)} of ${fmtNum(t.neuron_count)} neurons shown` : '';
  $('graph-caption').textContent = cap;
  const b = state.brains.find((x) => x.id === state.brain);
  $('graph').setAttribute('aria-label',
    `Graph of brain ${b ? b.name : state.brain || ''}: ${shown} neurons, ${edges.length} synapses`);
  const empty = $('graph-empty');
  if (!state.brain) {
    empty.hidden = false;
  } else if (shown === 0) {
    empty.textContent = 'This brain is empty. Encode a memory to see it here.';
    empty.hidden = false;
  } else {
    empty.hidden = true;
  }
}

function renderLegend() {
  const counts = new Map();
  for (const id of nodes.getIds()) {
    const n = state.neurons.get(id);
    if (n) counts.set(n.type, (counts.get(n.type) || 0) + 1);
  }
  const ul = $('legend');
  ul.replaceChildren(...TYPES.map((t) => h('li', { class: counts.get(t) ? '' : 'none' },
    h('span', { class: 'swatch', style: { background: TYPE_COLOURS[t] }, 'aria-hidden': 'true' }),
    t, h('span', { class: 'count' }, counts.get(t) || 0))));
}

/* ------------------------------------------------------------------ stats */

async function loadStats() {
  const gen = state.gen;
  const s = await api('GET', `/brain/${enc(state.brain)}/stats`);
  if (gen !== state.gen) return;
  state.stats = s;
  const rows = [
    ['Neurons', fmtNum(s.neuron_count)],
    ['Synapses', fmtNum(s.synapse_count)],
    ['Fibers', fmtNum(s.fiber_count)],
  ];
  const dl = $('stats');
  dl.replaceChildren(...rows.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))));
  const f = s.freshness;
  if (f) {
    dl.append(h('div', { class: 'wide' }, h('dt', null, 'Fibers by age'),
      h('dd', null, `${f.fresh} fresh · ${f.recent} recent · ${f.aging} aging · ${f.stale} stale`)));
  }
  const arch = (s.archived_fiber_count || 0) + (s.archived_neuron_count || 0);
  if (arch) {
    dl.append(h('div', { class: 'wide' }, h('dt', null, 'Archived'),
      h('dd', null, `${fmtNum(s.archived_fiber_count)} fibers · ${fmtNum(s.archived_neuron_count)} neurons · ${fmtNum(s.archived_synapse_count)} synapses`)));
  }
  if (s.db_size_bytes) {
    dl.append(h('div', { class: 'wide' }, h('dt', null, 'Storage'), h('dd', null, fmtBytes(s.db_size_bytes))));
  }
}

/* ----------------------------------------------------------------- brains */

async function loadBrains(prefer) {
  const r = await api('GET', '/brains?limit=1000');
  state.brains = (r && r.brains) || [];
  const sel = $('brain-select');
  const ids = new Set(state.brains.map((b) => b.id));
  const pick = [prefer, params.get('brain'), localStorage.getItem(BRAIN_STORE)]
    .find((id) => id && ids.has(id)) || params.get('brain') || (state.brains[0] && state.brains[0].id) || null;
  const opts = state.brains.map((b) => h('option', { value: b.id }, `${b.name}${b.name !== b.id ? ` (${truncate(b.id, 12)})` : ''}`));
  if (pick && !ids.has(pick)) opts.unshift(h('option', { value: pick }, pick));
  if (!opts.length) opts.push(h('option', { value: '' }, 'no brains yet'));
  sel.replaceChildren(...opts);
  sel.disabled = !state.brains.length && !pick;
  if (pick) sel.value = pick;
  return pick;
}

async function showBrain(id) {
  state.gen++;
  state.brain = id;
  state.neurons.clear();
  state.fibers.clear();
  state.highlight.clear();
  state.hitEdges.clear();
  state.fresh.clear();
  state.totals = null;
  state.pending = { fibers: new Set(), deleted: new Set() };
  nodes.clear();
  edges.clear();
  closeDetail();
  $('results').replaceChildren();
  $('clear-highlight').hidden = true;
  setFormsEnabled(!!id);
  if (id) {
    localStorage.setItem(BRAIN_STORE, id);
    const u = new URL(location.href);
    u.searchParams.set('brain', id);
    history.replaceState(null, '', u);
  }
  lastCounts = null;
  live.follow(id);
  if (!id) {
    $('graph-empty').replaceChildren('No brains yet. Create one with “+ New” above, then encode memories.');
    $('stats').replaceChildren(h('div', { class: 'wide' }, h('dt', null, 'Brain'), h('dd', null, 'none selected')));
    updateCaption();
    renderLegend();
    return;
  }
  network.setOptions({ physics: { stabilization: { iterations: 200 } } });
  await Promise.all([loadGraph(), loadStats()]);
  network.fit({ animation: false });
}

function setFormsEnabled(on) {
  for (const id of ['search-input', 'search-button', 'encode-content', 'encode-tags', 'encode-button']) {
    $(id).disabled = !on;
  }
}

/* ------------------------------------------------------------------ query */

async function runQuery(query) {
  const gen = state.gen;
  const brain = state.brain;
  const btn = $('search-button');
  btn.disabled = true;
  try {
    const r = await api('POST', '/memory/query', {
      brain, body: { query, include_subgraph: true, reinforce: false },
    });
    if (gen !== state.gen) return;
    const sg = r.subgraph || { neuron_ids: [], synapse_ids: [], anchor_ids: [] };
    const anchors = new Set(sg.anchor_ids || []);
    const act = sg.activations || null;
    // Levels: the engine's activations when it sends them (nmemd default
    // mode); otherwise anchors count as 1 and the rest of the subgraph 0.5.
    const levels = new Map();
    for (const id of sg.neuron_ids || []) levels.set(id, act && id in act ? act[id] : anchors.has(id) ? 1 : 0.5);
    if (act) for (const [id, v] of Object.entries(act)) if (!levels.has(id)) levels.set(id, v);
    await ensureInGraph([...levels.keys()], sg.synapse_ids || []);
    if (gen !== state.gen) return;
    state.highlight = levels;
    state.hitEdges = new Set(sg.synapse_ids || []);
    restyleNodes();
    restyleEdges();
    $('clear-highlight').hidden = levels.size === 0;
    await renderResults(r, levels, gen);
    const lit = [...levels.keys()].filter((id) => nodes.get(id));
    if (lit.length) network.fit({ nodes: lit, animation: { duration: 400, easingFunction: 'easeInOutQuad' } });
  } catch (e) {
    if (gen === state.gen) $('results').replaceChildren(h('p', { class: 'status bad' }, `Query failed: ${e.message}`));
  } finally {
    btn.disabled = false;
  }
}

function meter(level, label) {
  const pct = Math.round(100 * Math.max(0, Math.min(1, level || 0)));
  return h('span', { class: 'meter', title: `${label} ${fmtLevel(level)}` },
    h('span', { class: 'bar', 'aria-hidden': 'true' }, h('span', { style: { width: `${pct}%` } })),
    `${label} ${fmtLevel(level)}`);
}

async function neuronText(id, brain) {
  let n = state.neurons.get(id);
  if (!n) {
    n = await api('GET', `/memory/neurons/${enc(id)}`, { brain }).catch(() => null);
    if (n) state.neurons.set(id, n);
  }
  return n ? n.content : id;
}

async function renderResults(r, levels, gen) {
  const brain = state.brain;
  const box = $('results');
  const fiberIds = r.fibers_matched || [];
  const shown = fiberIds.slice(0, 10);
  const fibers = await mapLimit(shown, 5, (id) =>
    api('GET', `/memory/fiber/${enc(id)}`, { brain }).catch(() => null));
  const texts = await mapLimit(fibers, 5, (f) => {
    if (!f) return null;
    return f.summary ? f.summary : neuronText(f.anchor_neuron_id, brain);
  });
  if (gen !== state.gen) return;
  const items = shown.map((id, i) => {
    const f = fibers[i];
    // A fiber's activation: its anchor's level, else the best of its neurons.
    let level = f ? levels.get(f.anchor_neuron_id) : undefined;
    if (level === undefined && f) {
      for (const nid of f.neuron_ids || []) {
        const v = levels.get(nid);
        if (v !== undefined && (level === undefined || v > level)) level = v;
      }
    }
    const text = texts[i] || (state.fibers.get(id) || {}).summary || id;
    return h('li', { class: 'fiber-hit', dataset: { fiberId: id } },
      h('button', {
        type: 'button', class: 'link hit-text',
        onclick: () => f && selectNeuron(f.anchor_neuron_id),
      }, truncate(text, 220)),
      meter(level ?? 0, 'activation'));
  });
  const top = [...levels.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  const topTexts = await mapLimit(top, 5, ([id]) => neuronText(id, brain));
  if (gen !== state.gen) return;
  box.replaceChildren(...[
    h('p', { class: 'meta-line' },
      `${fiberIds.length} ${fiberIds.length === 1 ? 'memory' : 'memories'} matched · ${r.neurons_activated} neurons activated · ` +
      `confidence ${fmtLevel(r.confidence)} · depth ${r.depth_used} · ${fmtLevel(r.latency_ms)} ms`),
    r.answer ? h('blockquote', { class: 'answer' }, r.answer) : null,
    fiberIds.length ? h('h3', null, 'Matched memories') : h('p', { class: 'status' }, 'Nothing matched.'),
    fiberIds.length ? h('ol', { class: 'hits', id: 'fiber-hits' }, items) : null,
    fiberIds.length > shown.length ? h('p', { class: 'hint' }, `and ${fiberIds.length - shown.length} more`) : null,
    top.length ? h('h3', null, 'Most activated neurons') : null,
    top.length ? h('ol', { class: 'hits', id: 'neuron-hits' }, top.map(([id, v], i) => h('li', { dataset: { neuronId: id } },
      h('button', { type: 'button', class: 'link hit-text', onclick: () => selectNeuron(id) }, truncate(topTexts[i], 120)),
      meter(v, 'activation')))) : null,
  ].filter(Boolean));
}

function clearHighlight() {
  state.highlight = new Map();
  state.hitEdges = new Set();
  restyleNodes();
  restyleEdges();
  $('clear-highlight').hidden = true;
  $('results').replaceChildren();
}

/* ----------------------------------------------------------------- encode */

async function encode(content, tags) {
  const btn = $('encode-button');
  const status = $('encode-status');
  btn.disabled = true;
  status.classList.remove('bad');
  status.textContent = 'Encoding…';
  try {
    const body = { content };
    if (tags.length) body.tags = tags;
    const r = await api('POST', '/memory/encode', { brain: state.brain, body });
    status.textContent = `Encoded: ${r.neurons_created} new neurons, ${r.neurons_linked} linked, ` +
      `${r.synapses_created} synapses.`;
    $('encode-content').value = '';
    // The WebSocket announces it too (one refresh when both arrive within
    // DEBOUNCE_MS); this covers a page without a socket or server events.
    queueChange({ type: 'memory_encoded', data: r });
  } catch (e) {
    status.classList.add('bad');
    status.textContent = `Encode failed: ${e.message}`;
  } finally {
    btn.disabled = false;
  }
}

/* ----------------------------------------------------------------- detail */

function closeDetail() {
  const was = state.selected;
  state.selected = null;
  $('detail').hidden = true;
  document.querySelector('.layout').classList.remove('with-detail');
  network.setSize('100%', '100%');
  if (was && nodes.get(was)) restyleNodes([was]);
}

async function selectNeuron(id) {
  const gen = state.gen;
  const brain = state.brain;
  const prev = state.selected;
  state.selected = id;
  if (!nodes.get(id)) {
    // Not drawn yet: bring its neighbourhood in.
    try {
      mergeGraph(await fetchGraph(`&around=${enc(id)}&depth=1`));
      updateCaption();
      renderLegend();
    } catch (e) { /* the detail fetch below reports it */ }
  }
  restyleNodes([prev, id].filter(Boolean));
  const panel = $('detail');
  const body = $('detail-body');
  panel.hidden = false;
  document.querySelector('.layout').classList.add('with-detail');
  body.replaceChildren(h('p', { class: 'status' }, 'Loading…'));
  if (nodes.get(id)) {
    // The panel narrowed the canvas: resize it before centring the neuron.
    network.setSize('100%', '100%');
    network.selectNodes([id]);
    network.focus(id, { scale: Math.max(network.getScale(), 0.7), animation: { duration: 300 } });
  }
  try {
    const q = `limit=200`;
    const [n, out, inc, fibers] = await Promise.all([
      api('GET', `/memory/neurons/${enc(id)}`, { brain }),
      api('GET', `/memory/synapses?source_id=${enc(id)}&${q}`, { brain }),
      api('GET', `/memory/synapses?target_id=${enc(id)}&${q}`, { brain }),
      api('GET', `/memory/fibers?contains_neuron=${enc(id)}&limit=50`, { brain }),
    ]);
    if (gen !== state.gen || state.selected !== id) return;
    state.neurons.set(id, n);
    const outS = out.synapses || [];
    const inS = (inc.synapses || []).filter((s) => s.source_id !== id); // self-loops are listed once
    const fs = fibers.fibers || [];
    const peers = [...new Set([...outS.map((s) => s.target_id), ...inS.map((s) => s.source_id),
      ...fs.filter((f) => !f.summary).map((f) => f.anchor_neuron_id)])];
    await mapLimit(peers.slice(0, MAX_FETCH), 8, (p) => neuronText(p, brain));
    if (gen !== state.gen || state.selected !== id) return;
    renderDetail(n, outS, inS, fs);
  } catch (e) {
    if (state.selected === id) body.replaceChildren(h('p', { class: 'status bad' }, `Could not load: ${e.message}`));
  }
}

function peerButton(pid) {
  const p = state.neurons.get(pid);
  return h('button', { type: 'button', class: 'link', onclick: () => selectNeuron(pid) },
    p ? h('span', { class: 'swatch', style: { background: neuronColour(p.type) }, 'aria-hidden': 'true' }) : null,
    ' ', p ? truncate(p.content, 60) : pid);
}

function renderDetail(n, outS, inS, fs) {
  $('detail-title').textContent = isAnchor(n) ? 'Memory' : 'Neuron';
  const level = state.highlight.get(n.id);
  $('detail-body').replaceChildren(...[
    h('p', null, h('span', { class: 'badge', style: { background: neuronColour(n.type) } }, n.type),
      level !== undefined ? ' ' : null, level !== undefined ? meter(level, 'activation') : null),
    h('p', { class: 'content', id: 'detail-content' }, n.content),
    h('p', { class: 'kv' }, 'created ', n.created_at || '—', ' · id ', h('code', null, n.id)),
    n.metadata && Object.keys(n.metadata).length
      ? h('details', null, h('summary', null, 'Metadata'), h('pre', null, JSON.stringify(n.metadata, null, 2))) : null,
    h('h3', null, `Outgoing synapses (${outS.length}${outS.length >= 200 ? '+' : ''})`),
    outS.length ? h('ul', { class: 'links', id: 'detail-out' }, outS.map((s) => h('li', null,
      h('span', { class: 'syn' }, `${s.type} ${s.direction === 'bi' ? '↔' : '→'} ${fmtLevel(s.weight)}`),
      peerButton(s.target_id)))) : h('p', { class: 'hint' }, 'none'),
    h('h3', null, `Incoming synapses (${inS.length}${inS.length >= 200 ? '+' : ''})`),
    inS.length ? h('ul', { class: 'links', id: 'detail-in' }, inS.map((s) => h('li', null,
      peerButton(s.source_id),
      h('span', { class: 'syn' }, `${s.direction === 'bi' ? '↔' : '→'} ${s.type} ${fmtLevel(s.weight)}`)))) : h('p', { class: 'hint' }, 'none'),
    h('h3', null, `Fibers (${fs.length}${fs.length >= 50 ? '+' : ''})`),
    fs.length ? h('ul', { class: 'links', id: 'detail-fibers' }, fs.map((f) => {
      const a = state.neurons.get(f.anchor_neuron_id);
      const text = f.summary || (a ? a.content : f.anchor_neuron_id);
      return h('li', { dataset: { fiberId: f.id } },
        h('button', { type: 'button', class: 'link', onclick: () => selectNeuron(f.anchor_neuron_id) }, truncate(text, 140)),
        h('span', { class: 'syn' }, `${f.neuron_ids.length} neurons · salience ${fmtLevel(f.salience)}`));
    })) : h('p', { class: 'hint' }, 'none'),
    h('p', { class: 'row' }, h('button', {
      type: 'button', class: 'ghost', onclick: async () => {
        try {
          mergeGraph(await fetchGraph(`&around=${enc(n.id)}&depth=2`));
          updateCaption();
          renderLegend();
        } catch (e) { showError(`Expand failed: ${e.message}`); }
      },
    }, 'Show neighbourhood (2 hops)')),
  ].filter(Boolean));
}

/* ------------------------------------------------------------ live updates */

/**
 * Record a sync event for the shown brain; every event leads to one
 * re-read of /api/graph after DEBOUNCE_MS. New memories and deleted neurons
 * are remembered for the case the graph shows only part of the brain.
 */
function queueChange(ev) {
  const p = state.pending;
  if (ev.type === 'memory_encoded' && ev.data && ev.data.fiber_id) p.fibers.add(ev.data.fiber_id);
  else if (ev.type === 'neuron_deleted' && ev.data && ev.data.id) p.deleted.add(ev.data.id);
  if (!state.pendingTimer) state.pendingTimer = setTimeout(applyChanges, DEBOUNCE_MS);
}

async function applyChanges() {
  state.pendingTimer = null;
  if (state.refreshing) { // one refresh at a time; come back when it is done
    state.pendingTimer = setTimeout(applyChanges, DEBOUNCE_MS);
    return;
  }
  const p = state.pending;
  state.pending = { fibers: new Set(), deleted: new Set() };
  if (!state.brain) return;
  const gen = state.gen;
  state.refreshing = (async () => {
    removeNodes([...p.deleted]);
    const res = await loadGraph({ markFresh: true });
    // A brain larger than `limit`: /api/graph lists its oldest neurons, so
    // bring each new memory in around its anchor.
    if (res && !res.whole) {
      for (const fid of [...p.fibers].slice(0, 20)) {
        const f = await api('GET', `/memory/fiber/${enc(fid)}`, { brain: state.brain }).catch(() => null);
        if (!f || gen !== state.gen) continue;
        mergeGraph(await fetchGraph(`&around=${enc(f.anchor_neuron_id)}&depth=1`), { markFresh: true });
      }
      updateCaption();
      renderLegend();
    }
    if (gen === state.gen) {
      state.updates++;
      await loadStats();
    }
  })().catch((e) => showError(`Live update failed: ${e.message}`));
  try { await state.refreshing; } finally { state.refreshing = null; }
}

const LIVE_TEXT = { live: 'live', polling: 'polling', connecting: 'connecting…', off: 'offline' };
const LIVE_TITLE = {
  live: 'Live: changes arrive over /sync/ws',
  polling: `WebSocket unavailable: checking for changes every ${POLL_MS / 1000} s`,
  connecting: 'Connecting to /sync/ws',
  off: 'Not connected',
};
let lastCounts = null; // neuron/synapse/fiber counts seen by the last poll

const live = new Live({
  pollMs: POLL_MS,
  onMode: (mode) => {
    state.live = mode;
    const pill = $('live');
    pill.dataset.mode = mode;
    pill.title = LIVE_TITLE[mode];
    $('live-text').textContent = LIVE_TEXT[mode];
  },
  onEvent: (ev) => {
    if (CHANGE_EVENTS.has(ev.type) && ev.brain_id === state.brain) queueChange(ev);
  },
  poll: async () => {
    if (!state.brain || document.hidden) return;
    try {
      const s = await api('GET', `/brain/${enc(state.brain)}/stats`);
      const c = `${s.neuron_count}/${s.synapse_count}/${s.fiber_count}`;
      if (lastCounts !== null && c !== lastCounts) queueChange({ type: 'full_sync' });
      lastCounts = c;
    } catch { /* reported on the next user action */ }
  },
});
onKeyChange(() => live.restart());

/* ------------------------------------------------------------------- wire */

function wire() {
  $('brain-select').addEventListener('change', (e) => {
    showBrain(e.target.value || null).catch((err) => showError(err.message));
  });
  $('brain-new-toggle').addEventListener('click', () => {
    const f = $('brain-new-form');
    f.hidden = !f.hidden;
    $('brain-new-toggle').setAttribute('aria-expanded', String(!f.hidden));
    if (!f.hidden) $('brain-new-name').focus();
  });
  $('brain-new-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = $('brain-new-name').value.trim();
    if (!name) return;
    try {
      const b = await api('POST', '/brain/create', { body: { name } });
      $('brain-new-name').value = '';
      $('brain-new-form').hidden = true;
      $('brain-new-toggle').setAttribute('aria-expanded', 'false');
      const id = await loadBrains(b.id);
      await showBrain(id);
    } catch (err) {
      showError(`Could not create the brain: ${err.message}`);
    }
  });
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('search-input').value.trim();
    if (q && state.brain) runQuery(q);
  });
  $('encode-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const content = $('encode-content').value;
    if (!content.trim() || !state.brain) return;
    const tags = $('encode-tags').value.split(',').map((t) => t.trim()).filter(Boolean);
    encode(content, tags);
  });
  $('encode-content').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) $('encode-form').requestSubmit();
  });
  $('clear-highlight').addEventListener('click', clearHighlight);
  $('fit-button').addEventListener('click', () => network.fit({ animation: { duration: 300 } }));
  $('reload-button').addEventListener('click', () => showBrain(state.brain).catch((e) => showError(e.message)));
  $('detail-close').addEventListener('click', () => {
    closeDetail();
    network.unselectAll();
  });
  $('key-button').addEventListener('click', () => askKey(apiKey()
    ? 'A key is set for this tab. Enter a new one, or forget it.' : 'Enter the API key for this server.')
    .then((ok) => ok && start()));
  $('key-forget').addEventListener('click', () => {
    $('key-dialog').close('cancel');
    forgetKey();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.selected && !$('key-dialog').open) closeDetail();
  });
}

async function start() {
  const id = await loadBrains();
  await showBrain(id);
}

let resolveReady;
const ready = new Promise((r) => { resolveReady = r; });

window.nmemdUi = {
  ready,
  nodeCount: () => nodes.length,
  edgeCount: () => edges.length,
  highlightedCount: () => [...state.highlight.keys()].filter((id) => nodes.get(id)).length,
  liveMode: () => state.live,
  brainId: () => state.brain,
  limit: state.limit,
  updates: () => state.updates,
  nodeIds: () => nodes.getIds(),
  domPosition: (id) => network.canvasToDOM(network.getPosition(id)),
  selected: () => state.selected,
  settled: () => !state.moving,
};

initNetwork();
wire();
renderLegend();
live.connect();
start()
  .then(() => {
    // Resolve once the loaded graph has been drawn at least once.
    if (nodes.length) network.once('afterDrawing', () => resolveReady());
    else resolveReady();
    network.redraw();
  })
  .catch((e) => {
    showError(`Could not load: ${e.message}`);
    resolveReady();
  });

/**
 * `learn-ds explain --html`: the recorded run as one self-contained page (inline CSS and script,
 * no network, works offline): lanes per node with messages as arrows, fault periods shaded, the
 * nodes' notes, a scrubber over the events, and for client histories the linearizability view
 * (operations as bars per client, the longest valid order found, what cannot be placed).
 * The data is embedded as JSON and written into the page with textContent only.
 */
import { ms } from '../../sim/format.ts';
import { describeEvent } from './moment.ts';
import type { RunRecord } from './run-record.ts';
import { violationIndex } from './stepper.ts';

/** JSON that can sit inside a <script> element. */
function embed(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** What the page's script needs per event, worked out here so that page and terminal agree. */
function pageData(record: RunRecord) {
  const events = record.events.map((e, pos) => ({
    pos,
    t: e.t,
    kind: e.kind,
    from: 'from' in e ? e.from : undefined,
    to: 'to' in e ? e.to : undefined,
    node: 'node' in e ? e.node : undefined,
    sentAt: 'sentAt' in e ? e.sentAt : undefined,
    label: describeEvent(e),
  }));
  // In flight and notes at each event are computed on demand in the page from these.
  return {
    exercise: record.exercise,
    nodes: record.nodes,
    clients: record.clients,
    violation: violationIndex(record),
    faults: record.faults,
    events,
    notes: record.notes,
    history: record.history ?? null,
  };
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2330;background:#fbfbfd}
header{padding:12px 20px;background:#1d2330;color:#fff}
header h1{font-size:18px;margin:0 0 4px}
header .check{color:#ffb4b4}
pre.message{white-space:pre-wrap;margin:8px 0 0;color:#ffdede;font-size:13px}
main{padding:12px 20px}
.controls{position:sticky;top:0;background:#fbfbfd;padding:8px 0;border-bottom:1px solid #dde;z-index:2;display:flex;flex-wrap:wrap;gap:8px;align-items:center}
#scrubber{flex:1;min-width:240px}
button,select{font:inherit;padding:2px 8px}
#current{font-weight:600;width:100%}
.layout{display:flex;gap:16px;align-items:flex-start}
#lanes{flex:0 0 auto;background:#fff;border:1px solid #dde}
aside{flex:1;min-width:260px}
aside h3{margin:12px 0 4px;font-size:14px}
aside ul{margin:0;padding-left:18px}
.muted{color:#778}
.lane{stroke:#99a;stroke-width:1.5}
.lane.client{stroke:#ccd;stroke-dasharray:3 3}
.lanelabel{font-weight:600;text-anchor:middle}
.row text{font-size:12px}
.row.current rect.band{fill:#dbe8ff}
.row.violation text.label{fill:#b00020;font-weight:600}
.arrow{stroke:#356;stroke-width:1.3;fill:none}
.arrow.drop{stroke:#c33;stroke-dasharray:4 3}
.fault.partition{fill:rgba(220,60,60,.10);stroke:rgba(220,60,60,.5);stroke-dasharray:6 4}
.fault.pause{fill:rgba(230,170,0,.35)}
.fault.down{fill:rgba(90,90,90,.30)}
.fault.loss{fill:rgba(120,60,200,.07)}
.faultlabel{font-size:11px;fill:#a33}
.legend span{display:inline-block;margin-right:14px}
.sw{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle;border:1px solid #bbb}
table.events{border-collapse:collapse;font-size:12px;margin-top:12px}
table.events td{padding:1px 8px;border-bottom:1px solid #eef}
table.events tr.current{background:#dbe8ff;font-weight:600}
#lin svg{background:#fff;border:1px solid #dde}
.op{stroke:#556;stroke-width:.5}
.op.placed{fill:#9fd3a8}
.op.stuck{fill:#f08a8a}
.op.other{fill:#c9d3e6}
.op.elsewhere{fill:#eee}
.optext{font-size:11px}
`;

const SCRIPT = `
const run = JSON.parse(document.getElementById('run-data').textContent);
const events = run.events;
const lanes = [...run.nodes, ...run.clients];
const scrubber = document.getElementById('scrubber');
const nodeFilter = document.getElementById('node');
let node = '';
const SVG = 'http://www.w3.org/2000/svg';
const ms = (t) => t === null || t === undefined ? 'end' : t.toFixed(1) + ' ms';
function el(name, attrs, parent, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function involves(e, id) {
  if (e.kind === 'partition' || e.kind === 'heal') return true;
  return e.from === id || e.to === id || e.node === id;
}
const visible = (e) => e.kind !== 'timer' && (!node || involves(e, node));
const isFault = (e) => ['partition', 'heal', 'pause', 'resume', 'crash', 'restart'].includes(e.kind);
for (const id of lanes) { const o = document.createElement('option'); o.value = id; o.textContent = id; nodeFilter.appendChild(o); }

function drawLanes(pos) {
  const svg = document.getElementById('lanes');
  svg.replaceChildren();
  const shown = events.filter(visible);
  let at = shown.findIndex((e) => e.pos >= pos);
  if (at < 0) at = shown.length - 1;
  const start = Math.max(0, at - 30), rows = shown.slice(start, at + 15);
  const X0 = 70, DX = 120, Y0 = 40, DY = 22;
  const x = (id) => X0 + lanes.indexOf(id) * DX;
  const labelX = X0 + (lanes.length - 1) * DX + 40;
  const height = Y0 + rows.length * DY + 20;
  svg.setAttribute('width', String(labelX + 640));
  svg.setAttribute('height', String(height));
  const y = (k) => Y0 + k * DY + DY / 2;
  const rowAt = (t) => { const k = rows.findIndex((r) => r.t >= t); return k < 0 ? rows.length : k; };
  // Fault periods, shaded behind everything.
  for (const f of run.faults) {
    const first = rows.findIndex((r) => r.t >= f.from);
    if (first < 0) continue;
    const endRow = f.to === null ? rows.length : rowAt(f.to);
    if (endRow <= first && !(f.from <= rows[0].t && (f.to === null || f.to > rows[0].t))) continue;
    const top = y(first) - DY / 2, bottom = y(Math.max(first, endRow - 1)) + DY / 2;
    if (f.kind === 'partition' || f.kind === 'loss') {
      el('rect', { class: 'fault ' + f.kind, x: X0 - 40, y: top, width: (lanes.length - 1) * DX + 80, height: bottom - top }, svg);
      el('text', { class: 'faultlabel', x: X0 - 36, y: top + 11 }, svg, f.label);
    } else {
      for (const id of f.nodes) if (lanes.includes(id)) el('rect', { class: 'fault ' + f.kind, x: x(id) - 6, y: top, width: 12, height: bottom - top }, svg).appendChild(el('title', {}, null, f.label));
    }
  }
  lanes.forEach((id, i) => {
    el('line', { class: 'lane' + (i >= run.nodes.length ? ' client' : ''), x1: x(id), x2: x(id), y1: 28, y2: height - 10 }, svg);
    el('text', { class: 'lanelabel', x: x(id), y: 18 }, svg, id);
  });
  rows.forEach((e, k) => {
    const g = el('g', { class: 'row' + (e.pos === pos ? ' current' : '') + (e.pos === run.violation ? ' violation' : ''), 'data-pos': e.pos }, svg);
    el('rect', { class: 'band', x: 0, y: y(k) - DY / 2, width: labelX + 640, height: DY, fill: 'transparent' }, g);
    if (e.kind === 'deliver' || e.kind === 'drop') {
      const from = lanes.includes(e.from) ? x(e.from) : X0, to = lanes.includes(e.to) ? x(e.to) : X0;
      const sentRow = rows.findIndex((r) => r.t >= e.sentAt);
      const y1 = sentRow < 0 || sentRow > k ? y(k) : sentRow === k ? y(k) - 6 : y(sentRow);
      const endX = e.kind === 'drop' ? (from + to) / 2 : to;
      el('line', { class: 'arrow' + (e.kind === 'drop' ? ' drop' : ''), x1: from, y1: e.t === e.sentAt ? y(k) : Math.min(y1, y(k)), x2: endX, y2: y(k), 'marker-end': e.kind === 'drop' ? '' : 'url(#head)' }, g);
      if (e.kind === 'drop') el('text', { x: endX - 4, y: y(k) + 4, fill: '#c33' }, g, '✗');
    } else if (e.node !== undefined && lanes.includes(e.node)) {
      const mark = { crash: '✖', restart: '↻', pause: '‖', resume: '»', log: '•', timer: '⏱' }[e.kind] || '•';
      el('text', { x: x(e.node) - 5, y: y(k) + 4 }, g, mark);
    }
    el('text', { class: 'label', x: labelX, y: y(k) + 4 }, g, ms(e.t).padStart(10) + '  ' + e.label);
  });
  const defs = el('defs', {}, svg);
  const marker = el('marker', { id: 'head', markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: 'auto' }, defs);
  el('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#356' }, marker);
  const table = document.getElementById('events');
  table.replaceChildren();
  for (const e of rows) {
    const tr = document.createElement('tr');
    if (e.pos === pos) tr.className = 'current';
    for (const text of [String(e.pos + 1), ms(e.t), e.label]) { const td = document.createElement('td'); td.textContent = text; tr.appendChild(td); }
    table.appendChild(tr);
  }
}

function list(id, items, empty) {
  const ul = document.getElementById(id);
  ul.replaceChildren();
  if (items.length === 0) { const li = document.createElement('li'); li.className = 'muted'; li.textContent = empty; ul.appendChild(li); }
  for (const text of items) { const li = document.createElement('li'); li.textContent = text; ul.appendChild(li); }
}

function drawMoment(pos) {
  const e = events[pos];
  document.getElementById('current').textContent = 'event ' + (pos + 1) + ' of ' + events.length + ' at ' + ms(e.t) + ': ' + e.label + (pos === run.violation ? '  (the violation)' : '');
  list('faults-now', run.faults.filter((f) => e.t >= f.from && (f.to === null || e.t < f.to)).map((f) => f.label + ' (' + ms(f.from) + ' – ' + ms(f.to) + ')'), 'none');
  const flying = [];
  for (let i = pos + 1; i < events.length; i++) {
    const m = events[i];
    if ((m.kind === 'deliver' || m.kind === 'drop') && m.sentAt <= e.t && !(m.kind === 'drop' && m.t === m.sentAt)) flying.push(m.label + (m.kind === 'drop' ? ' at ' : ', arrives ') + ms(m.t));
  }
  list('in-flight', flying.slice(0, 20), 'nothing known');
  const notes = [];
  for (const [id, list_] of Object.entries(run.notes)) {
    const seen = list_.filter((n) => n.t <= e.t);
    for (const n of seen.slice(-3)) notes.push(id + ' (' + ms(n.t) + '): ' + n.text);
  }
  list('notes', notes, 'none yet');
}

let moveCursor = () => {};
function show(pos) {
  pos = Math.max(0, Math.min(events.length - 1, pos));
  scrubber.value = String(pos);
  drawLanes(pos);
  drawMoment(pos);
  moveCursor(events[pos].t);
}
function step(direction, accept) {
  let pos = Number(scrubber.value);
  for (let i = pos + direction; i >= 0 && i < events.length; i += direction) {
    if ((accept || visible)(events[i]) && (!node || involves(events[i], node))) return show(i);
  }
}
scrubber.addEventListener('input', () => show(Number(scrubber.value)));
document.getElementById('prev').addEventListener('click', () => step(-1));
document.getElementById('next').addEventListener('click', () => step(1));
document.getElementById('prev-fault').addEventListener('click', () => step(-1, isFault));
document.getElementById('next-fault').addEventListener('click', () => step(1, isFault));
document.getElementById('to-violation').addEventListener('click', () => show(run.violation));
nodeFilter.addEventListener('change', () => { node = nodeFilter.value; show(Number(scrubber.value)); });
document.addEventListener('keydown', (ev) => {
  if (ev.target === nodeFilter) return;
  if (ev.key === 'ArrowRight' || ev.key === 'l') { step(1); ev.preventDefault(); }
  else if (ev.key === 'ArrowLeft' || ev.key === 'h') { step(-1); ev.preventDefault(); }
  else if (ev.key === 'v') show(run.violation);
  else if (ev.key === 'f' || ev.key === ']') step(1, isFault);
  else if (ev.key === 'F' || ev.key === '[') step(-1, isFault);
});

function drawHistory() {
  const h = run.history;
  if (!h) return;
  const lin = h.linearizability;
  const section = document.getElementById('lin');
  section.hidden = false;
  // A failing key's operations are the ones to see (the others are only counted).
  const failing = lin && lin.verdict !== 'linearizable' && lin.ops.length > 0 ? new Set(lin.ops) : null;
  const ops = failing ? h.ops.filter((o) => failing.has(o.id)) : h.ops;
  const clients = [...new Set(ops.map((o) => o.client))].sort();
  const last = Math.max(...ops.map((o) => o.returnTime === null ? o.callTime : o.returnTime));
  const end = last + Math.max(1, (last - Math.min(...ops.map((o) => o.callTime))) * 0.05);
  const start = Math.min(...ops.map((o) => o.callTime));
  const W = 1100, X0 = 60, DY = 30;
  const x = (t) => X0 + ((Math.min(Math.max(t, start), end) - start) / Math.max(1, end - start)) * (W - X0 - 20);
  const svg = el('svg', { width: W, height: clients.length * DY + 40 }, null);
  section.appendChild(svg);
  const order = new Map((lin ? lin.longest : []).map((id, i) => [id, i + 1]));
  const stuck = new Set(lin ? lin.stuck : []);
  const part = new Set(lin ? lin.ops : []);
  clients.forEach((c, row) => el('text', { x: 4, y: 24 + row * DY + 14 }, svg, c));
  for (const o of ops) {
    const row = clients.indexOf(o.client);
    const x1 = x(o.callTime), x2 = o.returnTime === null ? W - 10 : Math.max(x1 + 3, x(o.returnTime));
    const cls = stuck.has(o.id) ? 'stuck' : order.has(o.id) ? 'placed' : part.has(o.id) ? 'other' : 'elsewhere';
    const r = el('rect', { class: 'op ' + cls, x: x1, y: 24 + row * DY, width: x2 - x1, height: 20, rx: 3, 'data-op': o.id }, svg);
    el('title', {}, r, o.client + ' ' + o.text + ' [' + ms(o.callTime) + ' – ' + (o.returnTime === null ? 'no reply' : ms(o.returnTime)) + ']');
    // A click moves the scrubber to the operation's start.
    r.addEventListener('click', () => show(Math.max(0, events.findIndex((e) => e.t >= o.callTime))));
    const label = (order.has(o.id) ? '#' + order.get(o.id) + ' ' : stuck.has(o.id) ? '✗ ' : '') + o.text;
    // Written on the bar when it fits (about 6.5 px a character); the tooltip has it always.
    if (x2 - x1 >= label.length * 6.5 || stuck.has(o.id)) el('text', { class: 'optext', x: x1 + 3, y: 24 + row * DY + 14 }, svg, label);
  }
  el('line', { id: 'lin-cursor', x1: x(events[0].t), x2: x(events[0].t), y1: 16, y2: clients.length * DY + 30, stroke: '#2a5bd7', 'stroke-width': 1.5 }, svg);
  moveCursor = (t) => { const c = document.getElementById('lin-cursor'); c.setAttribute('x1', String(x(t))); c.setAttribute('x2', String(x(t))); };
  if (failing) {
    const note = document.createElement('p');
    note.className = 'muted';
    note.textContent = 'The ' + ops.length + ' operations of the part of the history (e.g. one key) that has no valid order' + (h.ops.length > ops.length ? ', of ' + h.ops.length + ' in all' : '') + '. A click on an operation moves the scrubber to it; the blue line is the current event.';
    section.appendChild(note);
  }
  const text = new Map(h.ops.map((o) => [o.id, o.client + ' ' + o.text]));
  const summary = document.getElementById('lin-summary');
  if (!lin) summary.textContent = 'The history of the clients\\' operations (no linearizability result was recorded for it).';
  else if (lin.verdict === 'linearizable') summary.textContent = 'The checker finds this history linearizable: the failure is elsewhere.';
  else {
    summary.textContent = (lin.verdict === 'unknown' ? 'The checker could not decide within its budget. ' : 'No order of these operations, consistent with real time, gives every operation the result it returned. ') +
      'Longest valid order found (' + lin.longest.length + ' of ' + lin.ops.length + '): ' + lin.longest.map((id, i) => (i + 1) + '. ' + text.get(id)).join('  ') +
      (lin.stuck.length ? '  —  cannot be placed after it: ' + lin.stuck.map((id) => text.get(id)).join(', ') : '') +
      (lin.model === 'inferred' ? '  (model inferred: key-value registers starting at null)' : '');
  }
}

drawHistory();
show(run.violation);
`;

export function renderHtml(record: RunRecord): string {
  const data = pageData(record);
  const check = [...record.checkPath, record.check].join(' › ');
  const schedule = record.schedule && record.schedule.length > 0
    ? `<section><h2>What happened (the shrunk schedule)</h2><ol class="schedule">${record.schedule.map((s) => `<li>${escapeHtml(s.replace(/^\d+\.\s*/, ''))}</li>`).join('')}</ol></section>`
    : '';
  // The first paint needs no script for the essentials: the violation's moment is written in.
  const v = violationIndex(record);
  const e = record.events[v];
  const first = e ? `event ${v + 1} of ${record.events.length} at ${ms(e.t)}: ${describeEvent(e)}` : 'no event recorded';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>learn-ds explain ${escapeHtml(record.exercise)}: ${escapeHtml(record.check)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>learn-ds explain ${escapeHtml(record.exercise)} · scenario seed ${record.seed}${record.suiteSeed !== null ? ` (verify --seed ${record.suiteSeed})` : ''}</h1>
<div class="check">✗ ${escapeHtml(check)}</div>
<pre class="message">${escapeHtml(record.message)}</pre>
</header>
<main>
${schedule}
<div class="controls">
<button id="prev" title="previous event (←)">◀</button>
<input id="scrubber" type="range" min="0" max="${Math.max(0, record.events.length - 1)}" value="${v}" aria-label="event">
<button id="next" title="next event (→)">▶</button>
<button id="prev-fault" title="previous fault ([)">⟨ fault</button>
<button id="next-fault" title="next fault (])">fault ⟩</button>
<button id="to-violation" title="the violation (v)">violation</button>
<label>only <select id="node"><option value="">every node</option></select></label>
<div id="current">${escapeHtml(first)}</div>
</div>
<p class="legend"><span><i class="sw" style="background:rgba(220,60,60,.15)"></i>partition in force</span><span><i class="sw" style="background:rgba(230,170,0,.35)"></i>node paused</span><span><i class="sw" style="background:rgba(90,90,90,.3)"></i>node down</span><span><i class="sw" style="background:rgba(120,60,200,.12)"></i>burst of message loss</span><span>→ message delivered</span><span style="color:#c33">- - ✗ message lost or blocked</span></p>
<div class="layout">
<svg id="lanes" role="img" aria-label="message lanes"></svg>
<aside>
<h3>Faults in force</h3><ul id="faults-now"></ul>
<h3>Messages in flight</h3><ul id="in-flight"></ul>
<h3>Notes (ctx.log)</h3><ul id="notes"></ul>
</aside>
</div>
<table class="events" id="events"></table>
<section id="lin" hidden><h2>The clients' history</h2><p id="lin-summary"></p>
<p class="legend"><span><i class="sw" style="background:#9fd3a8"></i>in the longest valid order (#n)</span><span><i class="sw" style="background:#f08a8a"></i>cannot be placed after it</span><span><i class="sw" style="background:#c9d3e6"></i>same key, not placed</span><span><i class="sw" style="background:#eee"></i>other keys</span></p>
</section>
<p class="muted">${record.omittedEvents > 0 ? `The first ${record.omittedEvents} events are not recorded. ` : ''}Recorded ${escapeHtml(record.recordedAt)}. Keys: ←/→ step, [ ] faults, v violation.</p>
</main>
<script type="application/json" id="run-data">${embed(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

// `learn-ds run trace-context`: four services on 127.0.0.1 wired with your tracer (gateway calls
// orders and payments at once, orders calls stock), two requests served at the same time, one with
// a valid traceparent and one with an uppercase (invalid) one. Drawn: each request's trace tree as
// rebuilt from the services' log lines, with the tracestate each hop received, then the log lines
// as they were written, interleaved.
import { controlMathRandom, demo, streamFor } from 'learn-ds/harness';
import { closeAll } from './tests/net.ts';
import { World, type ServiceSpec } from './tests/world.ts';

const SPECS: ServiceSpec[] = [
  { name: 'gateway', key: 'gateway', calls: ['orders', 'payments'], parallel: true },
  { name: 'orders', key: 'orders@acme', calls: ['stock'] },
  { name: 'stock', key: 'stock', calls: ['sink'] },
  { name: 'payments', key: '7shop@pay', calls: ['sink'] },
];

const REQUESTS = [
  { tag: 'A', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'congo=t61rcWkgMzE' },
  { tag: 'B', traceparent: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01', tracestate: 'congo=t61rcWkgMzE' },
];

type Json = Record<string, unknown>;

const short = (id: unknown) => (typeof id === 'string' ? `${id.slice(0, 8)}…` : String(id));

function parse(raw: string): Json | undefined {
  try {
    return JSON.parse(raw) as Json;
  } catch {
    return undefined;
  }
}

/** The tree of one request: each service's span under its parent's, found by span and parent ids. */
function tree(world: World, tag: string): string[] {
  const spans = new Map<string, { service: string; span: string; parent: unknown; trace: unknown }>();
  for (const line of world.lines) {
    const json = parse(line.raw);
    if (json?.tag !== tag || json.message !== 'received' || typeof json.span_id !== 'string') continue;
    spans.set(json.span_id, { service: line.service, span: json.span_id, parent: json.parent_id, trace: json.trace_id });
  }
  const roots = [...spans.values()].filter((s) => typeof s.parent !== 'string' || !spans.has(s.parent));
  const rows: string[] = [];
  const draw = (span: { service: string; span: string; parent: unknown }, prefix: string, last: boolean, depth: number) => {
    const seen = world.seen.find((s) => s.at === span.service && s.tag === tag);
    const state = depth === 0 ? '' : `  tracestate ${seen?.tracestate ?? '(none)'}`;
    rows.push(`${prefix}${depth === 0 ? '' : last ? '└─ ' : '├─ '}${span.service.padEnd(9)} span ${short(span.span)} parent ${short(span.parent)}${state}`);
    const children = [...spans.values()].filter((s) => s.parent === span.span);
    children.forEach((c, i) => draw(c, depth === 0 ? prefix : prefix + (last ? '   ' : '│  '), i === children.length - 1, depth + 1));
  };
  for (const root of roots) {
    rows.push(`trace ${String(root.trace)}${typeof root.parent === 'string' ? '' : '  (a new trace: no parent)'}`);
    draw(root, '', true, 0);
  }
  return rows;
}

demo('two requests through four services: the trace trees rebuilt from the logs, and the interleaved log lines', async () => {
  controlMathRandom(streamFor('demo ids'));
  try {
    const world = await World.build(SPECS);
    // Both requests wait at the gateway until both have arrived, so that their work interleaves.
    const waiting: Array<() => void> = [];
    world.gate = (service) =>
      service === 'gateway'
        ? new Promise<void>((resolve) => {
            waiting.push(resolve);
            if (waiting.length === REQUESTS.length) for (const go of waiting) go();
          })
        : Promise.resolve();
    const sent = REQUESTS.map((r) => world.start('gateway', r.tag, [['traceparent', r.traceparent], ['tracestate', r.tracestate]]));
    for (const s of sent) await s.answered();

    const rows: string[] = [];
    for (const r of REQUESTS) {
      rows.push(`request ${r.tag}: traceparent ${r.traceparent}`, `           tracestate  ${r.tracestate}`, ...tree(world, r.tag), '');
    }
    rows.push('the log lines, in the order they were written:');
    for (const line of world.lines) {
      const json = parse(line.raw);
      if (!json) {
        rows.push(`  ${line.service.padEnd(9)} (not JSON) ${line.raw.slice(0, 60)}`);
        continue;
      }
      rows.push(`  ${String(json.tag).padEnd(2)}${line.service.padEnd(9)} ${String(json.message).padEnd(12)} trace ${short(json.trace_id)} span ${short(json.span_id)} parent ${short(json.parent_id)}`);
    }
    return rows.join('\n');
  } finally {
    await closeAll();
  }
});

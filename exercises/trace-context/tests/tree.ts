/**
 * Rebuilds the trace tree of one request from what the services logged and were sent, and judges
 * it: one trace id for the whole request, a new span at every service whose parent is its caller's
 * span, the traceparent and tracestate each hop sends, every span id new. Failures name the
 * service, the request and the values.
 */
import { check, fail, show } from 'learn-ds/harness';
import { STEPS, type World } from './world.ts';

export interface Span {
  service: string;
  tag: string;
  traceId: string;
  spanId: string;
  parentId: string | null;
}

export type Member = readonly [key: string, value: string];

/** What the request sent to the first service says, as the checks built it. */
export interface Incoming {
  /** When its traceparent is valid: what it says; undefined when the first service must start a new trace. */
  continues?: { traceId: string; parentId: string; sampled: boolean };
  /** The tracestate members sent (valid ones), carried on only when the trace continues. */
  tracestate: readonly Member[];
  /** Trace ids a new trace must not take (those written in an invalid header). */
  notTraceIds?: readonly string[];
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZEROS = /^0+$/;

/** The JSON object of a log line, or a failure that says what was wrong with it. */
export function parseLine(service: string, raw: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    fail(`${service} wrote the log line ${JSON.stringify(raw.slice(0, 200))}, which is not JSON; expected one JSON object per line (JSON.stringify of an object)`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail(`${service} wrote the log line ${JSON.stringify(raw.slice(0, 200))}; expected a JSON object`);
  }
  check(!raw.trimEnd().includes('\n'), () => `${service} wrote a log line with a line break inside it: ${JSON.stringify(raw)}; expected one line per call of write`);
  return json as Record<string, unknown>;
}

/** The lines `service` wrote for request `tag`, parsed. */
function linesOf(world: World, service: string, tag: string): Array<Record<string, unknown>> {
  return world.lines.filter((l) => l.service === service).map((l) => parseLine(service, l.raw)).filter((j) => j.tag === tag);
}

/** Who a set of ids belongs to, for a message: "the span of orders handling r2". */
function ownerOf(world: World, spanId: unknown): string | undefined {
  for (const spec of world.specs) {
    for (const line of world.lines.filter((l) => l.service === spec.name)) {
      const json = JSON.parse(line.raw) as Record<string, unknown>;
      if (json.message === 'received' && json.span_id === spanId) return `the span of ${spec.name} handling ${String(json.tag)}`;
    }
  }
  return undefined;
}

/**
 * The span `service` handled request `tag` in, read off its log lines: the four lines it wrote
 * (arrival, after an await, after a timer, end) must all carry the same ids, well formed.
 */
export function spanOf(world: World, service: string, tag: string): Span {
  const lines = linesOf(world, service, tag);
  const messages = lines.map((l) => l.message);
  check(
    STEPS.every((step, i) => messages[i] === step) && lines.length === STEPS.length,
    () => `for request ${tag}, ${service} logged the messages ${show(messages)}; expected ${show([...STEPS])} (one line per tracer.log call, with its message and fields)`,
  );
  const first = lines[0]!;
  check(first.service === service, () => `${service}'s log line ${show(first)} has service ${show(first.service)}; expected ${show(service)}, the service option`);
  const traceId = first.trace_id;
  const spanId = first.span_id;
  const parentId = first.parent_id;
  check(
    typeof traceId === 'string' && TRACE_ID.test(traceId) && !ZEROS.test(traceId),
    () => `${service}'s first log line for request ${tag} has trace_id ${show(traceId)}; expected the trace id: 32 lowercase hex characters, not all zero`,
  );
  check(
    typeof spanId === 'string' && SPAN_ID.test(spanId) && !ZEROS.test(spanId),
    () => `${service}'s first log line for request ${tag} has span_id ${show(spanId)}; expected a new span id: 16 lowercase hex characters, not all zero`,
  );
  check(
    parentId === null || (typeof parentId === 'string' && SPAN_ID.test(parentId)),
    () => `${service}'s first log line for request ${tag} has parent_id ${show(parentId)}; expected the caller's span id (16 lowercase hex characters), or null when the span starts a new trace`,
  );
  for (const line of lines.slice(1)) {
    const same = line.trace_id === traceId && line.span_id === spanId && line.parent_id === parentId;
    if (same) continue;
    const ids = (l: Record<string, unknown>) => `trace_id ${show(l.trace_id)}, span_id ${show(l.span_id)}, parent_id ${show(l.parent_id)}`;
    const what = `${service}'s log line ${show(line.message)} for request ${tag} carries ${ids(line)}, but its "received" line carried ${ids(first)}`;
    if (line.span_id === null || line.span_id === undefined) {
      fail(`${what}: the request's context was lost after ${line.message === 'after timer' ? 'a timer' : 'an await'}. Run the wrapped handler inside asyncLocalStorage.run(context, …), so that everything it starts (awaits, timers, callbacks) sees the context`);
    }
    const owner = ownerOf(world, line.span_id);
    fail(`${what}${owner ? `: that is ${owner}` : ''}, not this request's own context. Keep each request's context in an AsyncLocalStorage, not in a variable shared between requests (other requests run while this one awaits)`);
  }
  return { service, tag, traceId: traceId as string, spanId: spanId as string, parentId: parentId as string | null };
}

/** Parses a tracestate header as the checks read it: members split at commas, spaces and tabs around them ignored, empty ones dropped. */
export function membersOf(header: string | undefined): Member[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((m) => m.replace(/^[ \t]+|[ \t]+$/g, ''))
    .filter((m) => m !== '')
    .map((m) => {
      const eq = m.indexOf('=');
      return eq < 0 ? ([m, ''] as const) : ([m.slice(0, eq), m.slice(eq + 1)] as const);
    });
}

/** The tracestate a service sends on: its own member first (its value the span id), the rest in order, at most 32. */
export function stateSentBy(key: string, spanId: string, received: readonly Member[]): Member[] {
  return [[key, spanId] as const, ...received.filter(([k]) => k !== key)].slice(0, 32);
}

function describeMembers(members: readonly Member[]): string {
  return members.length === 0 ? 'no members' : JSON.stringify(members.map(([k, v]) => `${k}=${v}`).join(','));
}

/** Tells where two lists of members first differ, for a message. */
function firstDifference(got: readonly Member[], expected: readonly Member[]): string {
  if (got.length !== expected.length) return `${got.length} members instead of ${expected.length}`;
  const i = got.findIndex(([k, v], j) => k !== expected[j]![0] || v !== expected[j]![1]);
  return `member ${i + 1} is ${got[i]![0]}=${got[i]![1]} instead of ${expected[i]![0]}=${expected[i]![1]}`;
}

export interface TreeReport {
  spans: Span[];
  /** The tracestate each service and the sink received, in the order of the services. */
  states: Map<string, Member[]>;
}

/**
 * Judges the whole trace of request `tag`, sent to the first service of `world.specs` with
 * `incoming`. `spanIds` collects every span id seen so far in the check (none may repeat).
 */
export function checkTree(world: World, tag: string, incoming: Incoming, spanIds: Map<string, string>): TreeReport {
  const root = world.specs[0]!;
  const rootSpan = spanOf(world, root.name, tag);
  const sampled = incoming.continues?.sampled ?? root.sampleNewTraces ?? true;
  const flags = sampled ? '01' : '00';
  const spans: Span[] = [];
  const states = new Map<string, Member[]>();

  const useSpanId = (span: Span) => {
    const who = `${span.service} handling ${tag}`;
    const before = spanIds.get(span.spanId);
    check(before === undefined, () => `${who} logged span_id ${span.spanId}, already the span id of ${before}; expected a new span id for every request a service handles (span ids are never reused)`);
    spanIds.set(span.spanId, who);
  };
  useSpanId(rootSpan);
  spans.push(rootSpan);

  if (incoming.continues) {
    const { traceId, parentId } = incoming.continues;
    check(
      rootSpan.traceId === traceId,
      () => `${root.name} logged trace_id ${rootSpan.traceId} for request ${tag}, sent with a valid traceparent whose trace id is ${traceId}; expected that trace id: a valid traceparent continues its trace`,
    );
    check(
      rootSpan.parentId === parentId,
      () => `${root.name} logged parent_id ${show(rootSpan.parentId)} for request ${tag}, sent with a valid traceparent whose parent-id is ${parentId}; expected ${parentId}: the caller's span is the parent of this one`,
    );
  } else {
    check(
      rootSpan.parentId === null,
      () => `${root.name} logged parent_id ${show(rootSpan.parentId)} for request ${tag}, whose traceparent is missing or invalid; expected null: it must start a new trace, which has no parent`,
    );
    check(
      !(incoming.notTraceIds ?? []).includes(rootSpan.traceId),
      () => `${root.name} logged trace_id ${rootSpan.traceId} for request ${tag}, the trace id written in its invalid traceparent; expected a new trace id: an invalid traceparent starts a new trace, nothing of it is kept`,
    );
  }

  // Walk the calls: each service's span is the parent of the services it calls.
  const received = new Map<string, Member[]>([[root.name, incoming.continues ? [...incoming.tracestate] : []]]);
  const queue: Array<{ spec: (typeof world.specs)[number]; span: Span }> = [{ spec: root, span: rootSpan }];
  while (queue.length > 0) {
    const { spec, span } = queue.shift()!;
    const sent = stateSentBy(spec.key, span.spanId, received.get(spec.name)!);
    for (const to of spec.calls) {
      const at = to === 'sink' ? `sink<-${spec.name}` : to;
      const seen = world.seen.find((s) => s.at === at && s.tag === tag);
      if (!seen) fail(`for request ${tag}, ${spec.name} never called ${to}`);
      const expectedParent = `00-${rootSpan.traceId}-${span.spanId}-${flags}`;
      const hop = `${spec.name} → ${to} (request ${tag})`;
      check(
        seen.traceparent === expectedParent,
        () => `${hop} sent traceparent ${show(seen.traceparent)}; expected ${show(expectedParent)}: version 00, the trace id, then as parent-id its own span id ${span.spanId} (the id in ${spec.name}'s log lines)` +
          (seen.traceparent?.split('-')[2] === span.parentId ? `, not the parent-id it was sent: a service replaces the parent-id with its own span id` : '') +
          `, then trace-flags ${flags} (the sampled flag ${sampled ? 'set' : 'clear'}${incoming.continues ? ', as the first service was sent' : `, as sampleNewTraces of ${root.name} says`}; other flag bits cleared)`,
      );
      const got = membersOf(seen.tracestate);
      check(
        got.length === sent.length && got.every(([k, v], i) => k === sent[i]![0] && v === sent[i]![1]),
        () => `${hop} sent tracestate ${show(seen.tracestate)}; expected ${describeMembers(sent)} (${firstDifference(got, sent)}): ` +
          `its own member ${spec.key}=<its span id> first, then the members it was sent, in their order, without its old member (an updated member moves to the left), at most 32 (the right-most goes)` +
          (incoming.continues || spec !== root ? '' : '; the request\'s traceparent was invalid or missing, so the tracestate it came with is dropped'),
      );
      states.set(at, got);
      if (to === 'sink') continue;
      const child = world.specs.find((s) => s.name === to)!;
      const childSpan = spanOf(world, to, tag);
      useSpanId(childSpan);
      check(
        childSpan.traceId === rootSpan.traceId,
        () => `${to} logged trace_id ${childSpan.traceId} for request ${tag}; expected ${rootSpan.traceId}, the trace id of ${root.name}, which called it: one trace id for the whole request`,
      );
      check(
        childSpan.parentId === span.spanId,
        () => `${to} logged parent_id ${show(childSpan.parentId)} for request ${tag}; expected ${span.spanId}, the span id of ${spec.name}, its caller`,
      );
      spans.push(childSpan);
      received.set(to, got);
      queue.push({ spec: child, span: childSpan });
    }
  }
  return { spans, states };
}

/**
 * Minimal counterexamples and replay checks for failing scenarios, as pure logic: delta debugging
 * (Zeller's ddmin) over a run's fault steps, what makes two failures "the same" (error class and
 * rule), and where two traces of one seed part ways. The runs themselves are made by simulate.ts.
 */
import { summarize } from '../../sim/format.ts';
import { hashString } from '../../sim/random.ts';
import type { TraceEvent } from '../../sim/types.ts';

/**
 * ddmin: a smallest subset of `items` (1-minimal: dropping any one item more makes `fails` false)
 * for which `fails` holds, given that it holds for all of `items`. The empty set is tried first
 * (a failure that needs no fault at all). `fails` may answer with a part of the subset that fails
 * just as well (the faults a run reached before it failed), which is kept instead. Stops early
 * when `outOfBudget()` says so, returning the smallest failing subset found so far. Results are
 * cached by subset, so no subset runs twice.
 */
export function ddmin<T>(items: readonly T[], fails: (subset: readonly T[]) => boolean | readonly T[], outOfBudget: () => boolean = () => false): T[] {
  const cache = new Map<string, T[] | undefined>();
  const key = (subset: readonly T[]) => subset.map((x) => items.indexOf(x)).join(',');
  const test = (subset: readonly T[]): T[] | undefined => {
    const k = key(subset);
    if (cache.has(k)) return cache.get(k);
    const answer = fails(subset);
    const result = answer === true ? [...subset] : answer === false ? undefined : subset.filter((x) => answer.includes(x));
    cache.set(k, result);
    return result;
  };
  let current = [...items];
  if (current.length === 0 || outOfBudget()) return current;
  if (test([])) return [];
  let n = 2;
  while (current.length >= 2 && !outOfBudget()) {
    const chunks = split(current, n);
    let reduced = false;
    for (const chunk of chunks) {
      if (outOfBudget()) return current;
      const kept = test(chunk);
      if (kept) {
        current = kept;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && n > 2) {
      for (let i = 0; i < chunks.length; i++) {
        if (outOfBudget()) return current;
        const kept = test(chunks.filter((_, j) => j !== i).flat());
        if (kept) {
          current = kept;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(current.length, n * 2);
    }
  }
  return current;
}

/** `items` in `n` contiguous chunks of near-equal size (order kept). */
export function split<T>(items: readonly T[], n: number): T[][] {
  const chunks: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((items.length - start) / (n - i));
    if (end > start) chunks.push(items.slice(start, end));
    start = end;
  }
  return chunks;
}

// ── the same failure ─────────────────────────────────────────────────────────────────────────

/** Frames of the kit and the harness say nothing about which check failed. */
const KIT = /[\\/](src[\\/]sim|src[\\/]verify[\\/]harness|node_modules)[\\/]|\(node:|^\s*at node:/;

/** The first stack frame outside learn-ds's kit and harness, as `file:line:col`. */
export function firstOwnFrame(stack: string | undefined): string | undefined {
  for (const line of (stack ?? '').split('\n')) {
    if (!/^\s+at /.test(line) || KIT.test(line)) continue;
    const m = /\(?((?:file:\/\/)?[^\s()]+:\d+:\d+)\)?\s*$/.exec(line);
    if (m) return m[1]!.replace(/^.*[\\/](?=[^\\/]+[\\/][^\\/]+$)/, '');
  }
  return undefined;
}

/**
 * What makes two failures the same one: the error's class and its rule: the invariant's name, a
 * node throwing (and where, and what), a run stuck at one instant, or else where the check threw
 * (the test's line that failed). Values in the message (times, versions, node ids) may differ.
 */
export function failureSignature(error: unknown): string {
  if (!(error instanceof Error)) return `thrown ${typeof error}`;
  const { name, message } = error;
  if (name === 'SimulationViolation') {
    if (/^more than \d+ events happened/.test(message)) return `${name}: stuck at one instant`;
    if (/^\S+ threw while /.test(message)) {
      const cause = error.cause;
      return cause instanceof Error ? `${name}: a node threw ${cause.name} at ${firstOwnFrame(cause.stack) ?? '?'}` : `${name}: a node threw ${typeof cause}`;
    }
    if ((error.stack ?? '').includes('checkInvariants')) return `${name}: invariant ${message.split(': ')[0]}`;
  }
  const frame = firstOwnFrame(error.stack);
  return `${name}: ${frame ? `at ${frame}` : message.replace(/\d+(\.\d+)?/g, '#')}`;
}

// ── the same run ─────────────────────────────────────────────────────────────────────────────

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value === undefined) return '<undefined>';
  if (value instanceof Map) return ['<Map>', [...value]];
  if (value instanceof Set) return ['<Set>', [...value]];
  return value;
}

/** One trace event as a string that two identical events share. */
export function eventKey(event: TraceEvent): string {
  try {
    return JSON.stringify(event, replacer);
  } catch {
    return `${event.kind}@${event.t}`;
  }
}

/** A hash of a whole trace: two runs of one seed must give the same. */
export function traceHash(trace: readonly TraceEvent[]): string {
  let h = hashString(String(trace.length));
  for (const e of trace) h = hashString(`${h}|${eventKey(e)}`);
  return h.toString(16);
}

export interface Divergence {
  /** 0-based index of the first event that differs. */
  index: number;
  first: TraceEvent | undefined;
  replay: TraceEvent | undefined;
}

/** Where two traces of one seed first differ, or undefined if they are the same. */
export function firstDivergence(first: readonly TraceEvent[], replay: readonly TraceEvent[]): Divergence | undefined {
  const n = Math.max(first.length, replay.length);
  for (let i = 0; i < n; i++) {
    const a = first[i];
    const b = replay[i];
    if (a === undefined || b === undefined || eventKey(a) !== eventKey(b)) return { index: i, first: a, replay: b };
  }
  return undefined;
}

/** One event in words, for the determinism verdict. */
export function describeEvent(e: TraceEvent | undefined): string {
  if (e === undefined) return 'nothing (the run had ended)';
  const at = `at ${e.t.toFixed(1)} ms`;
  switch (e.kind) {
    case 'deliver': return `${e.to} received "${summarize(e.message)}" from ${e.from} ${at}`;
    case 'drop': return `"${summarize(e.message)}" from ${e.from} to ${e.to} was lost (${e.reason}) ${at}`;
    case 'timer': return `a timer of ${e.node} fired ${at}`;
    case 'crash': return `${e.node} crashed ${at}`;
    case 'restart': return `${e.node} restarted ${at}`;
    case 'pause': return `${e.node} was paused ${at}`;
    case 'resume': return `${e.node} resumed ${at}`;
    case 'partition': return `the network was cut (${e.description}) ${at}`;
    case 'heal': return `the network healed ${at}`;
    case 'log': return `${e.node} noted "${e.text}" ${at}`;
  }
}

/** The node whose code made the event differ: a message's sender, or the node it happened at. */
export function nodeOf(e: TraceEvent | undefined): string | undefined {
  if (e === undefined) return undefined;
  if (e.kind === 'deliver' || e.kind === 'drop') return e.from;
  return 'node' in e ? e.node : undefined;
}

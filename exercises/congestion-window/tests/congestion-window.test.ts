import fc from 'fast-check';
import { test } from 'vitest';
import { check, describeThrown, fail, holds, show, sparkline, streamFor } from 'learn-ds/harness';
import { runRounds, type Round } from './bottleneck.ts';
import { expectedSteps, initialState, type Event, type Options, type State } from './model.ts';
import { CongestionControl } from 'learn-ds/subject/congestion-window';

/** Windows may be fractional; correct implementations may round differently in the last bits. */
const TOLERANCE = 1e-9;

function near(actual: unknown, expected: number): boolean {
  if (typeof actual !== 'number') return false;
  return actual === expected || Math.abs(actual - expected) <= TOLERANCE * Math.max(1, Math.abs(expected));
}

interface Observed {
  cwnd: unknown;
  ssthresh: unknown;
  phase: unknown;
}

function matches(got: Observed, expected: State): boolean {
  return near(got.cwnd, expected.cwnd) && near(got.ssthresh, expected.ssthresh) && got.phase === expected.phase;
}

const EVENT_NAME: Record<Event, string> = { ack: 'new ACK', dup: 'duplicate ACK', timeout: 'timeout' };
const METHOD: Record<Event, string> = { ack: 'onAck', dup: 'onDuplicateAck', timeout: 'onTimeout' };

const describeState = (s: Observed) => `cwnd ${show(s.cwnd)}, ssthresh ${show(s.ssthresh)}, phase ${show(s.phase)}`;
const construct = (o: Options) => `new CongestionControl(${show(o)})`;

interface Row {
  event: string;
  expected: State;
  got: Observed;
}

const ROWS_SHOWN = 14;

/** The steps so far as a table, expected against observed, the last row marked. */
function table(options: Options, rows: readonly Row[]): string {
  const cells = rows.map((r, i) => [
    String(i),
    r.event,
    show(r.expected.cwnd),
    show(r.expected.ssthresh),
    r.expected.phase,
    show(r.got.cwnd),
    show(r.got.ssthresh),
    typeof r.got.phase === 'string' ? r.got.phase : show(r.got.phase),
  ]);
  const head = ['step', 'event', 'cwnd', 'ssthresh', 'phase', 'cwnd', 'ssthresh', 'phase'];
  const width = head.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  const line = (row: readonly string[], mark: string) =>
    `${mark} ${row.map((cell, c) => (c === 0 ? cell.padStart(width[c]!) : cell.padEnd(width[c]!))).join('  ')}`.trimEnd();
  const expectedWidth = width[2]! + width[3]! + width[4]! + 4;
  const groups = `  ${' '.repeat(width[0]! + width[1]! + 4)}${'expected'.padEnd(expectedWidth + 2)}your code`;
  const shown = cells.length > ROWS_SHOWN ? cells.slice(-ROWS_SHOWN) : cells;
  const skipped = cells.length - shown.length;
  return [
    `${construct(options)}, then:`,
    groups,
    line(head, ' '),
    ...(skipped > 0 ? [`  … steps 0 to ${skipped - 1} matched`] : []),
    ...shown.map((row, i) => line(row, i === shown.length - 1 && !matches(rows.at(-1)!.got, rows.at(-1)!.expected) ? '✗' : ' ')),
  ].join('\n');
}

function observe(cc: InstanceType<typeof CongestionControl>): Observed {
  return { cwnd: cc.cwnd, ssthresh: cc.ssthresh, phase: cc.phase };
}

interface Trace {
  rows: Row[];
  /** Why the last step is wrong, if one is. */
  failure?: string;
  /** How many events it took to go wrong. */
  eventsUsed: number;
}

/**
 * Drives a new CongestionControl through `events` and stops at the first step where cwnd,
 * ssthresh or phase differ from what the rules say, naming the rule.
 */
function trace(options: Options, events: readonly Event[]): Trace {
  const rows: Row[] = [];
  let cc: InstanceType<typeof CongestionControl>;
  try {
    cc = new CongestionControl({ ...options });
  } catch (error) {
    return { rows, failure: `${construct(options)} threw ${describeThrown(error)}`, eventsUsed: 0 };
  }
  const start = initialState(options);
  let got = observe(cc);
  rows.push({ event: '(new)', expected: start, got });
  if (!matches(got, start)) {
    return {
      rows,
      failure:
        `${construct(options)} must start with cwnd = initialWindow = ${show(start.cwnd)} and ssthresh = initialSsthresh = ${show(start.ssthresh)}, ` +
        `in phase ${show(start.phase)} (rules 1 and 2: slow start only while cwnd < ssthresh); your code gave ${describeState(got)}`,
      eventsUsed: 0,
    };
  }
  const steps = expectedSteps(options, events);
  for (const [i, step] of steps.entries()) {
    try {
      if (step.event === 'ack') cc.onAck();
      else if (step.event === 'dup') cc.onDuplicateAck();
      else cc.onTimeout();
      got = observe(cc);
    } catch (error) {
      return { rows, failure: `step ${i + 1} (${EVENT_NAME[step.event]}): ${METHOD[step.event]}() threw ${describeThrown(error)}`, eventsUsed: i + 1 };
    }
    rows.push({ event: EVENT_NAME[step.event], expected: step.expected, got });
    if (!matches(got, step.expected)) {
      return {
        rows,
        failure: `step ${i + 1} (${EVENT_NAME[step.event]}): ${step.rule}. Expected ${describeState(step.expected)}; your code gave ${describeState(got)}`,
        eventsUsed: i + 1,
      };
    }
  }
  return { rows, eventsUsed: events.length };
}

/** Fails at the first step that breaks a rule, with the steps so far as a table. */
function follow(options: Options, events: readonly Event[]): void {
  const { rows, failure } = trace(options, events);
  if (failure !== undefined) fail(failure, table(options, rows));
}

const times = (n: number, event: Event): Event[] => Array<Event>(n).fill(event);
const seq = (...parts: ReadonlyArray<Event | Event[]>): Event[] => parts.flat();

test('a new instance starts with cwnd = initialWindow and ssthresh = initialSsthresh, in slow start only while cwnd < ssthresh', () => {
  follow({ initialWindow: 1, initialSsthresh: 64 }, []);
  follow({ initialWindow: 4, initialSsthresh: Infinity }, []);
  follow({ initialWindow: 10, initialSsthresh: 10 }, []);
  follow({ initialWindow: 12, initialSsthresh: 6 }, []);
  // The edges: the smallest ssthresh, and fractional ones on either side of cwnd.
  follow({ initialWindow: 1, initialSsthresh: 2 }, []);
  follow({ initialWindow: 3, initialSsthresh: 2.5 }, []);
  follow({ initialWindow: 3, initialSsthresh: 3.25 }, []);
});

test('in slow start, each new ACK adds 1 segment: the window doubles every round trip', () => {
  follow({ initialWindow: 1, initialSsthresh: 64 }, times(31, 'ack'));
  follow({ initialWindow: 3, initialSsthresh: Infinity }, times(40, 'ack'));
});

test('slow start ends when cwnd reaches ssthresh: from cwnd = ssthresh on, it is congestion avoidance', () => {
  follow({ initialWindow: 1, initialSsthresh: 4 }, times(8, 'ack'));
  follow({ initialWindow: 2, initialSsthresh: 16 }, times(20, 'ack'));
  // A timeout at cwnd 7 leaves ssthresh = 3.5: slow start goes 1, 2, 3, 4 (3 < 3.5), then +1/cwnd.
  follow({ initialWindow: 1, initialSsthresh: 64 }, seq(times(6, 'ack'), 'timeout', times(6, 'ack')));
  // Exactly at the edge, and a fractional initialSsthresh: 1 → 2 (= 2) ends it; 1, …, 5 (< 5.5) → 6 ends it.
  follow({ initialWindow: 1, initialSsthresh: 2 }, times(4, 'ack'));
  follow({ initialWindow: 1, initialSsthresh: 5.5 }, times(8, 'ack'));
});

test('in congestion avoidance, each new ACK adds 1/cwnd: about 1 segment per round trip', () => {
  follow({ initialWindow: 10, initialSsthresh: 10 }, times(40, 'ack'));
  follow({ initialWindow: 5, initialSsthresh: 2 }, times(25, 'ack'));
});

test('1 or 2 duplicate ACKs in a row change nothing', () => {
  follow({ initialWindow: 1, initialSsthresh: 64 }, seq(times(7, 'ack'), 'dup', 'dup', 'ack', 'dup', 'ack', 'dup', 'dup', 'ack'));
  follow({ initialWindow: 10, initialSsthresh: 10 }, seq('ack', 'dup', 'dup', 'ack', 'ack'));
});

test('the 3rd duplicate ACK in a row halves the window: ssthresh = max(cwnd / 2, 2), cwnd = ssthresh + 3, fast recovery', () => {
  follow({ initialWindow: 1, initialSsthresh: Infinity }, seq(times(15, 'ack'), times(3, 'dup')));
  follow({ initialWindow: 10, initialSsthresh: 10 }, seq(times(12, 'ack'), times(3, 'dup')));
  follow({ initialWindow: 1, initialSsthresh: 64 }, seq(times(6, 'ack'), times(3, 'dup')));
  // A fractional window is halved as it is: cwnd 4.25 → ssthresh 2.125, cwnd 5.125; and exactly at the floor, 4 → 2.
  follow({ initialWindow: 4, initialSsthresh: 4 }, seq('ack', times(3, 'dup'), 'ack', 'ack'));
  follow({ initialWindow: 4, initialSsthresh: 4 }, seq(times(3, 'dup'), 'ack', 'ack'));
});

test('in fast recovery, each further duplicate ACK inflates cwnd by 1', () => {
  follow({ initialWindow: 1, initialSsthresh: Infinity }, seq(times(15, 'ack'), times(10, 'dup')));
  follow({ initialWindow: 10, initialSsthresh: 10 }, seq(times(7, 'ack'), times(6, 'dup')));
});

test('a new ACK in fast recovery deflates cwnd to ssthresh and moves to congestion avoidance', () => {
  follow({ initialWindow: 1, initialSsthresh: Infinity }, seq(times(15, 'ack'), times(8, 'dup'), times(4, 'ack')));
  follow({ initialWindow: 10, initialSsthresh: 10 }, seq(times(7, 'ack'), times(3, 'dup'), times(4, 'ack')));
});

test('a timeout sets ssthresh = max(cwnd / 2, 2) and cwnd = 1, back to slow start, from any phase', () => {
  follow({ initialWindow: 1, initialSsthresh: 64 }, seq(times(9, 'ack'), 'timeout', times(7, 'ack')));
  follow({ initialWindow: 10, initialSsthresh: 10 }, seq(times(5, 'ack'), 'timeout', times(7, 'ack')));
  follow({ initialWindow: 1, initialSsthresh: Infinity }, seq(times(15, 'ack'), times(5, 'dup'), 'timeout', times(8, 'ack')));
});

test('ssthresh never goes below 2 segments', () => {
  follow({ initialWindow: 3, initialSsthresh: 64 }, seq(times(3, 'dup'), 'ack', 'ack'));
  follow({ initialWindow: 2, initialSsthresh: 64 }, seq('timeout', 'timeout', 'ack', 'ack', 'ack'));
  // Just above the floor, fractional: cwnd 4.25 → ssthresh 2.125 on a timeout, then slow start 1 → 2 → 3.
  follow({ initialWindow: 4, initialSsthresh: 4 }, seq('ack', 'timeout', times(4, 'ack')));
});

test('only duplicate ACKs in a row count: the count restarts at 0 on every new ACK and every timeout', () => {
  follow(
    { initialWindow: 1, initialSsthresh: 64 },
    seq(times(7, 'ack'), 'dup', 'dup', 'ack', 'dup', 'dup', 'ack', 'dup', 'dup', 'timeout', 'dup', 'dup', 'ack', times(3, 'dup')),
  );
});

const optionsArb: fc.Arbitrary<Options> = fc.record({
  initialWindow: fc.integer({ min: 1, max: 10 }),
  // Whole, fractional (quarters, so that a boundary can be met exactly) or none.
  initialSsthresh: fc.oneof(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 8, max: 160 }).map((q) => q / 4), fc.constant(Infinity)),
});
const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { arbitrary: fc.constant<Event>('ack'), weight: 6 },
  { arbitrary: fc.constant<Event>('dup'), weight: 5 },
  { arbitrary: fc.constant<Event>('timeout'), weight: 1 },
);
const SHORT: Record<Event, string> = { ack: 'ack', dup: 'dup', timeout: 'timeout' };

test('after any sequence of new ACKs, duplicate ACKs and timeouts, cwnd, ssthresh and phase follow the rules', async () => {
  await holds(
    fc.property(optionsArb, fc.array(eventArb, { minLength: 1, maxLength: 80 }), (options, events) => follow(options, events)),
    {
      numRuns: 150,
      describe: ([options, events]) => {
        // Only the events up to the first wrong step (the rest did not matter).
        const shown = events.slice(0, trace(options, events).eventsUsed);
        return `${construct(options)}, then ${shown.length} event${shown.length === 1 ? '' : 's'}: ${shown.map((e) => SHORT[e]).join(', ') || 'none'}`;
      },
    },
  );
});

/** The trace's window, one character per round trip, with the losses marked underneath. */
function picture(trace: readonly Round[], capacity: number, rounds: number): string {
  const shown = trace.slice(0, rounds);
  const top = Math.max(capacity, ...shown.map((r) => (Number.isFinite(r.cwnd) ? r.cwnd : 0)));
  return [
    `cwnd at the start of round trips 0 to ${shown.length - 1} (full height = ${show(top)} segments; the bottleneck carries ${capacity}):`,
    `  ${sparkline(shown.map((r) => (Number.isFinite(r.cwnd) ? r.cwnd : top)), top)}`,
    `  ${shown.map((r) => (r.kind === 'loss' ? '×' : ' ')).join('')}`.trimEnd(),
    '  × a segment lost: 3 or more duplicate ACKs came back',
  ].join('\n');
}

test('over a bottleneck link, the window settles into the AIMD sawtooth: between 60% and 90% of the capacity on average', () => {
  const random = streamFor('sawtooth');
  const capacities = [24, ...Array.from({ length: 3 }, () => 12 + Math.floor(random() * 37))];
  const rounds = 400;
  const from = 100;
  for (const capacity of capacities) {
    const options: Options = { initialWindow: 1, initialSsthresh: Infinity };
    const cc = new CongestionControl({ ...options });
    const trace = runRounds(cc, capacity, rounds);
    const steady = trace.slice(from).map((r) => r.cwnd);
    const average = steady.reduce((a, b) => a + b, 0) / steady.length;
    const [low, high] = [0.6 * capacity, 0.9 * capacity];
    check(
      Number.isFinite(average) && average >= low && average <= high,
      () =>
        `with a bottleneck that carries ${capacity} segments per round trip (more are lost), starting from ${construct(options)}, ` +
        `the window averaged ${show(average)} segments over round trips ${from} to ${rounds - 1}; expected between ${show(low)} and ${show(high)} ` +
        `(60% to 90% of ${capacity}): growing by about 1 segment per round trip and halving at each loss, the window should saw ` +
        `between about ${show(capacity / 2)} and ${capacity}`,
      `${picture(trace, capacity, 120)}\n\n(each round trip: floor(cwnd) segments sent; if they fit, that many new ACKs; if not, the first is lost, ` +
        'each of the others brings a duplicate ACK, and then a new ACK once it is retransmitted)',
    );
  }
});

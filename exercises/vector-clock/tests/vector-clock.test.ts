import fc from 'fast-check';
import { test } from 'vitest';
import { check, fail, holds, streamFor } from 'learn-ds/harness';
import {
  Exchange,
  exchangeOfThree,
  asClock,
  asOrder,
  at,
  clockArb,
  copy,
  differences,
  mirror,
  modelCompare,
  NAMES,
  nodeArb,
  nodesOf,
  padded,
  sameClock,
  show,
  unchanged,
  type Clock,
  type Order,
} from './helpers.ts';
import { compare, increment, merge } from 'learn-ds/subject/vector-clock';

// ---- calling the learner's code: each call gets fresh copies and its result is validated ----

const callInc = (clock: Clock, node: string): Clock =>
  asClock(increment(copy(clock), node), () => `increment(${show(clock)}, '${node}')`);
const callMerge = (a: Clock, b: Clock): Clock => asClock(merge(copy(a), copy(b)), () => `merge(${show(a)}, ${show(b)})`);
const callCompare = (a: Clock, b: Clock): Order => asOrder(compare(copy(a), copy(b)), () => `compare(${show(a)}, ${show(b)})`);

/** Fails unless the learner's result has the expected counters (zero entries may come or go). */
function expectClock(call: string, got: Clock, want: Clock, why: string): void {
  check(sameClock(got, want), () => `${call} returned ${show(got)}; expected ${show(want)} (${differences(got, want)}): ${why}`);
}

function expectOrder(a: Clock, b: Clock, want: Order, why: string): void {
  const got = callCompare(a, b);
  check(got === want, () => `compare(${show(a)}, ${show(b)}) returned '${got}'; expected '${want}': ${why}`);
}

const describePair = ([a, b]: [Clock, Clock]) => `a = ${show(a)}, b = ${show(b)}`;

// ---- increment ----

test('increment adds 1 to the entry of the node it names', () => {
  const clock = { alice: 2, bob: 1 };
  const got = callInc(clock, 'alice');
  check(at(got, 'alice') === 3, () => `increment(${show(clock)}, 'alice') returned ${show(got)}; the entry for 'alice' should be 3 (2 + 1)`);
});

test('increment changes only the entry of the node it names', () => {
  const clock = { alice: 2, bob: 1, 'db-1': 4 };
  const got = callInc(clock, 'alice');
  for (const node of nodesOf(clock, got).filter((n) => n !== 'alice')) {
    check(
      at(got, node) === at(clock, node),
      `increment(${show(clock)}, 'alice') returned ${show(got)}: the entry for '${node}' went from ${at(clock, node)} to ${at(got, node)}; ` +
        `increment must change only the entry of the node it names ('alice'), the other nodes did nothing`,
    );
  }
});

test('increment treats a node missing from the clock as 0, so its entry becomes 1', () => {
  const cases: [Clock, string, Clock][] = [
    [{ alice: 2 }, 'db-1', { alice: 2, 'db-1': 1 }],
    [{}, 'cache-eu', { 'cache-eu': 1 }],
  ];
  for (const [clock, node, want] of cases) {
    expectClock(`increment(${show(clock)}, '${node}')`, callInc(clock, node), want, `'${node}' is missing from the clock, so it counts as 0 and becomes 1`);
  }
});

// ---- merge ----

test('merge takes the larger of the two entries for each node', () => {
  const a = { alice: 3, bob: 1, carol: 2 };
  const b = { alice: 1, bob: 4, carol: 2 };
  expectClock(`merge(${show(a)}, ${show(b)})`, callMerge(a, b), { alice: 3, bob: 4, carol: 2 }, 'each entry is the larger of the two (the element-wise maximum)');
});

test('merge keeps nodes that appear in only one of the two clocks', () => {
  const cases: [Clock, Clock, Clock][] = [
    [{ alice: 2, 'db-1': 1 }, { alice: 1, bob: 3 }, { alice: 2, 'db-1': 1, bob: 3 }],
    [{}, { 'cache-eu': 2 }, { 'cache-eu': 2 }],
    [{ 'node7': 5 }, {}, { 'node7': 5 }],
  ];
  for (const [a, b, want] of cases) {
    expectClock(
      `merge(${show(a)}, ${show(b)})`,
      callMerge(a, b),
      want,
      'a node that appears in only one clock counts as 0 in the other, so it keeps its counter',
    );
  }
});

// ---- compare ----

test("compare returns 'before' when a is behind b in some entry and ahead in none", () => {
  expectOrder({ alice: 1, bob: 2 }, { alice: 2, bob: 2 }, 'before', "alice's entry is smaller and none is larger");
  expectOrder({ alice: 1, bob: 1 }, { alice: 2, bob: 3 }, 'before', 'every entry is smaller');
  expectOrder({}, { 'db-1': 1 }, 'before', "the empty clock is behind any clock that has a non-zero entry");
});

test("compare returns 'after' when a is ahead of b in some entry and behind in none", () => {
  expectOrder({ alice: 2, bob: 2 }, { alice: 1, bob: 2 }, 'after', "alice's entry is larger and none is smaller");
  expectOrder({ 'db-1': 1 }, {}, 'after', 'any clock with a non-zero entry is ahead of the empty clock');
});

test("compare returns 'equal' for identical clocks", () => {
  expectOrder({ alice: 1, bob: 2 }, { alice: 1, bob: 2 }, 'equal', "every entry is the same, so neither clock is before the other");
  expectOrder({}, {}, 'equal', 'two empty clocks are the same clock');
});

test("compare returns 'concurrent' when each clock is ahead of the other in some entry", () => {
  expectOrder({ alice: 2, bob: 1 }, { alice: 1, bob: 2 }, 'concurrent', "a is ahead for 'alice' but behind for 'bob'");
  expectOrder({ bob: 1, alice: 2 }, { alice: 1, bob: 2 }, 'concurrent', "a is ahead for 'alice' but behind for 'bob'");
  expectOrder({ alice: 3, bob: 0, carol: 1 }, { alice: 1, bob: 2, carol: 1 }, 'concurrent', "a is ahead for 'alice' but behind for 'bob'");
});

test('compare counts an entry missing from one clock as 0', () => {
  expectOrder({ alice: 1 }, { alice: 1, bob: 1 }, 'before', "'bob' is missing from a, so a's entry for it is 0, below b's 1");
  expectOrder({ alice: 1, bob: 1 }, { alice: 1 }, 'after', "'bob' is missing from b, so b's entry for it is 0, below a's 1");
  expectOrder({ alice: 2 }, { alice: 1, 'db-1': 1 }, 'concurrent', "a is ahead for 'alice' and behind for 'db-1' (missing from a, so 0)");
  expectOrder({ alice: 1 }, { bob: 1 }, 'concurrent', "a is ahead for 'alice' and behind for 'bob'; a missing entry is 0");
});

test("compare treats a zero entry like a missing one: { alice: 1 } equals { alice: 1, bob: 0 }", () => {
  const why = 'a missing entry counts as 0, so a zero entry changes nothing and these are the same clock';
  expectOrder({ alice: 1 }, { alice: 1, bob: 0 }, 'equal', why);
  expectOrder({ alice: 1, bob: 0 }, { alice: 1 }, 'equal', why);
  expectOrder({ alice: 1, bob: 0 }, { alice: 1, 'db-1': 0 }, 'equal', why);
  expectOrder({}, { 'cache-eu': 0 }, 'equal', why);
});

// ---- purity, on fixed examples ----

test('node names of every shape are entries like any other: inherited names, "__proto__", empty, mixed case, non-ASCII, sequential', () => {
  // JSON.parse makes "__proto__" an own entry, as a clock received over the network would have it.
  const names = ['constructor', 'toString', 'hasOwnProperty', '__proto__', '', 'Alice', 'alice', 'Ålice', 'узел', 'db-1000', 'db-1001'];
  for (const name of names) {
    const one = asClock(increment({}, name), () => `increment({}, ${show(name)})`);
    check(at(one, name) === 1 && Object.keys(one).filter((k) => one[k] !== 0).length === 1,
      () => `increment({}, ${show(name)}) returned ${show(one)}; expected a clock whose only entry is ${show(name)}: 1`);
    const received = JSON.parse(JSON.stringify({ [name]: 2 })) as Clock;
    const two = asClock(increment(received, name), () => `increment(${JSON.stringify(received)}, ${show(name)})`);
    check(at(two, name) === 3, () => `increment(${JSON.stringify(received)}, ${show(name)}) returned ${show(two)}; expected ${show(name)}: 3`);
    for (const [x, y] of [[{}, received], [received, {}], [{ other: 1 }, received]] as const) {
      const merged = asClock(merge(x, y), () => `merge(${JSON.stringify(x)}, ${JSON.stringify(y)})`);
      check(at(merged, name) === 2, () => `merge(${JSON.stringify(x)}, ${JSON.stringify(y)}) returned ${JSON.stringify(merged)}; expected the entry ${show(name)}: 2 in it, like any other node's`);
    }
    const order = asOrder(compare({}, received), () => `compare({}, ${JSON.stringify(received)})`);
    check(order === 'before', () => `compare({}, ${JSON.stringify(received)}) returned ${show(order)}; expected 'before': ${show(name)} is a node like any other`);
  }
});

test('increment returns a new clock and leaves the one it was given unchanged', () => {
  const clock: Clock = { alice: 2, bob: 1 };
  const before = copy(clock);
  const got: unknown = increment(clock, 'alice');
  check(
    unchanged(before, clock),
    `increment modified its input: the clock was ${show(before)} before increment(clock, 'alice') and ${show(clock)} after; ` +
      'build and return a new clock instead (another event may still hold the old one)',
  );
  check(got !== clock, `increment(clock, 'alice') returned the clock it was given; it must return a new object`);
});

test('merge returns a new clock and leaves both clocks it was given unchanged', () => {
  const a: Clock = { alice: 1, bob: 3 };
  const b: Clock = { alice: 2, 'db-1': 1 };
  const [beforeA, beforeB] = [copy(a), copy(b)];
  const got: unknown = merge(a, b);
  check(
    unchanged(beforeA, a),
    `merge modified its first argument: it was ${show(beforeA)} before merge(a, b) with b = ${show(b)}, and ${show(a)} after; ` +
      'build and return a new clock instead',
  );
  check(
    unchanged(beforeB, b),
    `merge modified its second argument: it was ${show(beforeB)} before merge(a, b) with a = ${show(a)}, and ${show(b)} after; ` +
      'build and return a new clock instead',
  );
  check(got !== a && got !== b, `merge(a, b) returned one of its arguments; it must return a new object`);
});

test('merge returns a new object even when the result equals an input: merge(a, a), merge(a, {}), merge({}, a)', () => {
  const a: Clock = { alice: 2, bob: 1 };
  const empty: Clock = {};
  const cases: [string, Clock, Clock][] = [
    ['merge(a, a)', a, a],
    ['merge(a, {})', a, empty],
    ['merge({}, a)', empty, a],
  ];
  for (const [call, x, y] of cases) {
    const got: unknown = merge(x, y);
    check(
      got !== x && got !== y,
      `${call} with a = ${show(a)} returned ${got === empty ? 'the empty clock {} it was given' : 'a itself'}; ` +
        'results must be new objects, even when no entry changes, so that whoever keeps a result can never alter an input',
    );
  }
});

// ---- properties on random clocks ----

test("compare is antisymmetric: compare(b, a) is the mirror of compare(a, b) (random clocks)", async () => {
  await holds(
    fc.property(clockArb, clockArb, (a, b) => {
      const ab = callCompare(a, b);
      const ba = callCompare(b, a);
      check(
        ba === mirror[ab],
        `compare(a, b) returned '${ab}' but compare(b, a) returned '${ba}'; expected '${mirror[ab]}' ` +
          "('before' one way is 'after' the other way; 'equal' and 'concurrent' read the same both ways)",
      );
    }),
    { describe: describePair },
  );
});

test('compare follows the definition on random clocks, with missing entries as 0', async () => {
  await holds(
    fc.property(clockArb, clockArb, (a, b) => {
      const want = modelCompare(a, b);
      const got = callCompare(a, b);
      const lines = () => nodesOf(a, b).map((n) => `'${n}': ${at(a, n)} vs ${at(b, n)}`).join(', ');
      check(got === want, () => `compare(a, b) returned '${got}'; expected '${want}' (entry by entry, a vs b: ${lines() || 'no entries'})`);
    }),
    { describe: describePair },
  );
});

test('merge is commutative: merge(a, b) equals merge(b, a) (random clocks)', async () => {
  await holds(
    fc.property(clockArb, clockArb, (a, b) => {
      const ab = callMerge(a, b);
      const ba = callMerge(b, a);
      check(sameClock(ab, ba), () => `merge(a, b) returned ${show(ab)} but merge(b, a) returned ${show(ba)}; the order of the arguments must not matter`);
    }),
    { describe: describePair },
  );
});

test('merge is associative: merge(merge(a, b), c) equals merge(a, merge(b, c)) (random clocks)', async () => {
  await holds(
    fc.property(clockArb, clockArb, clockArb, (a, b, c) => {
      const left = callMerge(callMerge(a, b), c);
      const right = callMerge(a, callMerge(b, c));
      check(
        sameClock(left, right),
        () => `merge(merge(a, b), c) returned ${show(left)} but merge(a, merge(b, c)) returned ${show(right)}; the grouping must not matter`,
      );
    }),
    { describe: ([a, b, c]) => `a = ${show(a)}, b = ${show(b)}, c = ${show(c)}` },
  );
});

test('merge is idempotent: merge(a, a) equals a (random clocks)', async () => {
  await holds(
    fc.property(clockArb, (a) => {
      const got = callMerge(a, a);
      check(sameClock(got, a), () => `merge(a, a) returned ${show(got)}; expected a clock equal to a (${differences(got, a)})`);
    }),
    { describe: ([a]) => `a = ${show(a)}` },
  );
});

test('merge is the least upper bound: each input is before or equal to it, and no entry is larger than needed (random clocks)', async () => {
  await holds(
    fc.property(clockArb, clockArb, (a, b) => {
      const m = callMerge(a, b);
      for (const node of nodesOf(a, b, m)) {
        const [x, y, got] = [at(a, node), at(b, node), at(m, node)];
        const max = Math.max(x, y);
        if (got < max) {
          fail(
            `merge(a, b) returned ${show(m)}: the entry for '${node}' is ${got}, below ${x > y ? 'a' : 'b'}'s ${max}, ` +
              `so ${x > y ? 'a' : 'b'} is not before or equal to the merge; each entry must be the larger of the two (here ${max})`,
          );
        }
        if (got > max) {
          fail(
            `merge(a, b) returned ${show(m)}: the entry for '${node}' is ${got}, larger than both inputs (${x} and ${y}); ` +
              `the merge is the smallest clock at or after both, so each entry is the larger of the two (here ${max})`,
          );
        }
      }
    }),
    { describe: describePair },
  );
});

test('increment makes the clock strictly after the old one, raising only its node by 1 (random clocks)', async () => {
  await holds(
    fc.property(clockArb, nodeArb, (clock, node) => {
      const got = callInc(clock, node);
      const want = { ...clock, [node]: at(clock, node) + 1 };
      check(
        sameClock(got, want) && modelCompare(got, clock) === 'after',
        () => `increment(${show(clock)}, '${node}') returned ${show(got)}; expected ${show(want)} (${differences(got, want)}), a clock strictly after the old one`,
      );
    }),
    { describe: ([clock, node]) => `clock = ${show(clock)}, node = '${node}'` },
  );
});

test('results do not depend on zero entries: adding { node: 0 } entries to the inputs changes nothing (random clocks)', async () => {
  const padArb = fc.subarray([...NAMES, 'eu-west', 'replica-2']);
  await holds(
    fc.property(clockArb, clockArb, padArb, padArb, nodeArb, (a, b, padA, padB, node) => {
      const [a0, b0] = [padded(a, padA), padded(b, padB)];
      const self = callCompare(a, a0);
      check(self === 'equal', () => `compare(${show(a)}, ${show(a0)}) returned '${self}'; expected 'equal': a zero entry is the same as a missing one`);
      const plain = callCompare(a, b);
      const withZeros = callCompare(a0, b0);
      check(
        plain === withZeros,
        () => `compare(${show(a)}, ${show(b)}) returned '${plain}' but compare(${show(a0)}, ${show(b0)}) returned '${withZeros}'; ` +
          'the same clocks with extra zero entries must compare the same way',
      );
      const m = callMerge(a, b);
      const m0 = callMerge(a0, b0);
      check(
        sameClock(m, m0),
        () => `merge(${show(a)}, ${show(b)}) returned ${show(m)} but merge(${show(a0)}, ${show(b0)}) returned ${show(m0)}; ` +
          'extra zero entries must not change the counters of the merge',
      );
      const i = callInc(a, node);
      const i0 = callInc(a0, node);
      check(
        sameClock(i, i0),
        () => `increment(${show(a)}, '${node}') returned ${show(i)} but increment(${show(a0)}, '${node}') returned ${show(i0)}; ` +
          'extra zero entries must not change the counters of the result',
      );
    }),
    { describe: ([a, b, padA, padB, node]) => `a = ${show(a)}, b = ${show(b)}, zero entries added for [${padA.join(', ')}] and [${padB.join(', ')}], node = '${node}'` },
  );
});

test('no function ever modifies its inputs, and every result is a new object (random clocks)', async () => {
  await holds(
    fc.property(clockArb, clockArb, nodeArb, (generatedA, generatedB, node) => {
      // work on copies, so the counterexample shown is the clocks as they were before any call
      const [a, b] = [copy(generatedA), copy(generatedB)];
      const [beforeA, beforeB] = [copy(a), copy(b)];
      const inc: unknown = increment(a, node);
      check(unchanged(beforeA, a), () => `increment modified its input: the clock was ${show(beforeA)} before increment(clock, '${node}') and ${show(a)} after`);
      check(inc !== a, `increment(clock, '${node}') returned the clock it was given; it must return a new object`);
      const m: unknown = merge(a, b);
      check(unchanged(beforeA, a), () => `merge modified its first argument: it was ${show(beforeA)} before merge(a, b) and ${show(a)} after`);
      check(unchanged(beforeB, b), () => `merge modified its second argument: it was ${show(beforeB)} before merge(a, b) and ${show(b)} after`);
      check(m !== a && m !== b, 'merge(a, b) returned one of its arguments; it must return a new object');
      compare(a, b);
      check(unchanged(beforeA, a), () => `compare modified its first argument: it was ${show(beforeA)} before compare(a, b) and ${show(a)} after`);
      check(unchanged(beforeB, b), () => `compare modified its second argument: it was ${show(beforeB)} before compare(a, b) and ${show(b)} after`);
    }),
    { describe: ([a, b, node]) => `a = ${show(a)}, b = ${show(b)}, node = '${node}'` },
  );
});

// ---- processes exchanging messages ----

/** The figure-style exchange of helpers.ts, with the learner's functions, for the two checks below. */
const textbookExchange = (): Exchange => exchangeOfThree({ increment: callInc, merge: callMerge });

function checkPairs(x: Exchange, which: (relation: Order) => boolean): number {
  let checked = 0;
  const events = x.events;
  for (const e of events) {
    for (const f of events) {
      if (e === f) continue;
      const relation = x.relation(e, f);
      if (!which(relation)) continue;
      checked++;
      const got = compare(copy(e.clock), copy(f.clock));
      asOrder(got, () => `compare(${show(e.clock)}, ${show(f.clock)})`);
      if (got === relation) continue;
      const story: Record<Order, string> = {
        before: `${e.name} happened before ${f.name}`,
        after: `${f.name} happened before ${e.name}`,
        concurrent: `neither of ${e.name} and ${f.name} happened before the other (no chain of messages links them)`,
        equal: '',
      };
      fail(
        `${story[relation]}, but compare(${e.name}'s clock, ${f.name}'s clock) = compare(${show(e.clock)}, ${show(f.clock)}) ` +
          `returned '${got}'; expected '${relation}'`,
        `the exchange, with the clocks your increment and merge computed (a send increments then attaches the clock; ` +
          `a receive merges the attached clock, then increments):\n${x.timeline()}`,
      );
    }
  }
  return checked;
}

test("when processes exchange messages, an event compares 'before' each event it happened before, and that event 'after' it", () => {
  const x = textbookExchange();
  const checked = checkPairs(x, (r) => r === 'before' || r === 'after');
  check(checked > 0, 'internal: the scenario has no happened-before pairs');
});

test("when processes exchange messages, independent events compare 'concurrent'", () => {
  const x = textbookExchange();
  const checked = checkPairs(x, (r) => r === 'concurrent');
  check(checked > 0, 'internal: the scenario has no concurrent pairs');
});

test('on random message exchanges among three processes, compare orders every pair of events as happened-before does', () => {
  const random = streamFor('random exchanges');
  const processes = ['api', 'worker-1', 'worker-2'];
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  for (let run = 0; run < 8; run++) {
    const x = new Exchange({ increment: callInc, merge: callMerge }, processes);
    const inbox = new Map<string, ReturnType<Exchange['send']>[]>(processes.map((p) => [p, []]));
    for (let step = 1; step <= 14; step++) {
      const process = pick(processes);
      const waiting = inbox.get(process)!;
      const roll = random();
      const name = `e${step}`;
      if (waiting.length > 0 && roll < 0.4) {
        const i = Math.floor(random() * waiting.length); // messages may arrive out of order
        x.receive(waiting.splice(i, 1)[0]!, name);
      } else if (roll < 0.75) {
        const to = pick(processes.filter((p) => p !== process));
        inbox.get(to)!.push(x.send(process, to, name));
      } else {
        x.local(process, name);
      }
    }
    checkPairs(x, () => true);
  }
});

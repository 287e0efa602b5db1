import fc from 'fast-check';
import { test } from 'vitest';
import { check, checkScenario, describeThrown, fail, holds } from 'learn-ds/harness';
import {
  ModelClock,
  asStamp,
  describeMessage,
  happenedBefore,
  modelCompare,
  named,
  runExchange,
  show,
  showStamp,
  sign,
  type Clock,
  type RunEvent,
  type Stamp,
} from './helpers.ts';
import { LamportClock, compareStamps } from 'learn-ds/subject/lamport-clock';

// ---- calling the learner's code ----

type Learner = InstanceType<typeof LamportClock>;

const stampCall = (clock: Learner, call: string, run: (c: Learner) => unknown): Stamp =>
  asStamp(run(clock), call);
const tick = (c: Learner, who: string) => stampCall(c, `${who}.tick()`, (x) => x.tick());
const send = (c: Learner, who: string) => stampCall(c, `${who}.send()`, (x) => x.send());
const receive = (c: Learner, who: string, s: Stamp) =>
  stampCall(c, `${who}.receive(${showStamp(s)})`, (x) => x.receive({ ...s }));

function timeOf(clock: Learner, when: string): number {
  const time: unknown = clock.time;
  check(typeof time === 'number', () => `clock.time ${when} is ${show(time)}; expected a number (the counter's current value)`);
  return time;
}

/** A clock of `node` that has done `events` local events, so its time is `events`. */
function clockAt(node: string, events: number): Learner {
  const clock = new LamportClock(node);
  for (let i = 0; i < events; i++) clock.tick();
  return clock;
}

/** Why a receive's time is wrong, when it matches a classic mistake. */
function receiveMistake(local: number, incoming: number, got: number): string {
  const want = Math.max(local, incoming) + 1;
  if (got === want) return '';
  if (incoming === local + 1 && got === incoming) {
    return `: either it ignored the message's time (${local} + 1), or it took the larger time but did not add 1 (max(${local}, ${incoming})). ` +
      `The receiver must catch up with the sender, and receiving is an event too: max(${local}, ${incoming}) + 1 = ${want}`;
  }
  if (incoming > local && got === local + 1) {
    return `: it ignored the message's time. The receiver must catch up with the sender: max(${local}, ${incoming}) + 1 = ${want}`;
  }
  if (got === Math.max(local, incoming)) {
    return `: it took the larger time but did not add 1. Receiving is an event too: max(${local}, ${incoming}) + 1 = ${want}`;
  }
  if (incoming < local && got === incoming + 1) {
    return `: it took the smaller of the two times (or only the message's), which moves the clock back. Take the larger: max(${local}, ${incoming}) + 1 = ${want}`;
  }
  if (got > want) return `: the clock jumped further than needed: a receive sets the time to exactly max(${local}, ${incoming}) + 1 = ${want}`;
  return `: a receive sets the time to max(${local}, ${incoming}) + 1 = ${want}`;
}

/** The words for a compareStamps result that disagrees with the order by time, then node id. */
function compareMistake(a: Stamp, b: Stamp, got: unknown): string | undefined {
  const call = `compareStamps(${showStamp(a)}, ${showStamp(b)})`;
  if (typeof got !== 'number' || Number.isNaN(got)) {
    return `${call} returned ${show(got)}; expected a number: negative when a comes first, positive when b does, 0 for the same stamp`;
  }
  const want = modelCompare(a, b);
  if (sign(got) === want) return undefined;
  const expected = want < 0 ? 'a negative number' : want > 0 ? 'a positive number' : '0';
  let why: string;
  if (want === 0) {
    why = 'the two stamps are the same (same time, same node)';
  } else if (a.time !== b.time) {
    why = `the stamp with the smaller time comes first, whatever the node ids (node ids only break ties of time)`;
  } else if (got === 0) {
    const [lo, hi] = a.node < b.node ? [a.node, b.node] : [b.node, a.node];
    why = `equal times are ordered by node id ('${lo}' < '${hi}'), so that two different events are never tied`;
  } else {
    const [lo, hi] = a.node < b.node ? [a.node, b.node] : [b.node, a.node];
    why = `with equal times, the smaller node id in plain string order comes first ('${lo}' < '${hi}')`;
  }
  return `${call} returned ${show(got)}; expected ${expected}: ${why}`;
}

function expectCompare(a: Stamp, b: Stamp): void {
  const problem = compareMistake(a, b, compareStamps({ ...a }, { ...b }));
  if (problem) fail(problem);
}

// ---- tick and send ----

test("a new clock's time is 0, and its first tick() is stamped time 1 with the clock's node id", () => {
  const clock = new LamportClock('alice');
  const start = timeOf(clock, 'of a new clock');
  check(start === 0, `new LamportClock('alice').time is ${show(start)}; expected 0: a clock starts at 0 and counts events`);
  const s = tick(clock, 'a new clock');
  check(
    s.time === 1,
    () => `the first tick() on a new clock returned ${showStamp(s)}; expected time 1: add 1 first, then stamp the event with the new time (a stamp carries the time after the event)`,
  );
  check(s.node === 'alice', () => `tick() on new LamportClock('alice') returned ${showStamp(s)}; expected node 'alice': a stamp carries the id of the node whose clock made it`);
  const now = timeOf(clock, 'after one tick()');
  check(now === 1, `after one tick(), clock.time is ${show(now)}; expected 1, the time of the stamp tick() returned`);
});

test('tick() adds 1 to the time on every call, and time reads the new value', () => {
  const clock = new LamportClock('db-1');
  for (let k = 1; k <= 5; k++) {
    const s = tick(clock, 'clock');
    check(
      s.time === k,
      () => `tick() number ${k} on a new clock returned ${showStamp(s)}; expected time ${k}: each tick() adds 1 and the stamp carries the time after the event`,
    );
    const now = timeOf(clock, `after ${k} tick() calls`);
    check(now === k, `after ${k} tick() calls, clock.time is ${show(now)}; expected ${k}, the time of the last stamp`);
  }
});

test('send() adds 1 to the time too, and returns the stamp to put on the message', () => {
  const clock = clockAt('alice', 2);
  for (const want of [3, 4]) {
    const before = timeOf(clock, 'before send()');
    const s = send(clock, 'clock');
    check(
      s.time === want,
      () => `send() on a clock at time ${before} returned ${showStamp(s)}; expected time ${want}: sending is an event, so send() adds 1 first and stamps the message with the new time`,
    );
    check(s.node === 'alice', () => `send() on LamportClock('alice') returned ${showStamp(s)}; expected node 'alice'`);
    const now = timeOf(clock, 'after send()');
    check(now === want, `after send() returned time ${want}, clock.time is ${show(now)}; expected ${want}`);
  }
});

// ---- receive ----

function expectReceive(local: number, incoming: number): void {
  const clock = clockAt('alice', local);
  const msg: Stamp = { time: incoming, node: 'bob' };
  const s = receive(clock, `a clock at time ${local}`, msg);
  const want = Math.max(local, incoming) + 1;
  check(
    s.time === want,
    () => `receive(${showStamp(msg)}) on a clock at time ${local} returned ${showStamp(s)}; expected time ${want}${receiveMistake(local, incoming, s.time)}`,
  );
  const now = timeOf(clock, 'after receive()');
  check(now === want, `after receive(${showStamp(msg)}) returned time ${want} on a clock at time ${local}, clock.time is ${show(now)}; expected ${want}`);
  const next = tick(clock, 'clock');
  check(next.time === want + 1, () => `after receive() set the time to ${want}, the next tick() returned ${showStamp(next)}; expected time ${want + 1}`);
}

test("receive() of a stamp ahead of the clock sets the time to the message's time + 1", () => {
  expectReceive(2, 7);
  expectReceive(0, 1);
  expectReceive(4, 10);
});

test("receive() of a stamp behind or level with the clock adds 1 to the clock's own time", () => {
  expectReceive(5, 2);
  expectReceive(6, 6);
  expectReceive(3, 0);
});

test("receive() stamps the receive event with the receiving clock's node id, not the sender's", () => {
  const clock = clockAt('alice', 1);
  const s = receive(clock, "LamportClock('alice')", { time: 4, node: 'bob' });
  check(
    s.node === 'alice',
    () => `LamportClock('alice').receive({ time: 4, node: 'bob' }) returned ${showStamp(s)}; expected node 'alice': the receive happens on alice, so its stamp carries alice's id`,
  );
});

test('receive() refuses a stamp whose time is not a whole number from 0 to 2^53 - 1, and leaves the clock as it was', () => {
  // 2^53 and above are whole numbers to Number.isInteger, but no longer exact: 2^53 + 1 === 2^53.
  for (const bad of [-1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, -3, 2 ** 53, 2 ** 53 + 2, 1e300, -0.5]) {
    const clock = clockAt('alice', 3);
    const msg = { time: bad, node: 'bob' };
    let result: unknown;
    let threw = false;
    try {
      result = clock.receive({ ...msg });
    } catch {
      threw = true;
    }
    check(
      threw,
      () => `receive(${show(msg)}) returned ${show(result)} instead of throwing; a Lamport time is a whole number from 0 to 2^53 - 1 (Number.MAX_SAFE_INTEGER), so a stamp with time ${show(bad)} must be refused with an Error`,
    );
    const now = timeOf(clock, 'after a refused receive()');
    check(now === 3, `after receive(${show(msg)}) threw on a clock at time 3, clock.time is ${show(now)}; expected 3: a refused stamp must leave the clock as it was`);
  }
});

test('receive() accepts the largest safe time, 2^53 - 1, and 0', () => {
  for (const [edge, expected] of [[Number.MAX_SAFE_INTEGER, 2 ** 53], [0, 4]] as const) {
    const clock = clockAt('alice', 3);
    const msg = { time: edge, node: 'bob' };
    let result: unknown;
    try {
      result = clock.receive({ ...msg });
    } catch (error) {
      fail(`receive(${show(msg)}) threw ${describeThrown(error)}; expected a stamp with time ${show(expected)}: ${show(edge)} is a valid Lamport time (a whole number from 0 to 2^53 - 1)`);
    }
    const time = (result as { time?: unknown } | undefined)?.time;
    check(time === expected, () => `receive(${show(msg)}) on a clock at time 3 returned ${show(result)}; expected time ${show(expected)}, max(3, ${show(edge)}) + 1`);
  }
});

// ---- independence and purity ----

test('each clock counts its own events: events on one clock never change another clock', () => {
  const alice = clockAt('alice', 3);
  const bob = new LamportClock('bob');
  const bobTime = timeOf(bob, 'of a new clock');
  check(
    bobTime === 0,
    `after 3 tick() calls on alice's clock, a new LamportClock('bob') has time ${show(bobTime)}; expected 0: every clock has its own counter (keep it in an instance field, not a static or module-level variable)`,
  );
  tick(bob, 'bob');
  tick(bob, 'bob');
  const a = tick(alice, 'alice');
  check(
    a.time === 4,
    () => `alice's clock was at time 3; after bob's clock did 2 events, alice.tick() returned ${showStamp(a)}; expected time 4: every clock has its own counter, untouched by other clocks`,
  );
  const b = tick(bob, 'bob');
  check(b.time === 3, () => `bob's clock did 2 events, then alice's did 1; bob.tick() returned ${showStamp(b)}; expected time 3: every clock has its own counter`);
});

test('receive() leaves the stamp it is given unchanged', () => {
  const clock = clockAt('alice', 5);
  const msg: Stamp = { time: 2, node: 'bob' };
  const result: unknown = clock.receive(msg);
  check(
    Object.keys(msg).length === 2 && msg.time === 2 && msg.node === 'bob',
    () => `receive(msg) modified the stamp it was given: msg was { time: 2, node: 'bob' } before and ${show(msg)} after; build and return a new stamp instead (the message's stamp belongs to its sender)`,
  );
  check(result !== msg, 'receive(msg) returned the stamp it was given; it must return a new stamp for the receive event');
});

test('every call returns a new stamp, and a stamp returned earlier never changes', () => {
  const clock = new LamportClock('alice');
  const calls: Array<[string, () => unknown]> = [
    ['tick()', () => clock.tick()],
    ['send()', () => clock.send()],
    ["receive({ time: 10, node: 'bob' })", () => clock.receive({ time: 10, node: 'bob' })],
    ['tick()', () => clock.tick()],
    ['send()', () => clock.send()],
  ];
  const returned: Array<{ call: string; object: unknown; snapshot: Stamp }> = [];
  for (const [call, run] of calls) {
    const object = run();
    returned.push({ call, object, snapshot: asStamp(object, call) });
  }
  for (let i = 0; i < returned.length; i++) {
    const { call, object, snapshot } = returned[i]!;
    const now = asStamp(object, call);
    check(
      now.time === snapshot.time && now.node === snapshot.node,
      () => `call ${i + 1}, ${call}, returned ${showStamp(snapshot)}, which became ${showStamp(now)} after later events; return a new object for every event: a stamp already put on a message or stored must never change`,
    );
    for (let j = 0; j < i; j++) {
      check(object !== returned[j]!.object, `calls ${j + 1} and ${i + 1} (${returned[j]!.call} and ${call}) returned the same object; every event needs its own new stamp`);
    }
  }
});

// ---- compareStamps ----

test('compareStamps orders stamps by time first, whatever their node ids', () => {
  expectCompare({ time: 2, node: 'zed' }, { time: 3, node: 'alice' });
  expectCompare({ time: 3, node: 'alice' }, { time: 2, node: 'zed' });
  expectCompare({ time: 9, node: 'n1' }, { time: 10, node: 'n2' });
  expectCompare({ time: 1, node: 'n2' }, { time: 0, node: 'n1' });
});

test('compareStamps breaks a tie of time by node id, in plain string order', () => {
  expectCompare({ time: 4, node: 'alice' }, { time: 4, node: 'bob' });
  expectCompare({ time: 4, node: 'bob' }, { time: 4, node: 'alice' });
  expectCompare({ time: 1, node: 'n1' }, { time: 1, node: 'n2' });
  expectCompare({ time: 7, node: 'db-2' }, { time: 7, node: 'db-1' });
  // Plain string order (UTF-16 code units, as `<` compares), not numeric, not by locale, not ignoring case.
  expectCompare({ time: 5, node: 'n10' }, { time: 5, node: 'n2' });
  expectCompare({ time: 5, node: 'node-1000' }, { time: 5, node: 'node-999' });
  expectCompare({ time: 5, node: 'Bob' }, { time: 5, node: 'alice' });
  expectCompare({ time: 5, node: 'Zoë' }, { time: 5, node: 'zoe' });
  expectCompare({ time: 5, node: 'ñ3' }, { time: 5, node: 'o1' });
  expectCompare({ time: 5, node: 'n' }, { time: 5, node: 'n1' });
  expectCompare({ time: 5, node: '😀' }, { time: 5, node: 'Ａ' });
});

test('compareStamps returns 0 for the same time and node', () => {
  expectCompare({ time: 3, node: 'alice' }, { time: 3, node: 'alice' });
  expectCompare({ time: 0, node: 'n1' }, { time: 0, node: 'n1' });
});

const stampArb: fc.Arbitrary<Stamp> = fc.record({
  time: fc.nat({ max: 6 }),
  node: fc.constantFrom('alice', 'Bob', 'carol', 'n1', 'n2', 'n10', 'db-1', 'node-999', 'node-1000', 'ñ3', 'Zoë', 'zoe'),
});

test('compareStamps is a strict total order on random stamps: by time, then node id, 0 only for the same stamp', async () => {
  await holds(
    fc.property(stampArb, stampArb, (a, b) => {
      const ab = compareStamps({ ...a }, { ...b });
      const problem = compareMistake(a, b, ab);
      if (problem) fail(problem);
      const ba = compareStamps({ ...b }, { ...a });
      const mirrored = compareMistake(b, a, ba);
      if (mirrored) fail(mirrored);
    }),
    { describe: ([a, b]) => `a = ${showStamp(a)}, b = ${showStamp(b)}` },
  );
});

// ---- simulated runs ----

const scenarioOptions = { rows: 28, describe: describeMessage };
const learnerClock = (id: string): Clock => new LamportClock(id) as Clock;

function previousText(e: RunEvent): string {
  return e.prev ? `${e.node}'s previous event ${e.prev.name} had time ${e.prev.stamp.time}` : `it is ${e.node}'s first event, so its clock was at 0`;
}

test("under random delivery, every event's stamp follows the rules: time + 1 for a local event or a send, max(time, message's time) + 1 for a receive", () => {
  checkScenario(scenarioOptions, (seed) => {
    runExchange({
      seed,
      clock: learnerClock,
      onEvent: (e, run) => {
        const local = e.prev?.stamp.time ?? 0;
        if (e.kind === 'receive') {
          const incoming = e.cause!.stamp.time;
          const want = Math.max(local, incoming) + 1;
          if (e.stamp.time !== want) {
            run.sim.violation(
              `${named(e)} got ${showStamp(e.stamp)}; expected time ${want} = max(${local}, ${incoming}) + 1 ` +
                `(${previousText(e)}, the message was stamped ${showStamp(e.cause!.stamp)})${receiveMistake(local, incoming, e.stamp.time)}`,
              [e.node],
            );
          }
        } else if (e.stamp.time !== local + 1) {
          const why =
            e.kind === 'send' && e.stamp.time === local
              ? ': sending is an event, so send() adds 1 first'
              : e.stamp.time > local + 1
                ? `: the time jumped by ${e.stamp.time - local}; a ${e.kind === 'send' ? 'send' : 'local event'} adds exactly 1 (is the counter shared with the other nodes' clocks?)`
                : '';
          run.sim.violation(`${named(e)} got ${showStamp(e.stamp)}; expected time ${local + 1} = ${local} + 1 (${previousText(e)})${why}`, [e.node]);
        }
        if (e.stamp.node !== e.node) {
          run.sim.violation(`${named(e)} got ${showStamp(e.stamp)}; expected node '${e.node}': an event's stamp carries the id of the node it happened on`, [e.node]);
        }
      },
    });
  });
});

test('under random delivery, every event gets a larger time than all the events that happened before it', () => {
  checkScenario(scenarioOptions, (seed) => {
    runExchange({
      seed,
      clock: learnerClock,
      onEvent: (e, run) => {
        // The direct links are enough: happened-before is made of them, and < is transitive.
        if (e.prev && !(e.prev.stamp.time < e.stamp.time)) {
          run.sim.violation(
            `${e.node}'s events must get increasing times: ${named(e)} got ${showStamp(e.stamp)} after ${e.prev.name} (${e.prev.what}) got ${showStamp(e.prev.stamp)}`,
            [e.node],
          );
        }
        const cause = e.cause;
        if (cause && !(cause.stamp.time < e.stamp.time)) {
          run.sim.violation(
            `${named(e)} happened after ${named(cause)}, but got ${showStamp(e.stamp)}, not a larger time than ${showStamp(cause.stamp)}: ` +
              'a receive must get a larger time than the send of its message',
            [e.node, cause.node],
          );
        }
      },
    });
  });
});

test('compareStamps orders the events of a run by time, then node id: happened-before is respected and no two events tie', () => {
  checkScenario({ ...scenarioOptions, seeds: 40 }, (seed) => {
    runExchange({
      seed,
      clock: (id) => new ModelClock(id),
      onEvent: (e, run) => {
        // The events that happened before e first: a broken order shows best on a causal pair.
        const others = run.events.filter((o) => o !== e);
        const ordered = [...others.filter((o) => happenedBefore(o, e)), ...others.filter((o) => !happenedBefore(o, e))];
        for (const other of ordered) {
          for (const [a, b] of [[other, e], [e, other]] as const) {
            let result: unknown;
            try {
              result = compareStamps({ ...a.stamp }, { ...b.stamp });
            } catch (error) {
              run.sim.violation(`compareStamps(${showStamp(a.stamp)}, ${showStamp(b.stamp)}) threw ${describeThrown(error)}`, [a.node, b.node]);
            }
            const problem = compareMistake(a.stamp, b.stamp, result);
            if (!problem) continue;
            const relation = happenedBefore(a, b)
              ? `${named(a)} happened before ${named(b)}`
              : happenedBefore(b, a)
                ? `${named(a)} happened after ${named(b)}`
                : `${named(a)} and ${named(b)} are concurrent (neither happened before the other), yet must be ordered`;
            run.sim.violation(`${relation}: ${problem}`, [a.node, b.node]);
          }
        }
      },
    });
  });
});

// Shrinking's pure parts: ddmin, what makes two failures the same, where two traces part, the
// fault schedule a simulation records (and suppresses), its story, and the --faults plan.
import { describe, expect, test } from 'vitest';
import { History, Simulation, SimulationViolation, kvClient, startNemesis, type NodeContext, type SimNode, type TraceEvent } from '../../src/sim/index.ts';
import { FaultSchedule, decodePlan, encodePlan, story } from '../../src/sim/schedule.ts';
import { LearnerFailure, fail } from '../../src/verify/harness/failure.ts';
import { ddmin, describeEvent, failureSignature, firstDivergence, firstOwnFrame, split, traceHash } from '../../src/verify/harness/shrink.ts';
import { parseReplayed, replayNotice } from '../../src/cli/replay-notice.ts';

const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('ddmin', () => {
  const items = Array.from({ length: 12 }, (_, i) => i + 1);

  test('finds the two items a failure needs among twelve, trying no subset twice', () => {
    const tried: string[] = [];
    const kept = ddmin(items, (subset) => {
      tried.push(subset.join(','));
      return subset.includes(3) && subset.includes(10);
    });
    expect(kept).toEqual([3, 10]);
    expect(new Set(tried).size).toBe(tried.length);
    expect(tried.length).toBeLessThan(40);
  });

  test('one item; none at all (the empty set is tried first); a failure that needs all of them', () => {
    expect(ddmin(items, (s) => s.includes(7))).toEqual([7]);
    expect(ddmin(items, () => true)).toEqual([]);
    expect(ddmin([1, 2, 3], (s) => s.length === 3)).toEqual([1, 2, 3]);
    expect(ddmin([], () => true)).toEqual([]);
  });

  test('the result is 1-minimal: dropping any one item makes the failure go', () => {
    const fails = (s: readonly number[]) => s.filter((x) => x % 3 === 0).length >= 2 && s.includes(5);
    const kept = ddmin(items, fails);
    expect(fails(kept)).toBe(true);
    for (const x of kept) expect(fails(kept.filter((y) => y !== x))).toBe(false);
    expect(kept).toHaveLength(3);
  });

  test('a failure that answers with the part it reached is cut down to that part at once, in fewer tries', () => {
    const tries = (refine: boolean) => {
      let n = 0;
      const kept = ddmin(items, (s) => {
        n++;
        // The run fails as soon as 3 and 4 have happened: faults after 4 are never reached.
        return s.includes(3) && s.includes(4) ? (refine ? s.filter((x) => x <= 4) : true) : false;
      });
      expect(kept).toEqual([3, 4]);
      return n;
    };
    expect(tries(true)).toBeLessThan(tries(false));
  });

  test('out of budget, it keeps the smallest failing set found so far', () => {
    let runs = 0;
    const kept = ddmin(items, (s) => s.includes(3) && s.includes(10), () => ++runs > 3);
    expect(kept.includes(3) && kept.includes(10)).toBe(true);
    expect(kept.length).toBeGreaterThan(2);
    expect(ddmin(items, () => true, () => true)).toEqual(items);
  });

  test('split keeps order and sizes within one of each other', () => {
    expect(split([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4, 5]]);
    expect(split([1, 2, 3], 3)).toEqual([[1], [2], [3]]);
    expect(split([1, 2], 4)).toEqual([[1], [2]]);
  });
});

describe('the same failure', () => {
  const atOneLine = (message: string) => thrown(() => fail(message));
  const atAnother = (message: string) => thrown(() => {
    throw new LearnerFailure(message);
  });

  test('the same check (the line that failed) with other values in its message is the same failure; another line is not', () => {
    const a = failureSignature(atOneLine('n1 answered 3 at 12.5 ms'));
    expect(failureSignature(atOneLine('n2 answered 7 at 99.0 ms'))).toBe(a);
    expect(failureSignature(atAnother('n1 answered 3 at 12.5 ms'))).not.toBe(a);
    expect(a).toMatch(/^LearnerFailure: at sim\/shrink\.test\.ts:\d+:\d+$/);
  });

  test('an invariant by its name; a node that threw by what and where; a run stuck at one instant; another class is another failure', () => {
    const sim = new Simulation({ seed: 1, nodes: 1, factory: () => ({ receive() {} }) });
    sim.invariant('one leader', () => 'n1 and n2 lead term 3');
    const violation = thrown(() => sim.crash('n1'));
    expect(failureSignature(violation)).toBe('SimulationViolation: invariant one leader');
    const cause = thrown(() => {
      throw new TypeError('x is undefined');
    }) as Error;
    const threw = new SimulationViolation('n1 threw while handling a message from n2 at 3.0 ms: TypeError: x', 3, 1, ['n1']);
    threw.cause = cause;
    expect(failureSignature(threw)).toMatch(/^SimulationViolation: a node threw TypeError at sim\/shrink\.test\.ts:\d+/);
    expect(failureSignature(new SimulationViolation('more than 100000 events happened at 5.0 ms without time passing', 5, 1))).toBe('SimulationViolation: stuck at one instant');
    expect(failureSignature(new RangeError('n1 answered 3'))).not.toBe(failureSignature(new TypeError('n1 answered 3')));
    expect(failureSignature('a string')).toBe('thrown string');
  });

  test('frames of the kit and the harness are skipped', () => {
    const stack = ['Error: x', '    at fail (/w/src/verify/harness/failure.ts:18:9)', '    at Simulation.#send (/w/src/sim/simulation.ts:500:1)', '    at check (/w/exercises/kv/tests/helpers.ts:40:5)'].join('\n');
    expect(firstOwnFrame(stack)).toBe('tests/helpers.ts:40:5');
    expect(firstOwnFrame('Error: x\n    at node:internal/process:1:1')).toBeUndefined();
  });
});

describe('two traces of one seed', () => {
  const a: TraceEvent[] = [
    { t: 1, kind: 'timer', node: 'n1' },
    { t: 5, kind: 'deliver', from: 'n1', to: 'n2', message: { type: 'tick', n: 1 }, sentAt: 1, duplicate: false },
  ];
  const b: TraceEvent[] = [a[0]!, { ...(a[1] as Extract<TraceEvent, { kind: 'deliver' }>), message: { type: 'tick', n: 4 } }];

  test('the same events give the same hash; the first event that differs is named, with what each run had', () => {
    expect(traceHash(a)).toBe(traceHash(structuredClone(a)));
    expect(traceHash(a)).not.toBe(traceHash(b));
    expect(firstDivergence(a, structuredClone(a))).toBeUndefined();
    const d = firstDivergence(a, b)!;
    expect(d.index).toBe(1);
    expect(describeEvent(d.first)).toBe('n2 received "tick n=1" from n1 at 5.0 ms');
    expect(describeEvent(d.replay)).toBe('n2 received "tick n=4" from n1 at 5.0 ms');
    expect(firstDivergence(a, a.slice(0, 1))).toEqual({ index: 1, first: a[1], replay: undefined });
    expect(describeEvent(undefined)).toBe('nothing (the run had ended)');
  });

  test('values JSON cannot tell apart still count (Map, Set, bigint, undefined, Infinity)', () => {
    const with_ = (message: unknown): TraceEvent[] => [{ t: 1, kind: 'deliver', from: 'n1', to: 'n2', message, sentAt: 0, duplicate: false }];
    expect(traceHash(with_(new Map([[1, 2]])))).not.toBe(traceHash(with_(new Map([[1, 3]]))));
    expect(traceHash(with_(new Set([1])))).not.toBe(traceHash(with_(new Set([2]))));
    expect(traceHash(with_({ n: 1n }))).not.toBe(traceHash(with_({ n: 2n })));
    expect(traceHash(with_({ n: undefined }))).not.toBe(traceHash(with_({})));
    expect(traceHash(with_({ n: Infinity }))).not.toBe(traceHash(with_({ n: null })));
  });
});

type Tick = { type: 'tick' };
const quiet = (ctx: NodeContext<Tick>): SimNode<Tick> => {
  const tick = () => {
    for (const p of ctx.peers) ctx.send(p, { type: 'tick' });
    ctx.setTimer(10, tick);
  };
  ctx.setTimer(10, tick);
  return { receive() {} };
};

describe('the fault schedule', () => {
  test('every fault asked for is a step with its time, nodes and undo; the story tells it', () => {
    const sim = new Simulation({ seed: 3, nodes: 3, factory: quiet });
    sim.at(120, () => sim.isolate('n3'));
    sim.at(900, () => sim.heal());
    sim.at(340, () => sim.crash('n1'));
    sim.at(950, () => sim.restart('n1'));
    sim.at(1000, () => sim.pause('n2', 250));
    sim.at(1300, () => sim.blockOneWay('n2', 'n3'));
    sim.at(1400, () => sim.heal());
    sim.at(1500, () => (sim.network = { ...sim.network, loss: 0.5 }));
    sim.at(1700, () => (sim.network = { ...sim.network, loss: 0 }));
    sim.at(1800, () => sim.crashAfter('n3', { sends: 2, restartAfterMs: 100 }));
    sim.at(2000, () => sim.partition(['n1', 'n2'], ['n3']));
    sim.at(2100, () => sim.partition(['n1'], ['n2'], ['n3']));
    sim.at(2150, () => sim.heal());
    sim.at(2200, () => sim.partition(['n3', 'n1'], ['n2']));
    sim.at(2300, () => (sim.network = { ...sim.network, loss: 0.05 }));
    sim.at(2350, () => (sim.network = { ...sim.network, loss: 0.1 }));
    sim.at(2400, () => (sim.network = { ...sim.network, loss: 0 }));
    sim.runUntil(2500);
    expect(sim.faults.steps.map((s) => [s.index, s.by, s.at, s.parts[0]!.kind])).toEqual([
      [1, 'test', 120, 'partition'], [2, 'test', 340, 'crash'], [3, 'test', 1000, 'pause'], [4, 'test', 1300, 'one-way'],
      [5, 'test', 1500, 'loss'], [6, 'test', 1800, 'crash-after'], [7, 'test', 2000, 'partition'], [8, 'test', 2100, 'partition'],
      [9, 'test', 2200, 'partition'], [10, 'test', 2300, 'loss'], [11, 'test', 2350, 'loss'], [12, 'test', 2400, 'loss'],
    ]);
    expect(story(sim.faults.active(), sim.ids)).toEqual([
      '1. n3 is cut off from the other nodes (n1 and n2) at 120 ms and heals at 900 ms.',
      '2. n1 crashes at 340 ms and restarts at 950 ms.',
      '3. n2 is paused (frozen, its messages held) at 1000 ms for 250 ms.',
      '4. Messages from n2 to n3 are lost (one way: replies still arrive) from 1300 ms until 1400 ms.',
      '5. From 1500 ms to 1700 ms, 50% of messages are lost (0% otherwise).',
      '6. n3 is set at 1800 ms to crash right after its 2nd send from then; it crashes at 1800 ms and restarts at 1900 ms.',
      '7. n3 is cut off from the other nodes (n1 and n2) at 2000 ms and heals at 2150 ms.',
      '8. The network splits into {n1}, {n2} and {n3} at 2100 ms and heals at 2150 ms.',
      '9. n2 is cut off from the other nodes (n1 and n3) at 2200 ms, never healed.',
      '10. From 2300 ms, 5% of messages are lost (it was 0%).',
      '11. From 2350 ms, 10% of messages are lost (it was 5%).',
      '12. From 2400 ms, no message is lost any more (10% were until then).',
    ]);
  });

  test('a suppressed fault does not happen, nor does its undo; the steps after it keep their numbers', () => {
    const run = (keep?: ReadonlySet<number>) => {
      const sim = new Simulation({ seed: 3, nodes: 3, factory: quiet });
      sim.faults.keep = keep;
      sim.at(100, () => sim.isolate('n3'));
      sim.at(200, () => sim.heal());
      sim.at(300, () => sim.crash('n1'));
      sim.at(400, () => sim.restart('n1'));
      sim.at(500, () => (sim.network = { ...sim.network, loss: 1 }));
      sim.at(600, () => (sim.network = { ...sim.network, loss: 0 }));
      sim.runUntil(700);
      return sim;
    };
    const sim = run(new Set([2]));
    expect(sim.trace.filter((e) => !['deliver', 'timer', 'drop'].includes(e.kind)).map((e) => `${e.kind}@${e.t}`)).toEqual(['crash@300', 'restart@400']);
    expect(sim.trace.some((e) => e.kind === 'drop' && e.reason === 'loss')).toBe(false);
    expect(sim.faults.steps.map((s) => [s.index, s.suppressed])).toEqual([[1, true], [2, false], [3, true]]);
    expect(sim.network.loss).toBe(0);
    const lossOnly = run(new Set([3]));
    expect(lossOnly.trace.filter((e) => e.kind === 'drop' && e.reason === 'loss' && e.t >= 500 && e.t < 600).length).toBeGreaterThan(0);
    expect(lossOnly.trace.some((e) => e.kind === 'drop' && e.reason === 'loss' && e.t > 600)).toBe(false);
  });

  test('the nemesis: one random fault is one step, and dropping some changes neither the times nor the choices of the others', () => {
    const run = (keep?: ReadonlySet<number>) => {
      const sim = new Simulation({ seed: 11, nodes: 5, factory: quiet, network: { loss: 0.01 } });
      sim.faults.keep = keep;
      startNemesis(sim, { faults: ['partition', 'isolate', 'one-way', 'crash', 'pause', 'loss'], gapMs: [50, 150], durationMs: [100, 300], until: 4000 });
      sim.runUntil(4500);
      return sim;
    };
    const all = run();
    expect(all.faults.steps.length).toBeGreaterThan(10);
    expect(all.faults.steps.every((s) => s.by === 'nemesis')).toBe(true);
    const oneWay = all.faults.steps.find((s) => s.parts[0]!.kind === 'one-way');
    expect(oneWay?.parts).toHaveLength(4);
    const keep = new Set(all.faults.steps.filter((s) => s.index % 3 === 0).map((s) => s.index));
    const some = run(keep);
    const shape = (s: Simulation<any, any>['faults']['steps'][number]) => JSON.stringify([s.index, s.at, s.parts]);
    expect(some.faults.steps.filter((s) => keep.has(s.index)).map(shape)).toEqual(all.faults.steps.filter((s) => keep.has(s.index)).map(shape));
    expect(some.faults.steps.length).toBe(all.faults.steps.length);
    const faultEvents = (s: Simulation<any, any>) => s.trace.filter((e) => ['crash', 'restart', 'partition', 'heal', 'pause'].includes(e.kind)).length;
    expect(faultEvents(some)).toBeLessThan(faultEvents(all));
  });

  test('FaultSchedule on its own: a group is one step even when it asks for nothing; loss set back is the undo', () => {
    const f = new FaultSchedule();
    f.group('nemesis', () => undefined, 5);
    expect(f.request({ kind: 'crash', node: 'n1' }, 10)).toBe(false);
    expect(f.lossChanged(0, 0.5, 0, 20)).toBe(0.5);
    expect(f.lossChanged(0.5, 0, 0.5, 30)).toBe(0);
    expect(f.steps.map((s) => s.index)).toEqual([1, 2, 3]);
    expect(f.active().map((s) => s.index)).toEqual([2, 3]);
    expect(f.steps[2]!.parts[0]!.end).toBe(30);
    const g = new FaultSchedule();
    g.keep = new Set([2]);
    expect(g.lossChanged(0, 0.5, 0, 20)).toBe(0);
    expect(g.lossChanged(0.5, 0, 0, 30)).toBe(0);
  });
});

describe('the plan on the command line', () => {
  test('steps and the check they are for, both ways; anything else is not a plan', () => {
    expect(encodePlan([5, 2], 'k3f')).toBe('2,5@k3f');
    expect(encodePlan([], 'k3f')).toBe('none@k3f');
    expect(decodePlan('2,5@k3f')).toEqual({ keep: new Set([2, 5]), check: 'k3f' });
    expect(decodePlan('none@k3f')).toEqual({ keep: new Set(), check: 'k3f' });
    for (const bad of ['', '2,5', '@k3f', '2,,5@k3f', '2;5@k3f', '-1@k', 'x3@k', 'o5-2@k', 'o1-@k', undefined]) expect(decodePlan(bad)).toBeUndefined();
  });

  test('operations (o) and messages (m) are numbered apart; runs of three or more read as ranges', () => {
    const keep = [7, 'o3', 'm2', 2, 'o4', 'o5', 'o6', 'o9', 'm3', 3, 4];
    expect(encodePlan(keep, 'k3f')).toBe('2-4,7,m2,m3,o3-6,o9@k3f');
    expect(decodePlan('2-4,7,m2,m3,o3-6,o9@k3f')).toEqual({ keep: new Set([2, 3, 4, 7, 'm2', 'm3', 'o3', 'o4', 'o5', 'o6', 'o9']), check: 'k3f' });
  });
});

describe('steps beyond the faults', () => {
  type Ping = { type: 'ping'; n: number };
  /** n1 pings n2 every 10 ms. */
  const pinger = (ctx: NodeContext<Ping>): SimNode<Ping> => {
    let n = 0;
    const tick = () => {
      if (ctx.id === 'n1') ctx.send('n2', { type: 'ping', n: ++n });
      ctx.setTimer(10, tick);
    };
    ctx.setTimer(10, tick);
    return { receive() {} };
  };

  test('with messageFaults, each message the network loses or duplicates is a step (m1, m2, …); a suppressed one arrives (once), and the others keep their fates', () => {
    const run = (keep?: ReadonlySet<string | number>, messageFaults = true) => {
      const sim = new Simulation({ seed: 5, nodes: 2, factory: pinger, network: { loss: 0.3, duplicate: 0.3 }, messageFaults });
      sim.faults.keep = keep;
      sim.runUntil(300);
      return sim;
    };
    const plain = run(undefined, false);
    const all = run();
    // The same draws whether or not losses are steps.
    expect(all.trace).toEqual(plain.trace);
    expect(plain.faults.steps).toEqual([]);
    const steps = all.faults.active();
    const lost = steps.filter((s) => s.parts[0]!.kind === 'lose');
    const doubled = steps.filter((s) => s.parts[0]!.kind === 'duplicate');
    expect(lost.length).toBeGreaterThan(2);
    expect(doubled.length).toBeGreaterThan(2);
    expect(steps.map((s) => s.id)).toEqual(steps.map((_, i) => `m${i + 1}`));
    expect(all.trace.filter((e) => e.kind === 'drop' && e.reason === 'loss')).toHaveLength(lost.length);
    expect(story([lost[0]!], all.ids)[0]).toMatch(/^1\. n1's "ping n=\d+" to n2, sent at \d+ ms, is lost by the network\.$/);
    expect(story([doubled[0]!], all.ids)[0]).toMatch(/^1\. n1's "ping n=\d+" to n2, sent at \d+ ms, is duplicated by the network: it arrives twice\.$/);
    // Keep only the second loss: the first lost ping now arrives, the second is still lost.
    const firstLost = (lost[0]!.parts[0] as { message: string }).message;
    const secondLost = (lost[1]!.parts[0] as { message: string }).message;
    const some = run(new Set([lost[1]!.id]));
    const delivered = (sim: Simulation<any, any>, text: string) => sim.trace.filter((e) => e.kind === 'deliver' && `ping n=${(e.message as Ping).n}` === text).length;
    expect(delivered(some, firstLost)).toBe(1);
    expect(delivered(some, secondLost)).toBe(0);
    expect(some.faults.active().map((s) => s.id)).toEqual([lost[1]!.id]);
    // No duplicate is kept: every ping arrives at most once.
    expect(some.trace.some((e) => e.kind === 'deliver' && e.duplicate)).toBe(false);
  });

  test('operations: a step each (o1, o2, …), apart from the faults; one left out is skipped by the scenario, the faults keep their numbers', () => {
    const run = (keep?: ReadonlySet<string | number>) => {
      const sim = new Simulation({ seed: 2, nodes: 2, factory: pinger });
      sim.faults.keep = keep;
      const done: string[] = [];
      for (const t of [10, 20, 30]) sim.at(t, () => {
        const step = sim.operation('c1', `c1 does op@${t}`);
        if (!step) return;
        done.push(`op@${t}`);
        sim.after(5, () => step.answered());
      });
      sim.at(25, () => sim.crash('n2'));
      sim.runUntil(100);
      return { sim, done };
    };
    const all = run();
    expect(all.sim.faults.steps.map((s) => s.id)).toEqual(['o1', 'o2', 1, 'o3']);
    expect(all.done).toEqual(['op@10', 'op@20', 'op@30']);
    expect(story(all.sim.faults.active(['operation']), all.sim.ids)[1]).toBe('2. c1 does op@20 at 20 ms (answered at 25 ms).');
    const some = run(new Set([1, 'o3']));
    expect(some.done).toEqual(['op@30']);
    expect(some.sim.faults.activeFaults().map((s) => s.id)).toEqual([1]);
    expect(some.sim.isUp('n2')).toBe(false);
  });

  test('a droppable kvClient: each get or put is an operation step; one left out is neither sent nor in the history, and its done runs after timeoutMs', () => {
    /** A store that answers at once. */
    const store = (ctx: NodeContext<any>): SimNode<any> => ({
      receive(from, m) {
        ctx.send(from, m.type === 'put' ? { type: 'put-ok', inReplyTo: m.msgId } : { type: 'get-ok', inReplyTo: m.msgId, value: null });
      },
    });
    const run = (keep?: ReadonlySet<string | number>) => {
      const sim = new Simulation({ seed: 1, nodes: 1, factory: store });
      sim.faults.keep = keep;
      const history = new History<any, any>();
      const sentTo: number[] = [];
      const client = kvClient(sim, 'c1', history, { timeoutMs: 50, droppable: true, sentTo: (i) => sentTo.push(i) });
      const done: number[] = [];
      client.put('n1', 'x', 'a', () => {
        done.push(sim.now);
        client.get('n1', 'x', () => done.push(sim.now));
      });
      sim.runUntil(200);
      return { sim, history, done, sentTo };
    };
    const all = run();
    expect(all.history.ops.map((o) => o.input.kind)).toEqual(['write', 'read']);
    expect(story(all.sim.faults.active(), all.sim.ids)[0]).toMatch(/^1\. c1 writes x=a at n1 at 0 ms \(answered at [\d.]+ ms\)\.$/);
    const some = run(new Set(['o2']));
    expect(some.history.ops.map((o) => o.input.kind)).toEqual(['read']);
    expect(some.sentTo).toEqual([0]);
    expect(some.done[0]).toBe(50);
  });

  test('a crash armed by crashAfter that never fires is no fault; arming again or disarm() ends it; fault() makes one step even of nothing', () => {
    const sim = new Simulation({ seed: 2, nodes: 2, factory: pinger });
    sim.at(5, () => sim.crashAfter('n1', { sends: 100 }));
    sim.at(15, () => sim.crashAfter('n1', { sends: 2, restartAfterMs: 10 }));
    sim.at(50, () => sim.fault(() => undefined));
    sim.at(60, () => sim.fault(() => sim.crashAfter('n1', { sends: 100 })));
    sim.at(70, () => sim.disarm('n1'));
    sim.runUntil(100);
    expect(sim.faults.steps.map((s) => [s.id, s.parts.map((p) => p.end)])).toEqual([[1, [15]], [2, [40]], [3, []], [4, [70]]]);
    expect(sim.faults.active().map((s) => s.id)).toEqual([2]);
    expect(sim.trace.filter((e) => e.kind === 'crash').map((e) => e.t)).toEqual([30]);
  });
});

describe('what verify --faults says about the code it was given', () => {
  const cmd = 'npx learn-ds';
  test('a code no check replayed: one line naming why, with the command to use instead; nothing when the run ended before its checks', () => {
    expect(replayNotice([], '2,5@k3f', 'quorum-kv', 17, cmd, true)).toBe(
      '--faults 2,5@k3f names no check of quorum-kv as it is now (a code from another check or exercise, or from an older learn-ds), so seed 17 ran with all its faults; ' +
        'replay a failure with the command its verdict prints, e.g. npx learn-ds verify quorum-kv --seed 17',
    );
    expect(replayNotice([], '2,5@k3f', 'quorum-kv', 17, cmd, false)).toBeUndefined();
  });

  test('a code that still applies after an edit: replayed; its passing run is told, a failing one is the verdict\'s to tell', () => {
    expect(replayNotice([{ check: 'k3f', seed: 17, failed: false }], '2,5@k3f', 'quorum-kv', 17, cmd, true)).toBe('The shrunk run that --faults 2,5@k3f replays (seed 17, only the steps it keeps) passes now.');
    expect(replayNotice([{ check: 'k3f', seed: 17, failed: true }], '2,5@k3f', 'quorum-kv', 17, cmd, true)).toBeUndefined();
  });

  test('the hidden run\'s lines are read leniently: a line cut short or foreign is skipped', () => {
    expect(parseReplayed('{"check":"k3f","seed":3,"failed":true}\n{"check":"k3\n\n{"x":1}\n')).toEqual([{ check: 'k3f', seed: 3, failed: true }]);
  });
});

// Timelines, clients and histories, the nemesis, and many-seed scenarios as a hidden suite sees them.
import { describe, expect, test } from 'vitest';
import {
  History, SimClient, Simulation, renderTimeline, startNemesis, uniformLatency,
  type NodeContext, type Reply, type SimNode,
} from '../../src/sim/index.ts';
import { LearnerFailure, checkScenario, fail, simulate } from '../../src/verify/harness/index.ts';

type Msg = { type: string; [k: string]: unknown };

/** A single-copy register server: answers reads and writes from clients at once. */
function registerServer(ctx: NodeContext<Msg>): SimNode<Msg> {
  let value = 0;
  return {
    receive(from, m) {
      if (m.type === 'write') value = m.value as number;
      ctx.send(from, { type: `${m.type}_ok`, inReplyTo: m.msgId, value });
    },
  };
}

describe('timeline', () => {
  test('draws deliveries, drops, crashes and partitions in lanes, cut to the last rows', () => {
    const sim = new Simulation<Msg>({ seed: 1, nodes: 3, network: { latency: () => 5 }, factory: () => ({ receive() {} }) });
    sim.sendFrom('n1', 'n3', { type: 'hello', term: 1 });
    sim.runFor(10);
    sim.crash('n2');
    sim.sendFrom('n3', 'n2', { type: 'ping' });
    sim.runFor(10);
    sim.partition(['n1'], ['n2', 'n3']);
    sim.sendFrom('n1', 'n3', { type: 'late' });
    sim.restart('n2');
    const text = renderTimeline(sim.trace, { lanes: sim.ids });
    expect(text.split('\n')).toEqual([
      '       time  n1        n2        n3',
      '     5.0 ms  ●───────────────────▶   hello term=1 (sent 0.0 ms)',
      '    10.0 ms  │         ✖         │   n2 crashed (volatile state lost)',
      '    15.0 ms  │         ✗─────────●   ping not delivered: n2 is down',
      '    20.0 ms ╳┼ · · · · ┼ · · · · ┼   partition {n1} | {n2,n3}',
      '    20.0 ms ╳●───────────────────✗   late blocked by the partition',
      '    20.0 ms ╳│ · · · · ↻ · · · · │   n2 restarted',
      '             shading: ╳ · · a partition is in force',
    ]);
    const cut = renderTimeline(sim.trace, { lanes: sim.ids, rows: 2, until: 19 });
    expect(cut.split('\n')).toEqual([
      '       time  n1        n2        n3',
      '             … 1 earlier event not shown',
      '    10.0 ms  │         ✖         │   n2 crashed (volatile state lost)',
      '    15.0 ms  │         ✗─────────●   ping not delivered: n2 is down',
    ]);
  });

  test('shades fault periods across the lanes: a partition dots the space between lanes, a message that crossed it stands out, a legend names what is shaded', () => {
    const sim = new Simulation<Msg>({ seed: 1, nodes: 4, network: { latency: () => 5 }, factory: () => ({ receive() {} }) });
    sim.sendFrom('n1', 'n4', { type: 'before' });
    sim.at(2, () => sim.partition(['n1', 'n2'], ['n3', 'n4']));
    sim.at(3, () => sim.pause('n2', 10));
    sim.at(4, () => sim.crash('n3'));
    sim.at(6, () => sim.sendFrom('n1', 'n2', { type: 'inside' }));
    sim.at(20, () => sim.heal());
    sim.at(21, () => sim.sendFrom('n4', 'n1', { type: 'after' }));
    sim.runFor(30);
    const text = renderTimeline(sim.trace, { lanes: sim.ids });
    expect(text.split('\n')).toEqual([
      '       time  n1        n2        n3        n4',
      '     2.0 ms ╳┼ · · · · ┼ · · · · ┼ · · · · ┼   partition {n1,n2} | {n3,n4}',
      '     3.0 ms ╳│ · · · · ‖ · · · · │ · · · · │   n2 paused until 13.0 ms: handlers and timers frozen, its clock runs on',
      '     4.0 ms ╳│ · · · · ░ · · · · ✖ · · · · │   n3 crashed (volatile state lost)',
      // Sent before the cut, arriving across it while the partition is on: the arrow crosses the dots.
      '     5.0 ms ╳●─────────────────────────────✗   before blocked by the partition',
      '    13.0 ms ╳│ · · · · » · · · · ┊ · · · · │   n2 resumed after a pause of 10.0 ms; 1 message that waited runs now',
      '    13.0 ms ╳●─────────▶ · · · · ┊ · · · · │   inside (sent 6.0 ms, held while n2 was paused)',
      '    20.0 ms  │         │         ┊         │   partition healed',
      '    26.0 ms  ◀─────────────────────────────●   after (sent 21.0 ms)',
      '             shading: ┊ lane of a node that is down · ░ lane of a paused node · ╳ · · a partition is in force',
    ]);
    // Cut to rows with no fault in force, there is nothing to name; and the legend can be left out.
    expect(renderTimeline(sim.trace, { lanes: sim.ids, until: 1 }).split('\n')).toHaveLength(2);
    expect(renderTimeline(sim.trace, { lanes: sim.ids, legend: false })).not.toContain('shading:');
  });

  test('shows a window from `since`, filtered, with notes on lanes, and keeps a node crashed earlier dotted', () => {
    const sim = new Simulation<Msg>({ seed: 1, nodes: 2, network: { latency: () => 1 }, factory: () => ({ receive() {} }) });
    sim.crash('n2');
    sim.runFor(10);
    sim.sendFrom('n2', 'n1', { type: 'noise' });
    sim.sendFrom('n2', 'n1', { type: 'signal' });
    sim.note('n1', 'became leader of term 3');
    sim.runFor(10);
    const text = renderTimeline(sim.trace, { lanes: sim.ids, since: 5, filter: (e) => !(e.kind === 'deliver' && (e.message as Msg).type === 'noise') });
    expect(text.split('\n')).toEqual([
      '       time  n1        n2',
      '    10.0 ms  •         ┊   n1: became leader of term 3',
      '    11.0 ms  ◀─────────●   signal (sent 10.0 ms)',
      '             shading: ┊ lane of a node that is down',
    ]);
  });
});

describe('clients and histories', () => {
  test('a client records invoke and completion; an unanswered request stays open forever', () => {
    const sim = new Simulation<Msg>({ seed: 1, nodes: 1, network: { latency: () => 2 }, factory: registerServer });
    const history = new History<string, unknown>();
    const client = new SimClient<string, unknown>(sim, 'c1', history, 50);
    client.call('n1', { type: 'write', value: 3 }, 'write 3', (r: Reply) => r.value);
    sim.runFor(10);
    expect(history.ops[0]).toMatchObject({ client: 'c1', input: 'write 3', output: 3, callTime: 0, returnTime: 4 });
    sim.crash('n1');
    let done = false;
    client.call('n1', { type: 'read' }, 'read', (r: Reply) => r.value, () => (done = true));
    expect(client.busy).toBe(true);
    sim.runFor(100);
    expect(done).toBe(true);
    expect(client.busy).toBe(false);
    expect(history.ops[1]).toMatchObject({ output: undefined, callTime: 10, returnTime: Infinity });
  });
});

describe('nemesis', () => {
  test('injects faults from the seed, reproducibly, and undoes them all by `until`', () => {
    const run = (seed: number) => {
      const sim = new Simulation<Msg>({ seed, nodes: 5, factory: () => ({ receive() {} }) });
      startNemesis(sim, { faults: ['partition', 'isolate', 'one-way', 'crash', 'loss'], gapMs: [100, 300], durationMs: [100, 500], until: 20_000 });
      sim.runFor(30_000);
      return sim;
    };
    const a = run(11);
    expect(JSON.stringify(a.trace)).toBe(JSON.stringify(run(11).trace));
    const kinds = new Set(a.trace.map((e) => e.kind));
    expect([...kinds].sort()).toEqual(['crash', 'heal', 'partition', 'restart']);
    expect(a.upNodes()).toEqual(a.ids);
    expect(a.partitions.active).toBe(false);
    expect(a.network.loss).toBe(0);
    expect(a.trace.at(-1)!.t).toBeLessThanOrEqual(20_000);
  });
});

describe('many seeds in a hidden suite', () => {
  const scenario = (badSeed: number) => (seed: number) => {
    const sim = simulate<Msg, SimNode<Msg>>({ seed, nodes: 2, network: { latency: uniformLatency(1, 5) }, factory: registerServer });
    sim.sendFrom('n1', 'n2', { type: 'read', msgId: 1 });
    sim.runFor(20);
    if (seed === badSeed) fail('the replica answered a read with a value nobody wrote');
  };

  test('passes when every seed passes', () => {
    expect(() => checkScenario({ seeds: 30 }, scenario(-1))).not.toThrow();
  });

  test('reports the first failing seed, the timeline of its simulation and how to replay it', () => {
    let error: unknown;
    try {
      checkScenario({ seeds: 30 }, scenario(7));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LearnerFailure);
    const failure = error as LearnerFailure;
    expect(failure.message).toBe('the replica answered a read with a value nobody wrote (scenario seed 7)');
    expect(failure.learnerDetail).toContain('●─────────▶   read msgId=1 (sent 0.0 ms)');
    expect(failure.learnerDetail).toContain('◀─────────●   read_ok inReplyTo=1 value=0');
    expect(failure.learnerDetail).toMatch(/scenario seed 7 · replay it first: npx learn-ds verify \S+ --seed 7$/);
  });

  test('a node that throws fails the scenario with the node named and the timeline up to the throw', () => {
    let error: unknown;
    try {
      checkScenario({ seeds: 3 }, (seed) => {
        const sim = simulate<Msg, SimNode<Msg>>({ seed, nodes: 2, factory: (ctx) => ({ receive: (_f, m) => { if (ctx.id === 'n2') (m as any).missing.x; } }) });
        sim.sendFrom('n1', 'n2', { type: 'boom' });
        sim.runFor(50);
      });
    } catch (e) {
      error = e;
    }
    expect((error as LearnerFailure).message).toMatch(/^n2 threw while handling a message from n1 at [\d.]+ ms: TypeError: .* \(scenario seed 1\)$/);
    expect((error as LearnerFailure).learnerDetail).toContain('boom (sent 0.0 ms)');
  });
});

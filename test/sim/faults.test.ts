// Process pauses and crashes between two effects of one handler: what the simulator promises.
import { describe, expect, test } from 'vitest';
import {
  Simulation, renderTimeline, startNemesis, uniformLatency,
  type DurableStorage, type NodeContext, type NodeId, type SimNode, type TraceEvent,
} from '../../src/sim/index.ts';

type Msg = { type: string; n?: number };

/** Records what it receives (with its own clock reading) and what its timers see. */
interface Recorder extends SimNode<Msg> {
  got: Array<{ from: NodeId; n: number | undefined; local: number; at: number }>;
  fired: number[];
}

function recorder(sim: () => Simulation<Msg, Recorder>) {
  return (ctx: NodeContext<Msg>): Recorder => {
    const node: Recorder = {
      got: [],
      fired: [],
      receive: (from, m) => void node.got.push({ from, n: m.n, local: ctx.now(), at: sim().now }),
    };
    if (ctx.id === 'n2') ctx.setTimer(100, () => node.fired.push(sim().now));
    return node;
  };
}

function world(options: { latency?: number; clocks?: Record<string, { offsetMs?: number; drift?: number }> } = {}) {
  let sim!: Simulation<Msg, Recorder>;
  sim = new Simulation<Msg, Recorder>({
    seed: 1, nodes: 3, factory: recorder(() => sim), network: { latency: () => options.latency ?? 5 }, ...(options.clocks ? { clocks: options.clocks } : {}),
  });
  return sim;
}

const kinds = (trace: readonly TraceEvent[], node: NodeId) =>
  trace.filter((e) => 'node' in e && e.node === node).map((e) => e.kind);

describe('process pauses', () => {
  test('messages to a paused node wait and are delivered at resume in arrival order; its clock ran on meanwhile', () => {
    const sim = world({ clocks: { n2: { offsetMs: 1_000, drift: 0.1 } } });
    sim.runFor(10);
    sim.pause('n2', 200);
    expect(sim.isPaused('n2')).toBe(true);
    for (let n = 0; n < 5; n++) sim.at(20 + 10 * n, () => sim.sendFrom(n % 2 === 0 ? 'n1' : 'n3', 'n2', { type: 'm', n }));
    sim.runUntil(209);
    expect(sim.node('n2')!.got).toEqual([]);
    sim.runUntil(211);
    expect(sim.isPaused('n2')).toBe(false);
    const got = sim.node('n2')!.got;
    expect(got.map((g) => g.n)).toEqual([0, 1, 2, 3, 4]);
    expect(got.every((g) => g.at === 210)).toBe(true);
    // Its own clock: 1000 + 210 × 1.1, the 200 ms jump included.
    expect(got[0]!.local).toBeCloseTo(1_231, 6);
    const held = sim.trace.filter((e) => e.kind === 'deliver' && e.held === true);
    expect(held).toHaveLength(5);
  });

  test('its timers fire late, at resume; a timer due after the resume fires on time', () => {
    const sim = world();
    sim.pause('n2', 150); // the timer at 100 comes due during the pause
    sim.runFor(500);
    expect(sim.node('n2')!.fired).toEqual([150]);
    const late = world();
    late.at(120, () => late.pause('n2', 50));
    late.runFor(500);
    expect(late.node('n2')!.fired).toEqual([100]);
  });

  test('messages and timers that waited run in the order they came due, before anything else at that instant', () => {
    const order: string[] = [];
    let sim!: Simulation<Msg, SimNode<Msg>>;
    sim = new Simulation<Msg, SimNode<Msg>>({
      seed: 1, nodes: 2, network: { latency: () => 10 },
      factory: (ctx) => {
        if (ctx.id === 'n2') ctx.setTimer(25, () => order.push(`timer@${sim.now}`));
        return { receive: (_f, m) => void order.push(`${m.type}@${sim.now}`) };
      },
    });
    sim.pause('n2', 60);
    sim.at(10, () => sim.sendFrom('n1', 'n2', { type: 'early' })); // arrives at 20, before the timer's 25
    sim.at(20, () => sim.sendFrom('n1', 'n2', { type: 'later' })); // arrives at 30
    sim.at(50, () => sim.sendFrom('n1', 'n2', { type: 'at-resume' })); // arrives at 60, the resume instant
    sim.runFor(100);
    expect(order).toEqual(['early@60', 'timer@60', 'later@60', 'at-resume@60']);
  });

  test('a pause is extended by a longer one, cut short by resume(), and ended by a crash (what waited is lost)', () => {
    const sim = world();
    sim.pause('n2', 100);
    sim.pause('n2', 50); // shorter: changes nothing
    sim.at(80, () => sim.pause('n2', 100)); // now until 180
    sim.at(20, () => sim.sendFrom('n1', 'n2', { type: 'm', n: 1 }));
    sim.runUntil(170);
    expect(sim.isPaused('n2')).toBe(true);
    sim.runUntil(181);
    expect(sim.node('n2')!.got.map((g) => g.at)).toEqual([180]);

    const early = world();
    early.pause('n2', 1_000);
    early.at(20, () => early.sendFrom('n1', 'n2', { type: 'm', n: 1 }));
    early.at(40, () => early.resume('n2'));
    early.runFor(2_000);
    expect(early.node('n2')!.got.map((g) => g.at)).toEqual([40]);
    expect(kinds(early.trace, 'n2')).toEqual(['pause', 'resume', 'timer']);

    const crashed = world();
    crashed.pause('n2', 1_000);
    crashed.at(20, () => crashed.sendFrom('n1', 'n2', { type: 'm', n: 1 }));
    crashed.at(50, () => crashed.crash('n2'));
    crashed.at(60, () => crashed.restart('n2'));
    crashed.at(70, () => crashed.sendFrom('n1', 'n2', { type: 'm', n: 2 }));
    crashed.runFor(2_000);
    expect(crashed.isPaused('n2')).toBe(false);
    expect(crashed.node('n2')!.got.map((g) => g.n)).toEqual([2]);
    expect(crashed.trace.some((e) => e.kind === 'drop' && e.reason === 'crashed' && e.t === 50)).toBe(true);
    expect(kinds(crashed.trace, 'n2')).not.toContain('resume');
  });

  test('a message that arrived before a partition is still delivered at resume; one arriving across the partition is dropped then', () => {
    const sim = world();
    sim.pause('n2', 100);
    sim.at(10, () => sim.sendFrom('n1', 'n2', { type: 'm', n: 1 })); // arrives at 15
    sim.at(20, () => sim.isolate('n2'));
    sim.at(30, () => sim.sendFrom('n1', 'n2', { type: 'm', n: 2 })); // blocked as it is sent
    sim.runFor(200);
    expect(sim.node('n2')!.got.map((g) => g.n)).toEqual([1]);
    expect(sim.trace.some((e) => e.kind === 'drop' && e.reason === 'partition' && e.t === 30)).toBe(true);
  });

  test('a paused node keeps its state, readable by the test; pausing a down node does nothing', () => {
    const sim = world();
    sim.at(10, () => sim.sendFrom('n1', 'n2', { type: 'm', n: 1 }));
    sim.runFor(20);
    sim.pause('n2', 100);
    expect(sim.node('n2')!.got).toHaveLength(1);
    sim.crash('n3');
    sim.pause('n3', 100);
    expect(sim.isPaused('n3')).toBe(false);
    expect(() => sim.pause('n1', -1)).toThrow(RangeError);
  });

  test('the nemesis pauses nodes too, for pauseMs, and resumes them when it stops; same seed, same trace', () => {
    const run = (seed: number) => {
      let sim!: Simulation<Msg, Recorder>;
      sim = new Simulation<Msg, Recorder>({ seed, nodes: 3, factory: recorder(() => sim), network: { latency: uniformLatency(1, 20) } });
      for (let t = 0; t < 5_000; t += 7) sim.at(t, () => sim.sendFrom('n1', sim.ids[t % 3]!, { type: 'tick', n: t }));
      startNemesis(sim, { faults: ['pause'], gapMs: [100, 200], pauseMs: [300, 400], until: 4_000 });
      sim.runFor(5_000);
      return sim;
    };
    const a = run(11);
    expect(JSON.stringify(a.trace)).toBe(JSON.stringify(run(11).trace));
    const pauses = a.trace.filter((e): e is Extract<TraceEvent, { kind: 'pause' }> => e.kind === 'pause');
    const resumes = a.trace.filter((e): e is Extract<TraceEvent, { kind: 'resume' }> => e.kind === 'resume');
    expect(pauses.length).toBeGreaterThan(5);
    expect(resumes).toHaveLength(pauses.length);
    for (const r of resumes.slice(0, -1)) expect(r.t - r.since).toBeGreaterThanOrEqual(300 - 1e-9);
    for (const r of resumes) expect(r.t - r.since).toBeLessThanOrEqual(400 + 1e-9);
    expect(a.ids.some((id) => a.isPaused(id))).toBe(false);
  });

  test('the timeline shows the pause, a shaded lane while paused, the resume and what waited for it', () => {
    let sim!: Simulation<Msg, Recorder>;
    sim = new Simulation<Msg, Recorder>({
      seed: 1, nodes: 3, network: { latency: () => 5 },
      factory: (ctx) => { if (ctx.id === 'n2') ctx.setTimer(30, () => ctx.log('timer')); return recorder(() => sim)(ctx); },
    });
    sim.at(10, () => sim.pause('n2', 40));
    sim.at(20, () => sim.sendFrom('n1', 'n2', { type: 'ping' }));
    sim.at(21, () => sim.sendFrom('n3', 'n2', { type: 'pong' }));
    sim.at(40, () => sim.note('n3', 'working'));
    sim.at(30, () => sim.sendFrom('n3', 'n1', { type: 'other' }));
    sim.runFor(60);
    const text = renderTimeline(sim.trace, { lanes: sim.ids });
    expect(text.split('\n')).toEqual([
      '       time  n1        n2        n3',
      '    10.0 ms  │         ‖         │   n2 paused until 50.0 ms: handlers and timers frozen, its clock runs on',
      '    35.0 ms  ◀───────────────────●   other (sent 30.0 ms)',
      '    40.0 ms  │         ░         •   n3: working',
      '    50.0 ms  │         »         │   n2 resumed after a pause of 40.0 ms; 2 messages and 1 timer that waited run now',
      '    50.0 ms  ●─────────▶         │   ping (sent 20.0 ms, held while n2 was paused)',
      '    50.0 ms  │         ◀─────────●   pong (sent 21.0 ms, held while n2 was paused)',
      '    50.0 ms  │         •         │   n2: timer',
      '             shading: ░ lane of a paused node',
    ]);
  });
});

describe('crashes between two effects of one handler', () => {
  /** On every `go`: writes `a`, sends x to n2, writes `b`, sends y to n3. */
  interface Stepper extends SimNode<Msg> {
    handled: number;
  }
  const stepper = (ctx: NodeContext<Msg>): Stepper => {
    const node: Stepper = {
      handled: 0,
      receive(_from, m) {
        if (m.type !== 'go') return;
        node.handled++;
        ctx.storage.set('a', m.n);
        ctx.send('n2', { type: 'x', n: m.n });
        ctx.storage.set('b', m.n);
        ctx.send('n3', { type: 'y', n: m.n });
      },
    };
    return node;
  };
  const make = () => new Simulation<Msg, Stepper>({ seed: 1, nodes: 3, factory: stepper, network: { latency: () => 5 } });
  const sentTypes = (sim: Simulation<Msg, Stepper>) => sim.trace.filter((e) => e.kind === 'deliver' && e.from === 'n1').map((e) => (e as { message: Msg }).message.type);

  test('{ sends: k } crashes right after the k-th send from now: the rest of the handler never runs', () => {
    const sim = make();
    sim.crashAfter('n1', { sends: 3 });
    sim.sendFrom('n3', 'n1', { type: 'go', n: 1 }); // sends 1 and 2
    sim.sendFrom('n3', 'n1', { type: 'go', n: 2 }); // send 3, then crash
    sim.runFor(50);
    expect(sim.isUp('n1')).toBe(false);
    expect(sentTypes(sim)).toEqual(['x', 'y', 'x']);
    expect(sim.storage('n1').get('a')).toBe(2);
    expect(sim.storage('n1').get('b')).toBe(1); // the write after the crash point never happened
    const crash = sim.trace.find((e) => e.kind === 'crash');
    expect(crash).toMatchObject({ node: 'n1', cause: 'right after its 3rd send since crashAfter (x n=2 to n2)' });
  });

  test('{ writes: k } crashes right after the k-th write: the send that depended on it never leaves', () => {
    const sim = make();
    sim.crashAfter('n1', { writes: 1 });
    sim.sendFrom('n3', 'n1', { type: 'go', n: 7 });
    sim.runFor(50);
    expect(sim.storage('n1').get('a')).toBe(7);
    expect(sentTypes(sim)).toEqual([]);
    expect(sim.trace.find((e) => e.kind === 'crash')).toMatchObject({ cause: 'right after its 1st write since crashAfter (set a)' });
  });

  test('matching counts only some effects; restartAfterMs brings the node back with its storage', () => {
    const sim = make();
    sim.crashAfter('n1', { sends: 1, matching: (to) => to === 'n3', restartAfterMs: 20 });
    sim.sendFrom('n3', 'n1', { type: 'go', n: 1 });
    sim.runFor(10);
    expect(sim.isUp('n1')).toBe(false);
    expect(sentTypes(sim)).toEqual(['x', 'y']);
    sim.runFor(20);
    expect(sim.isUp('n1')).toBe(true);
    expect(sim.node('n1')!.handled).toBe(0);
    sim.sendFrom('n3', 'n1', { type: 'go', n: 2 });
    sim.runFor(20);
    expect(sim.isUp('n1')).toBe(true); // armed once: a restart disarms
    expect(sim.storage('n1').get('b')).toBe(2);
    expect(() => sim.crashAfter('n1', { writes: 0 })).toThrow(RangeError);
    expect(() => sim.crashAfter('n1', { sends: 1.5 })).toThrow(RangeError);
  });

  test('a handler that catches the crash cannot act any more: its later writes, sends and timers are ignored', () => {
    let sim!: Simulation<Msg, SimNode<Msg>>;
    sim = new Simulation<Msg, SimNode<Msg>>({
      seed: 1, nodes: 2, network: { latency: () => 5 },
      factory: (ctx) => ({
        receive(_from, m) {
          if (m.type !== 'go') return;
          try {
            ctx.send('n2', { type: 'first' });
          } catch {
            // swallowed on purpose: a careless catch-all
          }
          ctx.storage.set('after', true);
          ctx.send('n2', { type: 'second' });
          ctx.setTimer(1, () => ctx.send('n2', { type: 'third' }));
        },
      }),
    });
    sim.crashAfter('n1', { sends: 1 });
    sim.sendFrom('n2', 'n1', { type: 'go' });
    sim.runFor(50);
    expect(sim.storage('n1').get('after')).toBeUndefined();
    expect(sim.trace.filter((e) => e.kind === 'deliver' && e.to === 'n2').map((e) => (e as { message: Msg }).message.type)).toEqual(['first']);
  });

  test('code the test calls on a node (sim.call, or an action) stops there too; a crash in a factory leaves the node down', () => {
    const sim = new Simulation<Msg, SimNode<Msg> & { poke(): string }>({
      seed: 1, nodes: 2, network: { latency: () => 5 },
      factory: (ctx) => ({ receive() {}, poke: () => { ctx.send('n2', { type: 'poke' }); return 'done'; } }),
    });
    expect(sim.call('n1', (n) => n.poke())).toBe('done');
    sim.crashAfter('n1', { sends: 1 });
    expect(sim.call('n1', (n) => n.poke())).toBeUndefined();
    expect(sim.isUp('n1')).toBe(false);
    expect(sim.call('n1', (n) => n.poke())).toBeUndefined();
    sim.restart('n1');
    sim.crashAfter('n1', { sends: 1 });
    sim.at(5, () => sim.node('n1')!.poke());
    expect(() => sim.runFor(20)).not.toThrow();
    expect(sim.isUp('n1')).toBe(false);

    const boot = new Simulation<Msg, SimNode<Msg>>({
      seed: 1, nodes: 2, factory: (ctx) => { ctx.storage.set('booted', true); ctx.send(ctx.peers[0]!, { type: 'hello' }); return { receive() {} }; },
    });
    boot.start();
    boot.crash('n1');
    boot.crashAfter('n1', { writes: 1 });
    boot.restart('n1');
    expect(boot.isUp('n1')).toBe(true); // a restart disarms first
    boot.crash('n1');
    boot.restart('n1');
    boot.crashAfter('n2', { writes: 1 });
    boot.crash('n2');
    boot.restart('n2');
    expect(boot.node('n2')).toBeDefined();
  });

  test('onSend sees the sender\'s storage as it is at the moment of the send', () => {
    const sim = make();
    const seen: Array<[string, unknown, unknown]> = [];
    sim.onSend((from, _to, m, storage?: DurableStorage) => {
      if (from === 'n1') seen.push([m.type, storage?.get('a'), storage?.get('b')]);
      if (from === 'n3') expect(storage).toBeDefined();
    });
    sim.sendFrom('n3', 'n1', { type: 'go', n: 1 });
    sim.runFor(20);
    sim.sendFrom('n3', 'n1', { type: 'go', n: 2 });
    sim.runFor(20);
    expect(seen).toEqual([['x', 1, undefined], ['y', 1, 1], ['x', 2, 1], ['y', 2, 2]]);
  });

  test('same seed, same trace, with crashes armed under a lossy network', () => {
    const run = () => {
      const sim = new Simulation<Msg, Stepper>({ seed: 5, nodes: 3, factory: stepper, network: { latency: uniformLatency(1, 20), loss: 0.2 } });
      for (let i = 0; i < 50; i++) sim.at(i * 10, () => {
        if (i % 7 === 0) sim.crashAfter('n1', { sends: 1 + (i % 3), restartAfterMs: 15 });
        sim.sendFrom('n3', 'n1', { type: 'go', n: i });
      });
      sim.runFor(1_000);
      return JSON.stringify(sim.trace);
    };
    const a = run();
    expect(a).toBe(run());
    expect(a).toContain('"cause"');
  });
});

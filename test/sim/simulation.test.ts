// The simulator does what it says: deterministic, faults as configured, crashes keep only storage.
import { describe, expect, test } from 'vitest';
import { Simulation, SimulationViolation, uniformLatency, watchSends, type NodeContext, type SimNode } from '../../src/sim/index.ts';

type Msg = { type: 'ping' | 'pong'; n: number };

/** Pings a random peer every 10 ms; answers pings with pongs; counts what it receives. */
function chatty(ctx: NodeContext<Msg>): SimNode<Msg> & { received: number } {
  const node = {
    received: 0,
    receive(from: string, m: Msg) {
      node.received++;
      if (m.type === 'ping') ctx.send(from, { type: 'pong', n: m.n });
    },
  };
  let n = 0;
  const tick = () => {
    ctx.send(ctx.peers[Math.floor(ctx.random() * ctx.peers.length)]!, { type: 'ping', n: n++ });
    ctx.setTimer(10, tick);
  };
  ctx.setTimer(10, tick);
  return node;
}

/** Never sends; records every message with its sender. */
function sink(_ctx: NodeContext<string>): SimNode<string> & { got: Array<[string, string]> } {
  const got: Array<[string, string]> = [];
  return { got, receive: (from, m) => void got.push([from, m]) };
}

const lossy = { latency: uniformLatency(1, 30), loss: 0.1, duplicate: 0.05 };

describe('determinism', () => {
  test('the same seed gives the identical trace; another seed a different one', () => {
    const run = (seed: number) => {
      const sim = new Simulation({ seed, nodes: 4, factory: chatty, network: lossy });
      sim.runFor(2_000);
      return JSON.stringify(sim.trace);
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
    expect(run(7).length).toBeGreaterThan(10_000);
  });

  test('nodes start on first use, so a factory may refer to the simulation it runs in', () => {
    const seen: boolean[] = [];
    const sim: Simulation<string, ReturnType<typeof sink>> = new Simulation({
      seed: 1, nodes: 2, factory: (ctx) => { seen.push(sim.isUp(ctx.peers[0]!) || !sim.isUp(ctx.peers[0]!)); return sink(ctx); },
    });
    expect(seen).toEqual([]);
    sim.runFor(1);
    expect(seen).toEqual([true, true]);
  });

  test('onSend sees every message sent, lost ones included, in the order sent', () => {
    const sim = new Simulation<Msg, ReturnType<typeof chatty>>({ seed: 2, nodes: 3, factory: chatty, network: { loss: 0.5 } });
    const sent: string[] = [];
    sim.onSend((from, to, m) => sent.push(`${from}>${to}:${m.type}${m.n}`));
    sim.runFor(100);
    const arrivedOrLost = sim.trace.filter((e) => e.kind === 'deliver' || e.kind === 'drop').length;
    expect(sent.length).toBeGreaterThan(20);
    expect(arrivedOrLost).toBeLessThanOrEqual(sent.length);
    expect(sim.trace.some((e) => e.kind === 'drop' && e.reason === 'loss')).toBe(true);
  });

  test('watchSends shows a test every send of a node as it is made, and changes nothing else', () => {
    const seen: string[] = [];
    const sim = new Simulation<Msg, ReturnType<typeof chatty>>({
      seed: 4, nodes: 2, factory: (ctx) => chatty(watchSends(ctx, (to, m) => seen.push(`${ctx.id}>${to}:${m.type}`))),
    });
    const plain = new Simulation<Msg, ReturnType<typeof chatty>>({ seed: 4, nodes: 2, factory: chatty });
    const sentPlain: string[] = [];
    plain.onSend((from, to, m) => sentPlain.push(`${from}>${to}:${m.type}`));
    sim.runFor(100);
    plain.runFor(100);
    expect(JSON.stringify(sim.trace)).toBe(JSON.stringify(plain.trace));
    expect(seen).toEqual(sentPlain);
    expect(seen.length).toBeGreaterThan(10);
  });

  test('events due at the same instant run in the order they were scheduled', () => {
    const order: number[] = [];
    const sim = new Simulation({ seed: 1, nodes: 1, factory: sink });
    for (let i = 0; i < 100; i++) sim.at(5, () => order.push(i));
    sim.runFor(10);
    expect(order).toEqual([...Array(100).keys()]);
  });
});

describe('network faults', () => {
  const blast = (network: object, count = 20_000) => {
    const sim = new Simulation<string, ReturnType<typeof sink>>({ seed: 3, nodes: 2, factory: sink, network });
    for (let i = 0; i < count; i++) sim.sendFrom('n1', 'n2', `m${i}`);
    sim.runFor(1_000);
    return sim.node('n2')!.got.length;
  };

  test('loss drops that fraction of messages, within statistical bounds', () => {
    const n = 20_000;
    const p = 0.2;
    const sigma = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(n - blast({ loss: p }, n) - n * p)).toBeLessThan(5 * sigma);
  });

  test('of two copies of a message, whichever arrives second is marked as the duplicate', () => {
    const sim = new Simulation<string, ReturnType<typeof sink>>({ seed: 9, nodes: 2, factory: sink, network: { duplicate: 1, latency: uniformLatency(1, 50) } });
    for (let i = 0; i < 200; i++) sim.sendFrom('n1', 'n2', `m${i}`);
    sim.runFor(100);
    const seen = new Set<unknown>();
    for (const e of sim.trace) {
      if (e.kind !== 'deliver') continue;
      expect(e.duplicate).toBe(seen.has(e.message));
      seen.add(e.message);
    }
    expect(seen.size).toBe(200);
  });

  test('duplication delivers that fraction twice, within statistical bounds', () => {
    const n = 20_000;
    const p = 0.1;
    expect(Math.abs(blast({ duplicate: p }, n) - n - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
  });

  test('random latencies reorder messages; a fixed latency keeps their order', () => {
    const order = (network: object) => {
      const sim = new Simulation<string, ReturnType<typeof sink>>({ seed: 5, nodes: 2, factory: sink, network });
      for (let i = 0; i < 50; i++) sim.sendFrom('n1', 'n2', String(i));
      sim.runFor(100);
      return sim.node('n2')!.got.map(([, m]) => Number(m));
    };
    const sorted = [...Array(50).keys()];
    expect(order({ latency: uniformLatency(1, 20) })).not.toEqual(sorted);
    expect(order({ latency: () => 5 })).toEqual(sorted);
  });

  test('a partition blocks exactly the links between groups, both ways, until healed', () => {
    const sim = new Simulation<string, ReturnType<typeof sink>>({ seed: 1, nodes: 4, factory: sink });
    sim.partition(['n1', 'n2'], ['n3']);
    for (const from of sim.ids) for (const to of sim.ids) if (from !== to) sim.sendFrom(from, to, `${from}>${to}`);
    sim.runFor(50);
    const got = (id: string) => sim.node(id)!.got.map(([from]) => from).sort();
    expect(got('n1')).toEqual(['n2', 'n4']);
    expect(got('n2')).toEqual(['n1', 'n4']);
    expect(got('n3')).toEqual(['n4']); // n4 is in no group: it keeps every link
    expect(got('n4')).toEqual(['n1', 'n2', 'n3']);
    expect(sim.trace.filter((e) => e.kind === 'drop' && e.reason === 'partition')).toHaveLength(4);
    sim.heal();
    sim.sendFrom('n1', 'n3', 'after heal');
    sim.runFor(50);
    expect(got('n3')).toEqual(['n1', 'n4']);
  });

  test('a one-way cut blocks one direction only; a message in flight when the cut starts is dropped', () => {
    const sim = new Simulation<string, ReturnType<typeof sink>>({ seed: 1, nodes: 2, factory: sink, network: { latency: () => 10 } });
    sim.sendFrom('n1', 'n2', 'in flight');
    sim.runFor(5);
    sim.blockOneWay('n1', 'n2');
    sim.sendFrom('n1', 'n2', 'blocked');
    sim.sendFrom('n2', 'n1', 'fine');
    sim.runFor(50);
    expect(sim.node('n2')!.got).toEqual([]);
    expect(sim.node('n1')!.got).toEqual([['n2', 'fine']]);
  });

  test('a message that is not plain data is refused, saying where the function is', () => {
    const sim = new Simulation<unknown>({
      seed: 1, nodes: 2, factory: (ctx) => ({ receive: () => ctx.send('n1', { type: 'reply', payload: { done: () => 1 } }) }),
    });
    sim.sendFrom('n1', 'n2', { type: 'ask', when: new Date(0), tags: new Set(['a']) }); // copied by structuredClone
    expect(() => sim.runFor(50)).toThrow(/n2 threw while handling a message from n1 .*`payload\.done` is a function/);
  });

  test('messages are copied: the sender mutating its object later changes nothing', () => {
    const sim = new Simulation<{ v: number }, SimNode<{ v: number }> & { got: number[] }>({
      seed: 1, nodes: 2,
      factory: (ctx) => {
        const got: number[] = [];
        if (ctx.id === 'n1') ctx.setTimer(1, () => { const m = { v: 1 }; ctx.send('n2', m); m.v = 2; });
        return { got, receive: (_f, m) => void got.push(m.v) };
      },
    });
    sim.runFor(50);
    expect(sim.node('n2')!.got).toEqual([1]);
  });
});

describe('crashes and clocks', () => {
  type Counter = SimNode<string> & { volatile: number };
  const counter = (ctx: NodeContext<string>): Counter => {
    const node = { volatile: 0, receive() {} };
    ctx.setTimer(10, function tick() {
      node.volatile++;
      ctx.storage.set('durable', (ctx.storage.get<number>('durable') ?? 0) + 1);
      ctx.setTimer(10, tick);
    });
    return node;
  };

  test('a crash loses volatile state and timers, keeps storage; messages to a crashed node are dropped', () => {
    const sim = new Simulation<string, Counter>({ seed: 1, nodes: 2, factory: counter });
    sim.runFor(55);
    expect(sim.node('n1')!.volatile).toBe(5);
    sim.crash('n1');
    expect(sim.node('n1')).toBeUndefined();
    sim.sendFrom('n2', 'n1', 'hello?');
    sim.runFor(100);
    expect(sim.storage('n1').get('durable')).toBe(5); // no timer ran while down
    expect(sim.trace.some((e) => e.kind === 'drop' && e.reason === 'crashed')).toBe(true);
    sim.restart('n1');
    expect(sim.node('n1')!.volatile).toBe(0);
    sim.runFor(25);
    expect(sim.storage('n1').get('durable')).toBe(7);
  });

  test('a crashed incarnation cannot act through its old context', () => {
    let oldCtx: NodeContext<string> | undefined;
    const sim = new Simulation<string, ReturnType<typeof sink>>({
      seed: 1, nodes: 2, factory: (ctx) => { if (ctx.id === 'n1' && !oldCtx) oldCtx = ctx; return sink(ctx); },
    });
    sim.crash('n1');
    sim.restart('n1');
    oldCtx!.send('n2', 'zombie');
    oldCtx!.setTimer(1, () => oldCtx!.send('n2', 'zombie timer'));
    sim.runFor(50);
    expect(sim.node('n2')!.got).toEqual([]);
  });

  test('storage hands out copies: mutating a value without set() is not durable', () => {
    const sim = new Simulation<string, ReturnType<typeof sink>>({ seed: 1, nodes: 1, factory: sink });
    const storage = sim.storage('n1');
    storage.set('log', [1]);
    storage.get<number[]>('log')!.push(2);
    expect(storage.get('log')).toEqual([1]);
  });

  test('each node reads its own skewed, drifting clock, and its timers run on it', () => {
    const fired: number[] = [];
    const sim = new Simulation<string, ReturnType<typeof sink>>({
      seed: 1, nodes: ['fast', 'slow'],
      clocks: { fast: { offsetMs: 500, drift: 0.5 }, slow: { offsetMs: -20, drift: -0.5 } },
      factory: (ctx) => { ctx.setTimer(100, () => fired.push(sim.now)); return sink(ctx); },
    });
    sim.runFor(1_000);
    expect(sim.localTime('fast')).toBe(500 + 1_500);
    expect(sim.localTime('slow')).toBe(-20 + 500);
    expect(fired.map((t) => Math.round(t))).toEqual([67, 200]);
  });
});

describe('checking and failures', () => {
  test('an invariant is checked after every event and stops the run at the event that broke it', () => {
    const sim = new Simulation<Msg, ReturnType<typeof chatty>>({ seed: 2, nodes: 3, factory: chatty });
    sim.invariant('fewer than 7 messages at n1', () => (sim.node('n1')!.received >= 7 ? `n1 received ${sim.node('n1')!.received}` : undefined));
    let error: unknown;
    try {
      sim.runFor(10_000);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SimulationViolation);
    expect((error as SimulationViolation).message).toMatch(/^fewer than 7 messages at n1: n1 received 7 \(at [\d.]+ ms\)$/);
    expect((error as SimulationViolation).seed).toBe(2);
    const last = sim.trace.at(-1)!;
    expect(last.kind === 'deliver' && last.to).toBe('n1');
  });

  test('a node that throws is reported by name, with what it was doing', () => {
    const sim = new Simulation<string, SimNode<string>>({
      seed: 1, nodes: 2, factory: (ctx) => ({ receive: (from) => { if (ctx.id === 'n2') throw new TypeError(`cannot read ${from}`); } }),
    });
    sim.sendFrom('n1', 'n2', 'x');
    expect(() => sim.runFor(100)).toThrow(/^n2 threw while handling a message from n1 at [\d.]+ ms: TypeError: cannot read n1$/);
  });

  test('a timer of 0 ms that re-arms itself is reported instead of hanging', () => {
    const sim = new Simulation<string, SimNode<string>>({
      seed: 1, nodes: 1, maxEventsPerInstant: 1_000,
      factory: (ctx) => { ctx.setTimer(0, function again() { ctx.setTimer(0, again); }); return { receive() {} }; },
    });
    expect(() => sim.runFor(100)).toThrow(/more than 1000 events happened at 0.0 ms without time passing \(the last one at n1\)/);
  });

  test('runUntilTrue reports when a condition first held, or undefined', () => {
    const sim = new Simulation<Msg, ReturnType<typeof chatty>>({ seed: 4, nodes: 3, factory: chatty });
    const t = sim.runUntilTrue(() => sim.node('n1')!.received >= 3, 10_000);
    expect(t).toBe(sim.now);
    expect(sim.node('n1')!.received).toBe(3);
    expect(sim.runUntilTrue(() => false, 500)).toBeUndefined();
    expect(sim.now).toBe(t! + 500);
  });

  test('sending to an unknown node is an error that lists the nodes', () => {
    const sim = new Simulation<string, ReturnType<typeof sink>>({ seed: 1, nodes: 2, factory: sink });
    expect(() => sim.sendFrom('n1', 'n9', 'x')).toThrow('send to unknown node "n9" (nodes: n1, n2)');
  });
});

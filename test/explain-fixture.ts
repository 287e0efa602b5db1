/**
 * A failing simulated run for the explain tests, made in-process and recorded exactly as a hidden
 * run records one (src/verify/harness/record.ts): three replicas that gossip writes, a partition
 * that cuts n3 off, a pause, a crash, notes, and clients whose history is not linearizable (a read
 * at n3 returns the old value after the write had completed).
 */
import {
  History, SimClient, Simulation, SimulationViolation, checkLinearizable, describeNonLinearizable, kvModel,
  type KvInput, type NodeContext, type RegisterOutput, type SimNode,
} from '../src/sim/index.ts';
import { buildRecord } from '../src/verify/harness/record.ts';
import type { RunRecord } from '../src/report/explain/run-record.ts';

type Msg = { type: string; key?: string; value?: string | null; msgId?: number; inReplyTo?: number };
type Input = KvInput<string | null>;
type Output = RegisterOutput<string | null>;

function replica(ctx: NodeContext<Msg>): SimNode<Msg> {
  const data = new Map<string, string | null>();
  return {
    receive(from, m) {
      if (m.type === 'write') {
        data.set(m.key!, m.value ?? null);
        ctx.log(`stored ${m.key}=${m.value}`);
        for (const peer of ctx.peers) ctx.send(peer, { type: 'gossip', key: m.key!, value: m.value ?? null });
        ctx.send(from, { type: 'write_ok', inReplyTo: m.msgId! });
      } else if (m.type === 'gossip') {
        data.set(m.key!, m.value ?? null);
      } else if (m.type === 'read') {
        ctx.send(from, { type: 'read_ok', inReplyTo: m.msgId!, value: data.get(m.key!) ?? null });
      }
    },
  };
}

export function failingRun(): RunRecord {
  const sim = new Simulation<Msg>({ seed: 42, nodes: ['n1', 'n2', 'n3'], network: { latency: () => 5 }, factory: replica });
  const history = new History<Input, Output>();
  const c1 = new SimClient<Input, Output>(sim, 'c1', history, 100);
  const c2 = new SimClient<Input, Output>(sim, 'c2', history, 100);
  sim.at(10, () => sim.isolate('n3'));
  sim.at(12, () => c1.call('n1', { type: 'write', key: 'x', value: 'v1' }, { kind: 'write', key: 'x', value: 'v1' }, () => undefined));
  sim.at(20, () => sim.pause('n2', 15));
  sim.at(40, () => sim.heal());
  sim.at(45, () => sim.crash('n2'));
  sim.at(50, () => c2.call('n3', { type: 'read', key: 'x' }, { kind: 'read', key: 'x' }, (r) => r.value as string | null));
  sim.at(60, () => sim.restart('n2'));
  sim.runFor(80);
  const model = kvModel<string | null>(null);
  const result = checkLinearizable(history.ops, model);
  if (result.ok) throw new Error('the fixture was meant to fail');
  let error: unknown;
  try {
    sim.violation(`the clients' gets and puts are not linearizable\n${describeNonLinearizable(result, model)}`, ['n3']);
  } catch (e) {
    error = e;
  }
  if (!(error instanceof SimulationViolation)) throw new Error('no violation');
  return buildRecord({ error, message: error.message, seed: 42, sim, schedule: ['1. n3 is cut off from n1 and n2 at 10.0 ms.', '2. c2 reads x from n3 at 50.0 ms.'] }, 'fixture');
}

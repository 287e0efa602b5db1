// `learn-ds run chain-replication`: a write's trip down a chain of four of your nodes, then the same
// write when the middle node crashes with it, and the master's new configuration repairs the chain.
import { demo } from 'learn-ds/harness';
import { History, SimClient, Simulation, renderTimeline, summarize } from 'learn-ds/sim';
import type { ChainNode, Message } from 'learn-ds/subject/chain-replication';
import { createChainNode } from 'learn-ds/subject/chain-replication';

const LATENCY = 5;
const LANES = ['c1', 'n1', 'n2', 'n3', 'n4', 'master'];

/** `update seq=2 x=b` rather than every field. */
function describe(message: unknown): string {
  const m = message as Message;
  switch (m.type) {
    case 'update': return `update seq=${m.seq} ${m.key}=${m.value} (epoch ${m.epoch})`;
    case 'ack': return `ack seq=${m.seq} (epoch ${m.epoch})`;
    case 'config': return `config epoch=${m.epoch} chain=${m.chain.join('→')}`;
    case 'state': return `state seq=${m.seq} (epoch ${m.epoch})`;
    default: return summarize(message);
  }
}

function world() {
  const sim = new Simulation<Message, ChainNode>({ seed: 5, nodes: 4, network: { latency: () => LATENCY }, factory: (ctx) => createChainNode(ctx) });
  sim.addClient('master', () => {});
  const configure = (epoch: number, chain: string[]) => {
    sim.note('master', `epoch ${epoch}: ${chain.join(' → ')}`);
    for (const id of sim.ids) sim.sendFrom('master', id, { type: 'config', epoch, chain });
  };
  const history = new History<string, string>();
  const client = new SimClient<string, string>(sim, 'c1', history, 500);
  const answers: string[] = [];
  const put = (value: string) =>
    client.call('n1', { type: 'put', key: 'x', value }, `put ${value}`, (r) => String(r.type),
      (op) => answers.push(`put x=${value}: ${op.output ?? 'no answer'}${Number.isFinite(op.returnTime) ? ` after ${(op.returnTime - op.callTime).toFixed(0)} ms` : ''}`));
  configure(1, ['n1', 'n2', 'n3', 'n4']);
  sim.runFor(2 * LATENCY);
  return { sim, configure, put, answers };
}

demo('a write down the chain', () => {
  const { sim, put, answers } = world();
  const since = sim.now + 1; // after the first configuration's (empty) states
  put('a');
  sim.runFor(12 * LATENCY);
  return [
    'Four of your nodes, n1 → n2 → n3 → n4, every message 5 ms. The put enters at the head, the tail answers, acks flow back up:',
    '',
    renderTimeline(sim.trace, { lanes: LANES, since, rows: 30, describe }),
    '',
    ...answers,
  ].join('\n');
});

demo('the middle node crashes with the write', () => {
  const { sim, configure, put, answers } = world();
  const since = sim.now + 1;
  // n2 crashes just as the update reaches it; the master notices 10 ms later.
  sim.at(sim.now + 2 * LATENCY, () => sim.crash('n2'));
  sim.at(sim.now + 2 * LATENCY + 10, () => configure(2, ['n1', 'n3', 'n4']));
  put('b');
  sim.runFor(16 * LATENCY);
  return [
    'n2 crashes as update seq=1 reaches it. The master sends epoch 2 (n1 → n3 → n4): n1, whose successor changed,',
    'sends n3 its state, then every update not yet acknowledged; the tail commits it:',
    '',
    renderTimeline(sim.trace, { lanes: LANES, since, rows: 36, describe }),
    '',
    ...answers,
  ].join('\n');
});

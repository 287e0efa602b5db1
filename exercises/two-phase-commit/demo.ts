// `learn-ds run two-phase-commit`: one transaction through your coordinator and two participants, then
// the same transaction when the coordinator crashes right after logging its decision and telling one
// participant: the other waits in doubt, its key locked, asking, until the coordinator restarts.
import { demo } from 'learn-ds/harness';
import { Simulation, renderTimeline, summarize, type SimNode } from 'learn-ds/sim';
import type { Message, Participant } from 'learn-ds/subject/two-phase-commit';
import { createCoordinator, createParticipant } from 'learn-ds/subject/two-phase-commit';

const LATENCY = 5;
const QUERY_MS = 30;
const LANES = ['c1', 'coord', 'p1', 'p2'];

function describe(message: unknown): string {
  const m = message as Message;
  switch (m.type) {
    case 'submit': return `submit ${m.txId}`;
    case 'prepare': return `prepare ${m.txId} ${Object.entries(m.writes).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    case 'vote': return `vote ${m.txId} ${m.yes ? 'yes' : 'no'}`;
    case 'decision': return `decision ${m.txId} ${m.commit ? 'commit' : 'abort'}`;
    case 'outcome': return `outcome ${m.txId} ${m.commit ? 'commit' : 'abort'}`;
    case 'query': return `query ${m.txId}`;
    default: return summarize(message);
  }
}

function world() {
  const sim = new Simulation<Message, SimNode<Message>>({
    seed: 7,
    nodes: ['coord', 'p1', 'p2'],
    network: { latency: () => LATENCY },
    factory: (ctx) => ctx.id === 'coord'
      ? createCoordinator(ctx, { voteTimeoutMs: 100 })
      : createParticipant(ctx, { coordinator: 'coord', queryIntervalMs: QUERY_MS }),
  });
  const outcomes: string[] = [];
  sim.addClient('c1', (_from, m) => {
    if (m.type === 'outcome') outcomes.push(`c1 heard: ${m.txId} ${m.commit ? 'committed' : 'aborted'} at ${sim.now.toFixed(0)} ms`);
  });
  const status = (id: string) => {
    const s = (sim.node(id) as Participant | undefined)?.status();
    return s ? `${id}: data ${JSON.stringify(s.data)}, locks ${JSON.stringify(s.locks)}` : `${id}: down`;
  };
  return { sim, outcomes, status };
}

demo('a transaction commits', () => {
  const { sim, outcomes, status } = world();
  sim.sendFrom('c1', 'coord', { type: 'submit', txId: 'tx-1', writes: { p1: { x: 'a' }, p2: { y: 'b' } } });
  sim.runFor(40);
  return [
    'c1 submits tx-1 (x=a on p1, y=b on p2). Phase one: prepare, votes; phase two: the decision, logged first:',
    '',
    renderTimeline(sim.trace, { lanes: LANES, rows: 20, describe }),
    '',
    ...outcomes,
    status('p1'),
    status('p2'),
  ].join('\n');
});

demo('the coordinator crashes after logging commit: p2 waits in doubt until it restarts', () => {
  const { sim, outcomes, status } = world();
  // The crash comes right after the first decision is sent: p1 hears commit, p2 does not.
  sim.crashAfter('coord', { sends: 1, matching: (_to, m) => m.type === 'decision', restartAfterMs: 100 });
  sim.sendFrom('c1', 'coord', { type: 'submit', txId: 'tx-1', writes: { p1: { x: 'a' }, p2: { y: 'b' } } });
  sim.runFor(50);
  const during = [status('p1'), status('p2')];
  const locked = Object.keys((sim.node('p2') as Participant | undefined)?.status().locks ?? {});
  sim.note('p2', locked.length > 0 ? `in doubt: ${locked.join(', ')} locked` : 'not in doubt any more (it asked a peer?)');
  sim.runFor(130);
  sim.sendFrom('c1', 'coord', { type: 'submit', txId: 'tx-1', writes: { p1: { x: 'a' }, p2: { y: 'b' } } });
  sim.runFor(20);
  return [
    `coord logs commit, tells p1, and crashes. p2 voted yes, so it may not decide alone: y stays locked while it asks`,
    `every ${QUERY_MS} ms (its queries are lost while coord is down). Restarted 100 ms later, coord reads commit in its log`,
    `and finishes the transaction (p2 learns commit, from a decision sent again or the answer to its next query);`,
    `c1, asking again, hears the outcome:`,
    '',
    renderTimeline(sim.trace, { lanes: LANES, rows: 40, describe }),
    '',
    'at 50 ms, coord down:',
    ...during.map((s) => `  ${s}`),
    'at the end:',
    `  ${status('p1')}`,
    `  ${status('p2')}`,
    ...outcomes,
  ].join('\n');
});

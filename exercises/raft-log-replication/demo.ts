// `learn-ds run raft-log-replication`: your nodes replicate a client's writes, then a stale leader's
// log is brought back in line with the new leader's after a partition heals.
import { demo } from 'learn-ds/harness';
import { Simulation, renderTimeline, uniformLatency, type NodeId, type TraceEvent } from 'learn-ds/sim';
import type { LogEntry, Message, RaftNode } from 'learn-ds/subject/raft-log-replication';
import { createRaftNode } from 'learn-ds/subject/raft-log-replication';

const options = { electionTimeoutMs: [150, 300] as [number, number], heartbeatIntervalMs: 50 };

function cluster(seed: number) {
  const sim = new Simulation<Message, RaftNode>({
    seed, nodes: 5, network: { latency: uniformLatency(2, 12) },
    factory: (ctx) => createRaftNode(ctx, { ...options, onApply: () => {} }),
  });
  const replies: Array<{ t: number; message: Message }> = [];
  sim.addClient('c1', (_from, message) => void replies.push({ t: sim.now, message }));
  const leader = () => sim.upNodes().find((id) => sim.node(id)!.state().role === 'leader');
  return { sim, leader, replies };
}

/** Messages as a person would say them: `append t1 prev 2/t1 +1 commit 2`. */
function describe(message: unknown): string {
  const m = message as Message;
  switch (m.type) {
    case 'append-entries':
      return `append t${m.term} prev ${m.prevLogIndex}/t${m.prevLogTerm} ${m.entries.length ? `+${m.entries.length}` : 'heartbeat'} commit ${m.leaderCommit}`;
    case 'append-reply':
      return m.success ? `ok t${m.term} match ${m.matchIndex}` : `refused t${m.term} → try ${m.conflictIndex}`;
    case 'request':
      return `request #${m.seq} ${m.op.kind} ${m.op.key}${m.op.kind === 'write' ? `=${m.op.value}` : ''}`;
    case 'reply':
      return m.ok ? `reply ok ${JSON.stringify(m.result)}` : `reply: not leader (${m.leader ?? '?'})`;
    case 'request-vote':
      return `request-vote t${m.term} last ${m.lastLogIndex}/t${m.lastLogTerm}`;
    case 'vote':
      return `vote t${m.term} ${m.granted ? 'yes' : 'no'}`;
    default:
      return JSON.stringify(message);
  }
}

const isHeartbeat = (e: TraceEvent) => {
  if (e.kind !== 'deliver' && e.kind !== 'drop') return false;
  const m = e.message as Message;
  return (m.type === 'append-entries' && m.entries.length === 0) || (m.type === 'append-reply' && m.success);
};

/** One row per node: the term of each entry, committed ones in brackets' left. */
function logs(sim: Simulation<Message, RaftNode>): string {
  return sim.ids.map((id: NodeId) => {
    const node = sim.node(id);
    if (!node) return `  ${id}  (down)`;
    const { role, commitIndex } = node.state();
    const cells = node.entries().map((e: LogEntry, i: number) => `${i < commitIndex ? '' : '·'}${e.term}`);
    return `  ${id}  ${cells.join(' ').padEnd(60)} ${role}, commitIndex ${commitIndex}`;
  }).join('\n');
}

demo('a write, replicated and committed', () => {
  const { sim, leader, replies } = cluster(5);
  const elected = sim.runUntilTrue(() => leader() !== undefined, 5_000);
  if (elected === undefined) return 'No leader after 5 s of simulated time: see `learn-ds verify` for why.';
  sim.runFor(100);
  const from = sim.now;
  sim.sendFrom('c1', leader()!, { type: 'request', msgId: 1, seq: 1, op: { kind: 'write', key: 'x', value: 'hello' } });
  sim.runUntilTrue(() => replies.length > 0, 1_000);
  sim.runFor(60);
  // The heartbeats already on their way when the request arrived say nothing about it.
  const arrived = sim.trace.find((e) => e.kind === 'deliver' && e.from === 'c1')?.t ?? from;
  return [
    `${leader()} leads. Client c1 writes x=hello; the leader appends it, sends it to every follower, commits it once`,
    'a majority stores it, answers c1, and tells the followers in its next heartbeat (leaderCommit):',
    '',
    renderTimeline(sim.trace, {
      lanes: [...sim.ids, 'c1'], rows: 30, since: from, describe,
      filter: (e) => e.kind !== 'log' && !(isHeartbeat(e) && 'sentAt' in e && e.sentAt < arrived),
    }),
  ].join('\n');
});

demo('a stale leader\'s log, replaced after a partition heals', () => {
  const { sim, leader } = cluster(8);
  sim.runUntilTrue(() => leader() !== undefined, 5_000);
  const old = leader();
  if (!old) return 'No leader after 5 s of simulated time: see `learn-ds verify` for why.';
  // Two writes committed everywhere first: the logs share a prefix.
  sim.addClient('c0', () => {});
  for (let i = 1; i <= 2; i++) sim.at(sim.now + i * 40, () => sim.sendFrom('c0', old, { type: 'request', msgId: i, seq: i, op: { kind: 'write', key: 'x', value: `first${i}` } }));
  sim.runFor(300);
  const partner = sim.ids.find((id) => id !== old)!;
  const majority = sim.ids.filter((id) => id !== old && id !== partner);
  sim.partition([old, partner, 'c1'], majority);
  for (let i = 1; i <= 3; i++) sim.sendFrom('c1', old, { type: 'request', msgId: i, seq: i, op: { kind: 'write', key: 'x', value: `lost${i}` } });
  sim.runUntilTrue(() => majority.some((id) => sim.node(id)!.state().role === 'leader'), 5_000);
  const fresh = majority.find((id) => sim.node(id)!.state().role === 'leader');
  if (!fresh) return 'The majority elected no leader within 5 s: see `learn-ds verify` for why.';
  sim.addClient('c2', () => {});
  for (let i = 1; i <= 4; i++) sim.at(sim.now + i * 30, () => sim.sendFrom('c2', fresh, { type: 'request', msgId: i, seq: i, op: { kind: 'write', key: 'x', value: `kept${i}` } }));
  sim.runFor(400);
  const before = logs(sim);
  const healedAt = sim.now;
  sim.heal();
  sim.runFor(400);
  return [
    `${old} led, then a partition cut it off with ${partner}. Three writes reached it: appended, never committed.`,
    `The majority elected ${fresh}, which committed four writes. Each row is a node's log, one term per entry (· not committed):`,
    '',
    before,
    '',
    `The partition heals at ${healedAt.toFixed(1)} ms. ${old}'s own append-entries of the old term are refused with the newer term, so it steps down.`,
    `${fresh} sends ${old} and ${partner} its entries after index 2, where their logs agree: their entries 3 to 5, of an older term,`,
    `conflict with ${fresh}'s and are replaced (they were never committed, so nothing acknowledged is lost):`,
    '',
    renderTimeline(sim.trace, { lanes: sim.ids, rows: 24, since: healedAt, describe, filter: (e) => !isHeartbeat(e) && e.kind !== 'log' }),
    '',
    logs(sim),
  ].join('\n');
});

// `learn-ds run leader-election`: five of your nodes elect a leader, lose it, and elect another.
import { demo } from 'learn-ds/harness';
import { Simulation, renderTimeline, uniformLatency, type TraceEvent } from 'learn-ds/sim';
import type { Message, RaftNode } from 'learn-ds/subject/leader-election';
import { createRaftNode } from 'learn-ds/subject/leader-election';

const options = { electionTimeoutMs: [150, 300] as [number, number], heartbeatIntervalMs: 50 };

function cluster(): { sim: Simulation<Message, RaftNode>; leader: () => string | undefined } {
  const sim = new Simulation<Message, RaftNode>({
    seed: 3, nodes: 5, network: { latency: uniformLatency(2, 12) }, factory: (ctx) => createRaftNode(ctx, options),
  });
  // Note every change of role on its node's lane, so the timeline says who became what.
  const seen = new Map<string, string>();
  sim.invariant('notes', () => {
    for (const id of sim.upNodes()) {
      const { role, term } = sim.node(id)!.state();
      const text = `${role} (term ${term})`;
      if (seen.get(id) !== text && (role !== 'follower' || seen.has(id))) sim.note(id, `→ ${text}`);
      seen.set(id, text);
    }
  });
  const leader = () => sim.upNodes().find((id) => sim.node(id)!.state().role === 'leader');
  return { sim, leader };
}

// Heartbeats after the first round would drown the election in rows; the role notes above say
// what your own ctx.log lines may also say, so only the notes are kept.
const quiet = (firstHeartbeats: number) => (e: TraceEvent) =>
  !(e.kind === 'deliver' && (e.message as Message).type === 'heartbeat' && e.t > firstHeartbeats) &&
  !(e.kind === 'log' && !e.text.startsWith('→ '));

demo('the first election', () => {
  const { sim, leader } = cluster();
  const elected = sim.runUntilTrue(() => leader() !== undefined, 5_000);
  if (elected === undefined) return `No leader after 5 s of simulated time.\n\n${renderTimeline(sim.trace, { lanes: sim.ids, rows: 40 })}`;
  sim.runFor(60);
  return [
    'createRaftNode(ctx, { electionTimeoutMs: [150, 300], heartbeatIntervalMs: 50 }),',
    '5 nodes, latency 2–12 ms:',
    '',
    renderTimeline(sim.trace, { lanes: sim.ids, rows: 40, filter: quiet(elected + 15) }),
    '',
    `${leader()} leads from ${elected.toFixed(1)} ms.`,
  ].join('\n');
});

demo('the leader crashes', () => {
  const { sim, leader } = cluster();
  sim.runUntilTrue(() => leader() !== undefined, 5_000);
  sim.runFor(500);
  const old = leader();
  if (!old) return 'No leader after 5 s of simulated time: see `learn-ds verify` for why.';
  const crashedAt = sim.now;
  sim.crash(old);
  const elected = sim.runUntilTrue(() => leader() !== undefined, 5_000);
  sim.runFor(40);
  return [
    `${old} crashes at ${crashedAt.toFixed(1)} ms; the others notice the silence when their election timers fire:`,
    '',
    renderTimeline(sim.trace, { lanes: sim.ids, rows: 40, since: crashedAt, filter: quiet(elected === undefined ? Infinity : elected + 15) }),
    '',
    elected === undefined ? 'No new leader within 5 s.' : `${leader()} leads from ${elected.toFixed(1)} ms, ${(elected - crashedAt).toFixed(0)} ms after the crash.`,
  ].join('\n');
});

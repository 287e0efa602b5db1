/**
 * Scripted peers for scenarios about one learner node (n1): a puppet follower keeps a log and
 * answers append-entries by Raft's rules (so that any correct leader can drive it), and grants its
 * vote when the scenario says so. The test decides who answers and when.
 */
import { check, fail } from 'learn-ds/harness';
import type { NodeId } from 'learn-ds/sim';
import { canonical, cluster, describeLog, list, type Cluster, type LogEntry, type Message, type NodeState } from './helpers.ts';

/** Every message in puppet scenarios takes exactly this long. */
export const LATENCY = 5;

export interface PuppetFollower {
  log: LogEntry[];
  term: number;
  /** Answers append-entries (false: drops them, like a node that is down). */
  answers: boolean;
  /** Grants votes to n1. */
  votes: boolean;
}

export interface PuppetCluster extends Cluster {
  followers: Map<NodeId, PuppetFollower>;
  /** Successful append-replies each puppet sent to n1: puppet → highest matchIndex acknowledged, by term. */
  acked: Map<NodeId, Map<number, number>>;
}

/** The follower's side of append-entries, by the rules of the statement. */
export function followerAnswer(f: PuppetFollower, m: Extract<Message, { type: 'append-entries' }>): Message {
  if (m.term < f.term) return { type: 'append-reply', term: f.term, success: false, conflictIndex: 0, conflictTerm: 0 };
  f.term = m.term;
  if (m.prevLogIndex > f.log.length) return { type: 'append-reply', term: f.term, success: false, conflictIndex: f.log.length + 1, conflictTerm: 0 };
  const termAt = (i: number) => (i === 0 ? 0 : f.log[i - 1]!.term);
  if (termAt(m.prevLogIndex) !== m.prevLogTerm) {
    const conflictTerm = termAt(m.prevLogIndex);
    let first = m.prevLogIndex;
    while (first > 1 && termAt(first - 1) === conflictTerm) first--;
    return { type: 'append-reply', term: f.term, success: false, conflictIndex: first, conflictTerm };
  }
  m.entries.forEach((e, i) => {
    const index = m.prevLogIndex + 1 + i;
    if (index <= f.log.length && f.log[index - 1]!.term !== e.term) f.log.length = index - 1;
    if (index > f.log.length) f.log.push(structuredClone(e));
  });
  return { type: 'append-reply', term: f.term, success: true, matchIndex: m.prevLogIndex + m.entries.length };
}

/** n1 runs the learner's code; n2… are puppet followers (empty logs, answering, not voting) unless changed. */
export function puppets(seed: number, nodes: number): PuppetCluster {
  const followers = new Map<NodeId, PuppetFollower>();
  const acked = new Map<NodeId, Map<number, number>>();
  const c = cluster({
    seed, nodes, durability: true,
    puppets: Array.from({ length: nodes - 1 }, (_, i) => `n${i + 2}`),
    network: { latency: () => LATENCY },
    puppet: (cl, id, from, message) => {
      const f = followers.get(id)!;
      if (from !== 'n1') return;
      if (message.type === 'append-entries' && f.answers) {
        const answer = followerAnswer(f, message);
        if (answer.type === 'append-reply' && answer.success) {
          const byTerm = acked.get(id) ?? new Map<number, number>();
          byTerm.set(answer.term, Math.max(byTerm.get(answer.term) ?? 0, answer.matchIndex));
          acked.set(id, byTerm);
        }
        cl.send(id, 'n1', answer);
      }
      if (message.type === 'request-vote' && f.votes && message.term >= f.term) {
        f.term = message.term;
        cl.send(id, 'n1', { type: 'vote', term: message.term, granted: true });
      }
    },
  });
  for (const id of c.ids.slice(1)) followers.set(id, { log: [], term: 0, answers: true, votes: false });
  return Object.assign(c, { followers, acked });
}

export function showState(s: NodeState | undefined): string {
  return s === undefined ? 'down' : `{ role: '${s.role}', term: ${s.term}, commitIndex: ${s.commitIndex} }`;
}

/**
 * Makes n1 leader: its election timer fires, `voters` grant their votes. Returns when it leads.
 * Puppets that do not vote stay silent to its request-vote.
 */
export function electN1(c: PuppetCluster, voters: readonly NodeId[]): { term: number; at: number } {
  for (const [id, f] of c.followers) f.votes = voters.includes(id);
  const at = c.sim.runUntilTrue(() => c.state('n1')?.role === 'leader', 3 * 300 + 50);
  const s = c.state('n1');
  if (at === undefined || s === undefined) {
    fail(`n1 heard from no leader, so its election timer should have fired; ${list([...voters])} grant their votes, which with its own make a majority of ${c.ids.length}; yet after 950 ms n1 reports ${showState(s)}; expected it to be leader`);
  }
  for (const f of c.followers.values()) f.votes = false;
  return { term: s.term, at };
}

/** A client endpoint that records the replies it gets. */
export function rawClient(c: Cluster, id: NodeId): { replies: Array<{ t: number; from: NodeId; message: Record<string, unknown> }>; msgId: number } {
  const state = { replies: [] as Array<{ t: number; from: NodeId; message: Record<string, unknown> }>, msgId: 0 };
  c.sim.addClient(id, (from, message) => void state.replies.push({ t: c.sim.now, from, message: message as unknown as Record<string, unknown> }));
  return state;
}

/** n1's log must be exactly `want`. */
export function expectLog(c: Cluster, want: readonly LogEntry[], after: string): void {
  const have = c.entries('n1') ?? [];
  const same = have.length === want.length && have.every((e, i) => canonical(e) === canonical(want[i]));
  check(same, () => `${after}; then n1's log is ${describeLog(have)}; expected ${describeLog(want)}`);
}

// mistake: does not count its own vote: needs a majority of the cluster among the peers that answered yes
// expect: itself included
import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

/** The three messages of the protocol. `term` is always the sender's current term. */
export type Message =
  | { type: 'request-vote'; term: number }
  | { type: 'vote'; term: number; granted: boolean }
  | { type: 'heartbeat'; term: number };

export type Role = 'follower' | 'candidate' | 'leader';

export interface ElectionOptions {
  /** Each election timeout is drawn uniformly from [min, max] ms, afresh every time the timer is reset. */
  electionTimeoutMs: [min: number, max: number];
  /** A leader sends heartbeats this often, ms. */
  heartbeatIntervalMs: number;
}

export interface RaftNode extends SimNode<Message> {
  /** What this node believes now: its role and its current term. */
  state(): { role: Role; term: number };
}

const TERM = 'currentTerm';
const VOTED_FOR = 'votedFor';

export function createRaftNode(ctx: NodeContext<Message>, options: ElectionOptions): RaftNode {
  const [minTimeout, maxTimeout] = options.electionTimeoutMs;
  const clusterSize = ctx.peers.length + 1;

  // Persistent state: read back after a crash.
  let currentTerm = ctx.storage.get<number>(TERM) ?? 0;
  let votedFor = ctx.storage.get<NodeId | null>(VOTED_FOR) ?? null;
  // Volatile state.
  let role: Role = 'follower';
  let votes = new Set<NodeId>();
  let electionTimer: number | undefined;
  let heartbeatTimer: number | undefined;

  function persist(term: number, vote: NodeId | null): void {
    currentTerm = term;
    votedFor = vote;
    ctx.storage.set(TERM, term);
    ctx.storage.set(VOTED_FOR, vote);
  }

  function resetElectionTimer(): void {
    if (electionTimer !== undefined) ctx.cancelTimer(electionTimer);
    const timeout = minTimeout + (maxTimeout - minTimeout) * ctx.random();
    electionTimer = ctx.setTimer(timeout, startElection);
  }

  function stopHeartbeats(): void {
    if (heartbeatTimer !== undefined) ctx.cancelTimer(heartbeatTimer);
    heartbeatTimer = undefined;
  }

  function becomeFollower(): void {
    if (role === 'leader') {
      stopHeartbeats();
      resetElectionTimer();
    }
    role = 'follower';
  }

  function startElection(): void {
    electionTimer = undefined;
    persist(currentTerm + 1, ctx.id);
    role = 'candidate';
    votes = new Set<NodeId>();
    ctx.log(`candidate for term ${currentTerm}`);
    for (const peer of ctx.peers) ctx.send(peer, { type: 'request-vote', term: currentTerm });
    resetElectionTimer();
    maybeWin();
  }

  function maybeWin(): void {
    if (role === 'candidate' && votes.size * 2 > clusterSize) becomeLeader();
  }

  function becomeLeader(): void {
    role = 'leader';
    if (electionTimer !== undefined) ctx.cancelTimer(electionTimer);
    electionTimer = undefined;
    ctx.log(`leader of term ${currentTerm}`);
    sendHeartbeats();
  }

  function sendHeartbeats(): void {
    for (const peer of ctx.peers) ctx.send(peer, { type: 'heartbeat', term: currentTerm });
    heartbeatTimer = ctx.setTimer(options.heartbeatIntervalMs, sendHeartbeats);
  }

  resetElectionTimer();

  return {
    state: () => ({ role, term: currentTerm }),

    receive(from, message) {
      if (message.term > currentTerm) {
        persist(message.term, null);
        becomeFollower();
      }
      switch (message.type) {
        case 'request-vote': {
          const granted = message.term === currentTerm && (votedFor === null || votedFor === from);
          if (granted) {
            if (votedFor !== from) persist(currentTerm, from);
            resetElectionTimer();
          }
          ctx.send(from, { type: 'vote', term: currentTerm, granted });
          break;
        }
        case 'vote':
          if (role === 'candidate' && message.term === currentTerm && message.granted) {
            votes.add(from);
            maybeWin();
          }
          break;
        case 'heartbeat':
          if (message.term === currentTerm && role !== 'leader') {
            role = 'follower';
            resetElectionTimer();
          }
          break;
      }
    },
  };
}

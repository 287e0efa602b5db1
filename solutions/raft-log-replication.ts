/**
 * Raft log replication with a key-value store on top: the election of leader-election plus the
 * election restriction, AppendEntries with the log-matching check and conflict truncation, commit by
 * majority match (current-term entries only), apply in order, and client sessions so that a retried
 * command takes effect once. Reads go through the log like writes.
 * Reference solution for learn-ds's raft-log-replication exercise.
 */
import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

/** What a client asks of the key-value store. A key never written reads as null. */
export type Op =
  | { kind: 'read'; key: string }
  | { kind: 'write'; key: string; value: string }
  | { kind: 'cas'; key: string; from: string | null; to: string };

/** A client's command as it sits in the log: who sent it, its number in that client's sequence, what it does. */
export interface Command {
  client: NodeId;
  seq: number;
  op: Op;
}

/** One log entry: the term of the leader that created it, and its command (null: a no-op a new leader may append). */
export interface LogEntry {
  term: number;
  command: Command | null;
}

/** A read's value, a write's `null`, or whether a cas took effect. */
export type Result = string | null | boolean;

export type Message =
  // ── between nodes (`term` is always the sender's current term) ──
  | { type: 'request-vote'; term: number; lastLogIndex: number; lastLogTerm: number }
  | { type: 'vote'; term: number; granted: boolean }
  | { type: 'append-entries'; term: number; prevLogIndex: number; prevLogTerm: number; entries: LogEntry[]; leaderCommit: number }
  | { type: 'append-reply'; term: number; success: true; matchIndex: number }
  | { type: 'append-reply'; term: number; success: false; conflictIndex: number; conflictTerm: number }
  // ── from a client, and back ──
  | { type: 'request'; msgId: number; seq: number; op: Op }
  | { type: 'reply'; inReplyTo: number; ok: true; result: Result }
  | { type: 'reply'; inReplyTo: number; ok: false; leader: NodeId | null };

export type Role = 'follower' | 'candidate' | 'leader';

export interface RaftOptions {
  /** Each election timeout is drawn uniformly from [min, max] ms, afresh every time the timer is reset. */
  electionTimeoutMs: [min: number, max: number];
  /** A leader sends append-entries to every follower this often when it has nothing else to send, ms. */
  heartbeatIntervalMs: number;
  /** Call it each time you apply a log entry to your key-value store: indexes 1, 2, 3… in order, once each per start. */
  onApply(index: number, entry: LogEntry): void;
}

export interface RaftNode extends SimNode<Message> {
  /** What this node believes now. */
  state(): { role: Role; term: number; commitIndex: number };
  /** The log, index 1 first (entries()[0] is the entry at index 1). */
  entries(): readonly LogEntry[];
}

const TERM = 'currentTerm';
const VOTED_FOR = 'votedFor';
const LOG_LENGTH = 'logLength';
const entryKey = (index: number) => `log:${index}`;
/** At most this many entries in one append-entries: a follower far behind gets its log in batches. */
const MAX_BATCH = 64;

interface Session {
  seq: number;
  result: Result;
}

interface Waiting {
  client: NodeId;
  msgId: number;
  seq: number;
}

export function createRaftNode(ctx: NodeContext<Message>, options: RaftOptions): RaftNode {
  const [minTimeout, maxTimeout] = options.electionTimeoutMs;
  const clusterSize = ctx.peers.length + 1;

  // Persistent state, read back after a crash. The log is one key per entry plus its length, so
  // that appending writes one entry, not the whole log.
  let currentTerm = ctx.storage.get<number>(TERM) ?? 0;
  let votedFor = ctx.storage.get<NodeId | null>(VOTED_FOR) ?? null;
  const log: LogEntry[] = [];
  const length = ctx.storage.get<number>(LOG_LENGTH) ?? 0;
  for (let i = 1; i <= length; i++) log.push(ctx.storage.get<LogEntry>(entryKey(i))!);

  // Volatile state: the key-value store is rebuilt by applying the log again from index 1.
  let role: Role = 'follower';
  let leader: NodeId | null = null;
  let commitIndex = 0;
  let lastApplied = 0;
  const store = new Map<string, string>();
  const sessions = new Map<NodeId, Session>();
  let votes = new Set<NodeId>();
  let electionTimer: number | undefined;
  let heartbeatTimer: number | undefined;
  // Leader state.
  const nextIndex = new Map<NodeId, number>();
  const matchIndex = new Map<NodeId, number>();
  const waiting = new Map<number, Waiting[]>();

  const lastIndex = () => log.length;
  const termAt = (index: number) => (index === 0 ? 0 : log[index - 1]?.term ?? 0);

  function persistTermAndVote(term: number, vote: NodeId | null): void {
    currentTerm = term;
    votedFor = vote;
    ctx.storage.set(TERM, term);
    ctx.storage.set(VOTED_FOR, vote);
  }

  /** Cuts the log after `index` (on disk first: the length, then the entries beyond it). */
  function truncateAfter(index: number): void {
    ctx.storage.set(LOG_LENGTH, index);
    for (let i = index + 1; i <= log.length; i++) ctx.storage.delete(entryKey(i));
    log.length = index;
  }

  function append(entry: LogEntry): void {
    log.push(entry);
    ctx.storage.set(entryKey(log.length), entry);
    ctx.storage.set(LOG_LENGTH, log.length);
  }

  // ── election (leader-election, plus the up-to-date check on votes) ─────────────────────────

  function resetElectionTimer(): void {
    if (electionTimer !== undefined) ctx.cancelTimer(electionTimer);
    electionTimer = ctx.setTimer(minTimeout + (maxTimeout - minTimeout) * ctx.random(), startElection);
  }

  function becomeFollower(): void {
    if (role === 'leader') {
      if (heartbeatTimer !== undefined) ctx.cancelTimer(heartbeatTimer);
      heartbeatTimer = undefined;
      resetElectionTimer();
      // Whether these commands commit is now up to the next leader: the clients will ask again.
      for (const list of waiting.values()) for (const w of list) ctx.send(w.client, { type: 'reply', inReplyTo: w.msgId, ok: false, leader: null });
      waiting.clear();
    }
    role = 'follower';
  }

  function startElection(): void {
    electionTimer = undefined;
    persistTermAndVote(currentTerm + 1, ctx.id);
    role = 'candidate';
    leader = null;
    votes = new Set([ctx.id]);
    for (const peer of ctx.peers) {
      ctx.send(peer, { type: 'request-vote', term: currentTerm, lastLogIndex: lastIndex(), lastLogTerm: termAt(lastIndex()) });
    }
    resetElectionTimer();
    if (votes.size * 2 > clusterSize) becomeLeader();
  }

  function becomeLeader(): void {
    role = 'leader';
    leader = ctx.id;
    if (electionTimer !== undefined) ctx.cancelTimer(electionTimer);
    electionTimer = undefined;
    ctx.log(`leader of term ${currentTerm}`);
    for (const peer of ctx.peers) {
      nextIndex.set(peer, lastIndex() + 1);
      matchIndex.set(peer, 0);
    }
    heartbeat();
  }

  function heartbeat(): void {
    for (const peer of ctx.peers) sendAppend(peer);
    heartbeatTimer = ctx.setTimer(options.heartbeatIntervalMs, heartbeat);
  }

  /** A candidate's log is at least as up-to-date as ours: a later last term, or the same and at least as long. */
  function upToDate(lastLogIndex: number, lastLogTerm: number): boolean {
    const myTerm = termAt(lastIndex());
    return lastLogTerm > myTerm || (lastLogTerm === myTerm && lastLogIndex >= lastIndex());
  }

  // ── replication ──────────────────────────────────────────────────────────────────────────

  /** What the follower may lack, from its nextIndex on, one batch at most (empty: a heartbeat). */
  function sendAppend(peer: NodeId): void {
    const next = nextIndex.get(peer)!;
    ctx.send(peer, {
      type: 'append-entries',
      term: currentTerm,
      prevLogIndex: next - 1,
      prevLogTerm: termAt(next - 1),
      entries: log.slice(next - 1, next - 1 + MAX_BATCH),
      leaderCommit: commitIndex,
    });
  }

  function onAppendEntries(from: NodeId, m: Extract<Message, { type: 'append-entries' }>): void {
    if (m.term < currentTerm) {
      ctx.send(from, { type: 'append-reply', term: currentTerm, success: false, conflictIndex: 0, conflictTerm: 0 });
      return;
    }
    // m.term === currentTerm: from is the leader of this term.
    if (role !== 'follower') becomeFollower();
    leader = from;
    resetElectionTimer();
    if (m.prevLogIndex > lastIndex()) {
      ctx.send(from, { type: 'append-reply', term: currentTerm, success: false, conflictIndex: lastIndex() + 1, conflictTerm: 0 });
      return;
    }
    if (termAt(m.prevLogIndex) !== m.prevLogTerm) {
      // Skip the whole conflicting term in one round trip: point at its first entry.
      const conflictTerm = termAt(m.prevLogIndex);
      let first = m.prevLogIndex;
      while (first > 1 && termAt(first - 1) === conflictTerm) first--;
      ctx.send(from, { type: 'append-reply', term: currentTerm, success: false, conflictIndex: first, conflictTerm });
      return;
    }
    // Log matching: truncate only where an entry conflicts; a late, shorter append-entries must
    // not cut entries that a newer one already added (they may be committed).
    m.entries.forEach((entry, i) => {
      const index = m.prevLogIndex + 1 + i;
      if (index <= lastIndex() && termAt(index) !== entry.term) truncateAfter(index - 1);
      if (index > lastIndex()) append(entry);
    });
    const lastNew = m.prevLogIndex + m.entries.length;
    // Only what is known to match the leader's log may be committed.
    if (m.leaderCommit > commitIndex) commitIndex = Math.max(commitIndex, Math.min(m.leaderCommit, lastNew));
    ctx.send(from, { type: 'append-reply', term: currentTerm, success: true, matchIndex: lastNew });
    applyCommitted();
  }

  function onAppendReply(from: NodeId, m: Extract<Message, { type: 'append-reply' }>): void {
    if (role !== 'leader' || m.term !== currentTerm) return;
    if (m.success) {
      if (m.matchIndex > matchIndex.get(from)!) matchIndex.set(from, m.matchIndex);
      if (m.matchIndex + 1 > nextIndex.get(from)!) nextIndex.set(from, m.matchIndex + 1);
      advanceCommit();
      // Far behind still: the next batch now rather than at the next heartbeat.
      if (lastIndex() - m.matchIndex >= MAX_BATCH) sendAppend(from);
      return;
    }
    // Refused: go back to where the follower says the logs may agree (never below matchIndex + 1).
    const next = Math.max(matchIndex.get(from)! + 1, Math.min(m.conflictIndex, nextIndex.get(from)! - 1));
    nextIndex.set(from, Math.max(1, next));
    sendAppend(from);
  }

  /** The highest index of the current term stored on a majority is committed, and everything before it. */
  function advanceCommit(): void {
    for (let n = lastIndex(); n > commitIndex && termAt(n) === currentTerm; n--) {
      let replicas = 1;
      for (const peer of ctx.peers) if (matchIndex.get(peer)! >= n) replicas++;
      if (replicas * 2 > clusterSize) {
        commitIndex = n;
        applyCommitted();
        return;
      }
    }
  }

  // ── the key-value store ──────────────────────────────────────────────────────────────────

  function applyCommitted(): void {
    while (lastApplied < commitIndex) {
      lastApplied++;
      const entry = log[lastApplied - 1]!;
      options.onApply(lastApplied, entry);
      const command = entry.command;
      if (command === null) continue;
      const session = sessions.get(command.client);
      let result: Result;
      if (session !== undefined && command.seq <= session.seq) {
        result = session.result; // a retried command: it already took effect
      } else {
        result = execute(command.op);
        sessions.set(command.client, { seq: command.seq, result });
      }
      for (const w of waiting.get(lastApplied) ?? []) {
        if (w.client === command.client && w.seq === command.seq) ctx.send(w.client, { type: 'reply', inReplyTo: w.msgId, ok: true, result });
      }
      waiting.delete(lastApplied);
    }
  }

  function execute(op: Op): Result {
    const value = store.get(op.key) ?? null;
    switch (op.kind) {
      case 'read':
        return value;
      case 'write':
        store.set(op.key, op.value);
        return null;
      case 'cas':
        if (value !== op.from) return false;
        store.set(op.key, op.to);
        return true;
    }
  }

  function onRequest(client: NodeId, m: Extract<Message, { type: 'request' }>): void {
    if (role !== 'leader') {
      ctx.send(client, { type: 'reply', inReplyTo: m.msgId, ok: false, leader });
      return;
    }
    const session = sessions.get(client);
    if (session !== undefined && session.seq === m.seq) {
      ctx.send(client, { type: 'reply', inReplyTo: m.msgId, ok: true, result: session.result });
      return;
    }
    append({ term: currentTerm, command: { client, seq: m.seq, op: m.op } });
    const list = waiting.get(lastIndex()) ?? [];
    list.push({ client, msgId: m.msgId, seq: m.seq });
    waiting.set(lastIndex(), list);
    for (const peer of ctx.peers) sendAppend(peer);
    advanceCommit(); // a cluster of one
  }

  resetElectionTimer();

  return {
    state: () => ({ role, term: currentTerm, commitIndex }),
    entries: () => log,

    receive(from, message) {
      if (message.type === 'request') return onRequest(from, message);
      if (message.type === 'reply') return;
      if (message.term > currentTerm) {
        persistTermAndVote(message.term, null);
        becomeFollower();
        leader = null;
      }
      switch (message.type) {
        case 'request-vote': {
          const granted = message.term === currentTerm && (votedFor === null || votedFor === from) &&
            upToDate(message.lastLogIndex, message.lastLogTerm);
          if (granted) {
            if (votedFor !== from) persistTermAndVote(currentTerm, from);
            resetElectionTimer();
          }
          ctx.send(from, { type: 'vote', term: currentTerm, granted });
          break;
        }
        case 'vote':
          if (role === 'candidate' && message.term === currentTerm && message.granted) {
            votes.add(from);
            if (votes.size * 2 > clusterSize) becomeLeader();
          }
          break;
        case 'append-entries':
          onAppendEntries(from, message);
          break;
        case 'append-reply':
          onAppendReply(from, message);
          break;
      }
    },
  };
}

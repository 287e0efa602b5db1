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

/**
 * Makes one Raft node with a key-value store. Called when the node starts, and again after every
 * crash, with the same `ctx.storage`: everything else is forgotten. Starts as a follower with its
 * election timer running.
 */
export function createRaftNode(ctx: NodeContext<Message>, options: RaftOptions): RaftNode {
  // ── Persistent state: read back from ctx.storage, written there before any answer that depends on it ──
  // currentTerm (0 when absent), votedFor (null), and the log (LogEntry[], index 1 first).

  // ── Volatile state ──
  // role, the leader you know, commitIndex, lastApplied, the key-value store, the client sessions;
  // as leader: nextIndex and matchIndex per follower, and the clients waiting for an index.

  // ── PART 1: the election. Bring in your own, from your leader-election file, then: ──
  //   - request-vote carries lastLogIndex and lastLogTerm;
  //   - grant a vote only to a candidate whose log is at least as up-to-date as yours;
  //   - heartbeats become append-entries (PART 2), sent to each follower by sendAppend().
  function resetElectionTimer(): void {
    throw new Error('TODO: PART 1, your election timer from leader-election');
  }

  // ── PART 2: replication ──
  /** Sends `peer` everything after its nextIndex - 1 (nothing: a heartbeat), with leaderCommit. */
  function sendAppend(peer: NodeId): void {
    throw new Error(`TODO: PART 2, append-entries to ${peer}`);
  }
  /** Rule 7: the log-matching check, truncation only on conflict, commitIndex, the answer. */
  function onAppendEntries(from: NodeId, message: Extract<Message, { type: 'append-entries' }>): void {
    throw new Error('TODO: PART 2, a follower receives append-entries');
  }
  /** Rules 8 to 10: matchIndex and nextIndex, backing up, commitment (current-term entries only). */
  function onAppendReply(from: NodeId, message: Extract<Message, { type: 'append-reply' }>): void {
    throw new Error('TODO: PART 2, the leader receives an answer');
  }

  // ── PART 3: the key-value store ──
  /** Rules 11, 13 and 14: apply committed entries in order, call options.onApply, skip retried commands, answer waiting clients. */
  function applyCommitted(): void {
    throw new Error('TODO: PART 3, apply what is committed');
  }
  /** Rule 12: a client's request. */
  function onRequest(client: NodeId, message: Extract<Message, { type: 'request' }>): void {
    throw new Error('TODO: PART 3, a client request');
  }

  resetElectionTimer();

  return {
    state: () => {
      throw new Error('TODO: { role, term: currentTerm, commitIndex }');
    },
    entries: () => {
      throw new Error('TODO: the log');
    },
    receive(from, message) {
      switch (message.type) {
        case 'request':
          return onRequest(from, message);
        case 'append-entries':
          return onAppendEntries(from, message);
        case 'append-reply':
          return onAppendReply(from, message);
        default:
          throw new Error(`TODO: PART 1, ${message.type} (and a higher term makes any node a follower of it first)`);
      }
    },
  };
}

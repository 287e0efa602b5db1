/**
 * What a simulated node sees of the world: the interface learners implement, as small as Maelstrom's
 * node protocol. A node is made by a factory from its context; a crash throws the node object (its
 * volatile state) away, and a restart calls the factory again with the same durable storage.
 */
export type NodeId = string;

/** An opaque handle for a timer. */
export type TimerId = number;

/** Storage that survives a crash. Values are copied in and out, as a disk would. */
export interface DurableStorage {
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  delete(key: string): void;
  keys(): string[];
}

export interface NodeContext<M = unknown> {
  /** This node's id, e.g. "n1". */
  readonly id: NodeId;
  /** The other nodes of the cluster (never this node, never clients), in a fixed order. */
  readonly peers: readonly NodeId[];
  /** This node's clock in ms (skewed and drifting if the scenario says so). Never real time. */
  now(): number;
  /** Sends a message; it may be delayed, lost, duplicated or reordered. Messages are copied. */
  send(to: NodeId, message: M): void;
  /** Calls `callback` after `delayMs` of this node's clock. Timers die with the node on a crash. */
  setTimer(delayMs: number, callback: () => void): TimerId;
  cancelTimer(timer: TimerId): void;
  /** A seeded random number in [0, 1), this node's own stream. */
  random(): number;
  /** Survives crashes; everything else is lost. */
  readonly storage: DurableStorage;
  /** A note that appears in the timeline. */
  log(text: string): void;
}

/** A node: it reacts to messages (and to its own timers, set through the context). */
export interface SimNode<M = unknown> {
  receive(from: NodeId, message: M): void;
}

export type NodeFactory<M, N extends SimNode<M> = SimNode<M>> = (ctx: NodeContext<M>) => N;

/** Why a message never arrived. */
export type DropReason = 'loss' | 'partition' | 'crashed';

/** One entry of a simulation's trace, in true (simulated) time. */
export type TraceEvent =
  /** `held`: it arrived while the node was paused and waited for the resume. */
  | { t: number; kind: 'deliver'; from: NodeId; to: NodeId; message: unknown; sentAt: number; duplicate: boolean; held?: true }
  | { t: number; kind: 'drop'; from: NodeId; to: NodeId; message: unknown; sentAt: number; reason: DropReason; duplicate: boolean }
  | { t: number; kind: 'timer'; node: NodeId }
  /** `cause`: why, when the crash was armed by crashAfter. */
  | { t: number; kind: 'crash'; node: NodeId; cause?: string }
  | { t: number; kind: 'restart'; node: NodeId }
  /** A process pause (stop-the-world) until true time `until`. */
  | { t: number; kind: 'pause'; node: NodeId; until: number }
  /** The end of a pause that began at `since`; how many deliveries and timer firings waited for it. */
  | { t: number; kind: 'resume'; node: NodeId; since: number; messages: number; timers: number }
  | { t: number; kind: 'partition'; description: string }
  | { t: number; kind: 'heal' }
  | { t: number; kind: 'log'; node: NodeId; text: string };

/**
 * The network's behaviour: how long a message takes, whether it is lost or duplicated, and which
 * links a partition cuts. Reordering is not a separate switch: it follows from random latencies.
 */
import type { NodeId } from './types.ts';

export interface NetworkOptions {
  /** One-way latency in ms, drawn per message (and per copy of a duplicated one). */
  latency: (random: () => number) => number;
  /** Probability that a message is lost. */
  loss: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
}

/** Latency drawn uniformly from [minMs, maxMs]. */
export function uniformLatency(minMs: number, maxMs: number): (random: () => number) => number {
  return (random) => minMs + (maxMs - minMs) * random();
}

/** Mostly `baseMs`-ish, with a heavy tail: a fraction `spikeRate` of messages take up to `spikeMs`. */
export function spikyLatency(baseMs: number, spikeMs: number, spikeRate: number): (random: () => number) => number {
  return (random) => (random() < spikeRate ? baseMs + spikeMs * random() : baseMs * (0.5 + random()));
}

export const DEFAULT_NETWORK: NetworkOptions = { latency: uniformLatency(1, 10), loss: 0, duplicate: 0 };

/** The links a partition cuts, as directed pairs. */
export class Partitions {
  readonly #blocked = new Set<string>();

  static key(from: NodeId, to: NodeId): string {
    return `${from}\u0000${to}`;
  }

  blocks(from: NodeId, to: NodeId): boolean {
    return this.#blocked.size > 0 && this.#blocked.has(Partitions.key(from, to));
  }

  get active(): boolean {
    return this.#blocked.size > 0;
  }

  /** Nodes in different groups cannot talk, either way. Nodes in no group keep their links. */
  split(groups: ReadonlyArray<readonly NodeId[]>): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]!) for (const b of groups[j]!) this.#blocked.add(Partitions.key(a, b));
      }
    }
  }

  /** Messages from `from` to `to` are dropped; the other direction still works. */
  blockOneWay(from: NodeId, to: NodeId): void {
    this.#blocked.add(Partitions.key(from, to));
  }

  heal(): void {
    this.#blocked.clear();
  }
}

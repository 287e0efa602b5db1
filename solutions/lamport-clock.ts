/**
 * Lamport clocks: one counter per node that orders events consistently with causality. If event a
 * happened before event b (earlier on the same node, or linked through messages), a's stamp is
 * smaller than b's; node ids break ties so that every pair of distinct stamps is ordered.
 */

/** The timestamp of one event: the clock's value after the event, and the node it happened on. */
export interface Stamp {
  time: number;
  node: string;
}

/** One node's logical clock. Every node has its own; the counter starts at 0. */
export class LamportClock {
  readonly #node: string;
  #time = 0;

  constructor(nodeId: string) {
    this.#node = nodeId;
  }

  /** The current counter value (0 before the first event). */
  get time(): number {
    return this.#time;
  }

  /** A local event: adds 1 to the counter and returns the event's stamp. */
  tick(): Stamp {
    this.#time += 1;
    return { time: this.#time, node: this.#node };
  }

  /** Sending a message is an event too: adds 1 and returns the stamp to put on the message. */
  send(): Stamp {
    return this.tick();
  }

  /**
   * The receipt of a message stamped `stamp`: the counter becomes max(counter, stamp.time) + 1, and
   * the receive event's stamp is returned. Throws, leaving the counter unchanged, when stamp.time
   * is not a safe whole number ≥ 0 (above 2^53, adding 1 may change nothing). Never modifies `stamp`.
   */
  receive(stamp: Stamp): Stamp {
    const time: unknown = stamp.time;
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) {
      throw new RangeError(`invalid stamp time ${String(time)}: a Lamport time is a whole number from 0 to 2^53 - 1`);
    }
    this.#time = Math.max(this.#time, time) + 1;
    return { time: this.#time, node: this.#node };
  }
}

/**
 * The total order of stamps: by time, then by node id (plain string order, as `<` compares).
 * Negative when a comes first, positive when b does, 0 only for the same time and node.
 */
export function compareStamps(a: Stamp, b: Stamp): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}

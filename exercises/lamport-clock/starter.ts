/**
 * Lamport clocks: one counter per node that orders events consistently with causality. If event a
 * happened before event b (earlier on the same node, or linked through messages), a's stamp must be
 * smaller than b's; node ids break ties so that every pair of distinct stamps is ordered.
 */

/** The timestamp of one event: the clock's value after the event, and the node it happened on. */
export interface Stamp {
  time: number;
  node: string;
}

/** One node's logical clock. Every node has its own; the counter starts at 0. */
export class LamportClock {
  constructor(nodeId: string) {
    throw new Error('TODO: implement the LamportClock constructor');
  }

  /** The current counter value (0 before the first event). */
  get time(): number {
    throw new Error('TODO: implement time');
  }

  /** A local event: adds 1 to the counter and returns the event's stamp, a new object. */
  tick(): Stamp {
    throw new Error('TODO: implement tick');
  }

  /** Sending a message is an event too: adds 1 and returns the stamp to put on the message. */
  send(): Stamp {
    throw new Error('TODO: implement send');
  }

  /**
   * The receipt of a message stamped `stamp`: the counter becomes max(counter, stamp.time) + 1, and
   * the receive event's stamp (with this clock's node id) is returned. Throws an Error, leaving the
   * counter unchanged, when stamp.time is not a whole number ≥ 0. Never modifies `stamp`.
   */
  receive(stamp: Stamp): Stamp {
    throw new Error('TODO: implement receive');
  }
}

/**
 * The total order of stamps: by time, then by node id (plain string order, as `<` compares).
 * Returns a negative number when a comes first, a positive one when b does, and 0 only when both
 * have the same time and the same node, like the comparators Array.prototype.sort takes.
 */
export function compareStamps(a: Stamp, b: Stamp): number {
  throw new Error('TODO: implement compareStamps');
}

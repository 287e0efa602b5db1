/**
 * A consistent-hashing ring: maps keys to nodes so that adding or removing a node moves only
 * about 1/N of the keys. Each node is placed at `virtualNodes` points on the ring.
 */
export class HashRing {
  /**
   * Creates an empty ring.
   * @param options.virtualNodes how many points each node gets on the ring (100 by default)
   */
  constructor(options?: { virtualNodes?: number }) {
    void options;
    throw new Error('TODO: create an empty ring');
  }

  /** Puts `node` on the ring. Adding a node that is already on the ring changes nothing. */
  add(node: string): void {
    void node;
    throw new Error('TODO: place the node at its points on the ring');
  }

  /** Takes `node` off the ring. Removing a node that is not on the ring changes nothing. */
  remove(node: string): void {
    void node;
    throw new Error('TODO: take the node and all its points off the ring');
  }

  /**
   * The node that owns `key`: the node of the first point at or after the key's position,
   * wrapping around the ring. `undefined` when the ring has no node.
   */
  get(key: string): string | undefined {
    void key;
    throw new Error('TODO: find the first point at or after hash(key), wrapping around');
  }
}

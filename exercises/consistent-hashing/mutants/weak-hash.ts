// mistake: positions are the sum of the character codes, a weak hash that piles keys onto a few points
// expect: 1.5x the mean
/** A position on the ring: the first 32 bits of the MD5 digest of `text`. */
function position(text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) sum += text.charCodeAt(i);
  return sum;
}

interface Point {
  position: number;
  node: string;
}

/**
 * A consistent-hashing ring. Each node is placed at `virtualNodes` points on a circle of 2^32
 * positions; a key belongs to the node of the first point at or after the key's own position,
 * wrapping around to the first point of the ring.
 */
export class HashRing {
  private readonly virtualNodes: number;
  private readonly nodes = new Set<string>();
  /** Sorted by position, then by node name, so that ties do not depend on insertion order. */
  private points: Point[] = [];

  constructor(options?: { virtualNodes?: number }) {
    this.virtualNodes = options?.virtualNodes ?? 100;
  }

  add(node: string): void {
    if (this.nodes.has(node)) return;
    this.nodes.add(node);
    for (let i = 0; i < this.virtualNodes; i++) {
      // The point's name depends only on the node and the replica number, never on the
      // order of insertion: the same set of nodes always gives the same ring.
      this.points.push({ position: position(`${node}#${i}`), node });
    }
    this.points.sort((a, b) => a.position - b.position || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  remove(node: string): void {
    if (!this.nodes.delete(node)) return;
    this.points = this.points.filter((p) => p.node !== node);
  }

  get(key: string): string | undefined {
    const points = this.points;
    if (points.length === 0) return undefined;
    const target = position(key);
    // Binary search for the first point at or after the key.
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]!.position < target) lo = mid + 1;
      else hi = mid;
    }
    // Past the last point: wrap around to the first one.
    return points[lo === points.length ? 0 : lo]!.node;
  }
}

/**
 * The simulation's agenda: a binary min-heap ordered by time, then by insertion order, so that two
 * events due at the same instant always run in the order they were scheduled (determinism).
 */
export interface Scheduled {
  time: number;
  seq: number;
}

export class EventQueue<E extends Scheduled> {
  readonly #heap: E[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  /** Stamps `event.seq` and inserts it. */
  push(event: E): void {
    event.seq = this.#seq++;
    const heap = this.#heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.time < event.time || (p.time === event.time && p.seq < event.seq)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  peek(): E | undefined {
    return this.#heap[0];
  }

  pop(): E | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      const lc = heap[l]!;
      if (r < n) {
        const rc = heap[r]!;
        if (rc.time < lc.time || (rc.time === lc.time && rc.seq < lc.seq)) c = r;
      }
      const child = heap[c]!;
      if (last.time < child.time || (last.time === child.time && last.seq < child.seq)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
    return top;
  }
}

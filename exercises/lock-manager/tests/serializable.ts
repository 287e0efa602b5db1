// Conflict serializability of the committed transactions, from what each read and wrote: the
// precedence graph (ww: overwrote, wr: read what the other wrote, rw: read the version before the
// other's write) must have no cycle. Values are unique per write, so a read names its writer; a
// key's versions are in commit order (the store installs a transaction's writes at its commit).
import { show } from 'learn-ds/harness';

export type Op = { readonly kind: 'read' | 'write'; readonly key: string; readonly value: string | undefined };

export interface Committed {
  readonly id: string;
  readonly ops: readonly Op[];
}

interface Edge {
  readonly to: number;
  readonly why: string;
}

/** Undefined when the history is conflict-serializable; otherwise the shortest cycle, as a story. */
export function serializabilityProblem(history: readonly Committed[]): string | undefined {
  const name = (i: number) => show(history[i]!.id);
  const writerOf = new Map<string, number>();
  const versions = new Map<string, number[]>();
  history.forEach((txn, i) => {
    const last = new Map<string, string | undefined>();
    for (const op of txn.ops) if (op.kind === 'write') last.set(op.key, op.value);
    for (const [key, value] of last) {
      writerOf.set(`${key}\u0000${value}`, i);
      versions.set(key, [...(versions.get(key) ?? []), i]);
    }
  });
  const edges: Edge[][] = history.map(() => []);
  const add = (from: number, to: number, why: string) => {
    if (from !== to) edges[from]!.push({ to, why });
  };
  for (const [key, writers] of versions) {
    for (let v = 1; v < writers.length; v++) add(writers[v - 1]!, writers[v]!, `${name(writers[v]!)} overwrote ${show(key)} after ${name(writers[v - 1]!)} wrote it`);
  }
  history.forEach((txn, reader) => {
    const own = new Set<string>();
    for (const op of txn.ops) {
      if (op.kind === 'write') {
        own.add(op.key);
        continue;
      }
      if (own.has(op.key)) continue; // reading its own write
      const writers = versions.get(op.key) ?? [];
      const writer = op.value === undefined ? -1 : writerOf.get(`${op.key}\u0000${op.value}`);
      if (writer === undefined) return; // not a committed version: cannot happen with this store
      if (writer >= 0) add(writer, reader, `${name(reader)} read ${show(op.key)} = ${show(op.value)}, which ${name(writer)} wrote`);
      const next = writers[writers.indexOf(writer) + 1];
      if (next !== undefined) {
        const seen = writer < 0 ? `${show(op.key)} before anyone wrote it` : `${show(op.key)} = ${show(op.value)}`;
        add(reader, next, `${name(reader)} read ${seen}, so it came before ${name(next)} overwrote it`);
      }
    }
  });
  let best: Edge[] | undefined;
  let bestStart = 0;
  for (let start = 0; start < history.length; start++) {
    const cycle = shortestCycle(edges, start);
    if (cycle && (!best || cycle.length < best.length)) {
      best = cycle;
      bestStart = start;
    }
  }
  if (!best) return undefined;
  const order = [bestStart, ...best.map((e) => e.to)].map(name).join(' → ');
  return `${order}: each must come before the next, so no serial order explains what they read and wrote\n${best.map((e) => `  ${e.why}`).join('\n')}`;
}

/** Breadth-first search from `start` back to itself. */
function shortestCycle(edges: Edge[][], start: number): Edge[] | undefined {
  const via = new Map<number, { from: number; edge: Edge }>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const at = queue[head]!;
    for (const edge of edges[at]!) {
      if (edge.to === start) {
        const path = [edge];
        for (let node = at; node !== start; node = via.get(node)!.from) path.unshift(via.get(node)!.edge);
        return path;
      }
      if (!via.has(edge.to)) {
        via.set(edge.to, { from: at, edge });
        queue.push(edge.to);
      }
    }
  }
  return undefined;
}

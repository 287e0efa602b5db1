/**
 * Convergence: after the faults are healed and the system has been quiet for a while, every replica
 * holds the same state. Reports the replicas grouped by the state they hold.
 */
import { isDeepStrictEqual } from 'node:util';
import type { NodeId } from '../types.ts';

export type ConvergenceResult<S> =
  | { ok: true; state: S | undefined }
  | { ok: false; groups: Array<{ nodes: NodeId[]; state: S }> };

export function checkConvergence<S>(states: ReadonlyMap<NodeId, S>, equal: (a: S, b: S) => boolean = isDeepStrictEqual): ConvergenceResult<S> {
  const groups: Array<{ nodes: NodeId[]; state: S }> = [];
  for (const [node, state] of states) {
    const group = groups.find((g) => equal(g.state, state));
    if (group) group.nodes.push(node);
    else groups.push({ nodes: [node], state });
  }
  if (groups.length <= 1) return { ok: true, state: groups[0]?.state };
  return { ok: false, groups: groups.sort((a, b) => b.nodes.length - a.nodes.length) };
}

export function describeDivergence<S>(groups: ReadonlyArray<{ nodes: NodeId[]; state: S }>, show: (s: S) => string = (s) => JSON.stringify(s)): string {
  return groups.map((g) => `  ${g.nodes.join(', ')}: ${show(g.state)}`).join('\n');
}

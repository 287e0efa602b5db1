/**
 * When the world was broken, read back from a trace: partitions (from the cut to the heal), process
 * pauses (to the resume) and down time (from a crash to the restart). Timelines shade them and
 * `learn-ds explain` jumps between them.
 */
import type { NodeId, TraceEvent } from './types.ts';

export interface FaultPeriod {
  kind: 'partition' | 'pause' | 'down';
  /** The nodes it concerns (a partition: every node named in its description). */
  nodes: NodeId[];
  /** True times, ms; `to` is undefined while it lasted to the end of the trace. */
  from: number;
  to: number | undefined;
  /** e.g. `partition {n1} | {n2,n3}`, `n2 paused`, `n3 down (crashed right after …)`. */
  label: string;
}

/** Node ids named in a partition's description (`{n1} | {n2,n3}`, `n1 → n2 cut (one way)`). */
function namedNodes(description: string, known: readonly NodeId[]): NodeId[] {
  const words = new Set(description.split(/[\s{}|,→()]+/).filter(Boolean));
  return known.filter((id) => words.has(id));
}

/** Every fault period of `trace`, in the order they began. `nodes` helps name a partition's nodes. */
export function faultPeriods(trace: readonly TraceEvent[], nodes: readonly NodeId[] = []): FaultPeriod[] {
  const periods: FaultPeriod[] = [];
  let partition: FaultPeriod | undefined;
  const paused = new Map<NodeId, FaultPeriod>();
  const down = new Map<NodeId, FaultPeriod>();
  const open = (p: FaultPeriod) => {
    periods.push(p);
    return p;
  };
  for (const e of trace) {
    switch (e.kind) {
      case 'partition':
        // Partitions add up until a heal (one-way cuts come one per pair): one period, labelled by all.
        if (partition) {
          partition.label += `; ${e.description}`;
          for (const id of namedNodes(e.description, nodes)) if (!partition.nodes.includes(id)) partition.nodes.push(id);
        } else {
          partition = open({ kind: 'partition', nodes: namedNodes(e.description, nodes), from: e.t, to: undefined, label: `partition ${e.description}` });
        }
        break;
      case 'heal':
        if (partition) partition.to = e.t;
        partition = undefined;
        break;
      case 'pause':
        // A pause extended while paused stays one period.
        if (!paused.has(e.node)) paused.set(e.node, open({ kind: 'pause', nodes: [e.node], from: e.t, to: undefined, label: `${e.node} paused` }));
        break;
      case 'resume': {
        const p = paused.get(e.node);
        if (p) p.to = e.t;
        paused.delete(e.node);
        break;
      }
      case 'crash': {
        const p = paused.get(e.node);
        if (p) p.to = e.t;
        paused.delete(e.node);
        if (!down.has(e.node)) {
          down.set(e.node, open({ kind: 'down', nodes: [e.node], from: e.t, to: undefined, label: `${e.node} down${e.cause ? ` (crashed ${e.cause})` : ''}` }));
        }
        break;
      }
      case 'restart': {
        const p = down.get(e.node);
        if (p) p.to = e.t;
        down.delete(e.node);
        break;
      }
      default:
        break;
    }
  }
  return periods;
}

/** Is `t` inside the period (its start included, its end excluded)? */
export function within(period: FaultPeriod, t: number): boolean {
  return t >= period.from && (period.to === undefined || t < period.to);
}

/**
 * A simulation's fault schedule as data: every fault it is asked to inject (by the nemesis or by
 * test code), with its time, its nodes and when a later call undid it, as steps numbered in the
 * order they were asked for. A plan (the steps to keep) suppresses the others, and with them their
 * undo, so that a failing run can be re-run with fewer faults (shrinking) and replayed exactly.
 */
import type { NodeId } from './types.ts';

/** One fault request; `end` is when a later call undid it (heal, restart, resume, loss set back). */
export type FaultPart =
  | { kind: 'partition'; groups: NodeId[][]; end?: number }
  | { kind: 'one-way'; from: NodeId; to: NodeId; end?: number }
  | { kind: 'crash'; node: NodeId; end?: number }
  /** A crash armed by crashAfter: `fired` is when it happened, if it did. */
  | { kind: 'crash-after'; node: NodeId; trigger: string; fired?: number; end?: number }
  | { kind: 'pause'; node: NodeId; ms: number; end?: number }
  /** The loss rate changed; `inEffectBefore` is the rate in force before (to restore on undo). */
  | { kind: 'loss'; from: number; to: number; inEffectBefore: number; end?: number };

export interface FaultStep {
  /** 1-based, in the order the faults were asked for; stable across re-runs of the same seed. */
  index: number;
  /** Who asked: 'nemesis' (one random fault, all its parts one step) or 'test' (one call, one step). */
  by: string;
  /** True time (ms) of the request. */
  at: number;
  parts: FaultPart[];
  /** Left out of this run by the plan: nothing of it (nor of its undo) happened. */
  suppressed: boolean;
}

export class FaultSchedule {
  readonly steps: FaultStep[] = [];
  /** The steps to keep (by index); undefined keeps all. */
  keep: ReadonlySet<number> | undefined;
  #group: { by: string; step: FaultStep | undefined } | undefined;

  /**
   * Runs `inject` so that every fault it asks for is one step, attributed to `by`. The step is
   * numbered even if it asks for nothing (say, a crash of nodes already down), so that the steps
   * after it keep their numbers whatever state the run is in.
   */
  group<T>(by: string, inject: () => T, now: number): T {
    const outer = this.#group;
    this.#group = { by, step: undefined };
    this.#stepFor(now);
    try {
      return inject();
    } finally {
      this.#group = outer;
    }
  }

  /** Records a fault request at `now`; true when the plan suppresses it (the caller skips its effect). */
  request(part: FaultPart, now: number): boolean {
    const step = this.#stepFor(now);
    step.parts.push(part);
    return step.suppressed;
  }

  #stepFor(now: number): FaultStep {
    if (this.#group?.step) return this.#group.step;
    const index = this.steps.length + 1;
    const step: FaultStep = { index, by: this.#group?.by ?? 'test', at: now, parts: [], suppressed: this.keep !== undefined && !this.keep.has(index) };
    this.steps.push(step);
    if (this.#group) this.#group.step = step;
    return step;
  }

  #stepOf(part: FaultPart): FaultStep | undefined {
    for (let i = this.steps.length - 1; i >= 0; i--) if (this.steps[i]!.parts.includes(part)) return this.steps[i];
    return undefined;
  }

  #open<K extends FaultPart['kind']>(kind: K, match: (part: Extract<FaultPart, { kind: K }>) => boolean): Array<Extract<FaultPart, { kind: K }>> {
    const found: Array<Extract<FaultPart, { kind: K }>> = [];
    for (const step of this.steps) {
      for (const part of step.parts) {
        if (part.kind === kind && part.end === undefined && match(part as Extract<FaultPart, { kind: K }>)) found.push(part as Extract<FaultPart, { kind: K }>);
      }
    }
    return found;
  }

  /** heal(): every open partition and one-way cut ends. */
  healed(now: number): void {
    for (const part of this.#open('partition', () => true)) part.end = now;
    for (const part of this.#open('one-way', () => true)) part.end = now;
  }

  /** A node restarted: its open crash ends. */
  restarted(node: NodeId, now: number): void {
    for (const part of this.#open('crash', (p) => p.node === node)) part.end = now;
    for (const part of this.#open('crash-after', (p) => p.node === node && p.fired !== undefined)) part.end = now;
  }

  /** A node's pause ended (on its own or by resume()). */
  resumed(node: NodeId, now: number): void {
    for (const part of this.#open('pause', (p) => p.node === node)) part.end = now;
  }

  /** A crash armed by crashAfter happened. */
  fired(node: NodeId, now: number): void {
    const armed = this.#open('crash-after', (p) => p.node === node && p.fired === undefined).at(-1);
    if (armed) armed.fired = now;
  }

  /**
   * The scenario changed the loss rate from `before` to `after` while `inEffect` was in force;
   * returns the rate to put in force. Setting it back to what an open change started from is that
   * change's undo (restoring what was in force before it); any other change is a new fault.
   */
  lossChanged(before: number, after: number, inEffect: number, now: number): number {
    const undone = this.#open('loss', (p) => p.to === before && p.from === after).at(-1);
    if (undone) {
      undone.end = now;
      return this.#stepOf(undone)!.suppressed ? inEffect : undone.inEffectBefore;
    }
    const suppressed = this.request({ kind: 'loss', from: before, to: after, inEffectBefore: inEffect }, now);
    return suppressed ? inEffect : after;
  }

  /** The steps that took effect in this run (and asked for something). */
  active(): FaultStep[] {
    return this.steps.filter((s) => !s.suppressed && s.parts.length > 0);
  }
}

// ── the plan on the command line: `--faults 2,5@k3f` (keep steps 2 and 5 of check k3f) ──────────

/** How `verify --faults` reaches the hidden run. */
export const FAULTS_ENV = 'LEARN_DS_FAULTS';

/** A plan of the steps to keep as text for a replay command; `check` names the scenario it is for. */
export function encodePlan(keep: Iterable<number>, check: string): string {
  const list = [...keep].sort((a, b) => a - b);
  return `${list.length === 0 ? 'none' : list.join(',')}@${check}`;
}

export interface DecodedPlan {
  keep: Set<number>;
  check: string;
}

/** Reads `2,5@k3f` (or `none@k3f`); undefined when it is not one. */
export function decodePlan(text: string | undefined): DecodedPlan | undefined {
  const m = /^(none|\d+(?:,\d+)*)@([a-z0-9]+)$/.exec(text?.trim() ?? '');
  if (!m) return undefined;
  return { keep: new Set(m[1] === 'none' ? [] : m[1]!.split(',').map(Number)), check: m[2]! };
}

// ── the story: a short numbered account of the faults, for a learner ─────────────────────────────

function ms(t: number): string {
  return `${Math.round(t)} ms`;
}

function percent(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}

/** "n1", "n1 and n2", "n1, n2 and n3". */
export function listNodes(nodes: readonly NodeId[]): string {
  if (nodes.length <= 1) return nodes.join('');
  return `${nodes.slice(0, -1).join(', ')} and ${nodes.at(-1)}`;
}

function until(end: number | undefined, undo: string, never: string): string {
  return end === undefined ? never : ` ${undo} ${ms(end)}`;
}

/** One step as a sentence (without its number). */
export function describeStep(step: FaultStep, allNodes: readonly NodeId[]): string {
  const parts = step.parts;
  const first = parts[0];
  if (!first) return `nothing happens at ${ms(step.at)}.`;
  const ends = [...new Set(parts.map((p) => p.end))];
  const end = ends.length === 1 ? ends[0] : undefined;
  const healed = until(end, 'and heals at', ', never healed');
  switch (first.kind) {
    case 'partition': {
      // Each group in the cluster's order, whatever order the nemesis drew it in.
      const rank = (id: NodeId) => (allNodes.includes(id) ? allNodes.indexOf(id) : allNodes.length);
      const groups = first.groups.filter((g) => g.length > 0).map((g) => [...g].sort((a, b) => rank(a) - rank(b)));
      const lone = groups.find((g) => g.length === 1);
      if (groups.length === 2 && lone) {
        const others = groups.find((g) => g !== lone)!;
        const rest = others.length === allNodes.length - 1 && allNodes.every((n) => n === lone[0] || others.includes(n)) ? `the other ${others.length === 1 ? 'node' : 'nodes'} (${listNodes(others)})` : listNodes(others);
        return `${lone[0]} is cut off from ${rest} at ${ms(step.at)}${healed}.`;
      }
      return `the network splits into ${listNodes(groups.map((g) => `{${g.join(', ')}}`))} at ${ms(step.at)}${healed}.`;
    }
    case 'one-way': {
      const cuts = parts.filter((p): p is Extract<FaultPart, { kind: 'one-way' }> => p.kind === 'one-way');
      const from = [...new Set(cuts.map((c) => c.from))];
      const to = [...new Set(cuts.map((c) => c.to))];
      const who = from.length === 1 ? `messages from ${from[0]} to ${listNodes(to)}` : cuts.map((c) => `${c.from} → ${c.to}`).join(', ');
      return `${who} are lost (one way: replies still arrive) from ${ms(step.at)}${until(end, 'until', ', never healed')}.`;
    }
    case 'crash':
    case 'crash-after': {
      const nodes = parts.flatMap((p) => ('node' in p ? [p.node] : []));
      const many = nodes.length > 1;
      if (first.kind === 'crash-after') {
        const when = first.fired === undefined ? 'it never came to that' : `it crashes at ${ms(first.fired)}${until(end, 'and restarts at', ' and stays down')}`;
        return `${first.node} is set at ${ms(step.at)} to crash ${first.trigger}; ${when}.`;
      }
      return `${listNodes(nodes)} ${many ? 'crash' : 'crashes'} at ${ms(step.at)}${until(end, `and ${many ? 'restart' : 'restarts'} at`, ` and ${many ? 'stay' : 'stays'} down`)}.`;
    }
    case 'pause': {
      const length = end === undefined ? first.ms : end - step.at;
      return `${first.node} is paused (frozen, its messages held) at ${ms(step.at)} for ${ms(length)}.`;
    }
    case 'loss':
      if (end === undefined && first.to === 0) return `from ${ms(step.at)}, no message is lost any more (${percent(first.from)} were until then).`;
      return end === undefined
        ? `from ${ms(step.at)}, ${percent(first.to)} of messages are lost (it was ${percent(first.from)}).`
        : `from ${ms(step.at)} to ${ms(end)}, ${percent(first.to)} of messages are lost (${percent(first.from)} otherwise).`;
  }
}

/** The steps as a numbered story: ["1. n3 is cut off … at 120 ms.", "2. …"]. */
export function story(steps: readonly FaultStep[], allNodes: readonly NodeId[]): string[] {
  return steps.map((step, i) => `${i + 1}. ${capitalize(describeStep(step, allNodes))}`);
}

/** Sentences start with a capital, node ids keep their case: "The network splits…", "n3 is cut off…". */
function capitalize(text: string): string {
  return /^(the|messages|from) /.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

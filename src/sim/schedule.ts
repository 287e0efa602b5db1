/**
 * A simulation's fault schedule as data: every fault it is asked to inject (by the nemesis or by
 * test code), with its time, its nodes and when a later call undid it, as steps numbered in the
 * order they were asked for. A plan (the steps to keep) suppresses the others, and with them their
 * undo, so that a failing run can be re-run with fewer faults (shrinking) and replayed exactly.
 * Three lanes are numbered apart, so that dropping a step of one renumbers none of another:
 * faults (1, 2, …), client operations (o1, o2, …, when the scenario makes them droppable) and the
 * network's own losses and duplications of single messages (m1, m2, …, when the simulation asks
 * for them as steps).
 */
import type { NodeId } from './types.ts';

/** One fault request; `end` is when a later call undid it (heal, restart, resume, loss set back). */
export type FaultPart =
  | { kind: 'partition'; groups: NodeId[][]; end?: number }
  | { kind: 'one-way'; from: NodeId; to: NodeId; end?: number }
  | { kind: 'crash'; node: NodeId; end?: number }
  /** A crash armed by crashAfter: `fired` is when it happened, if it did; `end` (unfired) when it was disarmed. */
  | { kind: 'crash-after'; node: NodeId; trigger: string; fired?: number; end?: number }
  | { kind: 'pause'; node: NodeId; ms: number; end?: number }
  /** The loss rate changed; `inEffectBefore` is the rate in force before (to restore on undo). */
  | { kind: 'loss'; from: number; to: number; inEffectBefore: number; end?: number }
  /** The network lost (or duplicated) one message; `message` as the timeline shows it. */
  | { kind: 'lose' | 'duplicate'; from: NodeId; to: NodeId; message: string; end?: number }
  /** A client operation the scenario made: `what` in words ("c1 writes x=3 at n2"). */
  | { kind: 'operation'; client: NodeId; what: string; end?: number };

/** Faults, client operations, and single messages lost or duplicated: numbered apart. */
export type StepLane = 'fault' | 'operation' | 'message';

/** A step's name in a plan: its number for a fault, `o3` for an operation, `m3` for a message. */
export type StepId = number | string;

const PREFIX: Record<StepLane, string> = { fault: '', operation: 'o', message: 'm' };

export interface FaultStep {
  /** 1-based within its lane, in the order asked for; stable across re-runs of the same seed. */
  index: number;
  lane: StepLane;
  /** The step's name in a plan (see StepId). */
  id: StepId;
  /** Who asked: 'nemesis' (one random fault, all its parts one step), 'test' (one call, one step), 'network' or a client. */
  by: string;
  /** True time (ms) of the request. */
  at: number;
  parts: FaultPart[];
  /** Left out of this run by the plan: nothing of it (nor of its undo) happened. */
  suppressed: boolean;
}

/** A crash armed by crashAfter that never fired did nothing but replace another that did not fire either. */
function didNothing(step: FaultStep): boolean {
  return step.parts.every((p) => p.kind === 'crash-after' && p.fired === undefined);
}

export class FaultSchedule {
  readonly steps: FaultStep[] = [];
  /** The steps to keep (by id); undefined keeps all. */
  keep: ReadonlySet<StepId> | undefined;
  #group: { by: string; step: FaultStep | undefined } | undefined;
  readonly #counts: Record<StepLane, number> = { fault: 0, operation: 0, message: 0 };

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

  /**
   * A step of its own in another lane (an operation, a lost or duplicated message), never grouped
   * with a fault; true when the plan suppresses it.
   */
  requestIn(lane: Exclude<StepLane, 'fault'>, by: string, part: FaultPart, now: number): boolean {
    const step = this.#newStep(lane, by, now);
    step.parts.push(part);
    return step.suppressed;
  }

  #stepFor(now: number): FaultStep {
    if (this.#group?.step) return this.#group.step;
    const step = this.#newStep('fault', this.#group?.by ?? 'test', now);
    if (this.#group) this.#group.step = step;
    return step;
  }

  #newStep(lane: StepLane, by: string, now: number): FaultStep {
    const index = ++this.#counts[lane];
    const id: StepId = lane === 'fault' ? index : `${PREFIX[lane]}${index}`;
    const step: FaultStep = { index, lane, id, by, at: now, parts: [], suppressed: this.keep !== undefined && !this.keep.has(id) };
    this.steps.push(step);
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

  /** A crash armed on `node` that has not fired is disarmed (replaced by another, or by disarm()). */
  disarmed(node: NodeId, now: number): void {
    for (const part of this.#open('crash-after', (p) => p.node === node && p.fired === undefined)) part.end = now;
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

  /**
   * The steps that took effect in this run: asked for something, and, for a crash armed by
   * crashAfter, fired (one that never fired changed nothing that a shrunk run would miss).
   */
  active(lanes: readonly StepLane[] = ['fault', 'message', 'operation']): FaultStep[] {
    return this.steps.filter((s) => !s.suppressed && s.parts.length > 0 && lanes.includes(s.lane) && !didNothing(s));
  }

  /** The faults that took effect (a fault lane step or a lost or duplicated message), not the operations. */
  activeFaults(): FaultStep[] {
    return this.active(['fault', 'message']);
  }
}

// ── the plan on the command line: `--faults 2,5@k3f` (keep steps 2 and 5 of check k3f) ──────────

/** How `verify --faults` reaches the hidden run. */
export const FAULTS_ENV = 'LEARN_DS_FAULTS';
/** A file where a check that replayed the plan says so (one JSON line: check, seed, failed), for verify's notice. */
export const FAULTS_SEEN_ENV = 'LEARN_DS_FAULTS_SEEN';

/** Faults first, then messages, then operations, each by number. */
function stepOrder(id: StepId): [number, number] {
  if (typeof id === 'number') return [0, id];
  return [id.startsWith('m') ? 1 : 2, Number(id.slice(1))];
}

/** A plan of the steps to keep as text for a replay command; `check` names the scenario it is for. Runs of 3 or more read `o4-9`. */
export function encodePlan(keep: Iterable<StepId>, check: string): string {
  const list = [...new Set(keep)].sort((a, b) => {
    const [la, na] = stepOrder(a);
    const [lb, nb] = stepOrder(b);
    return la - lb || na - nb;
  });
  const out: string[] = [];
  for (let i = 0; i < list.length;) {
    const [lane, n] = stepOrder(list[i]!);
    let j = i;
    while (j + 1 < list.length && stepOrder(list[j + 1]!)[0] === lane && stepOrder(list[j + 1]!)[1] === n + (j + 1 - i)) j++;
    out.push(j - i >= 2 ? `${String(list[i])}-${n + (j - i)}` : list.slice(i, j + 1).map(String).join(','));
    i = j + 1;
  }
  return `${out.length === 0 ? 'none' : out.join(',')}@${check}`;
}

export interface DecodedPlan {
  keep: Set<StepId>;
  check: string;
}

/** Reads `2,5@k3f`, `2,m4,o7-12@k3f` (or `none@k3f`); undefined when it is not one. */
export function decodePlan(text: string | undefined): DecodedPlan | undefined {
  const m = /^(none|[mo]?\d+(?:-\d+)?(?:,[mo]?\d+(?:-\d+)?)*)@([a-z0-9]+)$/.exec(text?.trim() ?? '');
  if (!m) return undefined;
  const keep = new Set<StepId>();
  if (m[1] !== 'none') {
    for (const item of m[1]!.split(',')) {
      const [, prefix, from, to] = /^([mo]?)(\d+)(?:-(\d+))?$/.exec(item)!;
      const last = to === undefined ? Number(from) : Number(to);
      if (last < Number(from) || last - Number(from) > 100_000) return undefined;
      for (let n = Number(from); n <= last; n++) keep.add(prefix ? `${prefix}${n}` : n);
    }
  }
  return { keep, check: m[2]! };
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
    case 'lose':
    case 'duplicate': {
      const what = `${first.from}'s "${first.message}" to ${first.to}, sent at ${ms(step.at)},`;
      return first.kind === 'lose' ? `${what} is lost by the network.` : `${what} is duplicated by the network: it arrives twice.`;
    }
    case 'operation':
      return `${first.what} at ${ms(step.at)}${first.end === undefined ? '' : ` (answered at ${ms(first.end)})`}.`;
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

/**
 * The four CRDTs as the suite sees them: the learner's functions, called on copies and with their
 * results validated, next to a model of each (the definitions, written plainly), plus random
 * histories of updates and merges at three replicas, run on both in step.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describeThrown, fail, show } from 'learn-ds/harness';
import type { GCounter, LWWRegister, ORSet, PNCounter } from 'learn-ds/subject/crdts';
import {
  gcEmpty, gcIncrement, gcMerge, gcValue,
  lwwEmpty, lwwGet, lwwMerge, lwwSet,
  orAdd, orElements, orEmpty, orMerge, orRemove,
  pnAdd, pnEmpty, pnMerge, pnValue,
} from 'learn-ds/subject/crdts';

export { show };
export type { GCounter, LWWRegister, ORSet, PNCounter };

/** A plain deep copy of a state (states are plain data), so a call cannot change the caller's. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/** Runs one of the learner's functions; a throw fails the check with the call that threw. */
export function call<T>(text: () => string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    return fail(`${text()} threw ${describeThrown(error)}`);
  }
}

// ── validating what comes back ───────────────────────────────────────────────────────────────

/** The entry of `replica`, 0 when missing. */
export const at = (c: Readonly<Record<string, number>>, replica: string): number => (Object.hasOwn(c, replica) ? c[replica]! : 0);
const keysOf = (...cs: Array<Readonly<Record<string, number>>>) => [...new Set(cs.flatMap((c) => Object.keys(c)))];

export function asG(value: unknown, text: () => string, what = 'a G-counter'): GCounter {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${text()} returned ${show(value)}; expected ${what}: a plain object of replica → count, like { n1: 2, n2: 5 }`);
  }
  for (const [replica, n] of Object.entries(value)) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      fail(`${text()} returned ${show(value)}: the entry of '${replica}' is ${show(n)}; every entry of ${what} is a whole number ≥ 0`);
    }
  }
  return value as GCounter;
}

export function asPN(value: unknown, text: () => string): PNCounter {
  if (typeof value !== 'object' || value === null || !('p' in value) || !('n' in value)) {
    fail(`${text()} returned ${show(value)}; expected a PN-counter { p: G-counter of increments, n: G-counter of decrements }`);
  }
  const v = value as { p: unknown; n: unknown };
  asG(v.p, () => `${text()}.p`, 'the increments p');
  asG(v.n, () => `${text()}.n`, 'the decrements n');
  return value as PNCounter;
}

export function asLWW(value: unknown, text: () => string): LWWRegister {
  const v = value as Partial<LWWRegister> | null;
  if (typeof v !== 'object' || v === null || typeof v.time !== 'number' || !Number.isInteger(v.time) || v.time < 0 || typeof v.replica !== 'string' || !('value' in v)) {
    fail(`${text()} returned ${show(value)}; expected a register { value, time: a whole number ≥ 0, replica: the writer's id }`);
  }
  return v as LWWRegister;
}

export function asNumber(value: unknown, text: () => string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${text()} returned ${show(value)}; expected a number`);
  return value;
}

export function asElements(value: unknown, text: () => string): string[] {
  if (!Array.isArray(value) || value.some((e) => typeof e !== 'string')) {
    fail(`${text()} returned ${show(value)}; expected an array of the elements (strings)`);
  }
  const seen = new Set<string>();
  for (const e of value as string[]) {
    if (seen.has(e)) fail(`${text()} returned ${show(value)}: '${e}' is there twice; each element is listed once, however many times it was added`);
    seen.add(e);
  }
  return [...(value as string[])].sort();
}

export const sameG = (a: GCounter, b: GCounter): boolean => keysOf(a, b).every((r) => at(a, r) === at(b, r));
export const samePN = (a: PNCounter, b: PNCounter): boolean => sameG(a.p, b.p) && sameG(a.n, b.n);
export const sameLWW = (a: LWWRegister, b: LWWRegister): boolean =>
  a.time === b.time && a.replica === b.replica && (Object.is(a.value, b.value) || isDeepStrictEqual(a.value, b.value));
export const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
export const showSet = (elements: readonly string[]): string => `{${elements.map((e) => show(e)).join(', ')}}`;

/** Where two G-counters differ: "'n2' is 6, expected 3". */
export function gDifferences(got: GCounter, want: GCounter): string {
  return keysOf(want, got).filter((r) => at(got, r) !== at(want, r)).map((r) => `'${r}' is ${at(got, r)}, expected ${at(want, r)}`).join('; ');
}

// ── the learner's functions, each call on copies, each result validated ──────────────────────

export const G = {
  empty: (): GCounter => asG(call(() => 'gcEmpty()', () => gcEmpty()), () => 'gcEmpty()'),
  inc: (c: GCounter, r: string, amount?: number): GCounter => {
    const text = () => `gcIncrement(${show(c)}, '${r}'${amount === undefined ? '' : `, ${amount}`})`;
    return asG(call(text, () => (amount === undefined ? gcIncrement(copy(c), r) : gcIncrement(copy(c), r, amount))), text);
  },
  value: (c: GCounter): number => asNumber(call(() => `gcValue(${show(c)})`, () => gcValue(copy(c))), () => `gcValue(${show(c)})`),
  merge: (a: GCounter, b: GCounter): GCounter => {
    const text = () => `gcMerge(${show(a)}, ${show(b)})`;
    return asG(call(text, () => gcMerge(copy(a), copy(b))), text);
  },
};

export const PN = {
  empty: (): PNCounter => asPN(call(() => 'pnEmpty()', () => pnEmpty()), () => 'pnEmpty()'),
  add: (c: PNCounter, r: string, delta: number): PNCounter => {
    const text = () => `pnAdd(${show(c)}, '${r}', ${delta})`;
    return asPN(call(text, () => pnAdd(copy(c), r, delta)), text);
  },
  value: (c: PNCounter): number => asNumber(call(() => `pnValue(${show(c)})`, () => pnValue(copy(c))), () => `pnValue(${show(c)})`),
  merge: (a: PNCounter, b: PNCounter): PNCounter => {
    const text = () => `pnMerge(${show(a)}, ${show(b)})`;
    return asPN(call(text, () => pnMerge(copy(a), copy(b))), text);
  },
};

/** OR-set states are the learner's own representation: the suite names them instead of printing them. */
export const OR = {
  empty: (): ORSet => call(() => 'orEmpty()', () => orEmpty()),
  add: (s: ORSet, r: string, e: string, name = 's'): ORSet => call(() => `orAdd(${name}, '${r}', ${show(e)})`, () => orAdd(copy(s), r, e)),
  remove: (s: ORSet, r: string, e: string, name = 's'): ORSet => call(() => `orRemove(${name}, '${r}', ${show(e)})`, () => orRemove(copy(s), r, e)),
  elements: (s: ORSet, name = 's'): string[] => asElements(call(() => `orElements(${name})`, () => orElements(copy(s))), () => `orElements(${name})`),
  merge: (a: ORSet, b: ORSet, names = ['a', 'b']): ORSet => call(() => `orMerge(${names[0]}, ${names[1]})`, () => orMerge(copy(a), copy(b))),
};

export const LWW = {
  empty: (): LWWRegister => asLWW(call(() => 'lwwEmpty()', () => lwwEmpty()), () => 'lwwEmpty()'),
  set: (reg: LWWRegister, r: string, v: unknown): LWWRegister => {
    const text = () => `lwwSet(${showReg(reg)}, '${r}', ${show(v)})`;
    return asLWW(call(text, () => lwwSet({ ...reg }, r, v)), text);
  },
  get: (reg: LWWRegister): unknown => call(() => `lwwGet(${showReg(reg)})`, () => lwwGet({ ...reg })),
  merge: (a: LWWRegister, b: LWWRegister): LWWRegister => {
    const text = () => `lwwMerge(${showReg(a)}, ${showReg(b)})`;
    return asLWW(call(text, () => lwwMerge({ ...a }, { ...b })), text);
  },
};

export const showReg = (r: LWWRegister): string => `{ value: ${show(r.value)}, time: ${r.time}, replica: '${r.replica}' }`;

// ── models: the definitions, written plainly ─────────────────────────────────────────────────

export const modelG = {
  inc: (c: GCounter, r: string, amount: number): GCounter => ({ ...c, [r]: at(c, r) + amount }),
  merge: (a: GCounter, b: GCounter): GCounter => Object.fromEntries(keysOf(a, b).map((r) => [r, Math.max(at(a, r), at(b, r))])),
  value: (c: GCounter): number => keysOf(c).reduce((sum, r) => sum + at(c, r), 0),
};

export const modelPN = {
  add: (c: PNCounter, r: string, d: number): PNCounter => (d >= 0 ? { p: modelG.inc(c.p, r, d), n: c.n } : { p: c.p, n: modelG.inc(c.n, r, -d) }),
  merge: (a: PNCounter, b: PNCounter): PNCounter => ({ p: modelG.merge(a.p, b.p), n: modelG.merge(a.n, b.n) }),
  value: (c: PNCounter): number => modelG.value(c.p) - modelG.value(c.n),
};

/** The OR-set as tags and tombstones: tags are unique per add, a remove tombstones the tags it sees. */
export interface ModelSet {
  adds: Array<{ element: string; tag: string }>;
  removed: Set<string>;
  /** Adds made so far per replica, for fresh tags. */
  made: Map<string, number>;
}

export const modelOR = {
  empty: (): ModelSet => ({ adds: [], removed: new Set(), made: new Map() }),
  add(s: ModelSet, r: string, element: string): ModelSet {
    const n = (s.made.get(r) ?? 0) + 1;
    return { adds: [...s.adds, { element, tag: `${r}\u0000${n}` }], removed: s.removed, made: new Map(s.made).set(r, n) };
  },
  remove(s: ModelSet, _r: string, element: string): ModelSet {
    const removed = new Set(s.removed);
    for (const a of s.adds) if (a.element === element) removed.add(a.tag);
    return { ...s, removed };
  },
  merge(a: ModelSet, b: ModelSet): ModelSet {
    const tags = new Set(a.adds.map((x) => x.tag));
    const made = new Map(a.made);
    for (const [r, n] of b.made) made.set(r, Math.max(n, made.get(r) ?? 0));
    return { adds: [...a.adds, ...b.adds.filter((x) => !tags.has(x.tag))], removed: new Set([...a.removed, ...b.removed]), made };
  },
  elements: (s: ModelSet): string[] => [...new Set(s.adds.filter((x) => !s.removed.has(x.tag)).map((x) => x.element))].sort(),
};

export const modelLWW = {
  set: (reg: LWWRegister, r: string, value: unknown): LWWRegister => ({ value, time: reg.time + 1, replica: r }),
  /** The larger stamp: time first, then replica id in plain string order. */
  merge: (a: LWWRegister, b: LWWRegister): LWWRegister => (b.time > a.time || (b.time === a.time && b.replica > a.replica) ? b : a),
};

// ── inputs ───────────────────────────────────────────────────────────────────────────────────

/** Replica ids of several shapes: sequential, ones that differ only in case, non-ASCII, random. */
export const replicasArb: fc.Arbitrary<[string, string, string]> = fc.oneof(
  fc.constant<[string, string, string]>(['n1', 'n2', 'n3']),
  fc.constant<[string, string, string]>(['n1', 'N1', 'n10']),
  fc.constant<[string, string, string]>(['réplica-é', '東京', 'db-2']),
  fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,8}$/), { minLength: 3, maxLength: 3 }).map((a) => a as [string, string, string]),
);

/** A few elements, so that adds and removes of the same one meet often; case and non-ASCII matter. */
export const ELEMENTS = ['apple', 'Apple', '🍐', 'ß', ''] as const;

export type Step<Op> = { kind: 'op'; at: number; op: Op } | { kind: 'merge'; into: number; from: number };

export function historyArb<Op>(opArb: fc.Arbitrary<Op>, maxLength = 14): fc.Arbitrary<Array<Step<Op>>> {
  const at = fc.nat({ max: 2 });
  return fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('op' as const), at, op: opArb }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('merge' as const), into: at, from: at }) },
    ),
    { maxLength },
  );
}

export type GOp = number;
export type PNOp = number;
export type OROp = { add: boolean; element: string };
export type LWWOp = unknown;

export const gOpArb: fc.Arbitrary<GOp> = fc.nat({ max: 5 });
export const pnOpArb: fc.Arbitrary<PNOp> = fc.integer({ min: -5, max: 5 });
export const orOpArb: fc.Arbitrary<OROp> = fc.record({ add: fc.boolean(), element: fc.constantFrom(...ELEMENTS) });
export const lwwValueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 4 }), fc.integer({ min: -3, max: 9 }), fc.constant(null), fc.constant(undefined), fc.constant(''), fc.constant(0),
  fc.record({ id: fc.nat({ max: 3 }) }),
);

/** "n1: gcIncrement +2 · n2 ← merge n1 · …": a history as a learner reads it. */
export function describeHistory<Op>(replicas: readonly string[], steps: ReadonlyArray<Step<Op>>, showOp: (op: Op) => string): string {
  if (steps.length === 0) return 'no steps: three empty states';
  return steps
    .map((s, i) => `${i + 1}. ${s.kind === 'op' ? `at '${replicas[s.at]}': ${showOp(s.op)}` : `'${replicas[s.into]}' merges the state of '${replicas[s.from]}'`}`)
    .join('\n');
}

/** Runs a history on three replicas; returns each replica's state after every step. */
export function runHistory<S, Op>(
  replicas: readonly string[],
  steps: ReadonlyArray<Step<Op>>,
  empty: () => S,
  apply: (s: S, replica: string, op: Op) => S,
  merge: (into: S, from: S) => S,
  after?: (states: S[], step: number) => void,
): S[] {
  const states = replicas.map(() => empty());
  steps.forEach((s, i) => {
    if (s.kind === 'op') states[s.at] = apply(states[s.at]!, replicas[s.at]!, s.op);
    else states[s.into] = merge(states[s.into]!, states[s.from]!);
    after?.(states, i);
  });
  return states;
}

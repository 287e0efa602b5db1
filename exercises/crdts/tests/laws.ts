/**
 * The checks every type shares, written once: the merge laws (commutative, associative, idempotent)
 * on states reached by random histories, the model check (each replica's state follows the
 * definition after every step), and purity (no input modified).
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { check, fail, holds } from 'learn-ds/harness';
import { copy, describeHistory, historyArb, replicasArb, runHistory, type Step } from './kinds.ts';

export interface Kind<S, Op, M> {
  /** "G-counter", for messages. */
  name: string;
  /** The learner's merge function's name, e.g. "gcMerge". */
  mergeName: string;
  opArb: fc.Arbitrary<Op>;
  /** "gcIncrement(s, r, 2)". */
  showOp: (op: Op) => string;
  empty: () => S;
  apply: (s: S, replica: string, op: Op) => S;
  merge: (a: S, b: S) => S;
  /** What a state looks like in a message (OR-set states are the learner's own: their elements). */
  show: (s: S) => string;
  /** Same state, as far as the checks can tell (probes: states to merge both with, for hidden differences). */
  same: (a: S, b: S, probes: readonly S[]) => boolean;
  model: {
    empty: () => M;
    apply: (m: M, replica: string, op: Op) => M;
    merge: (a: M, b: M) => M;
    /** Does the learner's state match the model's? A reason when not. */
    differs: (s: S, m: M) => string | undefined;
    show: (m: M) => string;
  };
  /** The raw (unvalidated) functions, for purity: each takes copies it may keep. */
  raw: {
    apply: (s: S, replica: string, op: Op) => unknown;
    merge: (a: S, b: S) => unknown;
    read: (s: S) => unknown;
  };
}

type Args<Op> = [[string, string, string], Array<Step<Op>>];

function arbitrary<S, Op, M>(kind: Kind<S, Op, M>): fc.Arbitrary<Args<Op>> {
  return fc.tuple(replicasArb, historyArb(kind.opArb));
}

function describe<S, Op, M>(kind: Kind<S, Op, M>) {
  return ([[replicas, steps]]: [Args<Op>]) =>
    `three replicas '${replicas.join("', '")}', starting empty, then:\n${describeHistory(replicas, steps, kind.showOp)}`;
}

/** After every step of random histories, every replica's state matches the definition. */
export async function followsModel<S, Op, M>(kind: Kind<S, Op, M>): Promise<void> {
  await holds(
    fc.property(arbitrary(kind), ([replicas, steps]) => {
      const models: M[][] = [];
      runHistory(replicas, steps, kind.model.empty, kind.model.apply, kind.model.merge, (states) => models.push([...states]));
      runHistory(replicas, steps, kind.empty, kind.apply, kind.merge, (states, i) => {
        const s = steps[i]!;
        const who = s.kind === 'op' ? s.at : s.into;
        const problem = kind.model.differs(states[who]!, models[i]![who]!);
        if (problem) {
          fail(
            `after step ${i + 1} (${s.kind === 'op' ? `at '${replicas[s.at]}': ${kind.showOp(s.op)}` : `'${replicas[s.into]}' merged the state of '${replicas[s.from]}'`}), ` +
              `'${replicas[who]}' holds ${kind.show(states[who]!)}; expected ${kind.model.show(models[i]![who]!)}: ${problem}`,
          );
        }
      });
    }),
    { describe: describe(kind) },
  );
}

/** Commutative, associative, idempotent, on the states three replicas reach. */
export async function mergeLaws<S, Op, M>(kind: Kind<S, Op, M>): Promise<void> {
  const m = kind.mergeName;
  await holds(
    fc.property(arbitrary(kind), ([replicas, steps]) => {
      const [a, b, c] = runHistory(replicas, steps, kind.empty, kind.apply, kind.merge) as [S, S, S];
      const probes = [a, b, c];
      const aa = kind.merge(a, a);
      check(
        kind.same(aa, a, probes),
        () => `merge is not idempotent: with a = ${kind.show(a)} (the state of '${replicas[0]}'), ${m}(a, a) returned ${kind.show(aa)}; ` +
          'expected a state equal to a: merging a state it already has must change nothing (replicas receive the same state again and again)',
      );
      const ab = kind.merge(a, b);
      const ba = kind.merge(b, a);
      check(
        kind.same(ab, ba, probes),
        () => `merge is not commutative: with a = ${kind.show(a)} and b = ${kind.show(b)} (the states of '${replicas[0]}' and '${replicas[1]}'), ` +
          `${m}(a, b) returned ${kind.show(ab)} but ${m}(b, a) returned ${kind.show(ba)}; the order in which two replicas' states meet must not matter`,
      );
      const left = kind.merge(ab, c);
      const right = kind.merge(a, kind.merge(b, c));
      check(
        kind.same(left, right, probes),
        () => `merge is not associative: with a = ${kind.show(a)}, b = ${kind.show(b)}, c = ${kind.show(c)}, ` +
          `${m}(${m}(a, b), c) returned ${kind.show(left)} but ${m}(a, ${m}(b, c)) returned ${kind.show(right)}; the grouping of merges must not matter`,
      );
    }),
    { describe: describe(kind) },
  );
}

/** No function modifies a state it is given (each gets a fresh copy, compared after the call). */
export async function pure<S, Op, M>(kind: Kind<S, Op, M>, names: { apply: string; read: string }): Promise<void> {
  await holds(
    fc.property(arbitrary(kind), kind.opArb, ([replicas, steps], op) => {
      const [a, b] = runHistory(replicas, steps, kind.empty, kind.apply, kind.merge) as [S, S, S];
      // Copies on both sides, so that the comparison sees only what the call did.
      const [sa, sb] = [copy(a), copy(b)];
      const [ca, cb] = [copy(a), copy(b)];
      kind.raw.merge(ca, cb);
      check(isDeepStrictEqual(ca, sa), () => `${kind.mergeName}(a, b) modified its first argument: a was ${kind.show(sa)} before the call and ${kind.show(ca)} after; merge must return a new state and leave both arguments as they were (a replica may still be sending a)`);
      check(isDeepStrictEqual(cb, sb), () => `${kind.mergeName}(a, b) modified its second argument: b was ${kind.show(sb)} before the call and ${kind.show(cb)} after; merge must return a new state and leave both arguments as they were (b may be a message another replica also received)`);
      const c = copy(a);
      kind.raw.apply(c, replicas[0], op);
      check(isDeepStrictEqual(c, sa), () => `${names.apply} modified the state it was given: it was ${kind.show(sa)} before ${kind.showOp(op)} and ${kind.show(c)} after; return a new state instead`);
      const r = copy(a);
      kind.raw.read(r);
      check(isDeepStrictEqual(r, sa), () => `${names.read} modified the state it was given: it was ${kind.show(sa)} before the call and ${kind.show(r)} after`);
    }),
    { describe: ([[replicas, steps], op]) => `${describe(kind)([[replicas, steps]])}\nthen ${kind.showOp(op)} at '${replicas[0]}'` },
  );
}

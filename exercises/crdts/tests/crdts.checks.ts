import { test } from 'vitest';
import { check, fail } from 'learn-ds/harness';
import type { GCounter, LWWRegister, ORSet, PNCounter } from 'learn-ds/subject/crdts';
import {
  gcIncrement, gcMerge, gcValue, lwwGet, lwwMerge, lwwSet, orAdd, orElements, orMerge, orRemove, pnAdd, pnMerge, pnValue,
} from 'learn-ds/subject/crdts';
import {
  G, LWW, OR, PN, gDifferences, gOpArb, lwwValueArb, modelG, modelLWW, modelOR, modelPN, orOpArb, pnOpArb,
  sameG, sameLWW, sameList, samePN, show, showReg, showSet,
  type GOp, type LWWOp, type ModelSet, type OROp, type PNOp,
} from './kinds.ts';
import { followsModel, mergeLaws, pure, type Kind } from './laws.ts';

// ── the four kinds, for the shared checks ────────────────────────────────────────────────────

const gKind: Kind<GCounter, GOp, GCounter> = {
  name: 'G-counter', mergeName: 'gcMerge', opArb: gOpArb, showOp: (n) => `gcIncrement(s, replica, ${n})`,
  empty: G.empty, apply: (s, r, n) => G.inc(s, r, n), merge: G.merge, show: (s) => show(s),
  same: (a, b) => sameG(a, b),
  model: {
    empty: () => ({}), apply: (s, r, n) => modelG.inc(s, r, n), merge: modelG.merge, show: (s) => show(s),
    differs: (s, m) => (sameG(s, m) ? undefined : gDifferences(s, m)),
  },
  // purity calls the learner's functions directly on the copies it checks afterwards
  raw: { apply: (s, r, n) => gcIncrement(s, r, n), merge: (a, b) => gcMerge(a, b), read: (s) => gcValue(s) },
};

const showPN = (c: PNCounter) => `{ p: ${show(c.p)}, n: ${show(c.n)} }`;
const pnKind: Kind<PNCounter, PNOp, PNCounter> = {
  name: 'PN-counter', mergeName: 'pnMerge', opArb: pnOpArb, showOp: (d) => `pnAdd(s, replica, ${d})`,
  empty: PN.empty, apply: (s, r, d) => PN.add(s, r, d), merge: PN.merge, show: showPN,
  same: (a, b) => samePN(a, b),
  model: {
    empty: () => ({ p: {}, n: {} }), apply: modelPN.add, merge: modelPN.merge, show: showPN,
    differs: (s, m) =>
      samePN(s, m) ? undefined : [sameG(s.p, m.p) ? '' : `in p, ${gDifferences(s.p, m.p)}`, sameG(s.n, m.n) ? '' : `in n, ${gDifferences(s.n, m.n)}`].filter(Boolean).join('; '),
  },
  raw: { apply: (s, r, d) => pnAdd(s, r, d), merge: (a, b) => pnMerge(a, b), read: (s) => pnValue(s) },
};

const orKind: Kind<ORSet, OROp, ModelSet> = {
  name: 'OR-set', mergeName: 'orMerge', opArb: orOpArb,
  showOp: (o) => `${o.add ? 'orAdd' : 'orRemove'}(s, replica, ${show(o.element)})`,
  empty: OR.empty, apply: (s, r, o) => (o.add ? OR.add(s, r, o.element) : OR.remove(s, r, o.element)), merge: (a, b) => OR.merge(a, b),
  show: (s) => `a set holding ${showSet(OR.elements(s))}`,
  // The representation is the learner's: two states are the same if they hold the same elements,
  // now and after merging with any of the probes (a hidden difference in what was removed shows there).
  same: (a, b, probes) => sameList(OR.elements(a), OR.elements(b)) && probes.every((p) => sameList(OR.elements(OR.merge(a, p)), OR.elements(OR.merge(b, p)))),
  model: {
    empty: modelOR.empty, apply: (m, r, o) => (o.add ? modelOR.add(m, r, o.element) : modelOR.remove(m, r, o.element)), merge: modelOR.merge,
    show: (m) => `a set holding ${showSet(modelOR.elements(m))}`,
    differs: (s, m) => {
      const [got, want] = [OR.elements(s), modelOR.elements(m)];
      if (sameList(got, want)) return undefined;
      const missing = want.filter((e) => !got.includes(e));
      const extra = got.filter((e) => !want.includes(e));
      return [
        missing.length ? `${showSet(missing)} missing (an add that no remove has seen must survive, here and after any merge)` : '',
        extra.length ? `${showSet(extra)} should not be there (every add of it was seen by a remove, here or at a replica whose state was merged)` : '',
      ].filter(Boolean).join('; ');
    },
  },
  raw: { apply: (s, r, o) => (o.add ? orAdd(s, r, o.element) : orRemove(s, r, o.element)), merge: (a, b) => orMerge(a, b), read: (s) => orElements(s) },
};

const lwwKind: Kind<LWWRegister, LWWOp, LWWRegister> = {
  name: 'LWW register', mergeName: 'lwwMerge', opArb: lwwValueArb, showOp: (v) => `lwwSet(s, replica, ${show(v)})`,
  empty: LWW.empty, apply: (s, r, v) => LWW.set(s, r, v), merge: LWW.merge, show: showReg,
  same: (a, b) => sameLWW(a, b),
  model: {
    empty: () => ({ value: undefined, time: 0, replica: '' }), apply: modelLWW.set, merge: modelLWW.merge, show: showReg,
    differs: (s, m) => (sameLWW(s, m) ? undefined : 'a write wins by its stamp: the larger time, then the larger replica id'),
  },
  raw: { apply: (s, r, v) => lwwSet(s, r, v), merge: (a, b) => lwwMerge(a, b), read: (s) => lwwGet(s) },
};


/** Fails unless `run` throws (an Error of any kind), with the call in the message. */
function expectThrow(text: string, run: () => unknown, why: string): void {
  let result: unknown;
  try {
    result = run();
  } catch {
    return;
  }
  fail(`${text} returned ${show(result)}; expected it to throw a RangeError: ${why}`);
}

// ── G-counter ────────────────────────────────────────────────────────────────────────────────

test("G-counter: gcEmpty() reads 0; gcIncrement adds to the replica's own entry (1 by default) and gcValue sums the entries", () => {
  const empty = G.empty();
  check(G.value(empty) === 0, () => `gcValue(gcEmpty()) returned ${G.value(empty)}; expected 0`);
  const one = G.inc(empty, 'n1');
  check(sameG(one, { n1: 1 }), () => `gcIncrement(gcEmpty(), 'n1') returned ${show(one)}; expected { n1: 1 } (the amount is 1 by default)`);
  const two = G.inc(G.inc(one, 'N1', 3), 'n1', 2);
  check(sameG(two, { n1: 3, N1: 3 }), () => `gcIncrement(gcIncrement({ n1: 1 }, 'N1', 3), 'n1', 2) returned ${show(two)}; expected { n1: 3, N1: 3 }: each replica counts in its own entry ('n1' and 'N1' are different replicas)`);
  check(G.value(two) === 6, () => `gcValue(${show(two)}) returned ${G.value(two)}; expected 6, the sum of the entries`);
  const zero = G.inc(two, '東京', 0);
  check(G.value(zero) === 6, () => `gcIncrement(s, '東京', 0) gave a counter reading ${G.value(zero)}; expected 6: adding 0 changes nothing`);
});

test('G-counter: gcIncrement accepts a whole number ≥ 0 and throws a RangeError for anything else (-1, 0.5, 2.5, NaN, Infinity)', () => {
  for (const bad of [-1, 0.5, 2.5, -0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    expectThrow(`gcIncrement({ n1: 4 }, 'n1', ${bad})`, () => gcIncrement({ n1: 4 }, 'n1', bad), 'a G-counter only grows, by whole increments; a negative amount would make merges take the old, larger entry and lose it');
  }
  const ok = G.inc({ n1: 4 }, 'n1', 1);
  check(sameG(ok, { n1: 5 }), () => `gcIncrement({ n1: 4 }, 'n1', 1) returned ${show(ok)}; expected { n1: 5 }`);
});

test('G-counter: gcMerge takes, for each replica, the larger of its two entries, never their sum', () => {
  const a = { n1: 3, n2: 1 };
  const b = { n1: 3, n2: 4, n3: 2 };
  const got = G.merge(a, b);
  check(
    sameG(got, { n1: 3, n2: 4, n3: 2 }),
    () => `gcMerge(${show(a)}, ${show(b)}) returned ${show(got)}; expected { n1: 3, n2: 4, n3: 2 } (${gDifferences(got, { n1: 3, n2: 4, n3: 2 })}): ` +
      "an entry counts one replica's increments, and both states saw the same 3 increments of 'n1', so the merge keeps the larger entry; a sum counts them twice",
  );
  const self = G.merge(b, b);
  check(sameG(self, b), () => `gcMerge(b, b) with b = ${show(b)} returned ${show(self)}; expected b itself: merging a state with itself changes nothing (merge must be idempotent)`);
});

test('G-counter: every replica follows the definition through random increments and merges', () => followsModel(gKind));
test('G-counter: gcMerge is commutative, associative and idempotent (random states of three replicas)', () => mergeLaws(gKind));
test('G-counter: gcMerge, gcIncrement and gcValue never modify the counters they are given', () => pure(gKind, { apply: 'gcIncrement', read: 'gcValue' }));

// ── PN-counter ───────────────────────────────────────────────────────────────────────────────

test("PN-counter: pnAdd counts increments in p and decrements in n, at the replica's own entry; pnValue is p minus n", () => {
  const empty = PN.empty();
  check(PN.value(empty) === 0, () => `pnValue(pnEmpty()) returned ${PN.value(empty)}; expected 0`);
  const up = PN.add(empty, 'n1', 5);
  const down = PN.add(up, 'n1', -3);
  check(samePN(down, { p: { n1: 5 }, n: { n1: 3 } }), () => `pnAdd(pnAdd(pnEmpty(), 'n1', 5), 'n1', -3) returned ${showPN(down)}; expected { p: { n1: 5 }, n: { n1: 3 } }: increments go to p, decrements (as positive counts) to n`);
  check(PN.value(down) === 2, () => `pnValue(${showPN(down)}) returned ${PN.value(down)}; expected 5 - 3 = 2`);
  const other = PN.add(down, 'réplica-é', -4);
  check(PN.value(other) === -2, () => `after pnAdd(s, 'réplica-é', -4), pnValue returned ${PN.value(other)}; expected 2 - 4 = -2 (a counter may go below 0)`);
  const zero = PN.add(other, 'n1', 0);
  check(PN.value(zero) === -2, () => `pnAdd(s, 'n1', 0) gave a counter reading ${PN.value(zero)}; expected -2: adding 0 changes nothing`);
});

test('PN-counter: pnAdd accepts any whole number and throws a RangeError otherwise (0.5, -2.5, NaN, Infinity)', () => {
  for (const bad of [0.5, -2.5, Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]) {
    expectThrow(`pnAdd({ p: { n1: 2 }, n: {} }, 'n1', ${bad})`, () => pnAdd({ p: { n1: 2 }, n: {} }, 'n1', bad), 'a PN-counter changes by whole numbers only');
  }
});

test('PN-counter: a decrement survives a merge with an earlier state of the same replica (two G-counters, not one)', () => {
  const before = PN.add(PN.empty(), 'n1', 5);
  const after = PN.add(before, 'n1', -3);
  for (const [x, y, text] of [[before, after, 'pnMerge(before, after)'], [after, before, 'pnMerge(after, before)']] as const) {
    const got = PN.merge(x, y);
    check(
      PN.value(got) === 2,
      () => `'n1' added 5 (state before = ${showPN(before)}), then -3 (state after = ${showPN(after)}); ${text} returned ${showPN(got)}, which reads ${PN.value(got)}; ` +
        'expected 2: the later state has seen every update of the earlier one, so the merge must read like it. Keep increments and decrements in two G-counters that only grow ' +
        '(one entry per replica that goes down on a decrement loses the decrement to the larger, older entry), and merge each with its own entries',
    );
  }
  const elsewhere = PN.add(PN.empty(), 'n2', -4);
  const both = PN.merge(after, elsewhere);
  check(
    samePN(both, { p: { n1: 5 }, n: { n1: 3, n2: 4 } }),
    () => `pnMerge(${showPN(after)}, ${showPN(elsewhere)}) returned ${showPN(both)}; expected { p: { n1: 5 }, n: { n1: 3, n2: 4 } }: the increments merge with the increments, the decrements with the decrements, entry by entry the larger`,
  );
});

test('PN-counter: every replica follows the definition through random additions and merges', () => followsModel(pnKind));
test('PN-counter: pnMerge is commutative, associative and idempotent (random states of three replicas)', () => mergeLaws(pnKind));
test('PN-counter: pnMerge, pnAdd and pnValue never modify the counters they are given', () => pure(pnKind, { apply: 'pnAdd', read: 'pnValue' }));

// ── OR-set ───────────────────────────────────────────────────────────────────────────────────

function expectElements(s: ORSet, want: readonly string[], what: string, why: string): void {
  const got = OR.elements(s);
  const sorted = [...want].sort();
  check(sameList(got, sorted), () => `${what}: orElements returned ${showSet(got)}; expected ${showSet(sorted)}: ${why}`);
}

test('OR-set: orAdd adds, orRemove removes, an element added again after its removal is back, and each element is listed once', () => {
  const empty = OR.empty();
  expectElements(empty, [], 'orEmpty()', 'a new set is empty');
  let s = OR.add(empty, 'n1', 'apple');
  s = OR.add(s, 'n1', 'Apple');
  s = OR.add(s, 'n2', 'apple');
  expectElements(s, ['apple', 'Apple'], "after orAdd 'apple' at n1, 'Apple' at n1, 'apple' again at n2", "each element once, however many times it was added ('apple' and 'Apple' are different elements)");
  s = OR.remove(s, 'n1', 'apple');
  expectElements(s, ['Apple'], "then orRemove 'apple' at n1", 'a remove takes out every add of the element that this state has seen, from any replica');
  s = OR.add(s, 'n2', 'apple');
  expectElements(s, ['apple', 'Apple'], "then orAdd 'apple' at n2 again", 'an element can come back after its removal: the new add is one no remove has seen');
  s = OR.remove(OR.add(s, 'n1', ''), 'n1', '🍐');
  expectElements(s, ['', 'apple', 'Apple'], "then orAdd '' and orRemove '🍐' (never added)", "the empty string is an element like any other, and removing an absent element changes nothing");
});

test('OR-set: add wins: an add concurrent with a remove of the same element survives the merge, in either order', () => {
  const shared = OR.add(OR.empty(), 'n1', 'x');
  const readded = OR.add(shared, 'n1', 'x'); // n1 adds x again, not knowing of n2's remove
  const removed = OR.remove(shared, 'n2', 'x'); // n2 removes x, not knowing of n1's second add
  for (const [a, b, names] of [[readded, removed, ['readded', 'removed']], [removed, readded, ['removed', 'readded']]] as const) {
    expectElements(
      OR.merge(a, b, [...names]),
      ['x'],
      `n1 and n2 both had {'x'} (added once, at n1); then, concurrently, n1 added 'x' again (state readded) and n2 removed 'x' (state removed); orMerge(${names[0]}, ${names[1]})`,
      "add wins: n2's remove only removes the adds it has seen, and it never saw n1's second add (remove-wins, or a tombstone for the element itself, would lose an add that nobody removed)",
    );
  }
});

test('OR-set: a remove takes out only the adds its replica has seen: an element added elsewhere, not yet merged, stays', () => {
  const there = OR.add(OR.empty(), 'n2', 'ß');
  const here = OR.remove(OR.empty(), 'n1', 'ß');
  expectElements(OR.merge(here, there, ['here', 'there']), ['ß'], "n2 added 'ß' (state there); n1, which had not seen it, removed 'ß' (state here); orMerge(here, there)", "n1's remove saw no add of 'ß', so it removes none");
});

test('OR-set: a remove is not undone by merging an older state that still has the element', () => {
  const old = OR.add(OR.add(OR.empty(), 'n1', 'apple'), 'n2', '🍐');
  const now = OR.remove(OR.merge(OR.empty(), old, ['orEmpty()', 'old']), 'n3', 'apple');
  for (const [a, b, names] of [[now, old, ['now', 'old']], [old, now, ['old', 'now']]] as const) {
    expectElements(
      OR.merge(a, b, [...names]),
      ['🍐'],
      `n3 merged the state old ({'apple', '🍐'}) and removed 'apple' (state now); orMerge(${names[0]}, ${names[1]})`,
      "the state now has seen every add of 'apple' and removed them all; the old state adds nothing new, so 'apple' must not come back (a merge is not a union of the elements: keep what was removed)",
    );
  }
});

test('OR-set: every add is told apart from all earlier ones: an add made after a remove survives a merge with a state that saw the remove', () => {
  const n1 = OR.add(OR.empty(), 'n1', 'apple');
  const n2 = OR.merge(OR.empty(), n1, ['orEmpty()', 'n1']);
  const later = OR.add(OR.remove(n1, 'n1', 'apple'), 'n1', '🍐');
  for (const [a, b, names] of [[later, n2, ['later', 'n2']], [n2, later, ['n2', 'later']]] as const) {
    expectElements(
      OR.merge(a, b, [...names]),
      ['🍐'],
      `n1 added 'apple', n2 merged n1's state, then n1 removed 'apple' and added '🍐' (state later); orMerge(${names[0]}, ${names[1]})`,
      "'🍐' was added after everything n2 has seen, so it must survive, and 'apple' stays removed: each add needs a tag never used before " +
        '(count every add a replica ever made, not the adds still present, or a new add can take the tag of one that was removed)',
    );
  }
});

test('OR-set: every replica follows the definition through random adds, removes and merges', () => followsModel(orKind));
test('OR-set: orMerge is commutative, associative and idempotent (random states of three replicas)', () => mergeLaws(orKind));
test('OR-set: orMerge, orAdd, orRemove and orElements never modify the sets they are given', () => pure(orKind, { apply: 'orAdd or orRemove', read: 'orElements' }));

// ── LWW register ─────────────────────────────────────────────────────────────────────────────

test("LWW register: lwwEmpty() holds no value at time 0; lwwSet writes with time = the register's time + 1 and the writer's id", () => {
  const empty = LWW.empty();
  check(empty.time === 0 && empty.value === undefined && LWW.get(empty) === undefined, () => `lwwEmpty() returned ${showReg(empty)}; expected { value: undefined, time: 0, replica: '' }`);
  const one = LWW.set(empty, 'n2', 'red');
  check(sameLWW(one, { value: 'red', time: 1, replica: 'n2' }), () => `lwwSet(lwwEmpty(), 'n2', 'red') returned ${showReg(one)}; expected { value: 'red', time: 1, replica: 'n2' }`);
  const two = LWW.set(one, 'n1', 'blue');
  check(sameLWW(two, { value: 'blue', time: 2, replica: 'n1' }), () => `lwwSet(${showReg(one)}, 'n1', 'blue') returned ${showReg(two)}; expected { value: 'blue', time: 2, replica: 'n1' }: the time is the register's time + 1 (a Lamport clock), whoever wrote last`);
  check(LWW.get(two) === 'blue', () => `lwwGet(${showReg(two)}) returned ${show(LWW.get(two))}; expected 'blue'`);
});

test('LWW register: lwwMerge keeps the write with the larger time, whichever argument it is', () => {
  const early: LWWRegister = { value: 'old', time: 3, replica: 'n9' };
  const late: LWWRegister = { value: 'new', time: 4, replica: 'n1' };
  for (const [a, b] of [[early, late], [late, early]] as const) {
    const got = LWW.merge(a, b);
    check(sameLWW(got, late), () => `lwwMerge(${showReg(a)}, ${showReg(b)}) returned ${showReg(got)}; expected ${showReg(late)}: the larger time wins, whatever the replica ids`);
  }
});

test('LWW register: on equal times, lwwMerge keeps the write of the larger replica id (plain string order), whichever argument it is', () => {
  const pairs: Array<[LWWRegister, LWWRegister]> = [
    [{ value: 'zebra', time: 5, replica: 'n1' }, { value: 'aardvark', time: 5, replica: 'n2' }],
    [{ value: 'b', time: 2, replica: 'n10' }, { value: 'a', time: 2, replica: 'n2' }],
    [{ value: 1, time: 7, replica: 'N1' }, { value: 0, time: 7, replica: 'n1' }],
  ];
  for (const [low, high] of pairs) {
    for (const [a, b] of [[low, high], [high, low]] as const) {
      const got = LWW.merge(a, b);
      check(
        sameLWW(got, high),
        () => `lwwMerge(${showReg(a)}, ${showReg(b)}) returned ${showReg(got)}; expected ${showReg(high)}: on a tie of time, the larger replica id wins ` +
          `('${high.replica}' > '${low.replica}' in plain string order), so that every replica picks the same write whatever order the states arrive in ` +
          '(not the first or last to arrive, and not by comparing the values)',
      );
    }
  }
});

test("LWW register: a write made after merging another replica's write wins over it, even from a smaller replica id (Lamport time)", () => {
  const theirs = LWW.set(LWW.set(LWW.set(LWW.empty(), 'n9', 'a'), 'n9', 'b'), 'n9', 'c');
  const mine = LWW.set(LWW.merge(LWW.set(LWW.empty(), 'n1', 'x'), theirs), 'n1', 'mine');
  check(mine.time === theirs.time + 1, () => `n1 merged ${showReg(theirs)} and then wrote 'mine'; lwwSet returned ${showReg(mine)}; expected time ${theirs.time + 1}, one more than the largest time the register has seen, so that the new write wins over every write it has seen`);
  for (const [a, b] of [[mine, theirs], [theirs, mine]] as const) {
    const got = LWW.merge(a, b);
    check(sameLWW(got, mine), () => `lwwMerge(${showReg(a)}, ${showReg(b)}) returned ${showReg(got)}; expected n1's write ${showReg(mine)}: it was made after n1 had seen n9's, so it must win`);
  }
});

class Rejected extends Error {
  override name = 'Rejected';
}

test('LWW register: values of every kind go through unchanged (strings, numbers, 0, the empty string, null, undefined, objects, Errors)', () => {
  const values: unknown[] = ['blue', 42, 0, '', false, null, undefined, { id: 7, tags: ['a'] }, [1, 2], new Rejected('no')];
  let reg = LWW.set(LWW.empty(), 'n1', 'start');
  for (const value of values) {
    const older = LWW.set(LWW.empty(), 'n2', 'older');
    reg = LWW.set(LWW.merge(reg, older), 'n1', value);
    const got = LWW.get(LWW.merge(older, reg));
    check(Object.is(got, value), () => `after lwwSet(…, 'n1', ${show(value)}) and a merge with an older write of 'older', lwwGet returned ${show(got)}; expected ${show(value)} itself`);
  }
});

test('LWW register: every replica follows the definition through random writes and merges', () => followsModel(lwwKind));
test('LWW register: lwwMerge is commutative, associative and idempotent (random states of three replicas)', () => mergeLaws(lwwKind));
test('LWW register: lwwMerge, lwwSet and lwwGet never modify the registers they are given', () => pure(lwwKind, { apply: 'lwwSet', read: 'lwwGet' }));

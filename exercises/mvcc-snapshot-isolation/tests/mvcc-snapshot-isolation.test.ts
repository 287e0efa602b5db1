// The hidden suite of mvcc-snapshot-isolation: each rule of the statement at its edge, with a
// scripted run (tests/scenario.ts), then random concurrent workloads judged two ways: the
// transaction checker of learn-ds/sim (no anomaly that snapshot isolation forbids) and the rules
// themselves, answer by answer (tests/model.ts).
import fc from 'fast-check';
import { test } from 'vitest';
import { check, fail, holds, show } from 'learn-ds/harness';
import { checkTransactions } from 'learn-ds/sim';
import { createStore } from 'learn-ds/subject/mvcc-snapshot-isolation';
import { Scenario, noRival } from './scenario.ts';
import { describeRun, runWorkload, workloadArb } from './workload.ts';

test('a transaction reads the snapshot taken at its begin: what committed before begin(), not what committed after, even before its first read', () => {
  const s = new Scenario();
  s.committed({ x: 1, y: 'one' });
  const t = s.begin(); // right after T1's commit: its snapshot has it
  s.committed({ x: 2 });
  s.committed({ y: 'two' });
  s.expectRead(t, 'x', 1, `T1 committed x = 1 before ${t} began, and T3 committed x = 2 after: ${t} reads the snapshot taken at begin, not the latest version nor one taken at its first read`);
  s.expectRead(t, 'y', 'one', `T4 committed y = "two" after ${t} began: ${t}'s snapshot, taken at begin, has only T1's y = "one"`);
  s.expectRead(t, 'z', undefined, 'nothing was ever written to z');
  const later = s.begin();
  s.expectRead(later, 'x', 2, `T3 committed x = 2 before ${later} began: a commit just before begin() is in the snapshot`);
  s.expectRead(later, 'y', 'two', `T4 committed y = "two" before ${later} began`);
  s.committed({ x: 3 });
  s.expectRead(t, 'x', 1, `${t} read x again: a snapshot does not move (repeatable read)`);
  s.expectRead(later, 'x', 2, `${later} read x again after T6 committed x = 3: a snapshot does not move`);
});

test('a transaction reads its own latest write at once, whatever the value (undefined, null, 0, "", false, NaN, an Error, an object)', () => {
  const s = new Scenario();
  s.committed({ x: 'committed before' });
  const t = s.begin();
  s.expectRead(t, 'x', 'committed before', 'T1 committed it before T2 began');
  class QuotaError extends RangeError {}
  const kinds: unknown[] = ['draft', undefined, null, 0, '', false, Number.NaN, new QuotaError('over quota'), { nested: { list: [1, 2] } }, 'Zoë'];
  for (const value of kinds) {
    s.write(t, 'x', value);
    s.expectRead(t, 'x', value, `${t} wrote x = ${show(value)} just before: a transaction reads its own write (the very value, not a copy; undefined is a value like any other)`);
  }
  s.expectCommit(t, true, noRival(t));
  const after = s.begin();
  s.expectRead(after, 'x', kinds[kinds.length - 1], `${t} committed x = "Zoë", its last write of x`);
  const object = { id: 'same object' };
  const u = s.begin();
  s.write(u, 'y', object);
  s.expectCommit(u, true, noRival(u));
  s.expectRead(s.begin(), 'y', object, 'a committed value is returned as it was written (the very object)');
  const v = s.begin();
  s.write(v, 'y', undefined);
  s.expectCommit(v, true, noRival(v));
  s.expectRead(s.begin(), 'y', undefined, `${v} committed y = undefined, the newest version of y: it hides the older one`);
});

test('keys of every shape are kept apart: __proto__, constructor, toString, the empty string, Zoë and zoë, ñ3, an astral character', () => {
  const s = new Scenario();
  const keys = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'Zoë', 'zoë', 'ñ3', '🦀', 'n10', 'n2'];
  const t = s.begin();
  keys.forEach((key, i) => s.write(t, key, `value ${i}`));
  keys.forEach((key, i) => s.expectRead(t, key, `value ${i}`, `${t} wrote ${show(key)} = "value ${i}" (each key has its own versions)`));
  s.expectCommit(t, true, noRival(t));
  const u = s.begin();
  keys.forEach((key, i) => s.expectRead(u, key, `value ${i}`, `T1 committed ${show(key)} = "value ${i}" before ${u} began`));
  for (const key of ['valueOf', 'isPrototypeOf', 'Constructor']) s.expectRead(u, key, undefined, `nothing was ever written to ${show(key)}`);
});

test('writes stay invisible to other transactions until commit, and forever after an abort or a failed commit', () => {
  const s = new Scenario();
  const writer = s.begin();
  s.write(writer, 'x', 1);
  const reader = s.begin();
  s.expectRead(reader, 'x', undefined, `${writer} wrote x = 1 but has not committed: no transaction reads another's uncommitted write`);
  s.expectCommit(writer, true, noRival(writer));
  s.expectRead(reader, 'x', undefined, `${writer} committed x = 1 after ${reader} began: not in ${reader}'s snapshot`);

  const quitter = s.begin();
  s.write(quitter, 'y', 'draft');
  s.abort(quitter);
  s.expectRead(s.begin(), 'y', undefined, `${quitter} wrote y = "draft" and aborted: an aborted transaction's writes are never visible`);

  // A commit that fails must install nothing, not even the keys it checked before the conflicting one.
  const loser = s.begin();
  const winner = s.begin();
  s.write(loser, 'w', 'loser w');
  s.write(loser, 'z', 'loser z');
  s.write(winner, 'z', 'winner z');
  s.expectCommit(winner, true, 'it is the first of the two to commit');
  s.expectCommit(loser, false, `${winner} committed a write of z after ${loser} began: the first committer wins`);
  const after = s.begin();
  s.expectRead(after, 'w', undefined, `${loser}'s commit failed (it aborted): none of its writes may be visible, w included`);
  s.expectRead(after, 'z', 'winner z', `${winner} won, ${loser} aborted: z holds ${winner}'s write`);
});

test('first committer wins: of two concurrent transactions that write one key, the second to commit aborts (checked at commit, whoever began first)', () => {
  const s = new Scenario();
  s.committed({ x: 0 });
  const a = s.begin();
  const b = s.begin();
  s.expectRead(a, 'x', 0, 'T1 committed it first');
  s.write(a, 'x', 'a');
  s.write(b, 'x', 'b');
  s.expectCommit(b, true, `${b} is the first to commit`);
  s.expectCommit(a, false, `${b} committed a write of x after ${a} began: the first committer wins and ${a} aborts (otherwise ${b}'s update is lost)`);
  s.expectRead(s.begin(), 'x', 'b', `${a}'s commit failed: x holds ${b}'s write`);

  // The winner began after the loser: conflicts are known only at commit, not at begin.
  const early = s.begin();
  s.write(early, 'x', 'early');
  s.write(early, 'y', 'early');
  const late = s.begin();
  s.write(late, 'y', 'late');
  s.expectCommit(late, true, `${late} is the first to commit`);
  s.expectCommit(early, false, `${late} began after ${early}, but committed a write of y after ${early} began: the first committer wins, whoever began first`);
  s.expectRead(s.begin(), 'x', 'b', `${early} aborted: x still holds ${b}'s write`);
});

test('no conflict without a common key committed after begin: disjoint keys, a writer that began after the other committed, read-only transactions, write skew, aborted and failed writers', () => {
  const s = new Scenario();
  const a = s.begin();
  const b = s.begin();
  s.write(a, 'x', 1);
  s.write(b, 'y', 1);
  s.expectCommit(a, true, noRival(a));
  s.expectCommit(b, true, `${a} wrote x and ${b} wrote y: no common key, no conflict`);

  const after = s.begin(); // right after T2's commit
  s.write(after, 'y', 2);
  s.expectCommit(after, true, `${after} began after T2 committed y: T2's write was in its snapshot, so it is no conflict`);

  const reader = s.begin();
  const writer = s.begin();
  s.read(reader, 'x');
  s.read(reader, 'y');
  s.write(writer, 'x', 3);
  s.write(writer, 'y', 3);
  s.expectCommit(writer, true, noRival(writer));
  s.expectCommit(reader, true, `${reader} only read: a read-only transaction always commits, even when what it read was overwritten`);

  // Write skew: each reads both keys and writes one; snapshot isolation lets both commit.
  const left = s.begin();
  const right = s.begin();
  for (const t of [left, right]) { s.read(t, 'x'); s.read(t, 'y'); }
  s.write(left, 'x', 'left');
  s.write(right, 'y', 'right');
  s.expectCommit(left, true, noRival(left));
  s.expectCommit(right, true, `${left} wrote x, ${right} wrote y: no common key written, so both commit, even though each read the key the other wrote (write skew is allowed)`);

  // Writes that never committed conflict with no one.
  const quitter = s.begin();
  const survivor = s.begin();
  s.write(quitter, 'z', 'quitter');
  s.abort(quitter);
  s.write(survivor, 'z', 'survivor');
  s.expectCommit(survivor, true, `${quitter} wrote z but aborted: an aborted transaction never committed, so it conflicts with no one`);

  const loser = s.begin();
  const winner = s.begin();
  const bystander = s.begin();
  s.write(loser, 'x', 'loser');
  s.write(loser, 'w', 'loser');
  s.write(winner, 'x', 'winner');
  s.write(bystander, 'w', 'bystander');
  s.expectCommit(winner, true, 'it is the first to commit');
  s.expectCommit(loser, false, `${winner} committed a write of x after ${loser} began`);
  s.expectCommit(bystander, true, `${loser}'s commit failed, so its write of w never committed: no conflict for ${bystander}`);
});

test('a transaction that has ended (committed, aborted, or failed to commit) refuses read, write and commit with an Error; abort again does nothing', () => {
  const s = new Scenario();
  const done = s.begin();
  s.write(done, 'x', 1);
  s.expectCommit(done, true, noRival(done));
  const quit = s.begin();
  s.abort(quit);
  const a = s.begin();
  const b = s.begin();
  s.write(a, 'x', 'a');
  s.write(b, 'x', 'b');
  s.expectCommit(a, true, 'it is the first to commit');
  s.expectCommit(b, false, `${a} committed a write of x after ${b} began`);
  for (const [t, how] of [[done, 'committed'], [quit, 'aborted'], [b, 'failed to commit']] as const) {
    const id = s.id(t);
    const why = `${t} ${how}: it has ended`;
    s.expectThrow(`read(${t}, "x")`, () => s.store.read(id, 'x'), why);
    s.expectThrow(`write(${t}, "x", 2)`, () => s.store.write(id, 'x', 2), why);
    s.expectThrow(`commit(${t})`, () => s.store.commit(id), why);
    try {
      s.store.abort(id);
    } catch (error) {
      fail(`abort(${t}) threw ${String(error)}; expected it to do nothing: ${why}, and aborting an ended transaction does nothing`, s.detail);
    }
  }
  s.expectRead(s.begin(), 'x', 'a', `${a} won; ${b}'s write, refused after its end, changed nothing`);
});

test('garbage collection: after every commit and abort, versionCount() counts exactly the newest version of each key and the one each active transaction\'s snapshot reads', () => {
  const s = new Scenario();
  s.expectCount(0, 'nothing was written', 'a new store keeps no version');
  const t1 = s.committed({ x: 0 });
  s.expectCount(1, `${t1} committed x = 0`, 'one version: x = 0');
  const old = s.begin(); // sees x = 0
  s.expectCount(1, `${old} began`, 'begin() collects nothing and adds nothing');
  s.committed({ x: 1 });
  s.expectCount(2, 'T3 committed x = 1', `x = 1 (the newest) and x = 0 (what ${old}'s snapshot reads)`);
  s.committed({ x: 2 });
  s.expectCount(2, 'T4 committed x = 2', `x = 2 (the newest) and x = 0 (for ${old}); x = 1 is visible to no one and must be gone`);
  const mid = s.begin(); // sees x = 2
  s.committed({ x: 3 });
  s.expectCount(3, 'T6 committed x = 3', `x = 3 (the newest), x = 2 (for ${mid}) and x = 0 (for ${old})`);
  s.write(old, 'y', 'uncommitted');
  s.expectCount(3, `${old} wrote y (not committed)`, 'an uncommitted write is not a version of the store');
  s.abort(old);
  s.expectCount(2, `${old} aborted`, `${old} ended, so x = 0 is visible to no one: garbage collection runs at every abort too`);
  s.expectCommit(mid, true, `${mid} only read`);
  s.expectCount(1, `${mid} committed (it wrote nothing)`, `${mid} ended, so x = 2 is visible to no one: only x = 3 is left`);

  // A snapshot older than a key's first version keeps nothing of that key; a failed commit ends a transaction too.
  const early = s.begin();
  s.committed({ y: 'one' });
  s.committed({ y: 'two', x: 4 });
  s.expectCount(3, 'T9 committed y = "two" and x = 4', `y = "two" and x = 4 (the newest), and x = 3 (for ${early}, which began before y was ever written)`);
  s.write(early, 'x', 'too late');
  s.expectCommit(early, false, `T9 committed a write of x after ${early} began: the first committer wins`);
  s.expectCount(2, `${early}'s failed commit`, `${early} ended (its commit failed), so x = 3 is visible to no one: y = "two" and x = 4 are left`);
});

test('garbage collection never removes a version that an active transaction can still read, even one it has not read yet', () => {
  const s = new Scenario();
  s.committed({ x: 'x0', y: 'y0' });
  const old = s.begin();
  s.expectRead(old, 'y', 'y0', 'T1 committed it before T2 began');
  for (let i = 1; i <= 4; i++) s.committed({ x: `x${i}`, y: `y${i}` });
  const mid = s.begin();
  for (let i = 5; i <= 6; i++) s.committed({ x: `x${i}` });
  const quitter = s.begin();
  s.abort(quitter);
  s.expectRead(old, 'x', 'x0', `${old} began when x was "x0"; versions x1 to x6 came after: garbage collection must keep the version ${old} can still read, though it had not read x yet`);
  s.expectRead(old, 'y', 'y0', `${old} read y = "y0" before; its snapshot still holds it`);
  s.expectRead(mid, 'x', 'x4', `${mid} began when x was "x4": garbage collection must keep the version ${mid} can still read`);
  s.expectRead(mid, 'y', 'y4', `${mid} began when y was "y4"`);
});

test('random concurrent workloads: every read, every commit result and versionCount() after every call follow the rules', async () => {
  await holds(fc.property(workloadArb(), (workload) => {
    const run = runWorkload(createStore(), workload, true);
    check(run.mismatch === undefined, () => run.mismatch!, describeRun(run.log));
  }), { numRuns: 150, describe: ([w]) => `${w.scripts.length} transactions, interleaved as the calls below show` });
});

test('random concurrent workloads: no anomaly that snapshot isolation forbids (G0 dirty write, G1a aborted read, G1b intermediate read, G1c circular information flow, lost update, G-single read skew, G-nonadjacent)', async () => {
  await holds(fc.property(workloadArb({ maxTransactions: 8, maxSteps: 5 }), (workload) => {
    const run = runWorkload(createStore(), workload, false);
    const result = checkTransactions(run.history, 'snapshot-isolation');
    check(result.ok, () => (result.ok ? '' : result.story), describeRun(run.log));
  }), { numRuns: 200, describe: ([w]) => `${w.scripts.length} transactions, interleaved as the calls below show` });
});

// The hidden suite of control-loop, the reconciler: one test per rule of the statement, on a
// scripted API in virtual time. Seeded fault scenarios are in scenarios.checks.ts, the data plane in
// data-plane.checks.ts.
import { test } from 'vitest';
import { check, pendingTimers, show, streamFor, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { errorsOfEveryKind, FakeApi, namesFor, type Call } from './api.ts';
import { callsText, checkSafe, settingsText, startReconciler, stop, until, type Settings } from './fixtures.ts';

function pick(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

const base: Settings = { intervalMs: 1000, maxChangesPerInterval: 100, lagMs: 500, baseBackoffMs: 100, maxBackoffMs: 1600 };

/** When the pass that started with `list` ended: the last answer among its calls (those before the next list). */
function passEnd(fake: FakeApi, list: Call): number {
  const next = fake.lists().find((c) => c.startMs > list.startMs || (c !== list && c.startMs === list.startMs && fake.calls.indexOf(c) > fake.calls.indexOf(list)));
  const own = fake.calls.filter((c) => fake.calls.indexOf(c) >= fake.calls.indexOf(list) && (!next || fake.calls.indexOf(c) < fake.calls.indexOf(next)));
  return Math.max(...own.map((c) => c.endMs ?? Infinity));
}

test('a pass lists, then creates what is missing, updates what has another version and deletes what is not desired: names of every shape', async () => {
  useVirtualTime();
  const random = streamFor('first-pass');
  const names = namesFor(random);
  const initial: [string, string][] = [];
  const desired: [string, string][] = [];
  const expected = new Map<string, string>();
  names.forEach((name, i) => {
    const role = i % 4;
    if (role === 0) { desired.push([name, 'v2']); expected.set(name, 'create'); }
    if (role === 1) { initial.push([name, 'v1']); desired.push([name, 'v2']); expected.set(name, 'update'); }
    if (role === 2) { initial.push([name, 'v1']); expected.set(name, 'delete'); }
    if (role === 3) { initial.push([name, 'v2']); desired.push([name, 'v2']); }
  });
  const fake = new FakeApi(initial, desired, base);
  fake.reply = () => ({ delayMs: pick(random, 1, 20) });
  const reconciler = startReconciler(fake, base);
  await until(base.intervalMs - 1);
  stop(reconciler);
  check(fake.lists().length >= 1 && fake.calls[0]!.kind === 'list', () => `start() should begin a pass at once with list(); the calls were: ${callsText(fake)}`);
  for (const [name, kind] of expected) {
    const made = fake.mutations().filter((c) => c.name === name);
    check(made.length === 1 && made[0]!.kind === kind, () => `${show(name)} is ${kind === 'create' ? 'missing' : kind === 'update' ? "at 'v1', desired at 'v2'" : 'present but not desired'}: expected exactly one ${kind}(${show(name)}) in the first pass, got ${made.map((c) => `${c.kind}(${show(c.name)}${c.version === undefined ? '' : `, ${show(c.version)}`})`).join(', ') || 'none'}`);
    if (kind !== 'delete') check(made[0]!.version === 'v2', () => `${kind}(${show(name)}) was called with version ${show(made[0]!.version)}; the desired version is 'v2'`);
  }
  const extra = fake.mutations().filter((c) => !expected.has(c.name!));
  check(extra.length === 0, () => `${show(extra[0]?.name)} is already at its desired version, yet the loop called ${extra[0]?.kind}(${show(extra[0]?.name)}); change only what differs`);
  check(fake.converged(), () => `after the first pass the state still differs from the desired one: ${fake.difference()}`);
  checkSafe(fake, 'the first pass');
});

test('rate limit: at most maxChangesPerInterval changes start in any intervalMs, and a pass that has more to do makes exactly that many', async () => {
  useVirtualTime();
  const random = streamFor('rate');
  for (const k of [1, pick(random, 2, 4), pick(random, 5, 7)]) {
    useVirtualTime();
    const s: Settings = { ...base, maxChangesPerInterval: k, lagMs: 300 };
    const needed = 3 * k + 1;
    const desired = Array.from({ length: needed }, (_, i): [string, string] => [`svc-${i}`, 'v1']);
    const fake = new FakeApi([], desired, s);
    const reconciler = startReconciler(fake, s);
    // Notifications in plenty: each one tempts a pass; the window must still hold.
    for (let t = 50; t < 6000; t += 150) {
      await until(t);
      reconciler.notify();
      if (t % 450 === 50) reconciler.notify();
    }
    await until(8000);
    stop(reconciler);
    checkSafe(fake, `with ${settingsText(s)} and ${needed} instances to create`);
    const first = fake.mutations().filter((c) => c.startMs < s.intervalMs);
    check(first.length === k, () => `with ${settingsText(s)} and ${needed} instances to create, ${first.length} changes started in the first ${s.intervalMs} ms; expected exactly ${k} (maxChangesPerInterval) in the first pass: the limit is ${k}, not ${first.length}`);
    check(fake.converged(), () => `with ${settingsText(s)}, ${needed} creates still not done after 8000 ms: ${fake.difference()} (calls: ${callsText(fake)})`);
  }
});

test('the rate window is (t - intervalMs, t]: a change may start exactly intervalMs after the one before it', async () => {
  useVirtualTime();
  const s: Settings = { ...base, intervalMs: 1000, maxChangesPerInterval: 1, lagMs: 0 };
  const fake = new FakeApi([], [['a', 'v1'], ['b', 'v1']], s);
  const reconciler = startReconciler(fake, s);
  // list 0–10, create('a') at 10; a notify at 1000 lists 1000–1010: create('b') may start at 1010.
  await until(1000);
  reconciler.notify();
  await until(1500);
  stop(reconciler);
  const changes = fake.mutations();
  check(changes.length === 2 && changes[1]!.startMs === 1010, () => `with ${settingsText(s)}: the first change started at ${changes[0]?.startMs} ms; notify() at 1000 ms starts a pass that lists until 1010 ms, and at 1010 ms the window (10, 1010] holds no change: expected the second change at 1010 ms; the calls were: ${callsText(fake)}`);
  checkSafe(fake, 'a change exactly intervalMs after the one before');
});

test('a change is given lagMs to show: no second change of a name while its last one is in flight or before a list asked for lagMs after it answered (no duplicate creates on a stale list)', async () => {
  useVirtualTime();
  const s: Settings = { ...base, lagMs: 2500 };
  const names = namesFor(streamFor('lag')).slice(0, 5);
  const fake = new FakeApi([], names.map((n) => [n, 'v1']), s);
  const reconciler = startReconciler(fake, s);
  await until(9000);
  stop(reconciler);
  checkSafe(fake, `with ${settingsText(s)}, the lists stay stale for ${s.lagMs} ms after each create`);
  check(fake.mutations().length === names.length, () => `with ${settingsText(s)}, ${names.length} creates were needed and ${fake.mutations().length} changes were made: ${callsText(fake)}; a stale list that does not show a create yet is no reason to create again`);
  check(fake.converged(), () => `not converged after 9000 ms: ${fake.difference()}`);
});

test('lagMs counts to when the list is called, not when it answers: a list called before s + lagMs may still miss a change that answered at s', async () => {
  useVirtualTime();
  const s: Settings = { ...base, intervalMs: 1000, lagMs: 1005 };
  const fake = new FakeApi([], [['api', 'v1']], s);
  const reconciler = startReconciler(fake, s);
  // list 0–10, create 10–20; the next pass lists 1020–1030: called before 20 + lagMs = 1025, answers after it.
  await until(2500);
  stop(reconciler);
  checkSafe(fake, `create('api') answered at 20 ms, lagMs = ${s.lagMs}, and the next list was called at 1020 ms and answered at 1030 ms`);
  check(fake.converged(), () => `not converged at 2500 ms: ${fake.difference()}`);
});

test('a list asked for exactly lagMs after a change answered is trusted: the next change of that name is made in that pass', async () => {
  useVirtualTime();
  const s: Settings = { ...base, lagMs: 1000, intervalMs: 1000 };
  const fake = new FakeApi([], [['api', 'v1']], s);
  const reconciler = startReconciler(fake, s);
  // list 0–10, create 10–20; the next pass lists at 1020 = 20 + lagMs.
  await until(500);
  fake.setDesired([['api', 'v2']]);
  await until(1500);
  stop(reconciler);
  const update = fake.mutations().find((c) => c.kind === 'update');
  check(update !== undefined && update.startMs === 1030, () => `create('api') answered at 20 ms, the desired version changed to 'v2' at 500 ms, and the pass listing at 1020 ms (exactly lagMs = ${s.lagMs} after the create answered) sees 'api' at 'v1': expected update('api', 'v2') at 1030 ms; the calls were: ${callsText(fake)}`);
  checkSafe(fake, 'updating after exactly lagMs');
});

test('level-triggered: a pass starts intervalMs after the previous one ended, without any notify, and repairs changes nobody announced', async () => {
  useVirtualTime();
  const random = streamFor('level');
  const s: Settings = { ...base, intervalMs: pick(random, 300, 900), lagMs: 100 };
  const fake = new FakeApi([['web-1', 'v1'], ['web-2', 'v1']], [['web-1', 'v1'], ['web-2', 'v1']], s);
  fake.reply = () => ({ delayMs: pick(random, 1, 30) });
  const reconciler = startReconciler(fake, s);
  await until(2 * s.intervalMs + 50);
  fake.setDesired([['web-1', 'v2'], ['web-2', 'v1'], ['Web-3', 'v1']]);
  await until(4 * s.intervalMs + 100);
  fake.drift('web-2', undefined);
  await until(8 * s.intervalMs);
  stop(reconciler);
  const lists = fake.lists();
  check(lists.length >= 6, () => `with intervalMs = ${s.intervalMs} and no notify at all, only ${lists.length} passes ran in ${8 * s.intervalMs} ms (lists at ${lists.map((c) => c.startMs).join(', ')} ms); expected one every intervalMs after the previous pass ended`);
  for (let i = 1; i < lists.length; i++) {
    const ended = passEnd(fake, lists[i - 1]!);
    check(lists[i]!.startMs === ended + s.intervalMs, () => `with intervalMs = ${s.intervalMs}, the pass that listed at ${lists[i - 1]!.startMs} ms ended at ${ended} ms; the next pass should list at ${ended + s.intervalMs} ms, it did at ${lists[i]!.startMs} ms (lists at ${lists.map((c) => c.startMs).join(', ')} ms)`);
  }
  check(fake.converged(), () => `the desired state changed and an instance was lost, with no notify; after ${8 * s.intervalMs} ms: ${fake.difference()}`);
  checkSafe(fake, 'the level-triggered passes');
});

test('notify() starts a pass at once when idle, and one more pass right after a running one however many notifications came; the next periodic pass counts from the last one', async () => {
  useVirtualTime();
  const s: Settings = { ...base, intervalMs: 1000 };
  const fake = new FakeApi([], [], s);
  const reconciler = startReconciler(fake, s);
  await until(500);
  reconciler.notify();
  await until(1510);
  reconciler.notify();
  await until(1515);
  reconciler.notify();
  reconciler.notify();
  await until(4000);
  stop(reconciler);
  const starts = fake.lists().map((c) => c.startMs);
  const expected = [0, 500, 1510, 1520, 2530, 3540];
  check(show(starts) === show(expected), () => `lists every 10 ms; notify() at 500, 1510, and twice at 1515 ms (during the pass listing at 1510): expected passes at ${expected.join(', ')} ms (an idle notify starts one at once, notifications during a pass add one pass right after it, the next periodic pass is intervalMs = 1000 after the last pass ended); they were at ${starts.join(', ')} ms`);
});

test('backoff: after n failed passes in a row the next starts min(maxBackoffMs, baseBackoffMs × 2^(n-1)) after the failed one ended, notify() does not cut it short, and a good pass resets it', async () => {
  useVirtualTime();
  const s: Settings = { ...base, intervalMs: 700, baseBackoffMs: 125, maxBackoffMs: 1000 };
  const fake = new FakeApi([], [], s);
  const errors = errorsOfEveryKind();
  // Passes 1–6 fail, 7 succeeds, 8 fails, then all succeed.
  let lists = 0;
  fake.reply = (kind) => {
    if (kind !== 'list') return { delayMs: 10 };
    lists++;
    const fails = lists <= 6 || lists === 8;
    return fails ? { delayMs: 10, fail: { error: errors[lists % errors.length]!.error, applied: false } } : { delayMs: 10 };
  };
  const reconciler = startReconciler(fake, s);
  const expected: number[] = [0];
  const waits: string[] = [];
  let failures = 0;
  for (let n = 1; n <= 9; n++) {
    const end = expected.at(-1)! + 10;
    const failed = n <= 6 || n === 8;
    failures = failed ? failures + 1 : 0;
    const wait = failed ? Math.min(s.maxBackoffMs, s.baseBackoffMs * 2 ** (failures - 1)) : s.intervalMs;
    waits.push(`${wait}`);
    expected.push(end + wait);
  }
  // A notification in the middle of every backoff wait: it must not start a pass early.
  for (let n = 1; n < expected.length; n++) {
    const end = expected[n - 1]! + 10;
    if (expected[n]! - end !== s.intervalMs) {
      await until(end + Math.floor((expected[n]! - end) / 2));
      reconciler.notify();
    }
  }
  await until(expected.at(-1)! + 5);
  stop(reconciler);
  const starts = fake.lists().map((c) => c.startMs);
  const firstWrong = expected.findIndex((t, i) => starts[i] !== t);
  check(firstWrong === -1, () => `with ${settingsText(s)}, each list answering in 10 ms, passes 1–6 and 8 failing (rejections of every kind: Error, string, object, undefined) and notify() called in the middle of every backoff wait: expected passes at ${expected.join(', ')} ms (waits ${waits.join(', ')} ms: the backoff doubles up to maxBackoffMs, intervalMs after a good pass, back to baseBackoffMs after it), got ${starts.slice(0, expected.length).join(', ')} ms; pass ${firstWrong + 1} should have started at ${expected[firstWrong]} ms`);
});

test('a rejected change ends the pass: no further change until the backoff is over; the loop keeps going after rejections of every kind and converges', async () => {
  useVirtualTime();
  for (const { label, error } of errorsOfEveryKind()) {
    useVirtualTime();
    const s: Settings = { ...base, lagMs: 300, baseBackoffMs: 200 };
    const desired: [string, string][] = ['a', 'b', 'c', 'd'].map((n) => [n, 'v1']);
    const fake = new FakeApi([], desired, s);
    let failedOnce = false;
    // The second create times out after it was applied: a later list shows 'b'.
    fake.reply = (kind, name) => {
      if (kind === 'create' && name === 'b' && !failedOnce) {
        failedOnce = true;
        return { delayMs: 10, fail: { error, applied: true } };
      }
      return { delayMs: 10 };
    };
    const reconciler = startReconciler(fake, s);
    await until(5000);
    stop(reconciler);
    const rejected = fake.mutations().find((c) => c.failed);
    check(rejected !== undefined, () => `(learn-ds bug) no create of 'b' was made: ${callsText(fake)}`);
    const after = fake.calls.filter((c) => c.startMs >= rejected!.endMs! && c !== rejected);
    check(after.length > 0 && after[0]!.startMs >= rejected!.endMs! + s.baseBackoffMs, () => `create('b') rejected with ${label} at ${rejected!.endMs} ms; the pass ends there and the next call may start only after baseBackoffMs = ${s.baseBackoffMs}, at ${rejected!.endMs! + s.baseBackoffMs} ms; the calls after it: ${callsText(fake, rejected!.endMs!)}`);
    check(fake.converged(), () => `after create('b') rejected with ${label} (it had been applied: a timeout), the loop did not converge within 5000 ms: ${fake.difference()}; calls after the rejection: ${callsText(fake, rejected!.endMs!)} (does the loop stop after an error?)`);
    checkSafe(fake, `after a create rejected with ${label}`);
  }
});

test('desired() is read afresh in every pass: a name that became desired is never deleted', async () => {
  useVirtualTime();
  const s: Settings = { ...base, lagMs: 100 };
  const fake = new FakeApi([['api', 'v1']], [['api', 'v1']], s);
  const reconciler = startReconciler(fake, s);
  await until(1500);
  // An operator adds 'worker' and starts it by hand: it is desired and present.
  fake.setDesired([['api', 'v1'], ['worker', 'v3']]);
  fake.drift('worker', 'v3');
  reconciler.notify();
  await until(6000);
  stop(reconciler);
  checkSafe(fake, "'worker' became desired at 1500 ms and was already running");
  check(fake.converged(), () => `'worker' became desired at 1500 ms; at 6000 ms: ${fake.difference()}`);
});

test('after stop(), no API call starts and no timer is left', async () => {
  useVirtualTime();
  const s: Settings = { ...base };
  const fake = new FakeApi([], [['a', 'v1']], s);
  const reconciler = startReconciler(fake, s);
  await until(2500);
  stop(reconciler);
  const made = fake.calls.length;
  const at = virtualNow();
  reconciler.notify();
  await until(10_000);
  check(fake.calls.length === made, () => `stop() at ${at} ms, then notify(): ${fake.calls.length - made} more calls started (${callsText(fake, at)}); expected none`);
  check(pendingTimers() === 0, () => `after stop(), ${pendingTimers()} timers are still scheduled; stop() must clear the loop's timer`);
});

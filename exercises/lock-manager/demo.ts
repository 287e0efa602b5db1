// `learn-ds run lock-manager`: three transfers that lock their accounts in a circle, a timeline of
// what your lock manager granted, made wait and aborted, the wait-for graph at the deadlock, and
// the victim trying again once the others have committed.
import { demo, describeThrown, settle, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { LockManager, type LockMode } from 'learn-ds/subject/lock-manager';

const LANE = 24;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

demo('three transfers in a circle: a deadlock of three, one victim, and its retry', async () => {
  useVirtualTime();
  const locks = new LockManager();
  const names = ['alice', 'bob', 'carol'] as const;
  type Name = (typeof names)[number];
  // Rows of one instant are drawn cause first: a wait, then an abort (with its graph), then grants.
  const rows: Array<{ at: number; rank: number; text: string }> = [];
  const row = (who: Name, text: string, rank = 2) => {
    const lanes = names.map((n) => (n === who ? text : '').padEnd(LANE)).join('');
    rows.push({ at: virtualNow(), rank, text: `${`${virtualNow()} ms`.padStart(6)}  ${lanes}`.trimEnd() });
  };
  const note = (text: string, rank = 2) => rows.push({ at: virtualNow(), rank, text: `${''.padStart(6)}  ${text}` });
  const holds = new Map<string, Map<Name, LockMode>>();
  const waiting = new Map<Name, string>();
  const aborted: Name[] = [];
  let latestGraph = '';

  /** The wait-for graph as the demo sees it (who waits for whom, on which account), with `who`'s request on `key`. */
  const graph = (who: Name, key: string) => {
    const edges: string[] = [];
    for (const [waiter, wanted] of [...waiting, [who, key] as const]) {
      for (const [holder] of holds.get(wanted) ?? []) if (holder !== waiter) edges.push(`${waiter} → ${holder} (${wanted})`);
    }
    return edges.join(', ');
  };

  const lock = async (who: Name, key: string, mode: LockMode): Promise<boolean> => {
    const letter = mode === 'exclusive' ? 'X' : 'S';
    // Aborts happen during a request that starts waiting: the latest request's graph is the one that has the cycle.
    latestGraph = `wait-for graph as ${who} asks for ${key}: ${graph(who, key)}`;
    const outcome = locks.acquire(who, key, mode).then(
      () => 'granted',
      (error: unknown) => (error instanceof Error && error.name === 'DeadlockError' ? 'aborted' : describeThrown(error)),
    );
    // Still pending once promise callbacks have run (a timer of 0 ms fires after them): it waits.
    let state = await Promise.race([outcome, sleep(0).then(() => 'waiting')]);
    if (state === 'waiting') {
      row(who, `${letter} ${key} … waits`, 0);
      waiting.set(who, key);
      state = await outcome;
      waiting.delete(who);
    }
    if (state !== 'granted') {
      if (state === 'aborted') {
        note(latestGraph, 1);
        aborted.push(who);
      }
      row(who, state === 'aborted' ? `✗ DeadlockError` : `✗ ${state}`, 1);
      for (const held of holds.values()) held.delete(who);
      return false;
    }
    row(who, `${letter} ${key} ✓`);
    holds.set(key, (holds.get(key) ?? new Map<Name, LockMode>()).set(who, mode));
    return true;
  };

  const commit = (who: Name) => {
    row(who, 'commit, releaseAll');
    for (const held of holds.values()) held.delete(who);
    locks.releaseAll(who);
  };

  /** Moves money from one account to the next: exclusive locks on both, the own account first. */
  const transfer = async (who: Name, from: string, to: string, startMs: number) => {
    await sleep(startMs);
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (attempt > 1) {
        await sleep(30);
        row(who, `tries again (attempt ${attempt})`);
      }
      if (!(await lock(who, from, 'exclusive'))) continue;
      await sleep(10);
      if (!(await lock(who, to, 'exclusive'))) continue;
      await sleep(5);
      commit(who);
      return;
    }
  };

  const done = await settle(Promise.all([
    transfer('alice', 'acct:1', 'acct:2', 0),
    transfer('bob', 'acct:2', 'acct:3', 2),
    transfer('carol', 'acct:3', 'acct:1', 4),
  ]), 60_000);
  // What the learner's code threw (a TODO, a bug) is the demo's answer, as in every demo.
  if (done.status === 'rejected') throw done.reason;
  if (done.status === 'hung') note('the transfers did not all finish: some request waited forever', 9);
  note('', 9);
  if (aborted.length === 1 && aborted[0] === 'carol') {
    note('carol started last, so she is the youngest on the cycle alice → bob → carol → alice: the', 9);
    note('manager aborts her alone, releases her lock on acct:3, and bob goes on; carol tries again.', 9);
  } else {
    note(`aborted: ${aborted.length === 0 ? 'nobody' : aborted.join(', ')}. By the rules, carol alone: she started last, so she is`, 9);
    note('the youngest on the cycle alice → bob → carol → alice.', 9);
  }
  const header = `${'time'.padStart(6)}  ${names.map((n) => n.padEnd(LANE)).join('')}`.trimEnd();
  const ordered = rows.map((r, i) => ({ ...r, i })).sort((a, b) => a.at - b.at || a.rank - b.rank || a.i - b.i);
  return [header, ...ordered.map((r) => r.text)].join('\n');
});

// The hidden suite of two-phase-commit. Every scenario runs under the rules of helpers.ts, checked
// after every event (atomicity, no commit without every yes vote, locks held while in doubt, data
// only from learned commits, kept through crashes); each test adds the case it exists for, built so
// that it happens in every run.
import { test } from 'vitest';
import { ProgressFailure, check, checkScenario, expectProgress, figure, show, sometimes } from 'learn-ds/harness';
import { startNemesis, streamOf, uniformLatency, type NodeId } from 'learn-ds/sim';
import { LATENCY, KEYS, RESUBMIT_MS, describeMessage, rolesFor, txIdFor, world, writesFor, type Options, type World } from './helpers.ts';

const VOTE_TIMEOUT = 80.5;
const QUERY_INTERVAL = 30.25;
const EPS = 1e-6;
const scenario = { describe: describeMessage, rows: 30 };

function make(seed: number, participants = 3, extra: Partial<Options> = {}): World {
  return world({ seed, roles: rolesFor(seed, participants), voteTimeoutMs: VOTE_TIMEOUT, queryIntervalMs: QUERY_INTERVAL, ...extra });
}

/** Long enough for any transaction to be decided everywhere once nothing fails. */
const SETTLE = VOTE_TIMEOUT + 2 * QUERY_INTERVAL + RESUBMIT_MS + 10 * LATENCY;

function settle(w: World, what: string, faultsEndedAt = w.sim.now, within = SETTLE): void {
  try {
    expectProgress(w.sim, {
      within,
      what: `${what}: every client hears its transaction's outcome and every participant that voted yes learns the decision`,
      until: () => w.settled(),
      faultsEndedAt,
    });
  } catch (error) {
    if (error instanceof ProgressFailure) throw new ProgressFailure(`${error.message}. Still undecided: ${w.unsettled()}`, error.since);
    throw error;
  }
}

function expectData(w: World): void {
  const problem = w.dataProblem();
  check(problem === undefined, () => `once every transaction was decided: ${problem}`);
}

function outcomeText(w: World, txId: string): string {
  const o = w.txs.get(txId)?.outcome;
  return o === undefined ? 'no outcome' : o.commit ? 'commit' : 'abort';
}

test('commits a transaction on which every participant votes yes: its client hears commit and every participant applies its writes', () => {
  let messages = 0;
  checkScenario({ ...scenario, seeds: 6 }, (seed) => {
    const n = 2 + (seed % 2);
    const w = make(seed, n);
    const ps = w.roles.participants;
    const t1 = txIdFor(seed, 1);
    w.submit('c1', t1, writesFor(t1, Object.fromEntries(ps.map((p, i) => [p, [KEYS[i]!, KEYS[(i + 1) % KEYS.length]!]]))));
    settle(w, `${t1} on ${ps.join(', ')} with nothing failing`);
    check(w.txs.get(t1)!.outcome?.commit === true, () => `every participant voted yes on ${show(t1)}, yet its client heard ${outcomeText(w, t1)}; expected commit. ${w.story(t1)}`);
    if (n === 2 && messages === 0) messages = w.sent.length;
    // A second transaction on one participant overwrites a key the first one wrote.
    const t2 = txIdFor(seed, 2);
    w.submit('c2', t2, writesFor(t2, { [ps[0]!]: [KEYS[0]!] }));
    settle(w, `${t2} on ${ps[0]} alone`);
    check(w.txs.get(t2)!.outcome?.commit === true, () => `${show(t2)}, on ${ps[0]} alone, was not committed: its client heard ${outcomeText(w, t2)}. ${w.story(t2)}`);
    w.sim.runFor(2 * QUERY_INTERVAL);
    expectData(w);
  });
  figure('messages for one transaction on 2 participants (3n + 1: prepare, vote, decision, outcome)', messages, { limit: 7 });
});

test('a participant votes no when a key is locked by a transaction it has not seen decided; that transaction then aborts, and its writes appear nowhere', () => {
  checkScenario({ ...scenario, seeds: 6 }, (seed) => {
    const w = make(seed, 3);
    const [a, b, c] = w.roles.participants as [NodeId, NodeId, NodeId];
    const key = KEYS[seed % KEYS.length]!;
    const t1 = txIdFor(seed, 1);
    const t2 = txIdFor(seed, 2);
    // t1's decision is held back from a: a stays in doubt on t1, its key locked.
    w.hold((from, to, m) => from === w.roles.coordinator && to === a && m.type === 'decision' && m.txId === t1);
    w.submit('c1', t1, writesFor(t1, { [a]: [key], [b]: [KEYS[(seed + 1) % KEYS.length]!] }));
    w.sim.runUntilTrue(() => w.decided(t1) !== undefined, 10 * LATENCY);
    w.submit('c2', t2, writesFor(t2, { [a]: [key], [c]: [key] }));
    w.sim.runUntilTrue(() => w.txs.get(t2)!.outcome !== undefined, 4 * LATENCY + EPS);
    check(w.txs.get(t2)!.outcome?.commit === false, () => `${a} voted yes on ${show(t1)}, which locks ${show(key)} there until ${a} learns the decision; ${show(t2)} also writes ${show(key)} at ${a}, ` +
      `so ${a} must vote no on it and the coordinator must abort it (its client hears abort as soon as the no vote arrives). Its client heard ${outcomeText(w, t2)}. ${w.story(t2)}`);
    for (const s of w.release()) w.sim.sendFrom(s.from, s.to, s.message);
    settle(w, `${t1} and ${t2}`);
    check(w.txs.get(t1)!.outcome?.commit === true, () => `${show(t1)} should have committed (every vote yes); its client heard ${outcomeText(w, t1)}. ${w.story(t1)}`);
    expectData(w);
  });
});

test('the coordinator counts a vote that arrives before voteTimeoutMs, aborts exactly voteTimeoutMs after the submit arrived if one is missing, and never answers a query with abort while it is still collecting votes', () => {
  checkScenario({ ...scenario, seeds: 6 }, (seed) => {
    const w = make(seed, 2);
    const [a, b] = w.roles.participants as [NodeId, NodeId];
    const coordinator = w.roles.coordinator;
    const t1 = txIdFor(seed, 1);
    const t2 = txIdFor(seed, 2);
    // b's vote on t1 is held and then sent to arrive 0.25 ms before the timeout; a meanwhile asks for the decision (twice).
    w.hold((from, _to, m) => from === b && m.type === 'vote');
    const tx1 = w.submit('c1', t1, writesFor(t1, { [a]: [KEYS[0]], [b]: [KEYS[1]] }));
    const arrived = tx1.submittedAt + LATENCY;
    w.sim.at(arrived + VOTE_TIMEOUT - 0.25 - LATENCY, () => {
      for (const s of w.release()) w.sim.sendFrom(s.from, s.to, s.message);
    });
    w.sim.runUntil(arrived + VOTE_TIMEOUT + 4 * LATENCY);
    sometimes('a participant asked while the coordinator was collecting votes', w.queries(a).some((q) => q.t + LATENCY < arrived + VOTE_TIMEOUT - 0.25));
    check(w.txs.get(t1)!.outcome?.commit === true, () => `${b}'s yes vote on ${show(t1)} reached ${coordinator} at ${(arrived + VOTE_TIMEOUT - 0.25).toFixed(2)} ms, 0.25 ms before voteTimeoutMs (${VOTE_TIMEOUT}) had passed since the submit arrived (${arrived.toFixed(1)} ms), ` +
      `and ${a} had voted yes: the transaction must commit (a query from ${a} meanwhile is not an answer to give: a transaction still collecting votes is undecided). Its client heard ${outcomeText(w, t1)}. ${w.story(t1)}`);
    // Now a vote that never comes: abort exactly at the timeout.
    w.hold((from, _to, m) => from === b && m.type === 'vote');
    const tx2 = w.submit('c2', t2, writesFor(t2, { [a]: [KEYS[2]], [b]: [KEYS[3]] }));
    const arrived2 = tx2.submittedAt + LATENCY;
    w.sim.runUntilTrue(() => w.decided(t2) !== undefined, VOTE_TIMEOUT + 4 * LATENCY);
    const abort = w.sent.find((s) => s.from === coordinator && (s.message.type === 'decision' || s.message.type === 'outcome') && s.message.txId === t2);
    check(abort !== undefined && abort.t <= arrived2 + VOTE_TIMEOUT + EPS, () => `${b}'s vote on ${show(t2)} never arrived; ${coordinator} must abort it voteTimeoutMs (${VOTE_TIMEOUT} ms) after the submit arrived, at ${(arrived2 + VOTE_TIMEOUT).toFixed(2)} ms; ` +
      (abort ? `its first decision went out at ${abort.t.toFixed(2)} ms` : `by ${w.sim.now.toFixed(1)} ms it had sent no decision`) + `. ${w.story(t2)}`);
    check(w.decided(t2) === false, () => `${b}'s vote on ${show(t2)} never arrived, yet ${coordinator} decided commit. ${w.story(t2)}`);
    w.release();
    settle(w, `${t1} and ${t2}`);
    check(w.txs.get(t2)!.outcome?.commit === false, () => `the client of ${show(t2)} heard ${outcomeText(w, t2)}; expected abort. ${w.story(t2)}`);
    expectData(w);
  });
});

test('a participant that voted yes keeps its keys locked and its writes unapplied until it learns the decision, asking for it no later than queryIntervalMs after its vote and again every queryIntervalMs', () => {
  checkScenario({ ...scenario, seeds: 6 }, (seed) => {
    const w = make(seed, 2 + (seed % 2));
    const ps = w.roles.participants;
    const coordinator = w.roles.coordinator;
    const t1 = txIdFor(seed, 1);
    w.submit('c1', t1, writesFor(t1, Object.fromEntries(ps.map((p, i) => [p, [KEYS[(seed + i) % KEYS.length]!]]))));
    // The coordinator decides, and its decisions are cut off: every participant is in doubt.
    w.sim.runUntilTrue(() => w.decided(t1) !== undefined, 10 * LATENCY);
    w.sim.partition([coordinator], ps);
    const cutAt = w.sim.now;
    const DOUBT = 8 * QUERY_INTERVAL;
    w.sim.runFor(DOUBT);
    for (const p of ps) {
      const voted = w.votedAt(p, t1);
      check(voted !== undefined, () => `${p} never voted yes on ${show(t1)}, though none of its keys was locked. ${w.story(t1)}`);
      const asked = w.queries(p).filter((q) => q.message.type === 'query' && q.message.txId === t1).map((q) => q.t);
      // Queries are due while it is in doubt: until a decision reaches it (from a peer, say) or the cut ends.
      const until = Math.min(cutAt + DOUBT, w.reachedAt(p, t1) ?? Infinity);
      let last = voted;
      for (const t of [...asked.filter((x) => x <= until), Infinity]) {
        const due = last + QUERY_INTERVAL;
        if (due > until) break;
        check(t <= due + EPS, () => `${p} voted yes on ${show(t1)} at ${voted.toFixed(2)} ms and, cut off from ${coordinator}, heard no decision; ` +
          `it must ask (a query to ${coordinator}, or to another participant) no later than queryIntervalMs (${QUERY_INTERVAL}) after its vote and after each query, so by ${due.toFixed(2)} ms, ` +
          (Number.isFinite(t) ? `but its next query went out at ${t.toFixed(2)} ms` : `but it sent no query by ${until.toFixed(2)} ms`) + ` (its queries: ${asked.map((x) => x.toFixed(2)).join(', ') || 'none'}). ${w.story(t1)}`);
        last = t;
      }
    }
    w.sim.heal();
    settle(w, `${t1}, once ${coordinator} can be reached again`, w.sim.now, QUERY_INTERVAL + 4 * LATENCY + 1);
    expectData(w);
  });
});

test('duplicated and late messages change nothing: a vote counts once, a late commit or prepare of a decided transaction is ignored, and a submit seen before is never started again', () => {
  checkScenario({ ...scenario, seeds: 6 }, (seed) => {
    const w = make(seed, 2);
    const [a, b] = w.roles.participants as [NodeId, NodeId];
    const coordinator = w.roles.coordinator;
    const key = KEYS[seed % KEYS.length]!;
    const [t1, t2, t3, t4] = [1, 2, 3, 4].map((n) => txIdFor(seed, n)) as [string, string, string, string];
    // t1: a's yes vote arrives twice, b's never.
    w.duplicate((from, _to, m) => from === a && m.type === 'vote');
    w.hold((from, _to, m) => from === b && m.type === 'vote');
    w.submit('c1', t1, writesFor(t1, { [a]: [key], [b]: [key] }));
    w.sim.runFor(VOTE_TIMEOUT + 4 * LATENCY);
    check(w.decided(t1) === false, () => `${a}'s yes vote on ${show(t1)} arrived twice and ${b}'s never: ${show(t1)} must abort at the vote timeout, ` +
      `but ${coordinator} ${w.decided(t1) === undefined ? 'decided nothing' : 'decided commit'}: count the participants that voted yes, not the yes messages. ${w.story(t1)}`);
    w.release();
    w.duplicate(() => false);
    // t2 commits on a and b, then t3 overwrites the key at a; then copies of t2's commit and prepare reach a, late.
    w.submit('c1', t2, writesFor(t2, { [a]: [key], [b]: [key] }));
    settle(w, `${t2}`);
    check(w.txs.get(t2)!.outcome?.commit === true, () => `${show(t2)} should commit; its client heard ${outcomeText(w, t2)}. ${w.story(t2)}`);
    const prepare = w.sent.find((s) => s.to === a && s.message.type === 'prepare' && s.message.txId === t2)!;
    w.submit('c2', t3, writesFor(t3, { [a]: [key] }));
    settle(w, `${t3}`);
    w.sim.sendFrom(coordinator, a, { type: 'decision', txId: t2, commit: true });
    w.sim.note(a, `late copies of ${t2}'s decision and prepare`);
    w.sim.runFor(2 * LATENCY);
    w.sim.sendFrom(prepare.from, a, prepare.message);
    w.sim.runFor(3 * QUERY_INTERVAL);
    // t4 aborts (b's vote held); the coordinator restarts; then a copy of t4's submit arrives, late.
    w.hold((from, _to, m) => from === b && m.type === 'vote');
    const tx4 = w.submit('c3', t4, writesFor(t4, { [a]: [KEYS[(seed + 1) % KEYS.length]!], [b]: [KEYS[(seed + 2) % KEYS.length]!] }));
    w.sim.runUntilTrue(() => tx4.outcome !== undefined, VOTE_TIMEOUT + 4 * LATENCY);
    w.release();
    w.sim.crash(coordinator);
    w.sim.runFor(LATENCY);
    w.sim.restart(coordinator);
    const before = w.sent.length;
    w.sim.sendFrom('c3', coordinator, { type: 'submit', txId: t4, writes: tx4.writes });
    w.sim.note(coordinator, `a late copy of ${t4}'s submit`);
    settle(w, `${t4}`);
    w.sim.runFor(4 * LATENCY);
    const again = w.sent.slice(before).find((s) => s.message.type === 'prepare' && s.message.txId === t4);
    check(again === undefined, () => `${show(t4)} was aborted (its client heard ${outcomeText(w, t4)}), ${coordinator} restarted, and then a copy of its submit arrived: ${coordinator} sent ${again!.to} a prepare for it again at ${again!.t.toFixed(1)} ms. ` +
      `A transaction id seen before (logged in ctx.storage) is never started again: answer the client its outcome. ${w.story(t4)}`);
    expectData(w);
  });
});

/** Two transactions on three participants, one of them twice touched (a conflict for the second), submitted together. */
function sweepWorld(seed: number, crash?: (w: World) => void): World {
  const w = make(seed, 3);
  const [a, b, c] = w.roles.participants as [NodeId, NodeId, NodeId];
  crash?.(w);
  const t1 = txIdFor(seed, 1);
  const t2 = txIdFor(seed, 2);
  w.submit('c1', t1, writesFor(t1, { [a]: [KEYS[0]], [b]: [KEYS[1], KEYS[2]] }));
  w.sim.after(1, () => w.submit('c2', t2, writesFor(t2, { [b]: [KEYS[3]], [c]: [KEYS[0]] })));
  return w;
}

const SWEEP_SETTLE = 4 * (VOTE_TIMEOUT + 2 * QUERY_INTERVAL + RESUBMIT_MS);

/** For one node: a crash right after each of its sends (k = 1…) and each of its writes, in a world of its own, restarted `restartAfter` later. */
function sweep(seed: number, node: (w: World) => NodeId, restartAfter: (k: number) => number, onCrash: (w: World, id: NodeId) => void): void {
  const base = sweepWorld(seed);
  base.sim.runUntilTrue(() => base.settled(), SWEEP_SETTLE);
  const id = node(base);
  const { sends, writes } = base.effects.get(id) ?? { sends: 0, writes: 0 };
  for (const kind of ['sends', 'writes'] as const) {
    const total = kind === 'sends' ? sends : writes;
    for (let k = 1; k <= total; k++) {
      const w = sweepWorld(seed, (w) => {
        if (kind === 'sends') w.sim.crashAfter(id, { sends: k, restartAfterMs: restartAfter(k) });
        else w.sim.crashAfter(id, { writes: k, restartAfterMs: restartAfter(k) });
      });
      w.sim.runUntilTrue(() => !w.sim.isUp(id), SWEEP_SETTLE);
      const crashedAt = w.sim.now;
      if (!w.sim.isUp(id)) onCrash(w, id);
      w.sim.runFor(restartAfter(k));
      settle(w, `a crash of ${id} right after its ${kind === 'sends' ? 'send' : 'storage write'} number ${k} (at ${crashedAt.toFixed(1)} ms), restarted ${restartAfter(k)} ms later`, w.sim.now, SWEEP_SETTLE);
      expectData(w);
    }
  }
}

test('the coordinator logs each transaction and its decision before anything depends on them: crashed right after any one of its sends or storage writes and restarted, it finishes every transaction the same way everywhere', () => {
  const reached = 'the coordinator crashed with a decision sent to some participants only';
  checkScenario({ ...scenario, seeds: 3, sometimes: [reached] }, (seed) => {
    sweep(seed, (w) => w.roles.coordinator, (k) => (k % 2 === 1 ? 1 : 2 * QUERY_INTERVAL + 3), (w) => {
      const partly = [...w.txs.keys()].some((txId) => {
        const told = new Set(w.sent.filter((s) => s.message.type === 'decision' && s.message.txId === txId).map((s) => s.to));
        return told.size > 0 && told.size < Object.keys(w.txs.get(txId)!.writes).length;
      });
      sometimes(reached, partly);
    });
  });
});

test('a participant logs its yes vote and its committed writes before anything depends on them: crashed right after any one of its sends or storage writes and restarted, it keeps its locks, its promise and its data', () => {
  const reached = 'a participant crashed in doubt';
  checkScenario({ ...scenario, seeds: 3, sometimes: [reached] }, (seed) => {
    for (let i = 0; i < 3; i++) {
      sweep(seed, (w) => w.roles.participants[(seed + i) % 3]!, (k) => (k % 2 === 1 ? 1 : 2 * QUERY_INTERVAL + 3), (w, id) => {
        sometimes(reached, [...w.txs.keys()].some((txId) => w.votedAt(id, txId) !== undefined && !w.known(id, txId)));
      });
    }
  });
});

const UNTIL = 1_500;

/** Clients running transactions on random participants and keys while a nemesis crashes, partitions, pauses and drops. */
function chaos(seed: number): { w: World; liveWithin: number } {
  const roles = rolesFor(seed, 3);
  const voteTimeoutMs = 60 + (seed % 3) * 20.5;
  const queryIntervalMs = 25.5 + (seed % 2) * 10;
  const w = world({ seed, roles, voteTimeoutMs, queryIntervalMs, network: { latency: uniformLatency(1, 12), duplicate: 0.08 } });
  startNemesis(w.sim, { faults: ['crash', 'partition', 'isolate', 'pause', 'loss'], gapMs: [40, 160], durationMs: [40, 250], until: UNTIL });
  const everyone = [roles.coordinator, ...roles.participants];
  // Crashes and clients draw from streams of their own, the same draws whatever happened before:
  // a shrunk run that leaves out a fault or a transaction changes none of the other choices.
  const crashes = streamOf(seed, 'crash-after');
  for (let t = 100; t < UNTIL - 200; t += 130) {
    // One step of the fault schedule each, numbered even when its node is down and nothing is armed.
    w.sim.at(t, () => w.sim.fault(() => {
      const id = everyone[Math.floor(crashes() * everyone.length)]!;
      const k = 1 + Math.floor(crashes() * 3);
      const writes = crashes() < 0.5;
      if (!w.sim.isUp(id)) return;
      if (writes) w.sim.crashAfter(id, { writes: k, restartAfterMs: 30 });
      else w.sim.crashAfter(id, { sends: k, restartAfterMs: 30 });
    }));
  }
  // Disarm what did not fire: after UNTIL, nothing fails.
  w.sim.at(UNTIL, () => {
    for (const id of everyone) w.sim.disarm(id);
  });
  for (const [i, client] of ['c1', 'c2', 'c3'].entries()) {
    const random = streamOf(seed, `client ${client}`);
    // Each client numbers its own transactions (n ≡ i mod 3): its ids do not depend on the others' pace.
    let n = i;
    const next = () => {
      if (w.sim.now >= UNTIL) return;
      const txId = txIdFor(seed, (n += 3));
      const chosen = roles.participants.filter(() => random() < 0.6);
      const ps = chosen.length > 0 ? chosen : [roles.participants[Math.floor(random() * 3)]!];
      const writes = writesFor(txId, Object.fromEntries(ps.map((p) => [p, [KEYS[Math.floor(random() * 2)]!]])));
      const pause = random() * 20;
      // A transaction of this random workload is a step that shrinking may leave out.
      const step = w.sim.operation(client, `${client} submits ${txId} (on ${ps.join(', ')})`);
      if (!step) return void w.sim.after(10 + pause, next);
      const tx = w.submit(client, txId, writes);
      const wait = () => {
        if (!tx.outcome) return void w.sim.after(10, wait);
        step.answered();
        w.sim.after(pause, next);
      };
      wait();
    };
    w.sim.after(random() * 20, next);
  }
  w.sim.runUntil(UNTIL);
  const decided = [...w.txs.values()].map((tx) => tx.outcome?.commit);
  sometimes('a transaction committed', decided.includes(true));
  sometimes('a transaction aborted', decided.includes(false));
  sometimes('the coordinator restarted with a transaction undecided', w.restarts.coordinatorUndecided > 0);
  sometimes('a participant restarted in doubt', w.restarts.participantInDoubt > 0);
  return { w, liveWithin: voteTimeoutMs + 2 * queryIntervalMs + RESUBMIT_MS + 60 };
}

const CHAOS = ['a transaction committed', 'a transaction aborted', 'the coordinator restarted with a transaction undecided', 'a participant restarted in doubt'];

test('under crashes of the coordinator and of participants, partitions, pauses, lost, duplicated and delayed messages, no participant commits a transaction another aborts, and none commits without every yes vote', () => {
  checkScenario({ ...scenario, seeds: 12, sometimes: CHAOS }, (seed) => {
    const { w } = chaos(seed);
    w.sim.runFor(300);
  });
});

test('once the faults end, every transaction is decided at every participant that voted yes and its client hears the outcome, within voteTimeoutMs + 2 × queryIntervalMs + 160 ms; every commit is then visible everywhere', () => {
  checkScenario({ ...scenario, seeds: 12, sometimes: CHAOS }, (seed) => {
    const { w, liveWithin } = chaos(seed);
    settle(w, 'after the faults', UNTIL, liveWithin);
    expectData(w);
  });
});

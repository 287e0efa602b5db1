import { test } from 'vitest';
import { check, checkScenario, fail } from 'learn-ds/harness';
import { startNemesis, type NodeId } from 'learn-ds/sim';
import {
  BOUND, HEARTBEAT, MAX_TIMEOUT, MIN_TIMEOUT,
  awaitLeader, cluster, describeReceived, shapedIds, describeStates, list, received,
  type Cluster, type NodeState,
} from './helpers.ts';

/** Float slack when comparing times. */
const EPS = 0.01;
/** Timers may fire a little late (an implementation may tick every few ms and read ctx.now()). */
const SLACK = 10;
/** Puppet scenarios: one learner node (n1), the others scripted by the test; every message takes 5 ms. */
const LATENCY = 5;

function puppets(seed: number, nodes: number): Cluster {
  const ids = Array.from({ length: nodes - 1 }, (_, i) => `n${i + 2}`);
  return cluster({ seed, nodes, puppets: ids, network: { latency: () => LATENCY } });
}

function showState(s: NodeState | undefined): string {
  return s === undefined ? 'down' : `{ role: '${s.role}', term: ${s.term} }`;
}

function expectState(c: Cluster, role: NodeState['role'], term: number, after: string, why = ''): void {
  const s = c.state('n1');
  check(s?.role === role && s.term === term, () => `${after}; then n1 reports ${showState(s)}; expected { role: '${role}', term: ${term} }${why}`);
}

/** `puppet` must have received, since `since`, an answer from n1 (and only such answers): { type: 'vote', term, granted }. */
function expectVote(c: Cluster, puppet: NodeId, since: number, term: number, granted: boolean, context: string): void {
  const votes = received(c, puppet, since, 'vote');
  check(
    votes.length > 0 && votes.every((v) => v.message.term === term && (v.message as { granted?: unknown }).granted === granted),
    () => `${context}; expected ${puppet} to receive { type: 'vote', term: ${term}, granted: ${granted} } from n1, it received ${describeReceived(votes)}`,
  );
}

function majority(size: number): number {
  return Math.floor(size / 2) + 1;
}

/** Runs until n1 sends a request-vote of `term`; returns the time of that candidacy. */
function awaitCandidacy(c: Cluster, term: number, since: number): number {
  const t = c.sim.runUntilTrue(() => c.sent.some((s) => s.message.type === 'request-vote' && s.message.term === term), MAX_TIMEOUT + 20);
  if (t === undefined) {
    fail(
      `n1 heard from no one for ${(c.sim.now - since).toFixed(1)} ms and sent no request-vote of term ${term}; ` +
        `its election timer (a random duration in [${MIN_TIMEOUT}, ${MAX_TIMEOUT}] ms) must fire and start an election. n1 now: ${showState(c.state('n1'))}`,
    );
  }
  return t;
}

/** n1 in a cluster of scripted peers, made leader of term 1 by the votes of n2 and n3. Returns when it became leader. */
function leaderOfTerm1(c: Cluster): number {
  const t1 = awaitCandidacy(c, 1, 0);
  c.send('n2', 'n1', { type: 'vote', term: 1, granted: true });
  c.send('n3', 'n1', { type: 'vote', term: 1, granted: true });
  const size = c.ids.length;
  const t = c.sim.runUntilTrue(() => c.state('n1')?.role === 'leader', LATENCY + 1);
  if (t === undefined) {
    fail(
      `n1, candidate in term 1 at ${t1.toFixed(1)} ms, received granted votes of term 1 from n2 and n3: with its own vote that is 3 of ${size} nodes, ` +
        `a majority; it reports ${showState(c.state('n1'))}; expected { role: 'leader', term: 1 }`,
    );
  }
  return t;
}

// ── One learner node, its peers scripted by the test ─────────────────────────────────────────

test('grants its vote to the first candidate of a term and refuses any other candidate of that term', () => {
  checkScenario({ seeds: 10 }, (seed) => {
    const c = puppets(seed, 3);
    c.sim.runFor(10);
    c.send('n2', 'n1', { type: 'request-vote', term: 1 });
    c.sim.runFor(2 * LATENCY + 1);
    expectState(c, 'follower', 1, 'n1, in term 0, received a request-vote of term 1 from n2');
    expectVote(c, 'n2', 0, 1, true, `n1 had not voted in term 1 and n2 asked for its vote`);
    const t = c.sim.now;
    c.send('n3', 'n1', { type: 'request-vote', term: 1 });
    c.sim.runFor(2 * LATENCY + 1);
    expectVote(c, 'n3', t, 1, false, `n1 had already voted for n2 in term 1 when n3 asked for its vote in term 1`);
    const t2 = c.sim.now;
    c.send('n3', 'n1', { type: 'request-vote', term: 2 });
    c.sim.runFor(2 * LATENCY + 1);
    expectState(c, 'follower', 2, 'n1, in term 1, received a request-vote of term 2 from n3', ': a higher term is adopted at once');
    expectVote(c, 'n3', t2, 2, true, `n3 asked for n1's vote in term 2, a new term in which n1 had not voted`);
    const t3 = c.sim.now;
    c.send('n2', 'n1', { type: 'request-vote', term: 1 });
    c.sim.runFor(2 * LATENCY + 1);
    expectVote(
      c, 'n2', t3, 2, false,
      "n1 is in term 2 and n2 asked for its vote in the older term 1 (the answer carries n1's current term, so that n2 learns it is behind)",
    );
  });
});

test('keeps currentTerm and votedFor in ctx.storage: a crash makes it forget neither', () => {
  checkScenario({ seeds: 10 }, (seed) => {
    const c = puppets(seed, 3);
    c.sim.runFor(10);
    c.send('n2', 'n1', { type: 'request-vote', term: 4 });
    c.sim.runFor(2 * LATENCY + 1);
    expectVote(c, 'n2', 0, 4, true, `n2 asked for n1's vote in term 4 (n1 was in term 0)`);
    c.sim.at(c.sim.now, () => c.sim.crash('n1'));
    c.sim.at(c.sim.now + 1, () => c.sim.restart('n1'));
    c.sim.runFor(2);
    expectState(c, 'follower', 4, 'n1, a follower in term 4, crashed and restarted', ': currentTerm must be kept in ctx.storage, which survives a crash');
    const t = c.sim.now;
    c.send('n3', 'n1', { type: 'request-vote', term: 4 });
    c.sim.runFor(2 * LATENCY + 1);
    expectVote(c, 'n3', t, 4, false, 'n1 voted for n2 in term 4, crashed and restarted; then n3 asked for its vote in term 4 (votedFor must be kept in ctx.storage)');
  });
});

test('saves currentTerm and votedFor before sending the vote that depends on them: a crash right after the vote leaves neither forgotten', () => {
  checkScenario({ seeds: 10 }, (seed) => {
    const c = puppets(seed, 3);
    c.sim.runFor(10);
    // Crash n1 right after it sends its granted vote, before the rest of its handler runs.
    c.sim.crashAfter('n1', { sends: 1, matching: (_to, m) => m.type === 'vote' && m.granted === true, restartAfterMs: 1 });
    c.send('n2', 'n1', { type: 'request-vote', term: 3 });
    c.sim.runFor(2 * LATENCY + 1);
    expectVote(c, 'n2', 0, 3, true, `n2 asked for n1's vote in term 3 (n1 was in term 0)`);
    const why = 'currentTerm and votedFor must be saved in ctx.storage before sending the vote, and read back when the node starts';
    expectState(c, 'follower', 3, 'n1 granted its vote of term 3 to n2, crashed right after sending it and restarted', `: ${why}`);
    const t = c.sim.now;
    c.send('n3', 'n1', { type: 'request-vote', term: 3 });
    c.sim.runFor(2 * LATENCY + 1);
    expectVote(c, 'n3', t, 3, false, `n1 granted its vote of term 3 to n2, crashed right after sending it and restarted; then n3 asked for its vote in term 3 (${why})`);
  });
});

test('saves its new term and its vote for itself before sending a request-vote: a crash right after the first one leaves neither forgotten', () => {
  checkScenario({ seeds: 10 }, (seed) => {
    const c = puppets(seed, 3);
    // Crash n1 right after its first request-vote leaves, before it has asked the other peer.
    c.sim.crashAfter('n1', { sends: 1, matching: (_to, m) => m.type === 'request-vote', restartAfterMs: 1 });
    const t1 = awaitCandidacy(c, 1, 0);
    c.sim.runFor(2);
    const why = 'currentTerm and votedFor (itself) must be saved in ctx.storage before the first request-vote is sent, and read back when the node starts';
    expectState(c, 'follower', 1, `n1 started an election at ${t1.toFixed(1)} ms, crashed right after sending its first request-vote of term 1 and restarted`, `: ${why}`);
    const t = c.sim.now;
    const other = c.sent.find((s) => s.message.type === 'request-vote')?.to === 'n2' ? 'n3' : 'n2';
    c.send(other, 'n1', { type: 'request-vote', term: 1 });
    c.sim.runFor(2 * LATENCY + 1);
    expectVote(c, other, t, 1, false, `n1 stood for election in term 1 (voting for itself), crashed right after sending its first request-vote and restarted; then ${other} asked for its vote in term 1 (${why})`);
  });
});

test('when its election timer fires, becomes candidate of term + 1, votes for itself and asks every peer for its vote', () => {
  checkScenario({ seeds: 20 }, (seed) => {
    const size = seed % 2 === 0 ? 3 : 5;
    const c = puppets(seed, size);
    const t1 = awaitCandidacy(c, 1, 0);
    check(
      t1 >= MIN_TIMEOUT - EPS && t1 <= MAX_TIMEOUT + SLACK,
      () => `n1 started its first election at ${t1.toFixed(1)} ms after starting; its election timeout must be drawn from [${MIN_TIMEOUT}, ${MAX_TIMEOUT}] ms`,
    );
    expectState(c, 'candidate', 1, `n1 sent its request-vote of term 1 at ${t1.toFixed(1)} ms`);
    const asked = new Set(c.sent.filter((s) => s.message.type === 'request-vote' && s.message.term === 1).map((s) => s.to));
    const missing = c.ids.filter((id) => id !== 'n1' && !asked.has(id));
    check(missing.length === 0, () => `n1, candidate in term 1, asked ${list([...asked]) || 'no one'} for a vote; it must send { type: 'request-vote', term: 1 } to every peer (missing: ${list(missing)})`);
    // A candidate has voted for itself, so it refuses another candidate of its term.
    c.send('n2', 'n1', { type: 'request-vote', term: 1 });
    c.sim.runFor(2 * LATENCY + 1);
    expectVote(c, 'n2', t1, 1, false, 'n1, candidate in term 1, has voted for itself; then n2 asked for its vote in term 1');
  });
});

test('draws every election timeout at random from [min, max], afresh each time the timer is reset', () => {
  checkScenario({ seeds: 10 }, (seed) => {
    const c = puppets(seed, 3);
    const ELECTIONS = 20;
    const times: number[] = [];
    for (let term = 1; term <= ELECTIONS; term++) {
      times.push(awaitCandidacy(c, term, times.at(-1) ?? 0));
    }
    const durations = times.map((t, i) => t - (i === 0 ? 0 : times[i - 1]!));
    durations.forEach((d, i) => {
      check(
        d >= MIN_TIMEOUT - EPS && d <= MAX_TIMEOUT + SLACK,
        () => `with no answer from anyone, n1's election number ${i + 1} came ${d.toFixed(1)} ms after ${i === 0 ? 'it started' : 'the previous one'} ` +
          `(at ${times[i]!.toFixed(1)} ms); each election timeout must be drawn from [${MIN_TIMEOUT}, ${MAX_TIMEOUT}] ms`,
      );
    });
    const shortest = Math.min(...durations);
    const longest = Math.max(...durations);
    check(
      longest - shortest >= (MAX_TIMEOUT - MIN_TIMEOUT) / 3,
      () => `n1's ${ELECTIONS} election timeouts all lasted between ${shortest.toFixed(1)} and ${longest.toFixed(1)} ms; each must be drawn at random from the whole range ` +
        `[${MIN_TIMEOUT}, ${MAX_TIMEOUT}] (with ctx.random()) every time the timer is reset: with a fixed timeout, candidates that split the vote time out together and split it again, forever`,
    );
  });
});

test('ignores votes of an older term (late answers to a previous election)', () => {
  checkScenario({ seeds: 20 }, (seed) => {
    const size = seed % 2 === 0 ? 4 : 5;
    const c = puppets(seed, size);
    const t1 = awaitCandidacy(c, 1, 0);
    awaitCandidacy(c, 2, t1);
    const voters = ['n2', 'n3', 'n4'].slice(0, majority(size) - 1);
    for (const v of voters) c.send(v, 'n1', { type: 'vote', term: 1, granted: true });
    c.sim.runFor(LATENCY + 1);
    expectState(
      c, 'candidate', 2,
      `n1 was candidate in term 2 and received granted votes of term 1 (answers to its previous election) from ${list(voters)}`,
      ': votes of an older term must be ignored, they say nothing about this election',
    );
  });
});

test('becomes leader once a majority of the whole cluster, itself included, voted for it (counting each voter once)', () => {
  checkScenario({ seeds: 20 }, (seed) => {
    const size = seed % 2 === 0 ? 4 : 5;
    const c = puppets(seed, size);
    const t1 = awaitCandidacy(c, 1, 0);
    c.sim.runFor(1);
    const need = majority(size);
    c.send('n2', 'n1', { type: 'vote', term: 1, granted: true });
    c.sim.runFor(LATENCY + 1);
    expectState(
      c, 'candidate', 1,
      `n1 became candidate in term 1 at ${t1.toFixed(1)} ms and got one granted vote, from n2; with its own that is 2 of ${size} nodes, not a majority (a majority of ${size} is ${need})`,
      ': count votes against the whole cluster (ctx.peers.length + 1), not against the nodes that answered',
    );
    c.send('n2', 'n1', { type: 'vote', term: 1, granted: true });
    c.sim.runFor(LATENCY + 1);
    expectState(
      c, 'candidate', 1,
      `n2's vote of term 1 reached n1 a second time (networks duplicate messages); n1 still has the votes of only 2 distinct nodes (n1, n2) of ${size}`,
      ': count voters, not vote messages (a set of node ids)',
    );
    c.send('n3', 'n1', { type: 'vote', term: 1, granted: false });
    c.sim.runFor(LATENCY + 1);
    expectState(c, 'candidate', 1, `n3 refused its vote of term 1 (granted: false); n1 still has only 2 votes of ${size}`, ': a refusal is not a vote');
    const more = ['n4', 'n5'].slice(0, need - 2);
    for (const v of more) c.send(v, 'n1', { type: 'vote', term: 1, granted: true });
    c.sim.runFor(LATENCY + 1);
    expectState(
      c, 'leader', 1,
      `n1, candidate in term 1, then got granted votes of term 1 from ${list(['n2', ...more])}; with its own vote (itself included) that is ${need} of ${size} nodes, a majority`,
    );
  });
});

test('as leader, sends a heartbeat of its term to every peer at once and every heartbeatIntervalMs, and starts no election', () => {
  checkScenario({ seeds: 10 }, (seed) => {
    const size = seed % 2 === 0 ? 4 : 5;
    const c = puppets(seed, size);
    const since = leaderOfTerm1(c);
    const WATCH = 1_000;
    c.sim.invariant('a leader stays leader', () => {
      const s = c.state('n1');
      if (s?.role === 'leader' && s.term === 1) return undefined;
      return `n1 became leader of term 1 at ${since.toFixed(1)} ms and received no message since, yet it now reports ${showState(s)}; ` +
        `expected { role: 'leader', term: 1 }: a leader stays leader until it sees a higher term (it has no election timer running)`;
    });
    c.sim.runFor(WATCH);
    for (const peer of c.ids.slice(1)) {
      const beats = received(c, peer, since, 'heartbeat');
      check(beats.length > 0, () => `${peer} received no heartbeat from n1 in the ${WATCH} ms after n1 became leader of term 1 at ${since.toFixed(1)} ms; a leader sends { type: 'heartbeat', term } to every peer at once, then every heartbeatIntervalMs (${HEARTBEAT} ms)`);
      const wrong = beats.find((b) => b.message.term !== 1);
      check(wrong === undefined, () => `${peer} received ${describeReceived([wrong!])} from n1, the leader of term 1; a heartbeat carries the leader's current term`);
      const first = beats[0]!.t - since;
      check(first <= HEARTBEAT + LATENCY + SLACK, () => `n1 became leader of term 1 at ${since.toFixed(1)} ms but its first heartbeat reached ${peer} only at ${beats[0]!.t.toFixed(1)} ms (messages take ${LATENCY} ms); a new leader sends a heartbeat to every peer at once`);
      let last = beats[0]!.t;
      for (const b of [...beats.slice(1), { t: c.sim.now }]) {
        check(
          b.t - last <= HEARTBEAT + SLACK,
          () => `${peer} received heartbeats from n1 (leader of term 1) at ${last.toFixed(1)} ms and then ${'message' in b ? `at ${b.t.toFixed(1)} ms` : `none until ${b.t.toFixed(1)} ms`}, a gap of ${(b.t - last).toFixed(1)} ms; ` +
            `a leader sends them every heartbeatIntervalMs (${HEARTBEAT} ms), so that followers never time out`,
        );
        last = b.t;
      }
    }
    const votes = c.sent.filter((s) => s.t > since && s.message.type === 'request-vote');
    check(votes.length === 0, () => `n1, leader of term 1, sent a request-vote of term ${votes[0]!.message.term} at ${votes[0]!.t.toFixed(1)} ms; a leader starts no election`);
  });
});

test('steps down to follower of the higher term when any message carries a term higher than its own', () => {
  checkScenario({ seeds: 10 }, (seed) => {
    const size = seed % 2 === 0 ? 4 : 5;
    // A leader that hears of a newer term.
    const c = puppets(seed, size);
    leaderOfTerm1(c);
    c.sim.runFor(10);
    const t = c.sim.now;
    c.send('n4', 'n1', { type: 'request-vote', term: 2 });
    c.sim.runFor(LATENCY + 1);
    expectState(c, 'follower', 2, 'n1 was leader of term 1 and received a request-vote of term 2 from n4', ': a node that sees a higher term becomes a follower of that term');
    c.sim.runFor(LATENCY + 1);
    expectVote(c, 'n4', t, 2, true, `n1 stepped down to follower of term 2, in which it had not voted, when n4 asked for its vote`);
    const stepped = c.sim.now;
    c.sim.runFor(MIN_TIMEOUT - 20);
    const beats = c.sent.filter((s) => s.t >= stepped && s.message.type === 'heartbeat');
    check(beats.length === 0, () => `n1 stepped down from leader of term 1 to follower of term 2, yet it sent a heartbeat of term ${beats[0]!.message.term} to ${beats[0]!.to} at ${beats[0]!.t.toFixed(1)} ms; a follower sends no heartbeats (stop the heartbeat timer)`);

    // A candidate that hears of a newer term in an answer.
    const d = puppets(seed, size);
    awaitCandidacy(d, 1, 0);
    d.send('n2', 'n1', { type: 'vote', term: 3, granted: false });
    d.sim.runFor(LATENCY + 1);
    const s = d.state('n1');
    check(s?.role === 'follower' && s.term === 3, () => `n1 was candidate in term 1 and received { type: 'vote', term: 3, granted: false } from n2; then n1 reports ${showState(s)}; expected { role: 'follower', term: 3 }: a node that sees a higher term becomes a follower of that term`);
  });
});

test('a heartbeat of its current term restarts the election timer, and makes a candidate step down', () => {
  checkScenario({ seeds: 10 }, (seed) => {
    const c = puppets(seed, 3);
    const EVERY = 100;
    const COUNT = 15;
    const lastBeat = (): number => {
      for (let i = c.sim.trace.length - 1; i >= 0; i--) {
        const e = c.sim.trace[i]!;
        if (e.kind === 'deliver' && e.to === 'n1' && (e.message as { type?: unknown }).type === 'heartbeat') return e.t;
      }
      return 0;
    };
    for (let i = 0; i < COUNT; i++) {
      c.sim.at(10 + i * EVERY, () => c.send('n2', 'n1', { type: 'heartbeat', term: 1 }));
    }
    const end = 10 + (COUNT - 1) * EVERY + LATENCY;
    c.sim.runUntil(10 + LATENCY);
    c.sim.invariant('a follower that hears from its leader stays a follower', () => {
      const s = c.state('n1');
      if (c.sim.now <= end && (s?.role !== 'follower' || s.term !== 1)) {
        return `n2, leader of term 1, sends n1 a heartbeat every ${EVERY} ms (the last one arrived at ${lastBeat().toFixed(1)} ms), ` +
          `yet n1 now reports ${showState(s)}; expected { role: 'follower', term: 1 }: every heartbeat of the current term must restart the election timer, with a new random duration in [${MIN_TIMEOUT}, ${MAX_TIMEOUT}] ms`;
      }
      return undefined;
    });
    c.sim.runUntil(end);
    const last = lastBeat();
    const t2 = awaitCandidacy(c, 2, last);
    check(
      t2 - last >= MIN_TIMEOUT - EPS && t2 - last <= MAX_TIMEOUT + SLACK,
      () => `n1 received its last heartbeat at ${last.toFixed(1)} ms and became candidate of term 2 at ${t2.toFixed(1)} ms, ${(t2 - last).toFixed(1)} ms later; ` +
        `expected between ${MIN_TIMEOUT} and ${MAX_TIMEOUT} ms later (the heartbeat restarts the election timer)`,
    );
    // A candidate of term 2 hears from a leader of term 2.
    c.send('n3', 'n1', { type: 'heartbeat', term: 2 });
    c.sim.runFor(LATENCY + 1);
    expectState(c, 'follower', 2, 'n1 was candidate in term 2 and received a heartbeat of term 2 from n3', ': another node has won term 2, so a candidate steps down');
  });
});

test('ignores heartbeats of an older term: they neither restart the election timer nor depose a leader', () => {
  checkScenario({ seeds: 10 }, (seed) => {
    // A follower whose only news is from a stale leader must still start an election.
    const c = puppets(seed, 3);
    c.sim.runFor(10);
    c.send('n2', 'n1', { type: 'request-vote', term: 2 });
    c.sim.runFor(LATENCY + 1);
    expectState(c, 'follower', 2, 'n1, in term 0, received a request-vote of term 2 from n2');
    const granted = c.sim.now;
    for (let t = granted; t < granted + 2 * MAX_TIMEOUT; t += 40) c.sim.at(t, () => c.send('n3', 'n1', { type: 'heartbeat', term: 1 }));
    const t3 = c.sim.runUntilTrue(() => c.state('n1')?.term === 3, MAX_TIMEOUT + 20);
    check(
      t3 !== undefined,
      () => `n1 voted in term 2 at ${granted.toFixed(1)} ms and since then received only heartbeats of the older term 1 (from n3, every 40 ms); ` +
        `${MAX_TIMEOUT + 20} ms later it reports ${showState(c.state('n1'))}; expected it to have started an election for term 3: a heartbeat of an older term must not restart the election timer`,
    );
    // A leader that receives a heartbeat of an older term stays leader.
    const d = puppets(seed, 5);
    leaderOfTerm1(d);
    d.send('n4', 'n1', { type: 'heartbeat', term: 0 });
    d.sim.runFor(LATENCY + 1);
    expectState(d, 'leader', 1, 'n1 was leader of term 1 and received a heartbeat of the older term 0 from n4', ': a message of an older term is ignored');
  });
});

// ── Clusters of the learner's nodes ────────────────────────────────────────────────────────

const LOSSY = { loss: 0.05, duplicate: 0.05 };

test(`elects exactly one leader within ${BOUND} ms (10 × the maximum election timeout), on a network that delays, loses and duplicates messages`, () => {
  checkScenario({ seeds: 100 }, (seed) => {
    const size = seed % 2 === 0 ? 3 : 5;
    // Half the runs name their nodes in other shapes than n1, n2, …
    const c = cluster({ seed, nodes: seed % 4 < 2 ? size : shapedIds(seed, size), network: LOSSY });
    const leader = awaitLeader(c, BOUND);
    if (leader === undefined) {
      fail(`${size} nodes, all up and connected, elected no leader within ${BOUND} ms; at the end: ${describeStates(c)}`);
    }
    c.sim.runFor(500);
  });
});

test('once a leader is up on a stable network, no node starts another election', () => {
  checkScenario({ seeds: 50 }, (seed) => {
    const size = seed % 2 === 0 ? 3 : 5;
    const c = cluster({ seed, nodes: size, network: { duplicate: 0.05 } });
    const leader = awaitLeader(c, BOUND);
    if (leader === undefined) {
      fail(`${size} nodes, all up and connected, elected no leader within ${BOUND} ms; at the end: ${describeStates(c)}`);
    }
    const since = c.sim.now;
    c.sim.invariant('no election while the leader is up', () => {
      for (const id of c.learners) {
        const s = c.state(id);
        const want: NodeState['role'] = id === leader.id ? 'leader' : 'follower';
        if (s !== undefined && (s.role !== want || s.term !== leader.term)) {
          return `${leader.id} has been leader of term ${leader.term} since ${since.toFixed(1)} ms, every node up and no message lost, yet ${id} now reports ${showState(s)}; ` +
            `expected { role: '${want}', term: ${leader.term} }: the leader sends a heartbeat every ${HEARTBEAT} ms, and each restarts a follower's election timer (at least ${MIN_TIMEOUT} ms), so no one should time out`;
        }
      }
      return undefined;
    });
    c.sim.runFor(2_000);
  });
});

test('after the leader crashes, the others elect a new leader, which the old one follows when it restarts', () => {
  checkScenario({ seeds: 50 }, (seed) => {
    const size = seed % 2 === 0 ? 3 : 5;
    const c = cluster({ seed, nodes: seed % 4 < 2 ? shapedIds(seed, size) : size, network: LOSSY });
    const first = awaitLeader(c, BOUND);
    if (first === undefined) {
      fail(`${size} nodes, all up and connected, elected no leader within ${BOUND} ms; at the end: ${describeStates(c)}`);
    }
    c.sim.crash(first.id);
    const crashedAt = c.sim.now;
    const rest = c.learners.filter((id) => id !== first.id);
    const second = awaitLeader(c, BOUND, rest, first.term);
    if (second === undefined) {
      fail(
        `leader ${first.id} (term ${first.term}) crashed at ${crashedAt.toFixed(1)} ms; the ${rest.length} others, a majority of ${size}, elected no new leader within ${BOUND} ms; at the end: ${describeStates(c, rest)}`,
      );
    }
    // As an event of the simulation, so that the safety rules are checked right after the restart.
    c.sim.at(c.sim.now, () => c.sim.restart(first.id));
    c.sim.runFor(0);
    const restartedAt = c.sim.now;
    const third = awaitLeader(c, BOUND, c.learners, first.term);
    if (third === undefined) {
      fail(
        `${first.id}, the old leader of term ${first.term}, restarted at ${restartedAt.toFixed(1)} ms while ${second.id} led term ${second.term}; ` +
          `${BOUND} ms later the cluster had not settled on one leader followed by all: ${describeStates(c)}`,
      );
    }
  });
});

test('a minority cut off by a partition never elects a leader; the majority does; once healed, one leader of the highest term', () => {
  checkScenario({ seeds: 50 }, (seed) => {
    const size = seed % 2 === 0 ? 3 : 5;
    const c = cluster({ seed, nodes: size, network: LOSSY });
    const first = awaitLeader(c, BOUND);
    if (first === undefined) {
      fail(`${size} nodes, all up and connected, elected no leader within ${BOUND} ms; at the end: ${describeStates(c)}`);
    }
    const others = c.learners.filter((id) => id !== first.id);
    const minority = [first.id, ...others.slice(0, majority(size) - 2)];
    const majoritySide = c.learners.filter((id) => !minority.includes(id));
    c.sim.partition(minority, majoritySide);
    const cutAt = c.sim.now;
    let healed = false;
    c.sim.invariant('a minority never elects a leader', () => {
      if (healed) return undefined;
      for (const id of minority) {
        const s = c.state(id);
        if (s?.role === 'leader' && s.term > first.term) {
          return `${id}, cut off in a minority (${list(minority)}: ${minority.length} of ${size} nodes) since ${cutAt.toFixed(1)} ms, became leader of term ${s.term}; ` +
            `a leader needs the votes of a majority of the whole cluster (${majority(size)} of ${size}), itself included`;
        }
      }
      return undefined;
    });
    const second = awaitLeader(c, BOUND, majoritySide, first.term);
    if (second === undefined) {
      fail(
        `a partition cut leader ${first.id} (term ${first.term}) off at ${cutAt.toFixed(1)} ms; the majority ${list(majoritySide)} elected no leader of a newer term within ${BOUND} ms; ` +
          `at the end: ${describeStates(c, majoritySide)}`,
      );
    }
    c.sim.runFor(1_000);
    healed = true;
    c.sim.heal();
    const healedAt = c.sim.now;
    const last = awaitLeader(c, BOUND);
    if (last === undefined) {
      fail(`the partition healed at ${healedAt.toFixed(1)} ms; ${BOUND} ms later the ${size} nodes had not settled on one leader followed by all, in the same term: ${describeStates(c)}`);
    }
  });
});

test('a cluster of 4 split in two halves of 2 elects nobody (a majority of 4 is 3), and elects a leader once healed', () => {
  checkScenario({ seeds: 30 }, (seed) => {
    const c = cluster({ seed, nodes: 4, network: LOSSY });
    const halves: NodeId[][] = [['n1', 'n2'], ['n3', 'n4']];
    c.sim.partition(...halves);
    c.sim.invariant('no leader without a majority', () => {
      if (!c.sim.partitions.active) return undefined;
      for (const id of c.learners) {
        const s = c.state(id);
        if (s?.role === 'leader') {
          const half = halves.find((h) => h.includes(id))!;
          return `${id} became leader of term ${s.term} while only ${list(half)} could talk: 2 of 4 nodes is not a majority (a majority of 4 is 3, the candidate included)`;
        }
      }
      return undefined;
    });
    c.sim.runFor(2_000);
    c.sim.heal();
    const healedAt = c.sim.now;
    const leader = awaitLeader(c, BOUND);
    if (leader === undefined) {
      fail(`the partition healed at ${healedAt.toFixed(1)} ms; ${BOUND} ms later the 4 nodes had not settled on one leader followed by all: ${describeStates(c)}`);
    }
  });
});

test('under random partitions, crashes and message loss: never two leaders in a term, and a leader soon after the faults end', () => {
  checkScenario({ seeds: 40 }, (seed) => {
    const size = seed % 2 === 0 ? 3 : 5;
    const c = cluster({ seed, nodes: size, network: { loss: 0.02, duplicate: 0.05 } });
    const until = 5_000;
    startNemesis(c.sim, {
      faults: ['partition', 'isolate', 'one-way', 'crash', 'loss'],
      gapMs: [200, 800],
      durationMs: [300, 1_500],
      until,
    });
    c.sim.runUntil(until);
    const leader = awaitLeader(c, BOUND);
    if (leader === undefined) {
      fail(`the faults ended at ${until} ms (every node up, every link working); ${BOUND} ms later the ${size} nodes had not settled on one leader followed by all: ${describeStates(c)}`);
    }
  });
});


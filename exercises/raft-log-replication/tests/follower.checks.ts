// One learner node (n1) as a follower: its leaders and candidates are scripted by the test.
import { test } from 'vitest';
import { check, checkScenario } from 'learn-ds/harness';
import type { NodeId } from 'learn-ds/sim';
import { canonical, describeEntry, describeMessage, describeLog, describeReceived, type LogEntry, type Message } from './helpers.ts';
import { LATENCY, expectLog, puppets, rawClient, showState, type PuppetCluster } from './puppets.ts';

const STEP = 2 * LATENCY + 1;

function w(term: number, client: string, seq: number, key: string, value: string): LogEntry {
  return { term, command: { client, seq, op: { kind: 'write', key, value } } };
}

function ae(term: number, prevLogIndex: number, prevLogTerm: number, entries: LogEntry[], leaderCommit: number): Message {
  return { type: 'append-entries', term, prevLogIndex, prevLogTerm, entries, leaderCommit };
}

/** What `puppet` received from n1 since `since`, of one type. */
function answers(c: PuppetCluster, puppet: NodeId, since: number, type: Message['type']) {
  return c.inbox(puppet).filter((r) => r.t >= since && r.from === 'n1' && r.message.type === type);
}

/** Sends `message` from `leader` to n1 and returns n1's answers to it. */
function deliver(c: PuppetCluster, leader: NodeId, message: Message, type: Message['type'] = 'append-reply') {
  const since = c.sim.now;
  c.send(leader, 'n1', message);
  c.sim.runFor(STEP);
  return answers(c, leader, since, type);
}

function expectReply(c: PuppetCluster, got: ReturnType<typeof deliver>, want: Record<string, unknown>, context: string): void {
  const ok = got.length > 0 && got.every((r) => Object.entries(want).every(([k, v]) => (r.message as Record<string, unknown>)[k] === v));
  check(ok, () => `${context}; expected n1 to answer ${JSON.stringify({ type: 'append-reply', ...want })}, it answered ${describeReceived(got)}`);
}

const A1 = w(1, 'c1', 1, 'x', 'a');
const A2 = w(1, 'c1', 2, 'x', 'b');
const A3 = w(1, 'c2', 1, 'y', 'c');

test('as a follower, refuses append-entries whose previous entry it does not hold (the log-matching check) and says where to go back to', () => {
  checkScenario({ describe: describeMessage, seeds: 5 }, (seed) => {
    const c = puppets(seed, 3);
    c.sim.runFor(10);
    let got = deliver(c, 'n2', ae(1, 0, 0, [A1, A2], 0));
    expectReply(c, got, { term: 1, success: true, matchIndex: 2 }, 'n1 (empty log) received append-entries of term 1 from n2 with prevLogIndex 0 and 2 entries');
    expectLog(c, [A1, A2], 'n1 accepted 2 entries from n2');

    got = deliver(c, 'n2', ae(1, 4, 1, [w(1, 'c1', 5, 'x', 'e')], 0));
    expectReply(c, got, { success: false, conflictIndex: 3, conflictTerm: 0 },
      `n1's log holds 2 entries and n2 sent append-entries with prevLogIndex 4: n1 has no entry at index 4, so the logs cannot be known to match (its log is too short: conflictIndex is its last index + 1, conflictTerm 0)`);
    expectLog(c, [A1, A2], 'n1 received append-entries whose previous entry (index 4) it does not hold: the log-matching check fails and nothing may be appended');

    const B3 = w(2, 'c3', 1, 'z', 'f');
    got = deliver(c, 'n3', ae(2, 2, 2, [B3], 0));
    expectReply(c, got, { term: 2, success: false, conflictIndex: 1, conflictTerm: 1 },
      `n1's log is ${describeLog([A1, A2])} and n3, leader of term 2, sent append-entries with prevLogIndex 2, prevLogTerm 2: n1's entry at index 2 is of term 1, so the logs differ there ` +
        '(conflictTerm is the term of n1\'s entry at prevLogIndex, conflictIndex the first index of n1\'s log holding that term)');
    expectLog(c, [A1, A2], 'n1 refused append-entries whose prevLogTerm did not match: the log-matching check fails and nothing may be appended');

    const B2 = w(2, 'c3', 0, 'z', 'g');
    got = deliver(c, 'n3', ae(2, 1, 1, [B2, B3], 0));
    expectReply(c, got, { term: 2, success: true, matchIndex: 3 }, `n3 then sent prevLogIndex 1, prevLogTerm 1 (which n1 holds) with 2 entries of term 2`);
    expectLog(c, [A1, B2, B3], `n1 held ${describeLog([A1, A2])} and accepted ${describeLog([B2, B3], 2)} after index 1: the conflicting entry at index 2 and everything after it are replaced`);
  });
});

test('truncates its log only where an entry conflicts: a late, shorter append-entries erases nothing', () => {
  checkScenario({ describe: describeMessage, seeds: 5 }, (seed) => {
    const c = puppets(seed, 3);
    c.sim.runFor(10);
    deliver(c, 'n2', ae(1, 0, 0, [A1, A2, A3], 0));
    expectLog(c, [A1, A2, A3], 'n1 received 3 entries from n2, leader of term 1');
    // The first append-entries n2 sent, delayed by the network, arrives last.
    const got = deliver(c, 'n2', ae(1, 0, 0, [A1], 0));
    expectReply(c, got, { term: 1, success: true, matchIndex: 1 }, 'a delayed, older append-entries of term 1 (prevLogIndex 0, 1 entry) reached n1 after a newer one');
    expectLog(c, [A1, A2, A3],
      `n1 held ${describeLog([A1, A2, A3])} when a delayed, older append-entries from n2 with only ${describeEntry(A1)} arrived; it agrees with the log, so nothing conflicts and nothing may be cut ` +
        '(entries 2 and 3 may already be committed: truncate only from the first entry whose term differs)');
    deliver(c, 'n2', ae(1, 3, 1, [], 3));
    const applied = c.appliedBy('n1').map((a) => a.index);
    check(applied.length === 3, () => `n2 then told n1 that index 3 is committed (leaderCommit 3); n1 applied ${applied.length ? `indexes ${applied.join(', ')}` : 'nothing'}; expected indexes 1, 2 and 3`);
  });
});

test('sets commitIndex to min(leaderCommit, index of the last new entry) and applies committed entries in order, once each', () => {
  checkScenario({ describe: describeMessage, seeds: 5 }, (seed) => {
    const c = puppets(seed, 3);
    c.sim.runFor(10);
    deliver(c, 'n2', ae(1, 0, 0, [A1, A2, A3], 0));
    // n3 won term 2 with a different history after index 1, committed up to 3 with n2.
    const B2 = w(2, 'c4', 1, 'x', 'q');
    const B3 = w(2, 'c4', 2, 'y', 'r');
    let got = deliver(c, 'n3', ae(2, 1, 1, [], 3));
    expectReply(c, got, { term: 2, success: true, matchIndex: 1 }, 'n3, leader of term 2, sent a heartbeat with prevLogIndex 1, prevLogTerm 1, leaderCommit 3');
    const s = c.state('n1');
    const applied = c.appliedBy('n1');
    check(
      s?.commitIndex === 1 && applied.length === 1,
      () => `n1 held ${describeLog([A1, A2, A3])}; n3, leader of term 2, said leaderCommit 3 in an append-entries that only proves the logs agree up to index 1 (prevLogIndex 1, no entries); ` +
        `n1 then reports ${showState(s)} and applied ${applied.length ? applied.map((a) => `${a.index}: ${describeEntry(a.entry)}`).join(', ') : 'nothing'}; ` +
        'expected commitIndex 1 and only index 1 applied: commitIndex = min(leaderCommit, index of the last new entry), because n1\'s entries 2 and 3 are not the leader\'s',
    );
    got = deliver(c, 'n3', ae(2, 1, 1, [B2, B3], 3));
    expectReply(c, got, { term: 2, success: true, matchIndex: 3 }, 'n3 then sent its entries 2 and 3 of term 2');
    const all = c.appliedBy('n1');
    const want = [A1, B2, B3];
    check(
      all.length === 3 && all.every((a, i) => canonical(a.entry) === canonical(want[i])),
      () => `n1 applied ${all.map((a) => `${a.index}: ${describeEntry(a.entry)}`).join(', ') || 'nothing'}; expected ${describeLog(want)} (indexes 1 to 3, in order, each once)`,
    );
    // The same append-entries again (the network duplicates): nothing is applied twice.
    deliver(c, 'n3', ae(2, 1, 1, [B2, B3], 3));
    check(c.appliedBy('n1').length === 3, () => `the same append-entries reached n1 twice; it applied ${c.appliedBy('n1').length} entries; expected 3, each once`);
    // After a restart the store is rebuilt from the log, in order, once the commit index is known again.
    c.sim.at(c.sim.now, () => c.sim.crash('n1'));
    c.sim.at(c.sim.now + 1, () => c.sim.restart('n1'));
    c.sim.runFor(2);
    expectLog(c, want, 'n1 crashed and restarted (the log must be in ctx.storage)');
    deliver(c, 'n3', ae(2, 3, 2, [], 3));
    const again = c.appliedBy('n1');
    check(
      again.length === 3 && again.every((a, i) => canonical(a.entry) === canonical(want[i])),
      () => `after its restart n1 received leaderCommit 3 from n3; it applied ${again.map((a) => `${a.index}: ${describeEntry(a.entry)}`).join(', ') || 'nothing'}; ` +
        `expected ${describeLog(want)}: a restarted node rebuilds its store by applying its committed entries again, from index 1`,
    );
  });
});

test('grants its vote only to a candidate whose log is at least as up-to-date as its own (the election restriction)', () => {
  checkScenario({ describe: describeMessage, seeds: 5 }, (seed) => {
    const c = puppets(seed, 5);
    c.sim.runFor(10);
    deliver(c, 'n2', ae(1, 0, 0, [A1, A2], 0));
    const B3 = w(2, 'c3', 1, 'x', 'z');
    deliver(c, 'n3', ae(2, 2, 1, [B3], 0));
    expectLog(c, [A1, A2, B3], 'n1 received 2 entries of term 1 from n2, then 1 of term 2 from n3');
    const mine = 'n1\'s log ends with index 3 of term 2';
    const cases: Array<[NodeId, number, number, number, boolean, string]> = [
      ['n4', 3, 5, 1, false, 'its last entry is of term 1, older than n1\'s last (term 2), even though its log is longer'],
      ['n5', 4, 2, 2, false, 'its last entry is of term 2 like n1\'s, but its log is shorter (2 < 3)'],
      ['n4', 5, 3, 2, true, 'its last entry is of term 2 like n1\'s, and its log is as long (3)'],
      ['n5', 6, 1, 3, true, 'its last entry is of term 3, newer than n1\'s last (term 2), even though its log is shorter'],
    ];
    for (const [candidate, term, lastLogIndex, lastLogTerm, granted, why] of cases) {
      const got = deliver(c, candidate, { type: 'request-vote', term, lastLogIndex, lastLogTerm }, 'vote');
      check(
        got.length > 0 && got.every((r) => r.message.type === 'vote' && r.message.term === term && r.message.granted === granted),
        () => `${mine}; ${candidate} asked for n1's vote in term ${term} with lastLogIndex ${lastLogIndex}, lastLogTerm ${lastLogTerm}: ${why}; ` +
          `expected { type: 'vote', term: ${term}, granted: ${granted} }, n1 answered ${describeReceived(got)}` +
          (granted ? '' : '; a node votes only for a candidate whose log is at least as up-to-date as its own (a later last term, or the same last term and at least as long), so that a leader holds every committed entry'),
      );
    }
  });
});

test('keeps currentTerm, votedFor and the log in ctx.storage, written before any answer that depends on them', () => {
  checkScenario({ describe: describeMessage, seeds: 5 }, (seed) => {
    // Every granted vote and successful append-reply is checked against the storage at the moment it is sent.
    const c = puppets(seed, 5);
    c.sim.runFor(10);
    deliver(c, 'n2', ae(3, 0, 0, [A1, A2], 0));
    const got = deliver(c, 'n3', { type: 'request-vote', term: 4, lastLogIndex: 2, lastLogTerm: 1 }, 'vote');
    check(got.some((r) => r.message.type === 'vote' && r.message.granted === true), () => `n3 asked for n1's vote in term 4 with a log as up-to-date as n1's; n1 answered ${describeReceived(got)}; expected a granted vote`);
    c.sim.at(c.sim.now, () => c.sim.crash('n1'));
    c.sim.at(c.sim.now + 1, () => c.sim.restart('n1'));
    c.sim.runFor(2);
    const s = c.state('n1');
    check(s?.term === 4, () => `n1, in term 4, crashed and restarted; it then reports ${showState(s)}; expected term 4: currentTerm must be kept in ctx.storage`);
    expectLog(c, [A1, A2], 'n1 crashed and restarted after accepting 2 entries: the log must be kept in ctx.storage');
    const again = deliver(c, 'n4', { type: 'request-vote', term: 4, lastLogIndex: 9, lastLogTerm: 4 }, 'vote');
    check(
      again.length > 0 && again.every((r) => r.message.type === 'vote' && r.message.granted === false),
      () => `n1 voted for n3 in term 4, crashed and restarted; then n4 asked for its vote in term 4; n1 answered ${describeReceived(again)}; expected granted: false (votedFor must be kept in ctx.storage)`,
    );
  });
});

test('a node that is not the leader answers a client { ok: false, leader } with the leader it knows', () => {
  checkScenario({ describe: describeMessage, seeds: 5 }, (seed) => {
    const c = puppets(seed, 3);
    const client = rawClient(c, 'c1');
    c.sim.runFor(10);
    deliver(c, 'n2', ae(1, 0, 0, [], 0));
    c.send('c1', 'n1', { type: 'request', msgId: 7, seq: 1, op: { kind: 'write', key: 'x', value: 'a' } });
    c.sim.runFor(STEP);
    const r = client.replies;
    check(
      r.length > 0 && r.every((x) => x.message.type === 'reply' && x.message.inReplyTo === 7 && x.message.ok === false && x.message.leader === 'n2'),
      () => `n1 follows n2, leader of term 1, and client c1 sent it { type: 'request', msgId: 7, seq: 1, … }; c1 received ${r.length ? r.map((x) => JSON.stringify(x.message)).join('; ') : 'nothing'}; ` +
        `expected { type: 'reply', inReplyTo: 7, ok: false, leader: 'n2' }: only the leader puts commands in the log, and the client should be sent to it`,
    );
    check(c.entries('n1')?.length === 0, () => `n1, a follower, appended a client's command to its own log: ${describeLog(c.entries('n1') ?? [])}; only the leader appends commands`);
  });
});

// One learner node (n1) as the leader: its followers are puppets that answer by Raft's rules when the test lets them.
import { test } from 'vitest';
import { check, checkScenario, fail, figure } from 'learn-ds/harness';
import type { NodeId } from 'learn-ds/sim';
import { canonical, describeEntry, describeMessage, describeLog, list, type LogEntry, type Message } from './helpers.ts';
import { LATENCY, electN1, puppets, rawClient, showState, type PuppetCluster } from './puppets.ts';

const STEP = 2 * LATENCY + 1;

function w(term: number, client: string, seq: number, key: string, value: string): LogEntry {
  return { term, command: { client, seq, op: { kind: 'write', key, value } } };
}

function silence(c: PuppetCluster, except: readonly NodeId[] = []): void {
  for (const [id, f] of c.followers) f.answers = except.includes(id);
}

function sentBy(c: PuppetCluster, to: NodeId, since: number, type: Message['type']) {
  return c.sent.filter((s) => s.to === to && s.t >= since && s.message.type === type);
}

function repliesTo(client: ReturnType<typeof rawClient>, msgId: number) {
  return client.replies.filter((r) => r.message.type === 'reply' && r.message.inReplyTo === msgId);
}

function majority(size: number): number {
  return Math.floor(size / 2) + 1;
}

test('as leader, commits a command once a majority of the whole cluster stores it, itself counted once (a duplicated answer counts once), and then answers the client', () => {
  checkScenario({ describe: describeMessage, seeds: 6 }, (seed) => {
    for (const size of [4, 5]) {
      const c = puppets(seed, size);
      silence(c);
      const voters = c.ids.slice(1, majority(size));
      const { term } = electN1(c, voters);
      const client = rawClient(c, 'c1');
      c.send('c1', 'n1', { type: 'request', msgId: 1, seq: 1, op: { kind: 'write', key: 'x', value: 'a' } });
      c.sim.runFor(STEP);
      const log = c.entries('n1') ?? [];
      const idx = log.findIndex((e) => e.command?.client === 'c1') + 1;
      check(idx > 0 && log[idx - 1]!.term === term, () => `n1, leader of term ${term}, received a client's write and its log is ${describeLog(log)}; expected the command appended as an entry of term ${term}`);
      // Only n2 stores it: with n1, 2 of `size` nodes.
      silence(c, ['n2']);
      c.sim.runFor(2 * 50 + STEP);
      const acks = c.inbox('n2').length;
      check(acks > 0 && (c.acked.get('n2')?.get(term) ?? 0) >= idx, () => `n1, leader of term ${term}, did not send its new entry (index ${idx}) to n2 within two heartbeat intervals (n2 received ${acks} messages)`);
      c.send('n2', 'n1', { type: 'append-reply', term, success: true, matchIndex: idx });
      c.sim.runFor(STEP);
      let s = c.state('n1');
      check(
        (s?.commitIndex ?? 0) < idx && repliesTo(client, 1).length === 0,
        () => `in a cluster of ${size}, only n1 and n2 store index ${idx} (n2 acknowledged it, twice: the network duplicates messages); n1 reports ${showState(s)} and ` +
          `${repliesTo(client, 1).length ? 'answered the client' : 'did not answer the client'}; expected commitIndex below ${idx} and no answer yet: 2 of ${size} is not a majority ` +
          `(a majority of ${size} is ${majority(size)}, the leader counted once, each follower once however many answers it sends)`,
      );
      // A majority now stores it.
      const more = c.ids.slice(2, majority(size));
      silence(c, ['n2', ...more]);
      c.sim.runUntilTrue(() => (c.state('n1')?.commitIndex ?? 0) >= idx, 2 * 50 + STEP);
      s = c.state('n1');
      check((s?.commitIndex ?? 0) >= idx, () => `n1, n2 and ${list(more)} now store index ${idx} (${majority(size)} of ${size}, a majority); after two heartbeat intervals n1 reports ${showState(s)}; expected commitIndex ${idx}`);
      c.sim.runFor(STEP);
      const r = repliesTo(client, 1);
      check(
        r.length > 0 && r.every((x) => x.message.ok === true && x.message.result === null),
        () => `n1 committed and applied the client's write (msgId 1); the client received ${r.length ? r.map((x) => JSON.stringify(x.message)).join('; ') : 'nothing'}; expected { type: 'reply', inReplyTo: 1, ok: true, result: null }`,
      );
      const since = c.sim.now;
      c.sim.runFor(50 + STEP);
      const told = sentBy(c, 'n2', since, 'append-entries').some((x) => x.message.type === 'append-entries' && x.message.leaderCommit >= idx);
      check(told, () => `n1 committed index ${idx} at ${since.toFixed(1)} ms but sent n2 no append-entries with leaderCommit ≥ ${idx} in the next heartbeat interval: followers learn what is committed from leaderCommit`);
    }
  });
});

test('as leader, backs up over a follower\'s missing and conflicting entries in a few round trips (one per conflicting term, not one per entry)', () => {
  let most = 0;
  checkScenario({ describe: describeMessage, seeds: 6 }, (seed) => {
    const c = puppets(seed, 5);
    silence(c);
    c.sim.runFor(10);
    // Term 2: n5 led and replicated 30 entries to n1 (and, off stage, to n3 and n4), all committed.
    const mine = Array.from({ length: 30 }, (_, i) => w(2, 'c1', i + 1, 'x', `v${i + 1}`));
    c.send('n5', 'n1', { type: 'append-entries', term: 2, prevLogIndex: 0, prevLogTerm: 0, entries: mine, leaderCommit: 30 });
    c.sim.runFor(STEP);
    check(c.entries('n1')?.length === 30, () => `n1 received 30 entries from n5, leader of term 2, and holds ${c.entries('n1')?.length ?? 0}`);
    // n2 had led term 1 and written 20 entries that nobody else has.
    const n2 = c.followers.get('n2')!;
    n2.term = 1;
    n2.log = Array.from({ length: 20 }, (_, i) => w(1, 'c9', i + 1, 'y', `old${i + 1}`));
    for (const id of ['n3', 'n4']) {
      c.followers.get(id)!.log = structuredClone(mine);
      c.followers.get(id)!.term = 2;
    }
    const { term } = electN1(c, ['n3', 'n4']);
    c.sim.runFor(50);
    silence(c, ['n2']);
    const since = c.sim.now;
    // Backing up ends with n2's first success; then the entries may come in batches.
    const firstSuccess = c.sim.runUntilTrue(() => (c.acked.get('n2')?.get(term) ?? -1) >= 0, 1_000);
    const probing = sentBy(c, 'n2', since, 'append-entries').filter((s) => firstSuccess === undefined || s.t <= firstSuccess);
    if (firstSuccess === undefined) {
      fail(`n1, leader of term ${term} with 30 entries of term 2, never found where its log and n2's agree within 1 s after n2 (20 entries of term 1) started answering, ` +
        `after ${probing.length} append-entries; n2's log is still ${describeLog(n2.log)}`);
    }
    most = Math.max(most, probing.length);
    check(
      probing.length <= 5,
      () => `n1 needed ${probing.length} append-entries to find where its log and n2's agree (n2 held 20 entries of term 1 where n1 holds 30 of term 2); expected at most 5: on a refusal, jump nextIndex to the follower's conflictIndex ` +
        '(its last index + 1 when its log is too short, else the first index of the conflicting term) instead of going back one entry per round trip',
    );
    const same = () => {
      const log = c.entries('n1') ?? [];
      return n2.log.length === log.length && n2.log.every((e, i) => canonical(e) === canonical(log[i]));
    };
    if (c.sim.runUntilTrue(same, 1_000) === undefined) {
      fail(`n1, leader of term ${term} (its log: ${describeLog(c.entries('n1') ?? [])}), did not bring n2 up to date within 1 s after their logs were found to agree; n2's log is now ${describeLog(n2.log)}`);
    }
  });
  figure('append-entries to find where the logs agree (most over the seeds)', most, { limit: 5 });
});

test('as leader, never commits an entry of an older term by counting replicas (Raft\'s figure 8): only an entry of its current term, and those before it with it', () => {
  checkScenario({ describe: describeMessage, seeds: 6 }, (seed) => {
    const c = puppets(seed, 5);
    silence(c);
    c.sim.runFor(10);
    // Term 1: n2 leads and replicates E1 to n1 only.
    const E1 = w(1, 'c1', 1, 'x', 'a');
    c.send('n2', 'n1', { type: 'append-entries', term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [E1], leaderCommit: 0 });
    c.sim.runFor(STEP);
    const n2 = c.followers.get('n2')!;
    n2.term = 1;
    n2.log = [E1];
    // Term 2: n5 is elected by n3 and n4 (n1 refuses: its log is more up-to-date), and writes X1 on itself only.
    c.send('n5', 'n1', { type: 'request-vote', term: 2, lastLogIndex: 0, lastLogTerm: 0 });
    c.sim.runFor(STEP);
    const n5 = c.followers.get('n5')!;
    n5.term = 2;
    n5.log = [w(2, 'c5', 1, 'x', 'z')];
    for (const id of ['n3', 'n4']) c.followers.get(id)!.term = 2;
    // Term 3: n1 is elected by n2 and n3, and replicates E1 to n3: a majority (n1, n2, n3) holds it.
    const { term } = electN1(c, ['n2', 'n3']);
    silence(c, ['n2', 'n3']);
    const legit = (): number => {
      // The highest index of the current term that n1 and the puppets that acknowledged it in this term (a majority) store.
      const log = c.entries('n1') ?? [];
      for (let k = log.length; k >= 1; k--) {
        if (log[k - 1]!.term !== term) continue;
        let stored = 1;
        for (const id of c.ids.slice(1)) if ((c.acked.get(id)?.get(term) ?? 0) >= k) stored++;
        if (stored >= 3) return k;
      }
      return 0;
    };
    const describe = (what: string) => `n1, leader of term ${term}, ${what} while index 1 holds ${describeEntry(E1)}: stored on n1, n2 and n3, a majority, but of the older term 1, ` +
      `and no entry of term ${term} was stored on a majority. n5 holds ${describeEntry(n5.log[0])} at index 1 and can still be elected in term 4 with the votes of n3 and n4 (its last term, 2, is newer than their 1), ` +
      'then overwrite index 1 (Raft\'s figure 8). A leader commits by counting replicas only an entry of its own term; the entries before it are committed with it';
    c.sim.invariant('commits only entries of its current term by counting', () => {
      const s = c.state('n1');
      if (s !== undefined && s.commitIndex > legit()) return describe(`set its commitIndex to ${s.commitIndex}`);
      const told = c.sent.find((x) => x.t >= 0 && x.message.type === 'append-entries' && x.message.term === term && x.message.leaderCommit > 0 && legit() === 0);
      if (told) return describe(`told ${told.to} leaderCommit ${(told.message as { leaderCommit: number }).leaderCommit}`);
      return undefined;
    });
    c.sim.runFor(400);
    // A command of term 3 commits, and E1 with it.
    const client = rawClient(c, 'c2');
    c.send('c2', 'n1', { type: 'request', msgId: 1, seq: 1, op: { kind: 'write', key: 'x', value: 'b' } });
    const done = c.sim.runUntilTrue(() => repliesTo(client, 1).length > 0, 400);
    const s = c.state('n1');
    check(
      done !== undefined && (s?.commitIndex ?? 0) >= 2,
      () => `n1, leader of term ${term}, received a client's write; n2 and n3 answer its append-entries; 400 ms later n1 reports ${showState(s)} and ${done === undefined ? 'had not answered the client' : 'answered'}; ` +
        'expected the new entry of the current term committed (once a majority stores it), the older entry before it with it',
    );
  });
});

test('a retried command (same client and seq) takes effect once, and the retry gets the answer of the first', () => {
  checkScenario({ describe: describeMessage, seeds: 5 }, (seed) => {
    const c = puppets(seed, 3);
    silence(c);
    electN1(c, ['n2']);
    silence(c, ['n2', 'n3']);
    const c1 = rawClient(c, 'c1');
    const c2 = rawClient(c, 'c2');
    const ask = (client: 'c1' | 'c2', msgId: number, seq: number, op: Extract<Message, { type: 'request' }>['op']) => {
      c.send(client, 'n1', { type: 'request', msgId, seq, op });
    };
    const answer = (r: ReturnType<typeof rawClient>, msgId: number) => {
      c.sim.runUntilTrue(() => repliesTo(r, msgId).length > 0, 400);
      return repliesTo(r, msgId)[0]?.message;
    };
    ask('c1', 1, 1, { kind: 'write', key: 'x', value: 'a' });
    check(answer(c1, 1)?.ok === true, 'c1 wrote x=a (seq 1) through n1, the leader, whose followers answer; no ok answer came within 400 ms');
    ask('c2', 1, 1, { kind: 'write', key: 'x', value: 'b' });
    check(answer(c2, 1)?.ok === true, 'c2 wrote x=b (seq 1) through n1; no ok answer came within 400 ms');
    // c1's first request again (a retry that the network delivered late).
    ask('c1', 2, 1, { kind: 'write', key: 'x', value: 'a' });
    const retry = answer(c1, 2);
    check(retry?.ok === true && retry.result === null, () => `c1 sent its command seq 1 (write x=a) again after it was applied; it got ${retry ? JSON.stringify(retry) : 'no answer'}; expected { type: 'reply', inReplyTo: 2, ok: true, result: null }, the answer of the first`);
    ask('c2', 2, 2, { kind: 'read', key: 'x' });
    const read = answer(c2, 2);
    check(
      read?.ok === true && read.result === 'b',
      () => `c1 wrote x=a (seq 1), then c2 wrote x=b, then c1's seq 1 arrived again; c2 then read x and got ${read ? JSON.stringify(read) : 'no answer'}; expected 'b': ` +
        'a retried command must not take effect twice (keep, per client, the last seq applied and its result, and skip an entry whose seq is not newer)',
    );
    // Two copies of one command in the log, around another client's write, before any commits.
    silence(c);
    ask('c1', 3, 2, { kind: 'write', key: 'x', value: 'c' });
    c.sim.runFor(STEP);
    ask('c2', 3, 3, { kind: 'write', key: 'x', value: 'd' });
    c.sim.runFor(STEP);
    ask('c1', 4, 2, { kind: 'write', key: 'x', value: 'c' });
    c.sim.runFor(STEP);
    silence(c, ['n2', 'n3']);
    answer(c2, 3);
    answer(c1, 4);
    ask('c2', 4, 4, { kind: 'read', key: 'x' });
    const last = answer(c2, 4);
    check(
      last?.ok === true && last.result === 'd',
      () => `c1 sent write x=c (seq 2), c2 then wrote x=d, and c1's seq 2 arrived again, all before anything committed; c2 then read x and got ${last ? JSON.stringify(last) : 'no answer'}; expected 'd' ` +
        '(the second copy of c1\'s seq 2 is in the log after c2\'s write, but it must not take effect again when applied)',
    );
  });
});

// Clusters of the learner's nodes, with clients, faults, and the clients' history checked for linearizability.
import { test } from 'vitest';
import { check, checkScenario, expectProgress, fail, figure, sometimes } from 'learn-ds/harness';
import {
  checkLinearizable, describeNonLinearizable, kvModel, spikyLatency, startNemesis, streamOf, uniformLatency,
  type NodeId,
} from 'learn-ds/sim';
import {
  BOUND, HEARTBEAT, KvClient, REACHED, awaitIdle, describeMessage, awaitLeader, canonical, cluster, describeEntry, describeLog, describeStates, list, observe, workload,
  type Cluster, type KvOp,
} from './helpers.ts';
import { History, type KvInput, type RegisterOutput } from 'learn-ds/sim';

const model = kvModel<string | null>(null);

function expectLinearizable(ops: readonly KvOp[], context: string): void {
  const result = checkLinearizable(ops, model);
  if (!result.ok) {
    fail(
      result.verdict === 'unknown'
        ? `${context}: the linearizability checker could not decide the clients' history within its budget (too many commands left unanswered at once)`
        : `${context}: the clients' history is not linearizable: some answer cannot be explained by any order of the commands that respects real time ` +
          '(a read returned a value that was already overwritten, or a write was lost or applied twice)',
      describeNonLinearizable(result, model),
    );
  }
}

function expectLeader(c: Cluster, withinMs = BOUND, group?: readonly NodeId[], above?: number) {
  const leader = awaitLeader(c, withinMs, group, above);
  if (leader === undefined) fail(`${c.learners.length} nodes, all up and connected, settled on no leader within ${withinMs} ms; at the end: ${describeStates(c)}`);
  return leader;
}

/**
 * Every up node applies as far as the leader within `withinMs`, after one more write commits: a new
 * leader cannot commit the entries of older terms before one of its own (and a follower learns the
 * commit index from the next append-entries).
 */
function expectConverged(c: Cluster, withinMs: number, context: string): void {
  const history = new History<KvInput<string | null>, RegisterOutput<string | null>>();
  const probe = new KvClient(c, `probe${c.sim.now.toFixed(0)}`, history);
  probe.submit({ kind: 'write', key: 'probe', value: 'last' });
  if (awaitIdle(c, [probe], BOUND) === undefined) {
    fail(`${context}; with every node up and connected, a new write was not answered ok within ${BOUND} ms (${describeStates(c)})`);
  }
  const furthest = () => Math.max(0, ...c.learners.map((id) => c.lastApplied(id)));
  const t = c.sim.runUntilTrue(() => c.learners.every((id) => !c.sim.isUp(id) || c.lastApplied(id) >= furthest()), withinMs);
  if (t === undefined) {
    const behind = c.learners.filter((id) => c.sim.isUp(id) && c.lastApplied(id) < furthest());
    fail(`${context}, then one more write committed; ${withinMs} ms later ${list(behind)} had applied only up to index ${behind.map((id) => c.lastApplied(id)).join(', ')} while another node applied up to ${furthest()}; ` +
      `every follower must catch up with the leader's log and commit index (${describeStates(c)})`);
  }
}

const LOSSY = { loss: 0.05, duplicate: 0.05 };

test('replicates client commands on every node and answers them, linearizably, on a network that loses and duplicates messages', () => {
  checkScenario({ describe: describeMessage, seeds: 6 }, (seed) => {
    const size = seed % 2 === 0 ? 3 : 5;
    const c = cluster({ seed, nodes: size, network: LOSSY, record: false });
    const { history, clients } = workload(c, 3, 2_000);
    c.sim.runUntil(2_000);
    if (awaitIdle(c, clients, BOUND) === undefined) {
      fail(`${size} nodes, all up and connected on a network that loses and duplicates 5% of messages: a client's command was still unanswered ${BOUND} ms after the clients stopped sending new ones (${describeStates(c)})`);
    }
    const answered = history.ops.filter((op) => Number.isFinite(op.returnTime)).length;
    check(answered >= 20, () => `in 2 s, 3 clients had only ${answered} commands answered by ${size} nodes; expected at least 20 (${describeStates(c)})`);
    expectLinearizable(history.ops, `${size} nodes, 3 clients, lossy network`);
    expectConverged(c, 1_000, 'the clients stopped');
  });
});

test('under partitions, crashes with restart, process pauses, loss, duplication and long reordering: no two nodes apply different entries at one index, and the history is linearizable', () => {
  checkScenario({ describe: describeMessage, seeds: 16, sometimes: [REACHED.leaderChange, REACHED.crashUncommitted, REACHED.truncated] }, (seed) => {
    const size = seed % 2 === 0 ? 3 : 5;
    const c = cluster({
      seed, nodes: size, record: false,
      network: { latency: spikyLatency(6, 400, 0.03), loss: 0.02, duplicate: 0.05 },
    });
    observe(c);
    const until = 4_000;
    startNemesis(c.sim, { faults: ['partition', 'isolate', 'one-way', 'crash', 'pause', 'loss'], gapMs: [100, 500], durationMs: [200, 1_200], pauseMs: [100, 700], until });
    const { history } = workload(c, 3, until);
    c.sim.runUntil(until + 1_500);
    expectLinearizable(history.ops, `${size} nodes, 3 clients, random faults`);
  });
});

test(`after the faults end, with every node up and connected, a new command commits within ${BOUND} ms and every node catches up`, () => {
  let slowest = 0;
  checkScenario({ describe: describeMessage, seeds: 10 }, (seed) => {
    const size = seed % 2 === 0 ? 3 : 5;
    const c = cluster({ seed, nodes: size, record: false, network: { latency: spikyLatency(6, 400, 0.03), loss: 0.02, duplicate: 0.05 } });
    const until = 3_000;
    startNemesis(c.sim, { faults: ['partition', 'isolate', 'crash', 'loss'], gapMs: [100, 400], durationMs: [200, 1_000], until });
    const { clients } = workload(c, 2, until);
    c.sim.runUntil(until);
    c.sim.network = { ...c.sim.network, latency: uniformLatency(1, 10), loss: 0 };
    const history = new History<KvInput<string | null>, RegisterOutput<string | null>>();
    const probe = new KvClient(c, 'probe', history);
    probe.submit({ kind: 'write', key: 'z', value: 'after' });
    const done = expectProgress(c.sim, {
      within: BOUND, faultsEndedAt: until,
      what: 'a new write answered ok, and every client\'s pending command too (every node up, every link working, no loss: a connected majority must elect a leader and commit)',
      until: () => !probe.busy && clients.every((k) => !k.busy),
    });
    slowest = Math.max(slowest, done - until);
    expectConverged(c, 1_000, `a new command committed ${(done - until).toFixed(0)} ms after the faults ended`);
  });
  figure('slowest first commit after the faults ended', Math.round(slowest), { unit: 'ms', limit: BOUND });
});

test('a command acknowledged to its client survives the crash of a minority, even of a leader that holds uncommitted entries', () => {
  checkScenario({ describe: describeMessage, seeds: 10, sometimes: [REACHED.crashUncommitted] }, (seed) => {
    const size = seed % 2 === 0 ? 3 : 5;
    const c = cluster({ seed, nodes: size, network: { duplicate: 0.05 }, record: false });
    observe(c);
    const { history, clients } = workload(c, 3, 3_000);
    const first = expectLeader(c);
    c.sim.runFor(400);
    // Crash the leader as it sends out a new entry (so it holds an uncommitted one), with as many followers as a minority allows.
    let crashedAt = -1;
    const victims: NodeId[] = [];
    c.sim.onSend((from, _to, message) => {
      if (crashedAt >= 0 || !c.learners.includes(from) || !c.sim.isUp(from) || c.state(from)?.role !== 'leader' || message.type !== 'append-entries') return;
      if (message.entries.length === 0 || message.prevLogIndex + message.entries.length <= (c.state(from)?.commitIndex ?? 0)) return;
      crashedAt = c.sim.now;
      victims.push(from, ...c.learners.filter((id) => id !== from).slice(0, Math.floor((size - 1) / 2) - 1));
      c.sim.at(c.sim.now, () => victims.forEach((id) => c.sim.crash(id)));
    });
    c.sim.runUntilTrue(() => crashedAt >= 0 && c.sim.now > crashedAt, 2_000);
    if (crashedAt < 0) fail(`leader ${first.id} sent no append-entries carrying a new entry in 2 s while 3 clients were sending commands (${describeStates(c)})`);
    const acknowledged = history.ops.filter((op) => Number.isFinite(op.returnTime) && op.input.kind === 'write');
    const rest = c.learners.filter((id) => !victims.includes(id));
    const second = awaitLeader(c, BOUND, rest);
    if (second === undefined) {
      fail(`${list(victims)} crashed at ${crashedAt.toFixed(1)} ms; the ${rest.length} others, a majority of ${size}, settled on no leader within ${BOUND} ms: ${describeStates(c, rest)}`);
    }
    const log = c.entries(second.id) ?? [];
    for (const op of acknowledged) {
      const input = op.input as Extract<KvInput<string | null>, { kind: 'write' }>;
      const found = log.some((e) => e.command?.client === op.client && e.command.op.kind === 'write' && e.command.op.value === input.value);
      check(found, () => `${op.client}'s write ${input.key}=${input.value} was answered ok at ${op.returnTime.toFixed(1)} ms, then ${list(victims)} crashed at ${crashedAt.toFixed(1)} ms; ` +
        `the new leader ${second.id} (term ${second.term}) does not hold it: ${describeLog(log)}. A command is answered only once committed (stored on a majority), and a committed entry is never lost`);
    }
    c.sim.runFor(500);
    victims.forEach((id) => c.sim.restart(id));
    c.sim.runUntil(3_000);
    awaitIdle(c, clients, BOUND);
    expectLinearizable(history.ops, `${size} nodes, ${list(victims)} crashed at ${crashedAt.toFixed(1)} ms and restarted 500 ms later`);
    expectConverged(c, 1_000, 'the crashed nodes restarted');
  });
});

test('a leader cut off from the majority never answers a read with a stale value', () => {
  checkScenario({ describe: describeMessage, seeds: 8 }, (seed) => {
    const c = cluster({ seed, nodes: 5, record: false });
    const history = new History<KvInput<string | null>, RegisterOutput<string | null>>();
    const old = new KvClient(c, 'c1', history);
    const fresh = new KvClient(c, 'c2', history);
    const first = expectLeader(c);
    old.submit({ kind: 'write', key: 'x', value: 'old' }, () => {}, first.id);
    if (awaitIdle(c, [old], BOUND) === undefined) fail(`leader ${first.id} of 5 connected nodes did not commit a write within ${BOUND} ms (${describeStates(c)})`);
    const majority = c.learners.filter((id) => id !== first.id).slice(0, 3);
    const minority = c.learners.filter((id) => !majority.includes(id));
    c.sim.partition([...minority, 'c1'], [...majority, 'c2']);
    const cutAt = c.sim.now;
    const second = awaitLeader(c, BOUND, majority, first.term);
    if (second === undefined) fail(`a partition cut leader ${first.id} off at ${cutAt.toFixed(1)} ms; the majority ${list(majority)} elected no new leader within ${BOUND} ms: ${describeStates(c, majority)}`);
    fresh.submit({ kind: 'write', key: 'x', value: 'new' }, () => {}, second.id);
    if (awaitIdle(c, [fresh], BOUND) === undefined) fail(`${second.id}, new leader of the majority, did not commit a write within ${BOUND} ms (${describeStates(c, majority)})`);
    const wroteAt = c.sim.now;
    old.submit({ kind: 'read', key: 'x' }, () => {}, first.id);
    c.sim.runFor(1_000);
    const read = history.ops.at(-1)!;
    check(
      !Number.isFinite(read.returnTime) || read.output === 'new',
      () => `${first.id}, leader of term ${first.term}, was cut off with ${list(minority.filter((id) => id !== first.id))} at ${cutAt.toFixed(1)} ms; the majority elected ${second.id} (term ${second.term}), which committed x=new at ${wroteAt.toFixed(1)} ms; ` +
        `then ${first.id} answered a read of x with ${JSON.stringify(read.output)} at ${read.returnTime.toFixed(1)} ms: a stale read. ` +
        'A leader may have been replaced without knowing it: serve a read only through the log (like a write), or after a majority confirmed in a round of append-entries that you still lead',
    );
    expectLinearizable(history.ops, 'a partitioned leader');
  });
});

test('a follower far behind catches up fast once it is back (not one entry per round trip)', () => {
  let slowest = 0;
  checkScenario({ describe: describeMessage, seeds: 6 }, (seed) => {
    const c = cluster({ seed, nodes: 5, record: false });
    const first = expectLeader(c);
    const late = c.learners.find((id) => id !== first.id)!;
    c.sim.crash(late);
    const { clients } = workload(c, 6, c.sim.now + 1_000, ['a', 'b', 'c', 'd']);
    c.sim.runFor(1_000);
    awaitIdle(c, clients, BOUND);
    // A new leader, who knows nothing of how far `late` got.
    const s = c.state(first.id);
    c.sim.crash(first.id);
    const second = awaitLeader(c, BOUND, c.learners.filter((id) => id !== first.id && id !== late), s?.term);
    if (second === undefined) fail(`leader ${first.id} crashed; the 3 others elected no new leader within ${BOUND} ms: ${describeStates(c)}`);
    c.sim.runFor(100);
    const target = c.state(second.id)?.commitIndex ?? 0;
    check(target >= 60, () => `6 clients had only ${target} commands committed in 1 s on 4 connected nodes; expected at least 60 (${describeStates(c)})`);
    c.sim.restart(late);
    const restartedAt = c.sim.now;
    const LIMIT = 5 * HEARTBEAT;
    const t = c.sim.runUntilTrue(() => c.lastApplied(late) >= target, LIMIT);
    check(
      t !== undefined,
      () => `${late} restarted at ${restartedAt.toFixed(1)} ms, ${target} entries behind leader ${second.id} (term ${second.term}); ${LIMIT} ms later it had applied only up to index ${c.lastApplied(late)}; ` +
        'a refused append-entries says where the follower\'s log ends (conflictIndex): the leader must jump there, not go back one entry per round trip',
    );
    slowest = Math.max(slowest, t - restartedAt);
  });
  figure('slowest catch-up of a restarted follower', Math.round(slowest), { unit: 'ms', limit: 5 * HEARTBEAT });
});

test('a stale leader\'s uncommitted entries are replaced by the new leader\'s once the partition heals', () => {
  checkScenario({ describe: describeMessage, seeds: 6, sometimes: [REACHED.truncated] }, (seed) => {
    const c = cluster({ seed, nodes: 5, record: false });
    observe(c);
    const first = expectLeader(c);
    const partner = c.learners.find((id) => id !== first.id)!;
    const majority = c.learners.filter((id) => id !== first.id && id !== partner);
    c.sim.partition([first.id, partner, 'c1'], [...majority, 'c2']);
    // 30 commands reach the cut-off leader: appended, never committed.
    c.sim.addClient('c1', () => {});
    for (let i = 1; i <= 30; i++) c.sim.sendFrom('c1', first.id, { type: 'request', msgId: i, seq: i, op: { kind: 'write', key: 'x', value: `lost${i}` } });
    const second = awaitLeader(c, BOUND, majority, first.term);
    if (second === undefined) fail(`the majority ${list(majority)} elected no leader within ${BOUND} ms after a partition cut off ${first.id} and ${partner}`);
    const history = new History<KvInput<string | null>, RegisterOutput<string | null>>();
    const c2 = new KvClient(c, 'c2', history, c.learners.indexOf(second.id));
    for (let i = 1; i <= 30; i++) {
      c2.submit({ kind: 'write', key: 'x', value: `kept${i}` });
      if (awaitIdle(c, [c2], BOUND) === undefined) fail(`the majority's leader ${second.id} did not commit write ${i} within ${BOUND} ms (${describeStates(c, majority)})`);
    }
    const stale = (c.entries(first.id) ?? []).filter((e) => e.command?.op.kind === 'write' && e.command.op.value.startsWith('lost')).length;
    check(stale >= 30, () => `${first.id}, cut off, received 30 client commands; its log holds only ${stale} of them: a leader appends every command it receives`);
    c.sim.heal();
    expectConverged(c, 2_000, `the partition healed at ${c.sim.now.toFixed(1)} ms`);
    const leaderLog = c.entries(awaitLeader(c, BOUND)?.id ?? second.id) ?? [];
    for (const id of [first.id, partner]) {
      const log = c.entries(id) ?? [];
      const kept = log.slice(0, leaderLog.length);
      const bad = kept.findIndex((e, i) => canonical(e) !== canonical(leaderLog[i]));
      check(bad < 0, () => `after the heal, ${id}'s entry ${bad + 1} is ${describeEntry(kept[bad])} but the leader's is ${describeEntry(leaderLog[bad])}: a follower's conflicting entries are replaced by the leader's`);
    }
  });
});

test('on a quiet network: at most 3·(n+4) append-entries for n commands on 3 nodes, and at most one per follower per heartbeat interval when idle', () => {
  let most = 0;
  let idle = 0;
  checkScenario({ describe: describeMessage, seeds: 5 }, (seed) => {
    const c = cluster({ seed, nodes: 3 });
    const leader = expectLeader(c);
    c.sim.runFor(200);
    const history = new History<KvInput<string | null>, RegisterOutput<string | null>>();
    const client = new KvClient(c, 'c1', history, c.learners.indexOf(leader.id));
    const N = 20;
    const start = c.sim.now;
    for (let i = 1; i <= N; i++) {
      client.submit({ kind: 'write', key: 'x', value: `v${i}` });
      if (awaitIdle(c, [client], BOUND) === undefined) fail(`leader ${leader.id} of 3 connected nodes did not commit write ${i} within ${BOUND} ms`);
    }
    const appends = c.sent.filter((s) => s.t >= start && s.message.type === 'append-entries').length;
    most = Math.max(most, appends);
    const took = c.sim.now - start;
    check(
      appends <= 3 * (N + 4),
      () => `${N} writes, one after another, on 3 connected nodes with no loss took ${took.toFixed(0)} ms and ${appends} append-entries; expected at most 3·(${N}+4) = ${3 * (N + 4)}: ` +
        'send a follower what it lacks when a command arrives and heartbeats on the interval, not a message per entry per tick, nor one again on every answer',
    );
    const idleFrom = c.sim.now;
    c.sim.runFor(1_000);
    for (const id of c.learners.filter((x) => x !== leader.id)) {
      const beats = c.sent.filter((s) => s.t >= idleFrom && s.to === id && s.message.type === 'append-entries').length;
      idle = Math.max(idle, beats);
      check(
        beats <= 1_000 / HEARTBEAT + 1,
        () => `with nothing to replicate for 1 s, leader ${leader.id} sent ${id} ${beats} append-entries; expected at most ${1_000 / HEARTBEAT + 1} (one per heartbeatIntervalMs, ${HEARTBEAT} ms)`,
      );
    }
  });
  figure('append-entries for 20 writes on 3 nodes (most over the seeds)', most, { limit: 3 * (20 + 4) });
  figure('append-entries to one follower in an idle second', idle, { limit: 1_000 / HEARTBEAT + 1 });
});

test('once a leader is up and no message is lost, no node starts another election (heartbeats restart the followers\' election timers)', () => {
  checkScenario({ describe: describeMessage, seeds: 6 }, (seed) => {
    const size = seed % 2 === 0 ? 3 : 5;
    const c = cluster({ seed, nodes: size, network: { duplicate: 0.05 }, record: false });
    const leader = expectLeader(c);
    const since = c.sim.now;
    c.sim.invariant('no election while the leader is up', () => {
      for (const id of c.learners) {
        const s = c.state(id);
        if (s !== undefined && s.term !== leader.term) {
          return `${leader.id} has been leader of term ${leader.term} since ${since.toFixed(1)} ms, every node up and no message lost, yet ${id} is now in term ${s.term}; ` +
            `the leader sends append-entries every ${HEARTBEAT} ms, and each one of the current term must restart a follower's election timer`;
        }
      }
      return undefined;
    });
    workload(c, 2, since + 1_500);
    c.sim.runFor(2_000);
  });
});

test('keeps term, vote and log in ctx.storage before every answer that depends on them, through crashes and restarts, even in the middle of a handler', () => {
  checkScenario({ describe: describeMessage, seeds: 6, sometimes: [REACHED.midHandler] }, (seed) => {
    const size = seed % 2 === 0 ? 3 : 5;
    const c = cluster({ seed, nodes: size, durability: true, record: false, network: LOSSY });
    observe(c);
    startNemesis(c.sim, { faults: ['crash', 'isolate'], gapMs: [100, 400], durationMs: [100, 600], until: 2_500 });
    // Now and then, a node crashes right after one of its next few storage writes or answers, the rest of that handler never running.
    // Drawn from a stream of their own, each one step of the fault schedule even when its node is down.
    const random = streamOf(seed, 'crash-after');
    for (let t = 150; t < 2_500; t += 200) {
      c.sim.at(t, () => c.sim.fault(() => {
        const id = c.learners[Math.floor(random() * c.learners.length)]!;
        const k = 1 + Math.floor(random() * 3);
        const writes = random() < 0.5;
        if (!c.sim.isUp(id)) return;
        if (writes) c.sim.crashAfter(id, { writes: k, restartAfterMs: 40 });
        else c.sim.crashAfter(id, { sends: k, matching: (_to, m) => m.type === 'append-reply' || m.type === 'vote', restartAfterMs: 40 });
      }));
    }
    const { history } = workload(c, 2, 2_500);
    c.sim.runUntil(3_000);
    expectLinearizable(history.ops, `${size} nodes with crashes`);
  });
});

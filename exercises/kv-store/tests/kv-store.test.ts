// The hidden suite of kv-store: clusters of nine of the learner's store nodes, each node hosting one
// quorum-kv replica per group it is a member of, keys placed by the learner's HashRing. Scripted
// scenarios pin one rule each; the last check is a Jepsen-style run under the nemesis.
import { test } from 'vitest';
import { check, checkScenario, describeThrown, fail, figure, show, sometimes } from 'learn-ds/harness';
import { startNemesis, streamOf, type NodeContext, type NodeId } from 'learn-ds/sim';
import { HashRing, createKvNode } from 'learn-ds/subject/kv-store';
import type { ReplicaMessage } from 'learn-ds/subject/kv-store';
import {
  KEYS, cluster, describeOp, expectLinearizable, historyProblem, list, placementProblem, quantile, requestMessages,
  type Cluster, type Op,
} from './helpers.ts';

/** Scripted scenarios: every message takes exactly this long, so nothing is reordered. */
const LATENCY = 5;
/** Anti-entropy never runs in scripted scenarios where it would blur what a quorum alone does. */
const NEVER = 1_000_000;


const BUILDS_ON = 'kv-store builds on two earlier exercises: consistent-hashing (HashRing) and quorum-kv (createKvNode)';

// ── the pieces it builds on ─────────────────────────────────────────────────────────────────

test('builds on your HashRing (consistent-hashing) and createKvNode (quorum-kv), re-exported from your kv-store file', () => {
  let owner: unknown;
  try {
    const ring = new HashRing();
    ring.add('g1');
    ring.add('g2');
    owner = ring.get('user:42');
  } catch (error) {
    fail(`${BUILDS_ON}. Your HashRing threw ${describeThrown(error)}. Import your own (Step 1 at the top of the starter), once consistent-hashing passes (\`learn-ds start consistent-hashing\` if it does not yet)`);
  }
  check(owner === 'g1' || owner === 'g2', () => `${BUILDS_ON}. A HashRing holding 'g1' and 'g2' answered get('user:42') with ${show(owner)}; expected one of them: finish consistent-hashing first (\`learn-ds start consistent-hashing\`)`);
  const noop = () => 0;
  const ctx: NodeContext<ReplicaMessage> = {
    id: 'n1', peers: ['n2', 'n3'], now: noop, send: () => {}, setTimer: noop, cancelTimer: () => {}, random: () => 0.5, log: () => {},
    storage: { get: () => undefined, set: () => {}, delete: () => {}, keys: () => [] },
  };
  let local: unknown;
  try {
    local = createKvNode(ctx, { r: 2, w: 2, antiEntropyIntervalMs: 100 }).local();
  } catch (error) {
    fail(`${BUILDS_ON}. Your createKvNode threw ${describeThrown(error)}. Import your own (Step 1 at the top of the starter), once quorum-kv passes (\`learn-ds start quorum-kv\` if it does not yet)`);
  }
  check(typeof local === 'object' && local !== null && Object.keys(local).length === 0,
    () => `${BUILDS_ON}. A new replica of your createKvNode, with empty storage, returned ${show(local)} from local(); expected {}: finish quorum-kv first (\`learn-ds start quorum-kv\`)`);
});

// ── where keys live ────────────────────────────────────────────────────────────────────────

/** Puts one value in each key through a different node each, one at a time; returns the ops. */
function putEach(c: Cluster, keys: readonly string[], prefix: string): Op[] {
  const client = c.client(`c-${prefix}`);
  const ops: Op[] = [];
  keys.forEach((key, i) => {
    const node = c.ids[(i * 4 + prefix.length) % c.ids.length]!;
    client.put(node, key, `${prefix}${i}`);
    ops.push(c.history.ops.at(-1)!);
    c.sim.runFor(200);
  });
  return ops;
}

test('each node runs one replica per group it is a member of, and a key lives only on its group\'s members: ring.get(key), a ring of every group id', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const c = cluster({ seed, topology: seed % 2 === 0 ? 'overlapping' : 'disjoint', network: { latency: () => LATENCY }, antiEntropyIntervalMs: 50 });
    c.sim.start();
    for (const id of c.ids) {
      const p = placementProblem(c, id, ' at start');
      if (p) c.sim.violation(p);
    }
    const ops = putEach(c, KEYS, 'p');
    c.sim.runFor(300); // anti-entropy spreads each put to every member of its group
    for (const op of ops) {
      check(Number.isFinite(op.returnTime), () => `${describeOp(c, op)}: with every node up and every message taking ${LATENCY} ms, it was not answered within 200 ms. ` +
        `A node in ${show(op.input.key)}'s group (${show(c.groupOf(op.input.key as string))}: ${list(c.groups[c.groupOf(op.input.key as string)]!)}) hands it to its replica of that group; any other node forwards it to one member`);
    }
    for (const id of c.ids) {
      const p = placementProblem(c, id);
      if (p) c.sim.violation(p);
    }
    for (const op of ops) {
      const key = op.input.key as string;
      const group = c.groupOf(key);
      const value = (op.input as { value?: string }).value;
      const holding = c.groups[group]!.filter((id) => c.replicas(id)?.[group]?.[key]?.value === value);
      check(holding.length === c.groups[group]!.length,
        () => `after the put ${show(key)} = ${show(value)} and 300 ms of anti-entropy, only ${holding.length === 0 ? 'no member' : list(holding)} of its group ${show(group)} (${list(c.groups[group]!)}) hold${holding.length === 1 ? 's' : ''} it in that group's replica: ` +
          `the key's group is ring.get(key) on a HashRing holding every group id, the same on every node`);
    }
  });
});

const shownFigure = new Set<string>();

test('with every node up, a get or put through any node is answered within 8 message delays and costs at most 4(n − 1) + 3 messages (n: a group\'s size)', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const topology = seed % 2 === 0 ? 'overlapping' : 'disjoint';
    const c = cluster({ seed, topology, network: { latency: () => LATENCY }, antiEntropyIntervalMs: NEVER });
    const client = c.client('c1');
    const BOUND = 8 * LATENCY + 1;
    const costs: number[] = [];
    for (let i = 0; i < 18; i++) {
      const node = c.ids[(i * 5 + seed) % c.ids.length]!;
      const key = KEYS[i % 6]!;
      const opIndex = c.history.ops.length;
      if (i % 3 !== 1) client.put(node, key, `v${i}`);
      else client.get(node, key);
      c.sim.runFor(BOUND);
      const done = c.history.ops[opIndex]!;
      const group = c.groupOf(key);
      const n = c.groups[group]!.length;
      const member = c.groups[group]!.includes(node);
      check(Number.isFinite(done.returnTime), () => `${done.input.kind === 'write' ? 'a put' : 'a get'} of ${show(key)} through ${node} (${member ? 'a member' : 'not a member'} of its group ${show(group)}: ${list(c.groups[group]!)}), ` +
        `every node up and every message taking ${LATENCY} ms, was not answered within ${BOUND} ms: a request takes at most one forward to a member, the group's two quorum phases and the answer to the client`);
      const messages = requestMessages(c, done.callTime, done.returnTime);
      costs.push(messages);
      const limit = 4 * (n - 1) + 3;
      check(messages <= limit, () => `${done.input.kind === 'write' ? 'a put' : 'a get'} of ${show(key)} through ${node} (${member ? 'a member' : 'not a member'} of its group ${show(group)}: ${list(c.groups[group]!)}) cost ${messages} messages (anti-entropy not counted); ` +
        `messages per operation are at most ${limit}: one forward to one member of the group (never to several, nor to every node), the group's two phases to its ${n - 1} other members and their answers, the answer to the client (and its relay, if your router relays it)`);
      c.sim.runFor(10);
    }
    if (!shownFigure.has(topology)) {
      shownFigure.add(topology);
      figure(`messages per operation, ${topology} groups of 3`, costs.reduce((a, b) => a + b, 0) / costs.length, { limit: 4 * 2 + 3 });
    }
    expectLinearizable(c);
  });
});

// ── crashes ────────────────────────────────────────────────────────────────────────────────

test('a restarted node gets each of its replicas\' data back, and only that replica\'s (one part of ctx.storage per group)', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const c = cluster({ seed, topology: 'overlapping', network: { latency: () => LATENCY }, antiEntropyIntervalMs: NEVER });
    const victim = c.ids[seed % c.ids.length]!;
    const mine = Object.keys(c.groups).filter((g) => c.groups[g]!.includes(victim));
    // A key in each of the victim's groups, put through the victim itself (so that it holds each).
    const keys: string[] = [];
    for (const g of mine) {
      for (let i = 0; ; i++) {
        const key = `key-${i}`;
        if (c.groupOf(key) === g && !keys.includes(key)) {
          keys.push(key);
          break;
        }
      }
    }
    const client = c.client('c1');
    for (const key of keys) {
      client.put(victim, key, `${key}-value`);
      c.sim.runFor(100);
    }
    const before = c.replicas(victim)!;
    c.sim.crash(victim);
    c.sim.runFor(50);
    c.sim.restart(victim);
    c.sim.runFor(1);
    const p = placementProblem(c, victim, ' after a crash and restart');
    if (p) c.sim.violation(p);
    const after = c.replicas(victim)!;
    for (const g of mine) {
      for (const [key, stored] of Object.entries(before[g] ?? {})) {
        check(after[g]?.[key]?.value === stored.value,
          () => `${victim}'s replica of group ${show(g)} held ${show(key)} = ${show(stored.value)} before ${victim} crashed; after its restart it holds ${show(after[g]?.[key]?.value)}: ` +
            `each replica keeps its data in ctx.storage, in its own part of it (for example keys prefixed with the group's id), and reads it back at start`);
      }
    }
  });
});

// ── stale reads, double puts ─────────────────────────────────────────────────────────────────

test('a get through a member cut off from the rest of its group is never answered with a stale value (gets go through the group\'s quorum)', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const c = cluster({ seed, topology: seed % 2 === 0 ? 'overlapping' : 'disjoint', network: { latency: () => LATENCY }, antiEntropyIntervalMs: NEVER, clientTimeoutMs: 200 });
    const key = KEYS[seed % KEYS.length]!;
    const group = c.groupOf(key);
    const [a, b, cut] = c.groups[group]!;
    const client = c.client('c1');
    client.put(a!, key, 'old');
    c.sim.runFor(100);
    c.sim.isolate(cut!);
    client.put(b!, key, 'new');
    c.sim.runFor(100);
    client.get(cut!, key);
    c.sim.runFor(250);
    c.sim.heal();
    const stale = historyProblem(c);
    if (stale) c.sim.violation(stale);
    check(Number.isFinite(c.history.ops[1]!.returnTime), () => `the put ${show(key)} = 'new' through ${b}, with ${a} and ${b} (2 of its group's 3 members, W = 2) connected, was not answered within 100 ms`);
  });
});

test('a request forwarded to a member is never sent again to another (a put applied twice lands after a later put)', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const c = cluster({ seed, topology: 'disjoint', network: { latency: () => LATENCY }, antiEntropyIntervalMs: NEVER, clientTimeoutMs: 300 });
    const key = KEYS[seed % KEYS.length]!;
    const group = c.groupOf(key);
    const router = c.ids.find((id) => !c.groups[group]!.includes(id))!;
    // The member that receives the forward stalls (a GC pause) while the request waits in its queue.
    let paused: NodeId | undefined;
    c.sim.onSend((from, to, message) => {
      if (paused === undefined && from === router && (message as { type?: unknown }).type === 'forward') {
        paused = to;
        c.sim.pause(to, 700);
      }
    });
    const first = c.client('c1');
    first.put(router, key, 'first');
    c.sim.runFor(350);
    const other = c.groups[group]!.find((m) => m !== paused)!;
    const second = c.client('c2');
    second.put(other, key, 'second');
    c.sim.runFor(450); // the pause is over: the held forward has been handled
    const reader = c.client('c3');
    reader.get(other, key);
    c.sim.runFor(100);
    const [put1, put2, get] = c.history.ops as [Op, Op, Op];
    if (Number.isFinite(put1.returnTime) && put1.returnTime < put2.callTime && get.output === 'first') {
      c.sim.violation(`${describeOp(c, put1)}; then ${describeOp(c, put2)}; then ${describeOp(c, get)}: the put of 'first' was applied twice. ` +
        `${router} forwarded it to ${paused}, which was paused (the request waited in its queue), and the put was answered anyway: it was sent again to another member. ` +
        `When ${paused} resumed, it applied 'first' once more, over 'second'. Forward a request to one member, once; if no answer comes, the client's request times out (its outcome unknown)`);
    }
    expectLinearizable(c);
    check(paused !== undefined, () => `a put of ${show(key)} through ${router}, not a member of its group ${show(group)} (${list(c.groups[group]!)}), was never forwarded to a member with { type: 'forward', client, request }`);
  });
});

// ── Jepsen ─────────────────────────────────────────────────────────────────────────────────

let shownJepsen = false;

/**
 * Clients that each run one get or put after another, on random keys through random nodes, until
 * `until`. Each client draws from a stream of its own and its operations may be dropped by shrinking.
 */
function workload(c: Cluster, seed: number, clients: number, keys: readonly string[], until: number): void {
  let written = 0;
  for (let i = 1; i <= clients; i++) {
    const id = `c${i}`;
    const random = streamOf(seed, `client ${id}`);
    const client = c.client(id, true);
    const next = () => {
      if (c.sim.now >= until) return;
      const key = keys[Math.floor(random() * keys.length)]!;
      const node = c.ids[Math.floor(random() * c.ids.length)]!;
      const put = random() < 0.5;
      const pause = random() * 20;
      const again = () => c.sim.after(pause, next);
      if (put) client.put(node, key, `v${++written}`, again);
      else {
        client.get(node, key, (op) => {
          sometimes('a get answered during a partition', Number.isFinite(op.returnTime) && c.sim.partitions.active);
          again();
        });
      }
    };
    c.sim.after(random() * 20, next);
  }
}

test('clients against the whole cluster under partitions, crashes, pauses, lost and duplicated messages: gets and puts are linearizable per key', () => {
  checkScenario({ seeds: 24, sometimes: ['a get answered during a partition'] }, (seed) => {
    const c = cluster({ seed, topology: seed % 2 === 0 ? 'overlapping' : 'disjoint', network: { loss: 0.02, duplicate: 0.05 }, clientTimeoutMs: 300 });
    const until = 2_000;
    startNemesis(c.sim, { faults: ['partition', 'isolate', 'one-way', 'crash', 'pause', 'loss'], gapMs: [100, 400], durationMs: [200, 600], until });
    workload(c, seed, 4, KEYS.slice(0, 6), until);
    c.sim.runUntil(until + 400);
    expectLinearizable(c);
    if (!shownJepsen) {
      shownJepsen = true;
      const ops = c.history.ops;
      const answered = ops.filter((op) => Number.isFinite(op.returnTime));
      const latencies = answered.map((op) => op.returnTime - op.callTime).sort((x, y) => x - y);
      figure('availability under the nemesis (operations answered)', (100 * answered.length) / Math.max(1, ops.length), { unit: '%', better: 'higher' });
      figure('messages per operation under the nemesis', requestMessages(c, 0, c.sim.now) / Math.max(1, ops.length), { better: 'lower' });
      if (latencies.length > 0) {
        figure('latency p50 (answered operations)', quantile(latencies, 0.5), { unit: 'ms', better: 'lower' });
        figure('latency p99 (answered operations)', quantile(latencies, 0.99), { unit: 'ms', better: 'lower' });
      }
    }
  });
});


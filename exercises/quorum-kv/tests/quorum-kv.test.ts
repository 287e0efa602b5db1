import fc from 'fast-check';
import { test } from 'vitest';
import { check, checkScenario, fail, figure, holds, show, sometimes } from 'learn-ds/harness';
import { startNemesis, type NodeId } from 'learn-ds/sim';
import { compareVersions } from 'learn-ds/subject/quorum-kv';
import {
  KEYS, cluster, compare, expectLinearizable, idsFor, list, showStore, showStored, showVersion,
  type Cluster, type Message, type Puppet, type Stored, type Version,
} from './helpers.ts';

/** Scripted scenarios: every message takes exactly this long, so nothing is reordered. */
const LATENCY = 5;
/** Anti-entropy never runs in scripted scenarios (it would blur what a quorum alone does). */
const NEVER = 1_000_000;

const at = (t: number) => `${t.toFixed(1)} ms`;
const sign = (x: number) => (x < 0 ? -1 : x > 0 ? 1 : 0);

// ── the order of versions ────────────────────────────────────────────────────────────────────

test('compareVersions orders versions by counter, then by node id (JavaScript string order)', async () => {
  const cases: Array<[Version, Version]> = [
    [{ counter: 1, node: 'n1' }, { counter: 2, node: 'n1' }],
    [{ counter: 2, node: 'a' }, { counter: 1, node: 'z' }],
    [{ counter: 3, node: 'n1' }, { counter: 3, node: 'n2' }],
    [{ counter: 3, node: 'n10' }, { counter: 3, node: 'n2' }],
    [{ counter: 5, node: 'Zed' }, { counter: 5, node: 'alice' }],
    [{ counter: 5, node: 'nœud' }, { counter: 5, node: 'node' }],
    [{ counter: 7, node: 'n3' }, { counter: 7, node: 'n3' }],
    [{ counter: 12, node: 'n1' }, { counter: 9, node: 'n2' }],
  ];
  for (const [a, b] of cases) {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      const got = compareVersions({ ...x }, { ...y });
      const want = sign(compare(x, y));
      check(
        typeof got === 'number' && sign(got) === want,
        () => `compareVersions(${showVersion(x)}, ${showVersion(y)}) returned ${show(got)}; expected ${want < 0 ? 'a negative number (older)' : want > 0 ? 'a positive number (newer)' : '0 (the same version)'}: ` +
          `the higher counter is newer; with equal counters the greater node id (by JavaScript's < on strings) is newer, so that every replica settles concurrent writes the same way`,
      );
    }
  }
  const version = fc.record({ counter: fc.nat(6), node: fc.constantFrom('n1', 'n2', 'n10', 'Bravo', 'alpha', 'Délta', 'nœud-4') });
  await holds(fc.property(version, version, (a, b) => {
    const got = compareVersions({ ...a }, { ...b });
    check(sign(got) === sign(compare(a, b)), `compareVersions(${showVersion(a)}, ${showVersion(b)}) returned ${show(got)}; expected ${sign(compare(a, b))} or a number of that sign`);
  }));
});

// ── one learner node among scripted replicas ─────────────────────────────────────────────────

interface Scripted {
  c: Cluster;
  me: NodeId;
  peers: Puppet[];
}

/** The learner's node first, scripted replicas after it; every message takes LATENCY ms. */
function scripted(seed: number, r: number, w: number, n = 5): Scripted {
  const ids = idsFor(seed, n);
  const c = cluster({ seed, ids, r, w, puppets: ids.slice(1), network: { latency: () => LATENCY }, antiEntropyIntervalMs: NEVER });
  return { c, me: ids[0]!, peers: ids.slice(1).map((id) => c.puppet(id)) };
}

function sentBy(c: Cluster, me: NodeId, since: number, type: Message['type']) {
  return c.sent.filter((s) => s.from === me && s.t >= since && s.message.type === type);
}

function stored(value: string, counter: number, node: NodeId): Stored {
  return { value, version: { counter, node } };
}

test('a replica answers a read with its copy, keeps a write only if its version is newer, acknowledges every write, and keeps its data in ctx.storage', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const { c, me, peers } = scripted(seed, 3, 3);
    const [p, q] = peers as [Puppet, Puppet];
    const [low, high] = [p.id, q.id].sort((a, b) => (a < b ? -1 : 1)) as [NodeId, NodeId];
    const key = KEYS[seed % KEYS.length]!;
    const ask = (message: Message, what: string): Message => {
      const since = c.sim.now;
      c.sim.sendFrom(p.id, me, message);
      c.sim.runFor(2 * LATENCY + 1);
      // Answers only: a replica may send a sync back to a replica whose sync was older.
      const answers = p.inbox.filter((r) => r.t > since && r.from === me && r.message.type !== 'sync');
      check(answers.length > 0, () => `${p.id} sent ${me} ${what}; ${me} sent no answer within ${2 * LATENCY + 1} ms (every message takes ${LATENCY} ms)`);
      return answers[0]!.message;
    };
    const expectHolds = (want: Stored, after: string) => {
      const mine = c.local(me)?.[key];
      check(mine !== undefined && mine.value === want.value && compare(mine.version, want.version) === 0,
        () => `${after}; then ${me}.local()[${show(key)}] is ${showStored(mine)}; expected ${showStored(want)}`);
    };
    const write = (s: Stored, rid: string) => {
      const a = ask({ type: 'write', rid, key, stored: s }, `{ type: 'write', rid: ${show(rid)}, key: ${show(key)}, stored: ${showStored(s)} }`);
      check(a.type === 'write-ok' && a.rid === rid, () => `${me} answered a write of ${showStored(s)} with ${show(a)}; expected { type: 'write-ok', rid: ${show(rid)} }: a replica acknowledges every write, an older one too (it holds something at least as new)`);
    };
    const v3 = stored('v3', 3, low);
    write(v3, 'w-1');
    expectHolds(v3, `${me} held nothing for ${show(key)} and received a write of ${showStored(v3)}`);
    write(stored('v2', 2, high), 'w-2');
    expectHolds(v3, `${me} held ${showStored(v3)} and received a write of the older version ${showStored(stored('v2', 2, high))}`);
    const tie = stored('v3b', 3, high);
    write(tie, 'w-3');
    expectHolds(tie, `${me} held ${showStored(v3)} and received ${showStored(tie)}: same counter, greater node id (${show(high)} > ${show(low)}), so newer`);
    write(stored('v3c', 3, low), 'w-4');
    expectHolds(tie, `${me} held ${showStored(tie)} and received ${showStored(stored('v3c', 3, low))}: same counter, smaller node id, so older`);
    const read = ask({ type: 'read', rid: 'r-1', key }, `{ type: 'read', rid: 'r-1', key: ${show(key)} }`);
    check(read.type === 'read-ok' && read.rid === 'r-1' && read.stored?.value === tie.value && compare(read.stored.version, tie.version) === 0,
      () => `${me} held ${showStored(tie)} and answered a read of ${show(key)} with ${show(read)}; expected { type: 'read-ok', rid: 'r-1', stored: ${show(tie)} }`);
    const none = ask({ type: 'read', rid: 'r-2', key: 'never-written' }, `a read of 'never-written'`);
    check(none.type === 'read-ok' && none.rid === 'r-2' && none.stored === null,
      () => `${me} answered a read of a key it never held with ${show(none)}; expected { type: 'read-ok', rid: 'r-2', stored: null }`);
    // Anti-entropy: a sync brings newer versions and leaves newer local ones alone.
    const other = KEYS[(seed + 1) % KEYS.length]!;
    c.sim.sendFrom(p.id, me, { type: 'sync', entries: { [key]: stored('old', 1, high), [other]: stored('fresh', 4, low) } });
    c.sim.runFor(LATENCY + 1);
    expectHolds(tie, `${me} held ${showStored(tie)} for ${show(key)} and received a sync with ${showStored(stored('old', 1, high))} for it`);
    const got = c.local(me)?.[other];
    check(got?.value === 'fresh', () => `${me} received a sync with ${showStored(stored('fresh', 4, low))} for ${show(other)}, which it did not hold; then ${me}.local()[${show(other)}] is ${showStored(got)}; expected it to keep the newer version`);
    // A crash loses nothing stored (the invariant compares what it holds after the restart).
    c.sim.at(c.sim.now, () => c.sim.crash(me));
    c.sim.at(c.sim.now + 1, () => c.sim.restart(me));
    c.sim.runFor(2);
    const after = ask({ type: 'read', rid: 'r-3', key }, `a read of ${show(key)} after a crash and restart`);
    check(after.type === 'read-ok' && after.stored?.value === tie.value,
      () => `${me} held ${showStored(tie)}, crashed and restarted, then answered a read of ${show(key)} with ${show(after)}; a replica keeps its data in ctx.storage, which survives a crash`);
  });
});

const CONFIGS_OF_5: ReadonlyArray<[r: number, w: number]> = [[3, 3], [2, 4], [4, 2]];

test('a put reads R replicas (itself included), writes a higher counter with its own id to every peer, and answers once W replicas hold it', () => {
  checkScenario({ seeds: 9 }, (seed) => {
    const [r, w] = CONFIGS_OF_5[seed % 3]!;
    const { c, me, peers } = scripted(seed, r, w);
    for (const p of peers) p.mode = { read: 'hold', write: 'hold' };
    const key = KEYS[seed % KEYS.length]!;
    const [a, b, d, e] = peers as [Puppet, Puppet, Puppet, Puppet];
    a.store.set(key, stored('old-a', 4, e.id));
    b.store.set(key, stored('old-b', 9, e.id)); // never asked to answer
    const answering = [a, d, e].slice(0, r - 1);
    const client = c.client('c1');
    client.put(me, key, 'new');
    c.sim.runFor(2 * LATENCY + 1);
    const missing = peers.filter((p) => !p.inbox.some((m) => m.message.type === 'read' && m.message.key === key));
    check(missing.length === 0, () => `a client asked ${me} to put ${show(key)}; ${2 * LATENCY + 1} ms later ${list(missing.map((p) => p.id))} had received no { type: 'read', key: ${show(key)} }: a put first asks every peer for its version`);
    const config = `R = ${r}, W = ${w}, N = 5`;
    for (let i = 0; i < answering.length; i++) {
      const early = sentBy(c, me, 0, 'write');
      check(early.length === 0, () => `${me} sent a write of ${show(key)} after read answers from only ${i + 1} replica${i === 0 ? '' : 's'} (itself${i > 0 ? `, ${list(answering.slice(0, i).map((p) => p.id))}` : ''}); with ${config} a put waits for R answers to learn the newest version first`);
      answering[i]!.release();
      c.sim.runFor(2 * LATENCY + 1);
    }
    const writes = sentBy(c, me, 0, 'write');
    const to = new Set(writes.map((s) => s.to));
    const unsent = peers.filter((p) => !to.has(p.id));
    check(writes.length > 0, () => `${me} received read answers from R = ${r} replicas (itself, ${list(answering.map((p) => p.id))}) and then sent no write; ${config}`);
    check(unsent.length === 0, () => `${me} sent its write of ${show(key)} to ${list([...to])} only; a coordinator sends it to every peer (missing: ${list(unsent.map((p) => p.id))})`);
    const version = (writes[0]!.message as Extract<Message, { type: 'write' }>).stored?.version;
    const highest = a.store.get(key)!.version;
    check(version !== undefined && version.node === me && version.counter > highest.counter && Number.isInteger(version.counter),
      () => `${me}'s put of ${show(key)} wrote version ${version ? showVersion(version) : show(version)}; its R answers held at most ${showVersion(highest)}, so the new version must be (a whole counter above ${highest.counter}, ${show(me)}): ` +
        `higher than any it read, so that it is newer than every completed write, and its own node id to break ties`);
    // Write acknowledgements, one replica at a time: the invariant fails an answer before W hold it.
    const op = c.history.ops[0]!;
    for (const p of peers) {
      if (Number.isFinite(op.returnTime)) break;
      p.release();
      c.sim.runFor(2 * LATENCY + 1);
    }
    check(Number.isFinite(op.returnTime), () => `${me}'s put of ${show(key)} was stored by ${list(c.holders(key, version!))} (${config}) and ${me} never sent put-ok to the client`);
  });
});

test('an answer that arrives twice (the network duplicates messages) counts once, for reads and for writes', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const { c, me, peers } = scripted(seed, 3, 3);
    for (const p of peers) p.mode = { read: 'hold', write: 'hold' };
    const [a, b] = peers as [Puppet, Puppet];
    const key = KEYS[seed % KEYS.length]!;
    const client = c.client('c1');
    client.put(me, key, 'v');
    c.sim.runFor(2 * LATENCY + 1);
    a.release(1, 2);
    c.sim.runFor(2 * LATENCY + 1);
    const early = sentBy(c, me, 0, 'write');
    check(early.length === 0, () => `${me} started writing ${show(key)} after read answers from only itself and ${a.id} (${a.id}'s read-ok arrived twice): ` +
      `an answer that arrives twice counts once (count distinct replicas, a Set of ids); R = 3 needs 3 different replicas`);
    b.release();
    c.sim.runFor(2 * LATENCY + 1);
    check(sentBy(c, me, 0, 'write').length > 0, () => `${me} received read answers from itself, ${a.id} and ${b.id} (R = 3) and sent no write`);
    // Two write-oks from the same replica: the invariant fails any put-ok while fewer than W = 3 hold it.
    a.release(1, 2);
    c.sim.runFor(2 * LATENCY + 1);
    const op = c.history.ops[0]!;
    check(!Number.isFinite(op.returnTime), () => `${me} answered put-ok after write-oks from only itself and ${a.id} (${a.id}'s arrived twice): an answer that arrives twice counts once; W = 3 needs 3 different replicas`);
    b.release();
    c.sim.runFor(2 * LATENCY + 1);
    check(Number.isFinite(op.returnTime), () => `${me} stored ${show(key)} on itself, ${a.id} and ${b.id} (W = 3) and sent no put-ok to the client`);
  });
});

test('a get returns the newest version among its R answers, whichever arrives first', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const { c, me, peers } = scripted(seed, 3, 2);
    for (const p of peers) p.mode = { read: 'hold', write: 'auto' };
    const [a, b, d, e] = peers as [Puppet, Puppet, Puppet, Puppet];
    const [k1, k2] = [KEYS[seed % KEYS.length]!, KEYS[(seed + 1) % KEYS.length]!];
    // The learner's node holds an old version of k1; the first answer is older than the second.
    c.sim.sendFrom(e.id, me, { type: 'write', rid: 'prime', key: k1, stored: stored('oldest', 1, e.id) });
    c.sim.runFor(LATENCY + 1);
    a.store.set(k1, stored('older', 3, e.id));
    b.store.set(k1, stored('newest', 5, a.id));
    d.store.set(k1, stored('other', 2, e.id));
    const client = c.client('c1');
    const ask = (key: string, first: Puppet, second: Puppet, want: Stored, setting: string) => {
      const op = c.history.ops.length;
      client.get(me, key);
      c.sim.runFor(2 * LATENCY + 1);
      first.release();
      c.sim.runFor(LATENCY);
      second.release();
      for (const p of peers) if (p !== first && p !== second) p.held.length = 0;
      c.sim.runFor(6 * LATENCY);
      const got = c.history.ops[op]!;
      check(Number.isFinite(got.returnTime), () => `${setting}; ${me} sent no get-ok within ${6 * LATENCY} ms`);
      check(got.output === want.value,
        () => `${setting}; ${me} answered get ${show(key)} → ${show(got.output)}; expected ${show(want.value)}: a read waits for R answers and returns the newest of them (highest counter, then greatest node id), not the first to arrive`);
    };
    ask(k1, a, b, b.store.get(k1)!,
      `${me} held ${showStored(stored('oldest', 1, e.id))} for ${show(k1)}; asked by a get (R = 3), ${a.id} answered ${showStored(a.store.get(k1))} first, then ${b.id} answered ${showStored(b.store.get(k1))}`);
    // A tie on the counter: the greater node id wins.
    const [low, high] = [a.id, d.id].sort((x, y) => (x < y ? -1 : 1)) as [NodeId, NodeId];
    const first = a.id === low ? a : d;
    const second = first === a ? d : a;
    first.store.set(k2, stored('tie-low', 6, low));
    second.store.set(k2, stored('tie-high', 6, high));
    ask(k2, first, second, second.store.get(k2)!,
      `asked by a get of ${show(k2)} (R = 3), ${first.id} answered ${showStored(first.store.get(k2))} first, then ${second.id} answered ${showStored(second.store.get(k2))} (same counter, greater node id)`);
  });
});

test('a get writes the newest version back to the replicas and answers only once W replicas hold it (read repair)', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const { c, me, peers } = scripted(seed, 2, 4);
    for (const p of peers) p.mode = { read: 'hold', write: 'hold' };
    const [a] = peers as [Puppet];
    const key = KEYS[seed % KEYS.length]!;
    const newest = stored('newest', 4, a.id);
    a.store.set(key, newest);
    const client = c.client('c1');
    client.get(me, key);
    c.sim.runFor(2 * LATENCY + 1);
    a.release();
    c.sim.runFor(2 * LATENCY + 1);
    const op = c.history.ops[0]!;
    // The invariant fails a get-ok sent before W = 4 replicas hold "newest".
    const stale = peers.filter((p) => p !== a);
    const told = new Set(sentBy(c, me, 0, 'write').filter((s) => (s.message as Extract<Message, { type: 'write' }>).stored?.value === newest.value).map((s) => s.to));
    const unrepaired = stale.filter((p) => !told.has(p.id));
    check(unrepaired.length === 0, () => `${me}'s get of ${show(key)} read ${showStored(newest)} from ${a.id} (R = 2, W = 4, N = 5), then sent no write of it to ${list(unrepaired.map((p) => p.id))}; ` +
      `a read writes the newest version it found back to the replicas that may lack it (read repair), and answers once W replicas hold it`);
    for (const p of peers) {
      if (Number.isFinite(op.returnTime)) break;
      p.release();
      c.sim.runFor(2 * LATENCY + 1);
    }
    check(Number.isFinite(op.returnTime) && op.output === newest.value,
      () => `${me}'s get of ${show(key)} found ${showStored(newest)}, which ${list(c.holders(key, newest.version))} now hold (W = 4); expected get-ok ${show(newest.value)}, got ${Number.isFinite(op.returnTime) ? show(op.output) : 'no answer'}`);
    // A key nobody holds: null, at once after R answers.
    const other = KEYS[(seed + 1) % KEYS.length]!;
    client.get(me, other);
    c.sim.runFor(2 * LATENCY + 1);
    for (const p of peers) p.release();
    c.sim.runFor(4 * LATENCY + 1);
    for (const p of peers) p.release();
    c.sim.runFor(2 * LATENCY + 1);
    const none = c.history.ops[1]!;
    check(Number.isFinite(none.returnTime) && none.output === null, () => `a get of ${show(other)}, which no replica holds, was answered ${Number.isFinite(none.returnTime) ? show(none.output) : 'never'}; expected get-ok with value null`);
  });
});

// ── clusters of the learner's nodes ──────────────────────────────────────────────────────────

test('concurrent puts that pick the same counter end, on every replica, with the version of the greater node id; two puts through one node get two versions', () => {
  checkScenario({ seeds: 9 }, (seed) => {
    const ids = idsFor(seed, 3);
    const c = cluster({ seed, ids, r: 2, w: 2, network: { latency: () => LATENCY }, antiEntropyIntervalMs: 100 });
    const key = KEYS[seed % KEYS.length]!;
    const [x, y, z] = ids as [NodeId, NodeId, NodeId];
    c.client('c1').put(x, key, `from-${x}`);
    c.client('c2').put(y, key, `from-${y}`);
    // Two puts of another key through one node at once: their versions must differ.
    const other = KEYS[(seed + 1) % KEYS.length]!;
    c.client('c4').put(z, other, 'first');
    c.client('c5').put(z, other, 'second');
    c.sim.runFor(100);
    const puts = c.history.ops.slice(0, 2);
    check(puts.every((op) => Number.isFinite(op.returnTime)), () => `two puts of ${show(key)}, through ${x} and ${y} at 0 ms, were not both answered within 100 ms with every replica up (R = 2, W = 2, N = 3)`);
    const winner = x > y ? x : y;
    const want = `from-${winner}`;
    const settled = c.sim.runUntilTrue(() => ids.every((id) => c.local(id)?.[key]?.value === want), 1_500);
    if (settled === undefined) {
      fail(`two puts of ${show(key)} started at the same moment through ${x} and ${y}, both read counter 0 and wrote counter 1; 1.5 s later the replicas hold ` +
        `${ids.map((id) => `${id}: ${showStored(c.local(id)?.[key])}`).join(', ')}; expected ${show(want)} everywhere: with equal counters the greater node id (${show(winner)}) wins on every replica, so they agree`);
    }
    c.client('c3').get(z, key);
    c.sim.runFor(100);
    expectLinearizable(c);
  });
});

test('a read that saw a new value makes every later read see it, even when the put that wrote it never finished', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const ids = idsFor(seed, 5);
    const [i0, i1, i2, i3, i4] = ids as [NodeId, NodeId, NodeId, NodeId, NodeId];
    const c = cluster({ seed, ids, r: 3, w: 3, antiEntropyIntervalMs: NEVER });
    const key = KEYS[seed % KEYS.length]!;
    const c1 = c.client('c1');
    c1.put(i1, key, 'old');
    c.sim.runFor(100);
    // i4's put of "new" reaches i0 and nobody else before i4 crashes.
    for (const other of [i1, i2, i3]) c.slow(i4, other, 10_000, ['write']);
    const c2 = c.client('c2');
    c2.put(i4, key, 'new');
    const reached = c.sim.runUntilTrue(() => c.local(i0)?.[key]?.value === 'new', 100);
    check(reached !== undefined, () => `a put of ${show(key)} = 'new' through ${i4}: within 100 ms, ${i0} (which ${i4} can reach) did not store it; ${i0} holds ${showStore(c.local(i0))}`);
    c.sim.crash(i4);
    c.sim.note(i4, 'crashed: its put of "new" reached only itself and ' + i0);
    c1.get(i0, key);
    c.sim.runFor(100);
    const first = c.history.ops[2]!;
    check(first.output === 'new', () => `${i0} holds 'new' for ${show(key)} (from a put through ${i4}, which crashed); a get through ${i0} returned ${Number.isFinite(first.returnTime) ? show(first.output) : 'no answer'}; expected 'new', the newest version among its R = 3 answers`);
    c.sim.isolate(i0);
    const c3 = c.client('c3');
    c3.get(i3, key);
    c.sim.runFor(100);
    expectLinearizable(c);
    const second = c.history.ops[3]!;
    check(Number.isFinite(second.returnTime), () => `a get through ${i3}, with ${i1}, ${i2} and ${i3} up and connected (R = 3), was not answered within 100 ms`);
  });
});

/** R and W with R + W > N, by cluster size. */
const SAFE: ReadonlyArray<[n: number, r: number, w: number]> = [[3, 2, 2], [5, 3, 3], [3, 1, 3], [5, 2, 4], [3, 3, 1], [5, 4, 2]];

/** Clients that each run one get or put after another, on random keys through random nodes, until `until`. */
function workload(c: Cluster, clients: number, keys: readonly string[], until: number, putRatio = 0.5): void {
  let written = 0;
  for (let i = 1; i <= clients; i++) {
    const client = c.client(`c${i}`);
    const next = () => {
      if (c.sim.now >= until) return;
      const key = keys[Math.floor(c.sim.random() * keys.length)]!;
      const node = c.ids[Math.floor(c.sim.random() * c.ids.length)]!;
      const again = () => c.sim.after(c.sim.random() * 20, next);
      if (c.sim.random() < putRatio) client.put(node, key, `v${++written}`, again);
      else {
        client.get(node, key, (op) => {
          sometimes('a get answered during a partition', Number.isFinite(op.returnTime) && c.sim.partitions.active);
          again();
        });
      }
    };
    c.sim.after(c.sim.random() * 20, next);
  }
}

test('with R + W > N, under partitions, crashes, lost and duplicated messages, gets and puts are linearizable (no stale read)', () => {
  checkScenario({ seeds: 60, sometimes: ['a get answered during a partition'] }, (seed) => {
    const [n, r, w] = SAFE[seed % SAFE.length]!;
    const c = cluster({ seed, ids: idsFor(seed, n), r, w, network: { loss: 0.02, duplicate: 0.05 }, clientTimeoutMs: 300 });
    const until = 2_000;
    startNemesis(c.sim, { faults: ['partition', 'isolate', 'one-way', 'crash', 'loss'], gapMs: [100, 400], durationMs: [200, 700], until });
    workload(c, 3, KEYS.slice(0, 2), until);
    c.sim.runUntil(until + 400);
    expectLinearizable(c);
  });
});

test('after the faults stop, every replica converges to the same data (anti-entropy), with no read to repair it', () => {
  checkScenario({ seeds: 30 }, (seed) => {
    const [n, r, w] = seed % 2 === 0 ? [3, 2, 2] : [5, 3, 3];
    const ids = idsFor(seed, n);
    const c = cluster({ seed, ids, r, w, network: { loss: 0.02, duplicate: 0.05 }, antiEntropyIntervalMs: 100 });
    const until = 1_500;
    // One replica surely misses a write: it is cut off while a put completes.
    const missing = ids[seed % n]!;
    const through = ids[(seed + 1) % n]!;
    c.sim.isolate(missing);
    c.client('c0').put(through, KEYS[3], 'while-cut-off');
    c.sim.runFor(150);
    c.sim.heal();
    startNemesis(c.sim, { faults: ['partition', 'isolate', 'crash', 'loss'], gapMs: [100, 300], durationMs: [200, 600], until });
    workload(c, 2, KEYS.slice(0, 3), until, 1);
    c.sim.runUntil(until + 300);
    const BOUND = 3_000;
    const same = () => {
      const first = showStore(c.local(ids[0]!));
      return ids.every((id) => showStore(c.local(id)) === first);
    };
    const stores = () => ids.map((id) => `  ${id}: ${showStore(c.local(id))}`).join('\n');
    const at0 = c.sim.now;
    if (c.sim.runUntilTrue(same, BOUND) === undefined) {
      fail(`the faults stopped at ${at(until)} and every replica has been up and connected since; ${BOUND} ms later (${at(at0 + BOUND)}) the replicas still disagree ` +
        `(antiEntropyIntervalMs = 100): every replica must regularly send its data to a peer, and keep the newer version of each key it receives, so that all converge without any read\n${stores()}`);
    }
    // Converged on what was written: nothing completed is missing.
    for (const op of c.history.ops) {
      const input = op.input;
      if (input.kind !== 'write' || !Number.isFinite(op.returnTime)) continue;
      const v = c.versionOf.get(input.value as string);
      const held = c.local(ids[0]!)?.[input.key];
      check(v !== undefined && held !== undefined && compare(held.version, v) >= 0,
        () => `the replicas converged on ${showStore(c.local(ids[0]!))}, which lacks the completed put ${show(input.key)} = ${show(input.value)} (version ${v ? showVersion(v) : '?'}) and anything newer`);
    }
  });
});

const shownFor = new Set<number>();

test('with every replica up and connected, every get and put is answered within 6 message delays and costs at most 4(N − 1) + 1 messages', () => {
  checkScenario({ seeds: 20 }, (seed) => {
    const [n, r, w] = SAFE[seed % SAFE.length]!;
    const ids = idsFor(seed, n);
    const c = cluster({ seed, ids, r, w, network: { latency: () => LATENCY } });
    const client = c.client('c1');
    const BOUND = 6 * LATENCY + 1;
    for (let i = 0; i < 8; i++) {
      const node = ids[i % n]!;
      const key = KEYS[i % 2]!;
      const op = c.history.ops.length;
      if (i % 2 === 0) client.put(node, key, `v${i}`);
      else client.get(node, key);
      c.sim.runFor(BOUND);
      const done = c.history.ops[op]!;
      check(Number.isFinite(done.returnTime), () => `${done.input.kind === 'write' ? 'a put' : 'a get'} of ${show(key)} through ${node}, every replica up and every message taking ${LATENCY} ms (R = ${r}, W = ${w}, N = ${n}), ` +
        `was not answered within ${BOUND} ms: a coordinator asks every peer at once, and each phase takes one round trip`);
      // Two phases, each a request to every peer and its answers, then the answer to the client.
      const messages = c.sent.filter((m) => m.t >= done.callTime && m.t <= done.returnTime && m.message.type !== 'sync').length;
      const limit = 4 * (n - 1) + 1;
      if (i === 0 && !shownFor.has(n)) {
        shownFor.add(n);
        figure(`messages per put, N = ${n}`, messages, { limit });
      }
      check(messages <= limit, () => `${done.input.kind === 'write' ? 'a put' : 'a get'} of ${show(key)} through ${node} on a quiet network cost ${messages} messages (syncs not counted); ` +
        `two phases of a request to each of the ${n - 1} peers and an answer from each, then the answer to the client, make at most ${limit}`);
      c.sim.runFor(10);
    }
    expectLinearizable(c);
  });
});

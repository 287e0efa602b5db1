import { test } from 'vitest';
import { check, checkScenario, expectProgress, figure, show, sometimes } from 'learn-ds/harness';
import type { NodeId } from 'learn-ds/sim';
import {
  DETECT_MS, KEYS, LATENCY, REFUSED, cluster, expectLinearizable, idsFor, list,
  type Cluster, type Message, type Op,
} from './helpers.ts';

/** Enough for a write to cross a chain of 5 and its answer to come back, with room to spare. */
const SETTLE = 20 * LATENCY;

function answered(op: Op | undefined): boolean {
  return op !== undefined && Number.isFinite(op.returnTime) && op.output !== REFUSED;
}

function describeAnswer(op: Op): string {
  if (!Number.isFinite(op.returnTime)) return 'no answer';
  return op.output === REFUSED ? 'an error' : op.input.kind === 'write' ? 'put-ok' : `get-ok ${show(op.output)}`;
}

/** Waits for the client's last request: answered within SETTLE ms, or else until the client gives up (no answer is a refusal too). */
function wait(c: Cluster, client: ReturnType<Cluster['client']>): Op {
  const op = c.history.ops.at(-1)!;
  c.sim.runUntilTrue(() => Number.isFinite(op.returnTime), SETTLE);
  if (client.busy) c.sim.runUntilTrue(() => !client.busy, 1_000);
  return op;
}

/** Runs a put through the head and waits for its answer; returns the operation. */
function put(c: Cluster, client: ReturnType<Cluster['client']>, key: string, value: string, node = c.head()): Op {
  client.put(node, key, value);
  return wait(c, client);
}

function get(c: Cluster, client: ReturnType<Cluster['client']>, key: string, node = c.tail()): Op {
  client.get(node, key);
  return wait(c, client);
}

function chainText(c: Cluster): string {
  return c.chain().join(' → ');
}

test('puts go in at the head and are acknowledged by the tail; gets are served by the tail; the others refuse', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const n = 3 + (seed % 3);
    const ids = idsFor(seed, n);
    const c = cluster({ seed, ids, chain: ids });
    c.sim.runFor(2 * LATENCY);
    const cl = c.client('c1');
    const key = KEYS[seed % KEYS.length]!;
    const p = put(c, cl, key, 'v1');
    check(answered(p), () => `a put of ${show(key)} through the head ${c.head()} (chain ${chainText(c)}, every message taking ${LATENCY} ms) got ${describeAnswer(p)} within ${SETTLE} ms; expected put-ok from the tail ${c.tail()}`);
    const g = get(c, cl, key);
    check(answered(g) && g.output === 'v1', () => `after put ${show(key)} = 'v1' was acknowledged, a get through the tail ${c.tail()} got ${describeAnswer(g)}; expected get-ok 'v1'`);
    for (const other of c.chain().slice(0, -1)) {
      const refused = get(c, cl, key, other);
      check(!answered(refused), () => `a get through ${other}, which is not the tail (chain ${chainText(c)}), was answered with ${describeAnswer(refused)}; only the tail serves reads: answer { type: 'error', inReplyTo, text }`);
    }
    for (const other of c.chain().slice(1)) {
      const refused = put(c, cl, key, `through-${other}`, other);
      check(!answered(refused), () => `a put through ${other}, which is not the head (chain ${chainText(c)}), was answered with ${describeAnswer(refused)}; only the head takes writes: answer { type: 'error', inReplyTo, text }`);
    }
    c.sim.runFor(SETTLE);
    expectLinearizable(c);
  });
});

test('after a middle node crashes with writes in flight, its predecessor sends them on to its new successor, and every write is acknowledged', () => {
  checkScenario({ seeds: 9, sometimes: ['a reconfiguration with writes in flight'] }, (seed) => {
    const n = 3 + (seed % 3);
    const ids = idsFor(seed, n);
    const c = cluster({ seed, ids, chain: ids });
    c.sim.runFor(2 * LATENCY);
    const middle = ids[1 + (seed % (n - 2))]!;
    // The middle node receives the updates but never passes them on before it crashes.
    c.hold((from, _to, m) => from === middle && m.type === 'update');
    const clients = [c.client('c1'), c.client('c2')];
    const key = KEYS[seed % KEYS.length]!;
    clients.forEach((cl, i) => cl.put(c.head(), key, `w${i + 1}`));
    c.sim.runUntilTrue(() => c.sent.filter((s) => s.from === middle && s.message.type === 'update').length >= 2, SETTLE);
    c.crash(middle);
    c.release();
    sometimes('a reconfiguration with writes in flight', c.history.ops.some((op) => !Number.isFinite(op.returnTime)));
    const crashedAt = c.sim.now;
    expectProgress(c.sim, {
      within: DETECT_MS + SETTLE,
      what: `both puts acknowledged (${middle}, a middle node, crashed at ${crashedAt.toFixed(1)} ms holding them; the master removes it ${DETECT_MS} ms later, and ${ids[ids.indexOf(middle) - 1]} must then send the updates its successor has not acknowledged to its new successor)`,
      until: () => c.history.ops.every(answered),
      faultsEndedAt: crashedAt,
    });
    const g = get(c, clients[0]!, key);
    check(answered(g) && (g.output === 'w1' || g.output === 'w2'), () => `after both puts of ${show(key)} were acknowledged, a get through the tail ${c.tail()} got ${describeAnswer(g)}`);
    expectLinearizable(c);
  });
});

test('after the tail crashes, the new tail acknowledges the writes it had passed on (even when it is left alone)', () => {
  checkScenario({ seeds: 6, sometimes: ['a reconfiguration with writes in flight'] }, (seed) => {
    // A chain of 2: the node left is head and tail, and nobody upstream will send it anything again.
    const ids = idsFor(seed, 2);
    const c = cluster({ seed, ids, chain: ids });
    c.sim.runFor(2 * LATENCY);
    const tail = ids.at(-1)!;
    const before = ids.at(-2)!;
    // The tail's predecessor passes the update on, but the tail never gets it before it crashes.
    c.hold((from, to, m) => from === before && to === tail && m.type === 'update');
    const cl = c.client('c1');
    const key = KEYS[seed % KEYS.length]!;
    cl.put(c.head(), key, 'in-flight');
    c.sim.runUntilTrue(() => c.sent.some((s) => s.from === before && s.message.type === 'update'), SETTLE);
    c.crash(tail);
    c.release();
    sometimes('a reconfiguration with writes in flight', !Number.isFinite(c.history.ops[0]!.returnTime));
    const crashedAt = c.sim.now;
    expectProgress(c.sim, {
      within: DETECT_MS + SETTLE,
      what: `the put acknowledged by ${before}, the new tail (the tail ${tail} crashed at ${crashedAt.toFixed(1)} ms before the update reached it; ` +
        `a node that becomes the tail holds every write it passed on, so each is now committed and its client must hear so)`,
      until: () => answered(c.history.ops[0]),
      faultsEndedAt: crashedAt,
    });
    const g = get(c, cl, key);
    check(answered(g) && g.output === 'in-flight', () => `after the put was acknowledged by the new tail ${before}, a get through it got ${describeAnswer(g)}; expected 'in-flight'`);
    expectLinearizable(c);
  });
});

test('a node added at the tail serves reads only once it has its predecessor\'s state', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const ids = idsFor(seed, 4);
    const chain = ids.slice(0, 3);
    const spare = ids[3]!;
    const c = cluster({ seed, ids, chain });
    c.sim.runFor(2 * LATENCY);
    const cl = c.client('c1');
    const key = KEYS[seed % KEYS.length]!;
    check(answered(put(c, cl, key, 'before-join')), () => `a put through the head ${c.head()} of a stable chain was not acknowledged`);
    const oldTail = c.tail();
    c.hold((from, to, m) => from === oldTail && to === spare && m.type === 'state');
    c.join(spare);
    c.sim.runFor(2 * LATENCY + 1);
    const early = get(c, cl, key, spare);
    check(!answered(early), () => `${spare} joined as the tail; before the state of ${oldTail} reached it, it answered a get of ${show(key)} with ${describeAnswer(early)}; ` +
      `expected an error: a node appended at the tail has none of the earlier writes until its predecessor's state arrives`);
    for (const s of c.release()) c.sim.sendFrom(s.from, s.to, s.message);
    c.sim.runFor(2 * LATENCY + 1);
    const late = get(c, cl, key, spare);
    check(answered(late) && late.output === 'before-join', () => `${spare} joined as the tail and received ${oldTail}'s state; a get of ${show(key)} through it got ${describeAnswer(late)}; expected get-ok 'before-join'`);
    check(answered(put(c, cl, key, 'after-join')), () => `a put through the head after ${spare} joined was not acknowledged within ${SETTLE} ms`);
    const last = get(c, cl, key, spare);
    check(answered(last) && last.output === 'after-join', () => `a get through the new tail ${spare} after put ${show(key)} = 'after-join' got ${describeAnswer(last)}`);
    expectLinearizable(c);
  });
});

test('a late message from an older configuration is ignored: a new state of the chain is never rolled back', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const ids = idsFor(seed, 4);
    const [a, b, , d] = ids as [NodeId, NodeId, NodeId, NodeId];
    const c = cluster({ seed, ids, chain: [a, b] });
    c.sim.runFor(2 * LATENCY);
    const cl = c.client('c1');
    const key = KEYS[seed % KEYS.length]!;
    put(c, cl, key, 'one');
    // d joins behind b, but b's state for d is delayed; b crashes, a becomes d's predecessor.
    c.hold((from, to, m) => from === b && to === d && m.type === 'state');
    c.join(d);
    c.sim.runFor(2 * LATENCY + 1);
    const stale = c.release();
    c.crash(b);
    c.sim.runFor(DETECT_MS + 4 * LATENCY);
    check(answered(put(c, cl, key, 'two')), () => `after ${b} crashed, a put through ${c.head()} (chain ${chainText(c)}) was not acknowledged within ${SETTLE} ms`);
    const seqBefore = c.status(d)?.seq;
    // Now b's old state (epoch of the chain a → b → d) arrives at d, late.
    for (const s of stale) c.sim.sendFrom(s.from, s.to, s.message);
    c.sim.note(d, `a late ${(stale[0]?.message as Extract<Message, { type: 'state' }> | undefined)?.type ?? 'state'} of an older epoch arrives`);
    c.sim.runFor(2 * LATENCY + 1);
    const g = get(c, cl, key, d);
    check(answered(g) && g.output === 'two', () => `${d} (tail, seq ${String(seqBefore)}) received a late state message of an older epoch from ${b}; then a get of ${show(key)} through it got ${describeAnswer(g)}; expected 'two': messages of an epoch older than the node's own are ignored`);
    expectLinearizable(c);
  });
});

const shown = new Set<number>();

test('once every write is acknowledged, no node keeps any in its list of writes sent on (status().pending is 0)', () => {
  checkScenario({ seeds: 6 }, (seed) => {
    const n = 3 + (seed % 3);
    const ids = idsFor(seed, n);
    const c = cluster({ seed, ids, chain: ids });
    c.sim.runFor(2 * LATENCY);
    const cl = c.client('c1');
    const since = c.sent.length;
    for (let i = 0; i < 20; i++) put(c, cl, KEYS[i % KEYS.length]!, `v${i}`);
    c.sim.runFor(SETTLE);
    // Down the chain, one answer, acks back up: 2n - 1 messages per write.
    const perPut = (c.sent.length - since) / 20;
    // The gets run on every seed: a run must not depend on the seeds before it (a failing seed is replayed alone).
    for (let i = 0; i < 5; i++) get(c, cl, KEYS[i % KEYS.length]!);
    if (!shown.has(n)) {
      shown.add(n);
      figure(`messages per put, chain of ${n}`, perPut, { limit: 2 * n - 1 });
      // A write pays the whole chain; a read one round trip to the tail.
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const took = (kind: 'read' | 'write') => c.history.ops.filter((op) => op.input.kind === kind && answered(op)).map((op) => op.returnTime - op.callTime);
      figure(`median get latency, chain of ${n}`, median(took('read')), { unit: 'ms' });
    }
    for (const id of c.chain()) {
      const s = c.status(id);
      check(s !== undefined && s.pending === 0, () => `20 puts were acknowledged through chain ${chainText(c)} and nothing has happened for ${SETTLE} ms, yet ${id}.status().pending is ${s?.pending}; ` +
        `a node forgets an update once the tail acknowledges it (an ack of seq s covers every seq up to s): otherwise its memory grows with every write`);
    }
    expectLinearizable(c);
  });
});

test('under crashes of any node and nodes joining, gets and puts stay linearizable and no acknowledged write is lost', () => {
  const labels = ['head crashed', 'middle crashed', 'tail crashed', 'a node joined', 'a crash with writes in flight'];
  checkScenario({ seeds: 40, sometimes: labels }, (seed) => {
    const ids = idsFor(seed, 5);
    const c = cluster({ seed, ids, chain: ids.slice(0, 4) });
    const until = 1_500;
    // Faults: every 80 to 200 ms, a chain node crashes (at least 2 stay) or a spare joins.
    const fault = () => {
      if (c.sim.now >= until) return;
      const chain = c.chain();
      const spares = ids.filter((id) => !chain.includes(id));
      if (chain.length > 2 && (spares.length === 0 || c.sim.random() < 0.6)) {
        const i = Math.floor(c.sim.random() * chain.length);
        sometimes(i === 0 ? 'head crashed' : i === chain.length - 1 ? 'tail crashed' : 'middle crashed');
        sometimes('a crash with writes in flight', c.history.ops.some((op) => op.input.kind === 'write' && !Number.isFinite(op.returnTime)));
        c.crash(chain[i]!);
      } else if (spares.length > 0) {
        sometimes('a node joined');
        c.join(spares[Math.floor(c.sim.random() * spares.length)]!);
      }
      c.sim.after(80 + c.sim.random() * 120, fault);
    };
    c.sim.after(50, fault);
    // Clients follow the master's latest configuration, and now and then ask a wrong node.
    let written = 0;
    for (const name of ['c1', 'c2', 'c3']) {
      const cl = c.client(name);
      const next = () => {
        if (c.sim.now >= until + 200) return;
        const key = KEYS[Math.floor(c.sim.random() * 2)]!;
        const wrong = c.sim.random() < 0.1;
        const pick = (role: NodeId) => (wrong ? c.chain()[Math.floor(c.sim.random() * c.chain().length)]! : role);
        const again = () => c.sim.after(c.sim.random() * 10, next);
        if (c.sim.random() < 0.5) cl.put(pick(c.head()), key, `v${++written}`, again);
        else cl.get(pick(c.tail()), key, again);
      };
      c.sim.after(c.sim.random() * 10, next);
    }
    c.sim.runUntil(until + 500);
    // Every key once more, from the final tail: what was acknowledged must be there.
    const last = c.client('final');
    for (const key of KEYS.slice(0, 2)) get(c, last, key);
    expectLinearizable(c);
    for (const id of c.chain()) {
      const s = c.status(id);
      check(s !== undefined && s.pending === 0, () => `the faults ended at ${until} ms and every write was answered, yet ${id}.status().pending is ${s?.pending} at ${c.sim.now.toFixed(1)} ms: ` +
        `a node forgets an update once the tail acknowledges it`);
    }
  });
});

test('after the last reconfiguration, every put through the head and every get through the tail is answered within 100 ms', () => {
  checkScenario({ seeds: 10 }, (seed) => {
    const ids = idsFor(seed, 5);
    const c = cluster({ seed, ids, chain: ids.slice(0, 4) });
    c.sim.runFor(2 * LATENCY);
    const cl = c.client('c1');
    put(c, cl, 'x', 'a');
    c.crash(ids[seed % 4]!);
    c.sim.runFor(DETECT_MS + 1);
    c.join(ids[4]!);
    const endedAt = c.sim.now;
    const key = KEYS[seed % KEYS.length]!;
    cl.put(c.head(), key, 'after');
    const op = c.history.ops.at(-1)!;
    expectProgress(c.sim, {
      within: SETTLE,
      what: `put ${show(key)} through the head ${c.head()} acknowledged (chain ${chainText(c)})`,
      until: () => answered(op),
      faultsEndedAt: endedAt,
    });
    const g = get(c, cl, key);
    check(answered(g) && g.output === 'after', () => `a get through the tail ${c.tail()} of ${chainText(c)} got ${describeAnswer(g)}; expected get-ok 'after'`);
    expectLinearizable(c);
  });
});

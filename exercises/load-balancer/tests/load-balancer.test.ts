// The hidden suite of load-balancer: the pick rule (judged by its frequencies over seeded
// Math.random), the request's in-flight bookkeeping on every way out, health checks and outlier
// ejection at their edges, the all-out pool, and two fleets in virtual time against baselines.
import { test } from 'vitest';
import {
  advance,
  check,
  controlMathRandom,
  describeThrown,
  fail,
  figure,
  flushMicrotasks,
  settle,
  show,
  streamFor,
  suiteSeed,
  useVirtualTime,
  virtualNow,
} from 'learn-ds/harness';
import { LoadBalancer, type BalancerOptions } from 'learn-ds/subject/load-balancer';
import { driveFleet, type CreateBalancer } from './drive.ts';
import { runBaseline, strategies, traffic, type Outcome } from './queueing.ts';

type Balancer = InstanceType<typeof LoadBalancer>;

const base: BalancerOptions = {
  servers: ['a', 'b', 'c'],
  timeoutMs: 1000,
  probe: async () => true,
  unhealthyAfter: 3,
  healthyAfter: 2,
  ejectAfter: 3,
  baseEjectionMs: 1000,
};

function make(options: Partial<BalancerOptions> = {}): Balancer {
  const o = { ...base, ...options };
  try {
    return new LoadBalancer(o);
  } catch (error) {
    fail(`new LoadBalancer(${show({ ...o, probe: undefined, load: undefined })}) threw ${describeThrown(error)}; these options are valid`);
  }
}

function pickOf(lb: Balancer, when: string): string {
  let server: unknown;
  try {
    server = lb.pick();
  } catch (error) {
    fail(`${when}, pick() threw ${describeThrown(error)}; expected a server's name (never an empty pool: with every server out, pick among all)`);
  }
  check(typeof server === 'string', () => `${when}, pick() returned ${show(server)}; expected a server's name (never an empty pool: with every server out, pick among all)`);
  return server as string;
}

function availableOf(lb: Balancer): string[] {
  return [...lb.available()].sort();
}

/** How often each server is picked over `n` picks. */
function frequencies(lb: Balancer, servers: readonly string[], n: number, when: string): Map<string, number> {
  const counts = new Map(servers.map((s) => [s, 0]));
  for (let i = 0; i < n; i++) {
    const s = pickOf(lb, when);
    check(counts.has(s), () => `${when}, pick() returned ${show(s)}, which is not one of the servers ${show(servers)}`);
    counts.set(s, counts.get(s)! + 1);
  }
  return new Map([...counts].map(([s, c]) => [s, c / n]));
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

// ---------------------------------------------------------------------------------------------
// A scripted send: each call waits until the test settles it by hand.
// ---------------------------------------------------------------------------------------------

interface Call {
  server: unknown;
  signal: unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

class Script {
  readonly calls: Call[] = [];
  readonly send = (server: string, signal: AbortSignal): Promise<unknown> =>
    new Promise((resolve, reject) => {
      this.calls.push({ server, signal, resolve, reject });
    });
}

type Observed = { kind: 'pending' } | { kind: 'fulfilled'; value: unknown; atMs: number } | { kind: 'rejected'; reason: unknown; atMs: number };

function start(lb: Balancer, script: Script, what: string, signal?: AbortSignal): { call: Call; result: () => Observed } {
  let observed: Observed = { kind: 'pending' };
  let promise: Promise<unknown>;
  try {
    promise = lb.request(script.send, signal);
  } catch (error) {
    fail(`${what}: request() threw ${describeThrown(error)} synchronously; expected it to return a promise`);
  }
  check(typeof (promise as { then?: unknown } | undefined)?.then === 'function', () => `${what}: request() returned ${show(promise)}; expected a promise`);
  promise.then(
    (value) => { observed = { kind: 'fulfilled', value, atMs: virtualNow() }; },
    (reason: unknown) => { observed = { kind: 'rejected', reason, atMs: virtualNow() }; },
  );
  const call = script.calls.at(-1);
  if (!call) fail(`${what}: request() did not call send at once; expected send(server, signal) before request returns`);
  check(call.signal instanceof AbortSignal, () => `${what}: send got ${show(call.signal)} as its signal; expected an AbortSignal`);
  return { call, result: () => observed };
}

function describe(o: Observed): string {
  if (o.kind === 'pending') return 'was still pending';
  return o.kind === 'fulfilled' ? `resolved with ${show(o.value)} at ${o.atMs} ms` : `rejected with ${describeThrown(o.reason)} at ${o.atMs} ms`;
}

function expectInFlight(lb: Balancer, server: string, expected: number, when: string): void {
  const n = lb.inFlight(server);
  check(n === expected, () => `${when}, inFlight(${show(server)}) is ${show(n)}; expected ${expected}${n < expected ? ' (decremented more than once?)' : ' (a request that ended still counted: the count leaks)'}`);
}

/** Steers every pick to `target` while it is in the pool: its load is 0, every other server's 100. */
function steer(target: string): (server: string) => number {
  return (server) => (server === target ? 0 : 100);
}

// ---------------------------------------------------------------------------------------------
// pick
// ---------------------------------------------------------------------------------------------

test('pick draws two distinct servers at random and keeps the less loaded (never the most loaded)', () => {
  const random = streamFor('pick frequencies');
  controlMathRandom(random);
  // Ids of several shapes; loads 0..3 dealt at random, so no order of the list is favoured.
  const servers = ['10.0.0.7:8080', 'Backend-B', 'backend-b', 'nœud-β'];
  const loads = [0, 1, 2, 3].sort(() => random() - 0.5);
  const loadOf = new Map(servers.map((s, i) => [s, loads[i]!]));
  const lb = make({ servers, load: (s) => loadOf.get(s) ?? 1e9 });
  const freq = frequencies(lb, servers, 4000, 'with loads ' + show(Object.fromEntries(loadOf)));
  const byLoad = (load: number) => freq.get(servers[loads.indexOf(load)]!)!;
  check(byLoad(3) === 0, () => `with loads ${show(Object.fromEntries(loadOf))}, pick() returned the most loaded server in ${pct(byLoad(3))} of 4,000 picks; expected never: of two distinct servers the most loaded always loses (drawing the same server twice, or a single random choice, lets it through)`);
  // Two distinct draws out of n = 4: the k-th least loaded wins with probability 2(n-1-k)/(n(n-1)).
  const expected = [6 / 12, 4 / 12, 2 / 12];
  const got = expected.map((_, k) => byLoad(k));
  check(got.every((g, k) => Math.abs(g - expected[k]!) <= 0.04), () =>
    `with loads ${show(Object.fromEntries(loadOf))}, pick() chose the least, second and third least loaded in ${got.map(pct).join(', ')} of 4,000 picks; ` +
    `expected about 50%, 33.3%, 16.7% (two distinct random servers, the less loaded kept)` +
    (got[0]! > 0.9 ? ': always the least loaded is "least loaded over all", which herds when loads are stale' : ''));
});

test('pick chooses uniformly among servers with equal loads', () => {
  controlMathRandom(streamFor('pick ties'));
  const servers = ['s1', 's2', 's3', 's4', 's5'];
  const lb = make({ servers });
  const freq = frequencies(lb, servers, 3000, 'with no request in flight');
  const off = [...freq].filter(([, f]) => Math.abs(f - 0.2) > 0.04);
  check(off.length === 0, () => `with no request in flight on 5 servers, pick() chose them in ${[...freq].map(([s, f]) => `${s} ${pct(f)}`).join(', ')} of 3,000 picks; expected about 20% each (two uniform draws, and on a tie the first drawn or a coin flip, not the one earlier in the list)`);
});

test('pick compares the in-flight counts of its own requests', async () => {
  useVirtualTime();
  controlMathRandom(streamFor('pick in-flight'));
  const servers = ['x', 'y', 'z'];
  const lb = make({ servers, timeoutMs: 600_000 });
  const script = new Script();
  for (let i = 0; i < 9; i++) start(lb, script, `request ${i + 1} of 9`);
  const counts = () => servers.map((s) => lb.inFlight(s));
  check(counts().reduce((a, b) => a + b, 0) === 9, () => `with 9 requests in flight, inFlight() of ${show(servers)} are ${show(counts())}; expected them to add up to 9`);
  // Let calls succeed until the counts are 2, 1 and 0 (the busiest keeps 2).
  const order = [...servers].sort((p, q) => lb.inFlight(q) - lb.inFlight(p));
  for (const [rank, server] of order.entries()) {
    const calls = script.calls.filter((c) => c.server === server);
    for (const c of calls.slice(0, Math.max(0, calls.length - (2 - rank)))) c.resolve('ok');
  }
  await flushMicrotasks();
  const shape = () => show(Object.fromEntries(servers.map((s) => [s, lb.inFlight(s)])));
  check(new Set(counts()).size === 3, () => `after some calls succeeded, the in-flight counts are ${shape()}; expected 2, 1 and 0 (a count of one per call still pending)`);
  const most = order[0]!;
  const least = order[2]!;
  const freq = frequencies(lb, servers, 3000, `with in-flight counts ${shape()}`);
  check(freq.get(most) === 0, () => `with in-flight counts ${shape()}, pick() returned ${show(most)}, the most loaded, in ${pct(freq.get(most)!)} of picks; expected never`);
  check(Math.abs(freq.get(least)! - 2 / 3) <= 0.05, () => `with in-flight counts ${shape()}, pick() chose the least loaded in ${pct(freq.get(least)!)} of picks; expected about 66.7% (2 of the 3 pairs contain it)`);
});

// ---------------------------------------------------------------------------------------------
// request: in-flight bookkeeping
// ---------------------------------------------------------------------------------------------

test('request counts a call in flight from its start until it succeeds, and passes its value on', async () => {
  useVirtualTime();
  const lb = make();
  const script = new Script();
  const r = start(lb, script, 'a request');
  const server = r.call.server as string;
  check(['a', 'b', 'c'].includes(server), () => `send was called with server ${show(server)}; expected one of 'a', 'b', 'c'`);
  expectInFlight(lb, server, 1, 'while the call is pending');
  const value = { user: 42 };
  r.call.resolve(value);
  await flushMicrotasks();
  check(r.result().kind === 'fulfilled' && (r.result() as { value: unknown }).value === value, () => `after send resolved, the request ${describe(r.result())}; expected it to resolve with the same value`);
  expectInFlight(lb, server, 0, 'after the call succeeded');
});

test('request decrements in-flight exactly once when the call fails, and rejects with its error', async () => {
  useVirtualTime();
  class Unavailable extends Error {}
  const errors: unknown[] = [new Unavailable('503'), 'refused', { status: 500 }, undefined];
  const lb = make({ ejectAfter: 100 });
  const script = new Script();
  for (const error of errors) {
    const r = start(lb, script, 'a request');
    const server = r.call.server as string;
    r.call.reject(error);
    await flushMicrotasks();
    const o = r.result();
    check(o.kind === 'rejected' && o.reason === error, () => `after send rejected with ${describeThrown(error)}, the request ${describe(o)}; expected it to reject with that same value`);
    expectInFlight(lb, server, 0, `after send rejected with ${describeThrown(error)}`);
  }
  // A send that throws instead of returning a promise is a failure too.
  const throwing = lb.request(() => { throw new Unavailable('sync'); });
  const s = await settle(throwing, 10);
  check(s.status === 'rejected', () => `when send threw synchronously, the request ${s.status}; expected it to reject`);
  for (const server of ['a', 'b', 'c']) expectInFlight(lb, server, 0, 'after a send threw synchronously');
});

test('request times out after timeoutMs: rejects with a TimeoutError, aborts the call, decrements once', async () => {
  for (const timeoutMs of [250, 2.5]) {
    useVirtualTime();
    const lb = make({ timeoutMs, ejectAfter: 100 });
    const script = new Script();
    const r = start(lb, script, `a request (timeoutMs ${timeoutMs})`);
    const server = r.call.server as string;
    const edge = Math.ceil(timeoutMs);
    await advance(edge - 1);
    check(r.result().kind === 'pending', () => `with timeoutMs ${timeoutMs}, ${edge - 1} ms after the start the request ${describe(r.result())}; expected it still pending`);
    expectInFlight(lb, server, 1, `with timeoutMs ${timeoutMs}, ${edge - 1} ms into a pending call`);
    await advance(1);
    const o = r.result();
    check(o.kind === 'rejected' && (o.reason as { name?: unknown } | undefined)?.name === 'TimeoutError', () => `with timeoutMs ${timeoutMs}, ${edge} ms after the start the request ${describe(o)}; expected it to reject with an Error named 'TimeoutError'`);
    check((r.call.signal as AbortSignal).aborted, () => `with timeoutMs ${timeoutMs}, the call timed out but the signal given to send was not aborted; abort it so the call stops`);
    expectInFlight(lb, server, 0, `after the request timed out`);
    r.call.resolve('late');
    await flushMicrotasks();
    expectInFlight(lb, server, 0, `after a timed-out call answered late`);
    r.call.reject(new Error('late'));
    await flushMicrotasks();
    expectInFlight(lb, server, 0, `after a timed-out call also failed late`);
  }
});

test('request aborted by the caller rejects with the reason, aborts the call and decrements once', async () => {
  useVirtualTime();
  const lb = make({ ejectAfter: 1 });
  const script = new Script();
  const controller = new AbortController();
  const r = start(lb, script, 'a request with a signal', controller.signal);
  const server = r.call.server as string;
  const reason = { why: 'user went away' };
  controller.abort(reason);
  await flushMicrotasks();
  const o = r.result();
  check(o.kind === 'rejected' && o.reason === reason, () => `after the caller's signal was aborted with ${show(reason)}, the request ${describe(o)}; expected it to reject at once with that reason`);
  check((r.call.signal as AbortSignal).aborted, () => `the caller aborted, but the signal given to send was not aborted`);
  expectInFlight(lb, server, 0, 'after the caller aborted');
  r.call.reject(new Error('aborted'));
  await flushMicrotasks();
  expectInFlight(lb, server, 0, 'after an aborted call also rejected');
  check(availableOf(lb).includes(server), () => `with ejectAfter 1, a request the caller aborted ejected ${show(server)}; an abort is not the server's failure and must not count`);
  // Already aborted: no call at all.
  const before = script.calls.length;
  const s = await settle(lb.request(script.send, AbortSignal.abort('gone')), 10);
  check(s.status === 'rejected' && s.reason === 'gone', () => `with a signal already aborted with 'gone', the request ${s.status === 'rejected' ? `rejected with ${describeThrown(s.reason)}` : s.status}; expected it to reject with 'gone'`);
  check(script.calls.length === before, () => `with a signal already aborted, request() still called send; expected no call`);
  for (const server of ['a', 'b', 'c']) expectInFlight(lb, server, 0, 'after a request whose signal was already aborted');
});

// ---------------------------------------------------------------------------------------------
// Active health checks
// ---------------------------------------------------------------------------------------------

async function checkHealthOf(lb: Balancer, when: string): Promise<void> {
  const s = await settle(Promise.resolve().then(() => lb.checkHealth()), 60_000);
  if (s.status !== 'fulfilled') fail(`${when}, checkHealth() ${s.status === 'rejected' ? `rejected with ${describeThrown(s.reason)}` : 'never settled'}; expected it to resolve once every probe answered`);
}

test('a server failing unhealthyAfter consecutive checks is taken out, and back after healthyAfter passes', async () => {
  useVirtualTime();
  for (const [k, m] of [[3, 2], [1, 1], [4, 5]] as const) {
    let healthy = true;
    let fails: 'false' | 'reject' = 'false';
    const probe = async (server: string): Promise<boolean> => {
      if (server !== 'b' || healthy) return true;
      if (fails === 'reject') throw new Error('connection refused');
      return false;
    };
    const lb = make({ probe, unhealthyAfter: k, healthyAfter: m });
    const expectPool = (pool: string[], when: string) => {
      const got = availableOf(lb);
      check(show(got) === show(pool), () => `with unhealthyAfter ${k} and healthyAfter ${m}, ${when}, available() is ${show(got)}; expected ${show(pool)}`);
    };
    healthy = false;
    // k - 1 failures, a pass, k - 1 failures: never k in a row.
    for (let i = 0; i < k - 1; i++) await checkHealthOf(lb, 'a check');
    healthy = true;
    await checkHealthOf(lb, 'a check');
    healthy = false;
    fails = 'reject';
    for (let i = 0; i < k - 1; i++) await checkHealthOf(lb, 'a check');
    expectPool(['a', 'b', 'c'], `after ${k - 1} failed checks of 'b', a pass, then ${k - 1} failed (one fewer than unhealthyAfter in a row)`);
    fails = 'false';
    await checkHealthOf(lb, 'a check');
    expectPool(['a', 'c'], `after ${k} consecutive failed checks of 'b' (unhealthyAfter)`);
    for (let i = 0; i < 50; i++) check(pickOf(lb, "with 'b' out") !== 'b', () => `'b' is out after ${k} failed checks, but pick() returned it`);
    healthy = true;
    for (let i = 0; i < m - 1; i++) await checkHealthOf(lb, 'a check');
    if (m > 1) {
      healthy = false;
      await checkHealthOf(lb, 'a check');
      healthy = true;
      for (let i = 0; i < m - 1; i++) await checkHealthOf(lb, 'a check');
    }
    expectPool(['a', 'c'], `after 'b' was taken out, then passed ${m - 1} checks${m > 1 ? ', failed one and passed ' + (m - 1) : ''} (one fewer than healthyAfter in a row)`);
    await checkHealthOf(lb, 'a check');
    expectPool(['a', 'b', 'c'], `after 'b' was taken out, then passed ${m} consecutive checks (healthyAfter)`);
  }
});

// ---------------------------------------------------------------------------------------------
// Outlier ejection
// ---------------------------------------------------------------------------------------------

async function failOnce(lb: Balancer, script: Script, target: string, how: 'reject' | 'timeout', timeoutMs: number): Promise<void> {
  const r = start(lb, script, `a request steered to ${show(target)}`);
  check(r.call.server === target, () => `with ${show(target)} in the pool and every other server far more loaded, the request went to ${show(r.call.server)}; expected ${show(target)}`);
  if (how === 'reject') {
    r.call.reject(new Error('502'));
    await flushMicrotasks();
  } else {
    await advance(timeoutMs);
  }
  check(r.result().kind === 'rejected', () => `a failing request ${describe(r.result())}; expected it to reject`);
}

test('ejectAfter consecutive failures eject a server; its n-th ejection lasts n × baseEjectionMs', async () => {
  for (const [x, baseMs] of [[3, 1000], [1, 2.5]] as const) {
    useVirtualTime();
    const target = 'b';
    const timeoutMs = 50;
    const lb = make({ servers: ['a', 'b'], ejectAfter: x, baseEjectionMs: baseMs, timeoutMs, load: steer(target) });
    const script = new Script();
    const expectOut = (out: boolean, when: string) => {
      const pool = availableOf(lb);
      check(pool.includes(target) === !out, () => `with ejectAfter ${x} and baseEjectionMs ${baseMs}, ${when}, available() is ${show(pool)}; expected ${show(target)} ${out ? 'ejected (left out)' : 'in the pool'}`);
      if (out) {
        for (let i = 0; i < 20; i++) check(pickOf(lb, when) !== target, () => `${when}, ${show(target)} is ejected but pick() returned it; an ejected server gets no request`);
      }
    };
    // One fewer than ejectAfter, a success, then one fewer again: not ejected.
    if (x > 1) {
      for (let i = 0; i < x - 1; i++) await failOnce(lb, script, target, i % 2 ? 'timeout' : 'reject', timeoutMs);
      const ok = start(lb, script, 'a successful request');
      ok.call.resolve('ok');
      await flushMicrotasks();
      for (let i = 0; i < x - 1; i++) {
        await failOnce(lb, script, target, 'reject', timeoutMs);
        expectOut(false, `after ${x - 1} failures, a success and ${i + 1} more failure${i ? 's' : ''} (fewer than ejectAfter in a row: a success resets the run)`);
      }
    }
    for (let n = 1; n <= 3; n++) {
      const fromPrevious = x > 1 && n === 1 ? 1 : x;
      for (let i = 0; i < fromPrevious; i++) await failOnce(lb, script, target, i === fromPrevious - 1 ? 'timeout' : 'reject', timeoutMs);
      const ejectedAt = virtualNow();
      const lasts = n * baseMs;
      expectOut(true, `right after failure number ${x} in a row (ejection ${n})`);
      const edge = Math.ceil(lasts);
      if (edge > 1) {
        await advance(edge - 1);
        expectOut(true, `${virtualNow() - ejectedAt} ms into ejection ${n}, which lasts ${n} × ${baseMs} = ${lasts} ms`);
      }
      await advance(ejectedAt + edge - virtualNow());
      expectOut(false, `${edge} ms after ejection ${n}, which lasts ${n} × ${baseMs} = ${lasts} ms (it should have ended)`);
    }
  }
});

test('requests that end while their server is ejected count for nothing', async () => {
  useVirtualTime();
  const target = 'b';
  const lb = make({ servers: ['a', 'b'], ejectAfter: 3, baseEjectionMs: 1000, timeoutMs: 50, load: steer(target) });
  const script = new Script();
  const slow = start(lb, script, 'a slow request');
  check(slow.call.server === target, () => `with ${show(target)} far less loaded, the request went to ${show(slow.call.server)}; expected ${show(target)}`);
  for (let i = 0; i < 3; i++) await failOnce(lb, script, target, 'reject', 50);
  check(!availableOf(lb).includes(target), () => `after 3 failures in a row (ejectAfter 3), available() is ${show(availableOf(lb))}; expected ${show(target)} ejected`);
  slow.call.reject(new Error('503 while ejected'));
  await flushMicrotasks();
  await advance(1000);
  check(availableOf(lb).includes(target), () => `1000 ms after the first ejection (baseEjectionMs 1000), available() is ${show(availableOf(lb))}; expected ${show(target)} back`);
  for (let i = 0; i < 2; i++) {
    await failOnce(lb, script, target, 'reject', 50);
    check(availableOf(lb).includes(target), () => `${show(target)} came back, then failed ${i + 1} time${i ? 's' : ''} in a row (ejectAfter 3), and available() is ${show(availableOf(lb))}; a request that failed while ${show(target)} was ejected must count for nothing: the run starts from zero when it comes back`);
  }
});

test('never an empty pool: with every server out, pick chooses among all servers by two choices', async () => {
  useVirtualTime();
  controlMathRandom(streamFor('all out'));
  const servers = ['a', 'b', 'c'];
  const loads = new Map([['a', 2], ['b', 0], ['c', 1]]);
  const lb = make({ servers, probe: async () => false, unhealthyAfter: 1, load: (s) => loads.get(s) ?? 1e9 });
  await checkHealthOf(lb, 'every probe failing');
  check(availableOf(lb).length === 0, () => `after every server failed unhealthyAfter (1) checks, available() is ${show(availableOf(lb))}; expected []`);
  const freq = frequencies(lb, servers, 3000, 'with every server out');
  check(freq.get('a') === 0 && Math.abs(freq.get('b')! - 2 / 3) <= 0.05, () => `with every server out and loads ${show(Object.fromEntries(loads))}, pick() chose ${[...freq].map(([s, f]) => `${s} ${pct(f)}`).join(', ')}; expected two choices over all servers: 'b' about 66.7%, 'c' 33.3%, 'a' never`);
  const script = new Script();
  const r = start(lb, script, 'a request with every server out');
  check(servers.includes(r.call.server as string), () => `with every server out, a request went to ${show(r.call.server)}; expected one of ${show(servers)}`);
});

test('constructor throws a RangeError for no servers, repeated servers, or counts that are not positive integers', () => {
  const cases: Array<[string, Partial<BalancerOptions>]> = [
    ['servers: []', { servers: [] }],
    ["servers: ['a', 'a']", { servers: ['a', 'a'] }],
    ['unhealthyAfter: 0', { unhealthyAfter: 0 }],
    ['healthyAfter: 1.5', { healthyAfter: 1.5 }],
    ['ejectAfter: 0', { ejectAfter: 0 }],
  ];
  for (const [what, options] of cases) {
    let thrown: unknown;
    try {
      new LoadBalancer({ ...base, ...options });
    } catch (error) {
      thrown = error;
    }
    check(thrown instanceof RangeError, () => `new LoadBalancer({ …, ${what} }) ${thrown === undefined ? 'did not throw' : `threw ${describeThrown(thrown)}`}; expected a RangeError`);
  }
});

// ---------------------------------------------------------------------------------------------
// Fleets in virtual time
// ---------------------------------------------------------------------------------------------

/** The learner's balancer for a fleet run: no ejection; timeouts of 1 s keep few timers pending (a timeout changes nothing in the model). */
const createForFleet: CreateBalancer = (servers, load) => make({ servers, timeoutMs: 1000, ejectAfter: 1e6, ...(load ? { load } : {}) });

/** Requests per fleet run: enough for a stable p99, few enough for a fast verify. */
const REQUESTS = 1500;
const SKEWED = [10, 10, 10, 10, 20, 20, 20, 40, 40, 80];

test('on a fleet of skewed speeds, peak and mean in-flight and p99 latency are at most a third of random and round robin', async () => {
  const seed = suiteSeed() * 7919 + 1;
  const learner = await driveFleet(createForFleet, SKEWED, seed, REQUESTS, 0.3);
  const t = traffic(seed, REQUESTS, 0.3);
  const rnd = runBaseline(SKEWED, t, strategies.random!, seed);
  const rr = runBaseline(SKEWED, t, strategies['round robin']!, seed);
  const rows: Array<[string, keyof Outcome, string]> = [['peak in-flight at one server', 'peak', ''], ['mean in-flight per server', 'meanInFlight', ''], ['p99 latency', 'p99', 'ms']];
  const problems: string[] = [];
  for (const [name, key, unit] of rows) {
    const limit = Math.min(rnd[key], rr[key]) / 3;
    if (!figure(name, learner[key], { unit, limit })) problems.push(`${name} ${learner[key].toFixed(1)}${unit} (random ${rnd[key].toFixed(1)}, round robin ${rr[key].toFixed(1)}; limit a third of the better: ${limit.toFixed(1)})`);
  }
  check(problems.length === 0, () => `1,500 requests at 0.3 per ms to 10 servers serving in mean ${show(SKEWED)} ms: ${problems.join('; ')}. Two choices over in-flight counts keep slow servers' queues short; random and round robin do not`);
});

test('with loads published only every 200 ms, no herding: peak in-flight at most 32, p99 at most 600 ms', async () => {
  const seed = suiteSeed() * 7919 + 2;
  const even = Array.from({ length: 10 }, () => 20);
  const learner = await driveFleet(createForFleet, even, seed, REQUESTS, 0.3, 200);
  const okPeak = figure('peak in-flight at one server', learner.peak, { limit: 32 });
  const okP99 = figure('p99 latency', learner.p99, { unit: 'ms', limit: 600 });
  const stale = runBaseline(even, traffic(seed, REQUESTS, 0.3), strategies['least loaded']!, seed, 200);
  check(okPeak && okP99, () => `10 equal servers (mean 20 ms), 1,500 requests at 0.3 per ms, load(server) published every 200 ms: peak in-flight ${learner.peak}, p99 ${learner.p99} ms; expected at most 32 and 600 ms. Picking the least loaded by stale data sends 200 ms of traffic to one server (peak ${stale.peak}, p99 ${stale.p99} ms on this traffic); two random choices spread it`);
});

import { Agent } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, test, vi } from 'vitest';
import { check, fail, describeThrown, show, streamFor, closeServers, describeTimeout, requestTimeoutMs, send, startServer, within, type Outcome, type Reply } from 'learn-ds/harness';
import type { ChargeRequest } from 'learn-ds/subject/idempotency-keys';
import { createPaymentServer } from 'learn-ds/subject/idempotency-keys';

// Every check starts real servers on loopback; whatever happens, they are closed after it.
afterEach(closeServers);

// A check's requests share kept-alive connections (a fresh connection per request cost more than
// the learner's handler); each check has its own agent, its connections closed after it.
let agent: Agent | undefined;
function checkAgent(): Agent {
  return (agent ??= new Agent({ keepAlive: true }));
}
afterEach(() => {
  agent?.destroy();
  agent = undefined;
});

// ---------------------------------------------------------------------------------------------
// A fake payment gateway: it counts charges, records what it was asked, and can fail a charge or
// hold it (its promise stays pending until the check releases it) to create a request in flight.
// ---------------------------------------------------------------------------------------------

type Plan = 'succeed' | 'fail' | 'hold';

class FakeGateway {
  readonly received: unknown[] = [];
  /** The field names of each object charge() was called with, sorted: nothing beyond the three. */
  readonly receivedFields: string[][] = [];
  readonly chargeIds: string[] = [];
  private readonly held: Array<() => void> = [];
  private readonly waiters: Array<{ n: number; resolve: () => void }> = [];

  constructor(
    private readonly prefix: string,
    private readonly plans: Plan[] = [],
  ) {}

  // An arrow function, so that `const { charge } = gateway` works too.
  readonly charge = (request: ChargeRequest): Promise<{ chargeId: string }> => {
    this.received.push(snapshot(request));
    this.receivedFields.push(typeof request === 'object' && request !== null ? Object.keys(request).sort() : []);
    const chargeId = `ch_${this.prefix}${this.received.length}`;
    this.chargeIds.push(chargeId);
    for (const w of this.waiters.filter((w) => this.received.length >= w.n)) w.resolve();
    const plan = this.plans.shift() ?? 'succeed';
    if (plan === 'fail') return Promise.reject(new Error('the card network is unreachable'));
    if (plan === 'hold') return new Promise((resolve) => this.held.push(() => resolve({ chargeId })));
    return Promise.resolve({ chargeId });
  };

  get count(): number {
    return this.received.length;
  }

  /** Resolves once charge() has been called `n` times in all. */
  calledTimes(n: number): Promise<'charged'> {
    if (this.received.length >= n) return Promise.resolve('charged');
    return new Promise((resolve) => this.waiters.push({ n, resolve: () => resolve('charged') }));
  }

  /** Lets the oldest held charge succeed. */
  release(): void {
    this.held.shift()?.();
  }
}

function snapshot(request: unknown): unknown {
  if (typeof request !== 'object' || request === null) return request;
  const { customer, amount, currency } = request as Record<string, unknown>;
  return { customer, amount, currency };
}

// ---------------------------------------------------------------------------------------------
// Test data, from the suite's seed. Keys are unique across the whole suite, so that one check
// never sees another check's keys.
// ---------------------------------------------------------------------------------------------

const CUSTOMERS = ['ada', 'grace', 'alan', 'edsger', 'barbara', 'leslie', 'radia', 'ken'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY'];
let keyCounter = 0;

function dataFor(label: string) {
  const rnd = streamFor(label);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const hex = () => int(0, 0xffff).toString(16).padStart(4, '0');
  return {
    int,
    key: () => `key-${hex()}-${++keyCounter}`,
    charge: (): ChargeRequest => ({ customer: `cus_${pick(CUSTOMERS)}_${hex()}`, amount: int(100, 99_999), currency: pick(CURRENCIES) }),
    /** The same charge with one field changed: `field` picks which. */
    variant: (c: ChargeRequest, field: keyof ChargeRequest): ChargeRequest => {
      if (field === 'amount') return { ...c, amount: c.amount + int(1, 900) };
      if (field === 'customer') return { ...c, customer: `${c.customer}x` };
      return { ...c, currency: CURRENCIES.find((x) => x !== c.currency)! };
    },
  };
}

async function start(gateway: FakeGateway, keyTtlMs = 60_000): Promise<number> {
  return (await startServer('createPaymentServer(…)', () => createPaymentServer({ gateway, keyTtlMs }))).port;
}

// ---------------------------------------------------------------------------------------------
// Requests and what a learner reads about them.
// ---------------------------------------------------------------------------------------------

interface Post {
  key?: string;
  charge?: ChargeRequest;
  /** A body sent as it is (instead of JSON.stringify(charge)). */
  raw?: string;
}

function bodyOf(p: Post): string {
  return p.raw ?? JSON.stringify(p.charge);
}

function post(port: number, p: Post): Promise<Outcome> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (p.key !== undefined) headers['Idempotency-Key'] = p.key;
  return send(port, { method: 'POST', path: '/payments', headers, body: bodyOf(p), agent: checkAgent() });
}

function describePost(p: Post): string {
  const key = p.key === undefined ? 'no Idempotency-Key header' : `Idempotency-Key ${show(p.key)}`;
  const body = p.raw !== undefined ? `the body ${JSON.stringify(p.raw)}` : `the body ${show(p.charge)}`;
  return `POST /payments with ${key} and ${body}`;
}

function describeBody(r: Reply): string {
  if (r.json !== undefined) return show(r.json);
  return r.text === '' ? 'an empty body' : `the non-JSON body ${JSON.stringify(r.text.slice(0, 80))}`;
}

/** Fails unless the request got a response with status `expected`; `why` says why that status. */
function expectStatus(outcome: Outcome, expected: number, what: string, why: string, extra?: (r: Reply) => string): Reply {
  if (outcome.kind === 'timeout') {
    fail(`${what} did not answer within ${describeTimeout(outcome.afterMs)}; expected ${expected} ${why} (is a response never ended, or a promise never settled?)`);
  }
  if (outcome.kind === 'error') {
    fail(`${what} got no response (${describeThrown(outcome.error)}); expected ${expected} ${why}`);
  }
  const r = outcome.reply;
  check(r.status === expected, () => `${what} answered ${r.status} with ${describeBody(r)}; expected ${expected} ${why}${extra ? extra(r) : ''}`);
  if (expected >= 400) expectErrorBody(r, what);
  return r;
}

/** An error's body is exactly { "error": "<message>" }: JSON, one string field, nothing else. */
function expectErrorBody(r: Reply, what: string): void {
  const body = r.json as Record<string, unknown> | undefined;
  const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body) : undefined;
  check(
    fields !== undefined && fields.length === 1 && fields[0] === 'error' && typeof body!.error === 'string',
    () => `${what} answered ${r.status} with ${describeBody(r)}; expected the JSON body { "error": "<a message>" }, with nothing else in it (every response has a JSON body)`,
  );
}

/** The classic: Node lowercases incoming header names, so req.headers['Idempotency-Key'] is always undefined. */
function keyHint(r: Reply): string {
  return r.status === 400
    ? ". The request did carry an Idempotency-Key header: Node lowercases incoming header names, so read req.headers['idempotency-key']"
    : '';
}

/** Checks a 201's body: exactly the charge that was made. */
function expectChargeBody(r: Reply, chargeId: string, charge: ChargeRequest, what: string): void {
  const body = r.json as Record<string, unknown> | undefined;
  check(
    typeof body === 'object' && body !== null && !Array.isArray(body),
    () => `${what} answered 201 with ${describeBody(r)}; expected the JSON object { chargeId, customer, amount, currency }`,
  );
  const expected = { chargeId, ...charge };
  const got = { chargeId: body.chargeId, customer: body.customer, amount: body.amount, currency: body.currency };
  check(
    isDeepStrictEqual(got, expected),
    () => `${what} answered 201 with ${describeBody(r)}; expected ${show(expected)} (the gateway's chargeId and the charge's customer, amount and currency)`,
  );
  const extra = Object.keys(body).filter((f) => !['chargeId', 'customer', 'amount', 'currency'].includes(f));
  check(
    extra.length === 0,
    () => `${what} answered 201 with ${describeBody(r)}; expected exactly ${show(expected)}: nothing else, so the extra field${extra.length === 1 ? '' : 's'} ${extra.join(', ')} must not be there ` +
      '(other fields of a request are ignored, never passed through)',
  );
}

function expectCharges(gw: FakeGateway, expected: number, after: string): void {
  check(
    gw.count === expected,
    () => `after ${after}, your server had called gateway.charge() ${gw.count} time${gw.count === 1 ? '' : 's'}; expected ${expected}`,
  );
}

/** A replay must repeat the stored response: status and body. */
function expectReplay(outcome: Outcome, original: Reply, what: string, why = ''): void {
  const r = expectStatus(outcome, original.status, what, `(a replay must repeat the stored response: same status and body${why})`);
  check(
    isDeepStrictEqual(r.json, original.json),
    () => `${what} answered ${r.status} with ${describeBody(r)}; expected the stored response's body ${describeBody(original)} (a replay must repeat the stored response: same status and body)`,
  );
}

/**
 * Sends `p` to a gateway that holds its charge, and waits until the charge has started: the request
 * is then in flight. Returns its outcome, still pending.
 */
async function startInFlight(port: number, gw: FakeGateway, p: Post): Promise<{ outcome: Promise<Outcome> }> {
  const waitMs = requestTimeoutMs();
  const first = post(port, p);
  const reached = await within(Promise.race([gw.calledTimes(gw.count + 1), first.then(() => 'answered' as const)]), waitMs, 'late' as const);
  if (reached === 'answered') {
    const r = expectStatus(await first, 201, describePost(p), '(a first charge)', keyHint);
    fail(`${describePost(p)} answered ${r.status} without calling gateway.charge(); expected it to charge the gateway`);
  }
  if (reached === 'late') fail(`${describePost(p)} did not call gateway.charge() within ${describeTimeout(waitMs)}; expected it to charge the gateway`);
  // Wrapped: an async function returning the promise itself would wait for it.
  return { outcome: first };
}

/** Sends a request while another is in flight; fails at once if it charges the gateway again. */
async function sendDuringFlight(port: number, gw: FakeGateway, p: Post, chargedMessage: () => string): Promise<Outcome> {
  const before = gw.count;
  const outcome = post(port, p);
  const first = await Promise.race([outcome, gw.calledTimes(before + 1)]);
  if (first === 'charged') fail(chargedMessage());
  return first;
}

// ---------------------------------------------------------------------------------------------
// The checks.
// ---------------------------------------------------------------------------------------------

test('charges the gateway once and answers 201 with { chargeId, customer, amount, currency }', async () => {
  const d = dataFor('first charge');
  const gw = new FakeGateway('a');
  const port = await start(gw);
  const p = { key: d.key(), charge: d.charge() };
  const r = expectStatus(await post(port, p), 201, describePost(p), '(a first charge)', keyHint);
  expectCharges(gw, 1, `one ${describePost(p)}`);
  check(
    isDeepStrictEqual(gw.received[0], p.charge),
    () => `gateway.charge() was called with ${show(gw.received[0])}; expected ${show(p.charge)} (the body's customer, amount and currency)`,
  );
  expectChargeBody(r, gw.chargeIds[0]!, p.charge, describePost(p));
});

test('answers a replay with the stored response, same status and body, without charging again', async () => {
  const d = dataFor('replay');
  const gw = new FakeGateway('r');
  const port = await start(gw);
  const p = { key: d.key(), charge: d.charge() };
  const original = expectStatus(await post(port, p), 201, describePost(p), '(a first charge)', keyHint);
  for (let i = 1; i <= 2; i++) {
    const what = `replay ${i}: the same ${describePost(p)}`;
    const outcome = await post(port, p);
    check(gw.count === 1, () => `${what} charged the gateway again (${gw.count} charges in all); expected no new charge: a key is charged once`);
    expectReplay(outcome, original, what);
  }
  // The same charge, written differently: other key order, other whitespace.
  const { customer, amount, currency } = p.charge;
  const raw = JSON.stringify({ currency, amount, customer }, null, 2);
  const what = `a replay whose body lists the same fields in another order, with other whitespace (${JSON.stringify(raw)})`;
  const outcome = await post(port, { key: p.key, raw });
  check(gw.count === 1, () => `${what} charged the gateway again (${gw.count} charges in all); expected no new charge`);
  expectReplay(
    outcome,
    original,
    what,
    '; "the same body" means the same customer, amount and currency, whatever the key order and whitespace: compare the parsed fields, not the bytes',
  );
});

test('refuses the same key with a different body with 422, without charging, even while the first request runs', async () => {
  const d = dataFor('mismatch');
  const gw = new FakeGateway('m', ['succeed', 'hold']);
  const port = await start(gw);
  const p = { key: d.key(), charge: d.charge() };
  const original = expectStatus(await post(port, p), 201, describePost(p), '(a first charge)', keyHint);
  for (const field of ['amount', 'customer', 'currency'] as const) {
    const q = { key: p.key, charge: d.variant(p.charge, field) };
    const what = `after ${describePost(p)} was charged, ${describePost(q)} (another ${field})`;
    const outcome = await post(port, q);
    check(gw.count === 1, () => `${what} charged the gateway (${gw.count} charges in all); expected 422 and no charge: a key belongs to one request body`);
    expectStatus(outcome, 422, what, '(the key was already used with a different body)');
  }
  expectReplay(await post(port, p), original, `the original request, replayed after the refused ones,`, '; a refused request does not replace the stored response');

  // While the first request with the key is still waiting for the gateway.
  const k = { key: d.key(), charge: d.charge() };
  const first = await startInFlight(port, gw, k);
  const q = { key: k.key, charge: d.variant(k.charge, 'amount') };
  const what = `${describePost(q)}, sent while ${describePost(k)} was still waiting for the gateway,`;
  const outcome = await sendDuringFlight(port, gw, q, () => `${what} charged the gateway a second time; expected 422 and no charge`);
  expectStatus(
    outcome,
    422,
    what,
    '(the key is in use with a different body: a different body gets 422 whether the first request has finished or not, so compare the bodies before looking at whether it is still running)',
  );
  gw.release();
  expectStatus(await first.outcome, 201, `${describePost(k)}, once the gateway answered,`, '(its charge succeeded)');
  expectCharges(gw, 2, 'two keys, each charged once, and four refused requests');
});

test('answers 409 to a request whose key is still in progress, and never charges twice', async () => {
  const d = dataFor('in progress');
  const gw = new FakeGateway('c', ['hold']);
  const port = await start(gw);
  const p = { key: d.key(), charge: d.charge() };
  const first = await startInFlight(port, gw, p);
  const what = `a second, identical ${describePost(p)}, sent while the first was still waiting for the gateway,`;
  const outcome = await sendDuringFlight(
    port,
    gw,
    p,
    () =>
      `${what} charged the gateway a second time: the customer paid twice. Expected 409: mark the key as in progress *before* awaiting the gateway, ` +
      'since other requests are served while your handler awaits',
  );
  expectStatus(outcome, 409, what, '(a request with that key is still in progress; answer at once, do not wait for the first)');
  gw.release();
  const original = expectStatus(await first.outcome, 201, `the first ${describePost(p)}, once the gateway answered,`, '(its charge succeeded)');
  expectChargeBody(original, gw.chargeIds[0]!, p.charge, `the first ${describePost(p)}`);
  const replay = await post(port, p);
  expectCharges(gw, 1, 'two identical requests during the charge and one after it');
  expectReplay(replay, original, `the same ${describePost(p)}, once the first had finished,`);
});

test('treats different keys as different payments, even with the same body', async () => {
  const d = dataFor('different keys');
  const gw = new FakeGateway('k');
  const port = await start(gw);
  const charge = d.charge();
  const p = { key: d.key(), charge };
  const q = { key: d.key(), charge };
  expectStatus(await post(port, p), 201, describePost(p), '(a first charge)', keyHint);
  const what = `${describePost(q)}, the same body as ${show(p.key)}'s but another key,`;
  const r = expectStatus(await post(port, q), 201, what, '(another key is another payment: a customer may pay the same amount twice)');
  check(gw.count === 2, () => `${what} answered 201 but your server charged the gateway ${gw.count} time(s) in all; expected 2: different keys are different payments, even with the same body`);
  expectChargeBody(r, gw.chargeIds[1]!, charge, what);
});

test('ignores other fields of the body: the gateway gets { customer, amount, currency } and the 201 holds nothing else, even a forged chargeId', async () => {
  const d = dataFor('extra fields');
  const gw = new FakeGateway('x');
  const port = await start(gw);
  const charge = d.charge();
  const raw = JSON.stringify({ ...charge, chargeId: 'ch_forged', note: 'birthday present', status: 'refunded' });
  const p = { key: d.key(), raw };
  const what = describePost(p);
  const r = expectStatus(await post(port, p), 201, what, '(a first charge: other fields are ignored)', keyHint);
  expectCharges(gw, 1, what);
  check(
    isDeepStrictEqual(gw.receivedFields[0], ['amount', 'currency', 'customer']),
    () => `${what}: gateway.charge() was called with the fields ${show(gw.receivedFields[0])}; expected exactly { customer, amount, currency }: other fields are ignored`,
  );
  expectChargeBody(r, gw.chargeIds[0]!, charge, what);
  expectReplay(await post(port, p), r, `the same ${what} again`);
});

test('keys that differ only in case, or only in their last digit, are different payments', async () => {
  const d = dataFor('key shapes');
  const gw = new FakeGateway('c');
  const port = await start(gw);
  const base = d.key();
  const keys = [`Order-${base}`, `order-${base}`, `ORDER-${base}`, `order-${base}-1000`, `order-${base}-1001`];
  for (const [i, key] of keys.entries()) {
    const p = { key, charge: d.charge() };
    const what = `${describePost(p)}, after ${i} request(s) with the keys ${keys.slice(0, i).map((k) => show(k)).join(', ') || '(none)'}`;
    const r = expectStatus(await post(port, p), 201, what, '(an Idempotency-Key is compared exactly, case included: this key is new)', keyHint);
    expectCharges(gw, i + 1, what);
    expectChargeBody(r, gw.chargeIds[i]!, p.charge, what);
  }
});

test('rejects a request without an Idempotency-Key, or with an empty one, with 400, charging nothing', async () => {
  const d = dataFor('missing key');
  const gw = new FakeGateway('n');
  const port = await start(gw);
  for (const p of [{ charge: d.charge() }, { key: '', charge: d.charge() }]) {
    const what = describePost(p);
    expectStatus(await post(port, p), 400, what, '(the Idempotency-Key header is required and must not be empty)');
    expectCharges(gw, 0, what);
  }
});

test('rejects an invalid body with 400, charging nothing, and leaves its key unused', async () => {
  const d = dataFor('invalid body');
  const gw = new FakeGateway('v');
  const port = await start(gw);
  const c = d.charge();
  const { customer, amount, currency } = c;
  const invalid: Array<[string, string]> = [
    [JSON.stringify(c).slice(0, -3), 'not JSON'],
    ['', 'an empty body is not JSON'],
    ['[]', 'an array, not an object'],
    ['null', 'not an object'],
    [JSON.stringify({ amount, currency }), 'customer is missing'],
    [JSON.stringify({ customer: '', amount, currency }), 'customer is empty'],
    [JSON.stringify({ customer: 42, amount, currency }), 'customer is not a string'],
    [JSON.stringify({ customer, currency }), 'amount is missing'],
    [JSON.stringify({ customer, amount: 0, currency }), 'amount is not positive'],
    [JSON.stringify({ customer, amount: -amount, currency }), 'amount is not positive'],
    [JSON.stringify({ customer, amount: amount + 0.5, currency }), 'amount is not a whole number'],
    [JSON.stringify({ customer, amount: String(amount), currency }), 'amount is a string, not a number'],
    [JSON.stringify({ customer, amount }), 'currency is missing'],
    [JSON.stringify({ customer, amount, currency: '' }), 'currency is empty'],
  ];
  for (const [raw, reason] of invalid) {
    const p = { key: d.key(), raw };
    expectStatus(await post(port, p), 400, describePost(p), `(${reason})`);
    expectCharges(gw, 0, describePost(p));
  }
  // The key of a refused request is still free.
  const key = d.key();
  const bad = { key, raw: JSON.stringify({ ...c, amount: 0 }) };
  expectStatus(await post(port, bad), 400, describePost(bad), '(amount is not positive)');
  const good = { key, charge: c };
  const r = expectStatus(
    await post(port, good),
    201,
    `${describePost(good)}, sent after the same key's invalid request was refused with 400,`,
    'and a charge: an invalid request must not use up its key (validate the body before you look up or store the key)',
  );
  expectCharges(gw, 1, 'one valid request');
  expectChargeBody(r, gw.chargeIds[0]!, c, describePost(good));
});

test('answers 502 when the gateway fails, and releases the key so that a retry charges', async () => {
  const d = dataFor('gateway failure');
  const gw = new FakeGateway('f', ['fail']);
  const port = await start(gw);
  const p = { key: d.key(), charge: d.charge() };
  expectStatus(await post(port, p), 502, `${describePost(p)}, whose charge the gateway rejected,`, '(the gateway failed)', keyHint);
  expectCharges(gw, 1, 'one request');
  const what = `the client's retry, the same ${describePost(p)}, after the 502,`;
  const retry = expectStatus(await post(port, p), 201, what, 'and a new charge', (r) => {
    if (r.status === 409) return ': the key still looks in progress, so the retry can never succeed. When the gateway fails, nothing was charged: release the key (forget it), so that a retry may charge';
    if (gw.count === 1) return `, but your server answered ${r.status} again without calling the gateway: the failure was stored as the key's response. Store only a successful charge; on a failure release the key, so that a retry may charge`;
    return ' (the failed charge released the key)';
  });
  expectCharges(gw, 2, 'a failed charge and its retry');
  expectChargeBody(retry, gw.chargeIds[1]!, p.charge, what);
  expectReplay(await post(port, p), retry, `the same ${describePost(p)}, after the retry succeeded,`);
  expectCharges(gw, 2, 'a failed charge, its retry and a replay');
});

// Time, for the TTL: only the clocks are faked (Date, performance.now, process.hrtime); timers and
// sockets stay real. The clock stands still unless the check moves it.
const EPOCH = Date.UTC(2026, 0, 1);
function fakeClock(): void {
  vi.useFakeTimers({ now: EPOCH, toFake: ['Date', 'performance', 'hrtime'] });
}
function moveClock(ms: number): void {
  vi.advanceTimersByTime(ms);
}

test('forgets a key keyTtlMs after its response was sent: the key then starts a new payment', async () => {
  fakeClock();
  const d = dataFor('expiry');
  const ttl = d.int(1_000, 60_000);
  const gw = new FakeGateway('t');
  const port = await start(gw, ttl);
  const p = { key: d.key(), charge: d.charge() };
  const original = expectStatus(await post(port, p), 201, describePost(p), '(a first charge)', keyHint);
  moveClock(ttl - 1);
  const early = `the same ${describePost(p)}, ${ttl - 1} ms after the first response was sent (keyTtlMs = ${ttl}),`;
  const outcome = await post(port, p);
  check(gw.count === 1, () => `${early} charged the gateway again; expected a replay: the key is kept for keyTtlMs = ${ttl} ms after its response was sent`);
  expectReplay(outcome, original, early);

  moveClock(1);
  const q = { key: p.key, charge: d.variant(p.charge, 'amount') };
  const late = `${describePost(q)}, exactly keyTtlMs = ${ttl} ms after the first response with that key was sent,`;
  const fresh = expectStatus(
    await post(port, q),
    201,
    late,
    'and a new charge: keyTtlMs after its response was sent, a key is forgotten, and the next request with it is a new payment (judge expiry by reading Date.now() or performance.now() when a request arrives, not with timers)',
  );
  expectCharges(gw, 2, `${late.slice(0, -1)}`);
  expectChargeBody(fresh, gw.chargeIds[1]!, q.charge, late);
  moveClock(ttl - 1);
  expectReplay(await post(port, q), fresh, `the same ${describePost(q)}, ${ttl - 1} ms later,`, '; the new payment is stored for keyTtlMs too');
  expectCharges(gw, 2, 'a replay of the new payment');
});

test('a fractional keyTtlMs: 1000 ms after the response is still a replay with keyTtlMs = 1000.5, 1001 ms is a new payment', async () => {
  fakeClock();
  const d = dataFor('fractional expiry');
  const gw = new FakeGateway('f');
  const port = await start(gw, 1000.5);
  const p = { key: d.key(), charge: d.charge() };
  const original = expectStatus(await post(port, p), 201, describePost(p), '(a first charge)', keyHint);
  moveClock(1000);
  const early = `the same ${describePost(p)}, 1000 ms after the first response was sent (keyTtlMs = 1000.5),`;
  const outcome = await post(port, p);
  check(gw.count === 1, () => `${early} charged the gateway again; expected a replay: 1000 ms is less than keyTtlMs = 1000.5 ms`);
  expectReplay(outcome, original, early);
  moveClock(1);
  const late = `the same ${describePost(p)}, 1001 ms after the first response was sent (keyTtlMs = 1000.5),`;
  expectStatus(await post(port, p), 201, late, 'and a new charge: from keyTtlMs on, the key is forgotten');
  expectCharges(gw, 2, late.slice(0, -1));
});

test('keeps a key while its first request runs, however long, and counts keyTtlMs from when the response was sent', async () => {
  fakeClock();
  const d = dataFor('ttl from response');
  const ttl = d.int(1_000, 60_000);
  const runFor = ttl + d.int(1, ttl);
  const gw = new FakeGateway('s', ['hold']);
  const port = await start(gw, ttl);
  const p = { key: d.key(), charge: d.charge() };
  const first = await startInFlight(port, gw, p);
  moveClock(runFor);
  const what = `the same ${describePost(p)}, ${runFor} ms after the first (keyTtlMs = ${ttl}) and while the first was still waiting for the gateway,`;
  const outcome = await sendDuringFlight(
    port,
    gw,
    p,
    () =>
      `${what} charged the gateway a second time; expected 409: a key is kept while its first request runs, however long it takes ` +
      '(keyTtlMs counts from when the response was sent, not from when the request arrived)',
  );
  expectStatus(outcome, 409, what, '(still in progress; keyTtlMs counts from when the response was sent, not from when the request arrived)');
  gw.release();
  const original = expectStatus(await first.outcome, 201, `the first ${describePost(p)}, once the gateway answered,`, '(its charge succeeded)');
  moveClock(ttl - 1);
  const replayWhat = `the same ${describePost(p)}, ${ttl - 1} ms after the first response was sent (${runFor + ttl - 1} ms after the first request arrived; keyTtlMs = ${ttl}),`;
  const replay = await post(port, p);
  check(
    gw.count === 1,
    () => `${replayWhat} charged the gateway again; expected a replay: keyTtlMs counts from when the response was sent, not from when the request arrived`,
  );
  expectReplay(replay, original, replayWhat, '; keyTtlMs counts from when the response was sent');
});

test('gives each server its own keys', async () => {
  const d = dataFor('own keys');
  const gw1 = new FakeGateway('x');
  const gw2 = new FakeGateway('y');
  const port1 = await start(gw1);
  const port2 = await start(gw2);
  const p = { key: d.key(), charge: d.charge() };
  expectStatus(await post(port1, p), 201, `${describePost(p)} to a first server`, '(a first charge)', keyHint);
  const what = `the same ${describePost(p)} to a second server from another createPaymentServer() call, with its own gateway,`;
  const r = expectStatus(await post(port2, p), 201, what, '(a first charge on that server)');
  check(
    gw2.count === 1,
    () =>
      `${what} answered 201 without charging its gateway (it replayed the first server's response ${describeBody(r)}); ` +
      'expected a charge: each server must have its own keys (create your Map inside createPaymentServer, not at the top of the file)',
  );
  expectChargeBody(r, gw2.chargeIds[0]!, p.charge, what);
});

test('answers 404 to anything but POST /payments, charging nothing', async () => {
  const d = dataFor('not found');
  const gw = new FakeGateway('z');
  const port = await start(gw);
  const headers = { 'Idempotency-Key': d.key(), 'Content-Type': 'application/json' };
  const body = JSON.stringify(d.charge());
  const requests = [
    { method: 'GET', path: '/payments', headers },
    { method: 'PUT', path: '/payments', headers, body },
    { method: 'POST', path: '/payment', headers, body },
    { method: 'POST', path: '/payments/1', headers, body },
    { method: 'POST', path: '/', headers, body },
  ];
  for (const spec of requests) {
    const what = `${spec.method} ${spec.path}`;
    expectStatus(await send(port, { ...spec, agent: checkAgent() }), 404, what, '(the server serves only POST /payments)');
    expectCharges(gw, 0, what);
  }
});

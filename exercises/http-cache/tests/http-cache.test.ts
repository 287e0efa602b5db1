import { afterEach, beforeEach, test, vi } from 'vitest';
import { check, fail, describeThrown, streamFor } from 'learn-ds/harness';
import { createCachingProxy } from 'learn-ds/subject/http-cache';
import { closeServers, deadPort, defaultBody, Origin, requestTimeoutMs, send, startServer, within, type Answer, type Outcome, type Reply, type Seen } from './http.ts';

// Time: only the clocks are faked (Date, performance.now, hrtime); timers and sockets stay real.
// The clock stands still unless a check moves it, so every age below is exact to the millisecond.
const EPOCH = Date.UTC(2026, 0, 1, 12, 0, 0);
beforeEach(() => {
  vi.useFakeTimers({ now: EPOCH, toFake: ['Date', 'performance', 'hrtime'] });
});
afterEach(async () => {
  await closeServers();
  vi.useRealTimers();
});

function moveClock(ms: number): void {
  vi.advanceTimersByTime(ms);
}

/** Real milliseconds a check waits to see whether a proxy sends the origin a request it must not send. */
const QUIET_MS = 250;

// ---------------------------------------------------------------------------------------------
// A proxy in front of a fresh origin, and paths of every shape from the suite's seed.
// ---------------------------------------------------------------------------------------------

interface Rig {
  origin: Origin;
  port: number;
  /** Requests the proxy has received so far (its 'request' events). */
  arrived: () => number;
  /** A new URL, unique in the check: plain, mixed case, percent-encoded non-ASCII, with a query. */
  path: (label?: string) => string;
  /** A random whole number in [lo, hi], from the suite's seed. */
  int: (lo: number, hi: number) => number;
  /** The ms since the rig started, for messages: "at 59.999 s". */
  at: () => string;
}

async function rig(label: string): Promise<Rig> {
  const origin = new Origin(moveClock);
  const base = await origin.start();
  const { port, server } = await startServer(`createCachingProxy({ origin: '${base}' })`, () => createCachingProxy({ origin: base }));
  let arrived = 0;
  server.on('request', () => arrived++);
  const rnd = streamFor(label);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const shapes = [
    (k: number) => `/articles/${k}`,
    (k: number) => `/Docs/Page-${int(0, 0xffff).toString(16).toUpperCase()}-${k}`,
    (k: number) => `/${encodeURIComponent(`café-日本-${k}`)}`,
    (k: number) => `/search?q=${int(1, 999)}&page=${k}`,
  ];
  const offset = int(0, shapes.length - 1);
  let k = 0;
  const start = Date.now();
  return {
    origin,
    port,
    arrived: () => arrived,
    path: () => shapes[(offset + k) % shapes.length]!(++k),
    int,
    at: () => `at ${seconds(Date.now() - start)}`,
  };
}

/** 59999 → "59.999 s". */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

// ---------------------------------------------------------------------------------------------
// Requests, and what a learner reads about them.
// ---------------------------------------------------------------------------------------------

function expectReply(outcome: Outcome, what: string): Reply {
  if (outcome.kind === 'timeout') fail(`${what} got no answer within ${outcome.afterMs / 1000} s; expected a response (is a response never ended, or a promise never settled?)`);
  if (outcome.kind === 'error') fail(`${what} got no response (${describeThrown(outcome.error)}); expected a response`);
  return outcome.reply;
}

async function get(r: Rig, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return expectReply(await send(r.port, { method, path, headers }), describe(method, path, headers, r));
}

function describe(method: string, path: string, headers: Record<string, string>, r: Rig): string {
  const h = Object.entries(headers).map(([n, v]) => `${n}: ${v}`);
  return `${method} ${path}${h.length ? ` (${h.join(', ')})` : ''} ${r.at()}`;
}

function describeReply(reply: Reply): string {
  const age = reply.headers.age === undefined ? 'no Age' : `Age: ${reply.headers.age}`;
  return `${reply.status} ${JSON.stringify(reply.text.slice(0, 60))} (${age})`;
}

/** Sends a request that the proxy must answer from its store, without asking the origin. */
async function expectStored(r: Rig, path: string, body: string, why: string, headers: Record<string, string> = {}): Promise<Reply> {
  const what = describe('GET', path, headers, r);
  const before = r.origin.count();
  const reply = await get(r, path, headers);
  check(
    r.origin.count() === before,
    () => `${what} went to the origin (its request: ${describeSeen(r.origin.seen[before]!)}); expected it served from the store without asking the origin: ${why}`,
  );
  check(reply.status === 200 && reply.text === body, () => `${what} answered ${describeReply(reply)}; expected 200 with the stored body ${JSON.stringify(body)}: ${why}`);
  return reply;
}

/** Sends a request that must reach the origin (once); returns the reply and what the origin saw. */
async function expectOrigin(r: Rig, path: string, why: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ reply: Reply; seen: Seen }> {
  const what = describe(method, path, headers, r);
  const before = r.origin.count();
  const reply = await get(r, path, headers, method);
  const asked = r.origin.count() - before;
  check(asked !== 0, () => `${what} was answered from the store without asking the origin, with ${describeReply(reply)}; expected a request to the origin: ${why}`);
  check(asked === 1, () => `${what} sent ${asked} requests to the origin; expected one: ${why}`);
  return { reply, seen: r.origin.seen[before]! };
}

function describeSeen(seen: Seen): string {
  const conditional = ['if-none-match', 'if-modified-since'].filter((h) => seen.headers[h] !== undefined).map((h) => `${h}: ${String(seen.headers[h])}`);
  return `${seen.method} ${seen.url}${conditional.length ? ` with ${conditional.join(', ')}` : ' (not conditional)'}`;
}

/** The response the origin sent for `seen` when it answered with `answer`'s body or its default. */
function bodyOf(seen: Seen, answer: Answer = {}): string {
  return answer.body ?? defaultBody(seen);
}

/** Scripts `path` to answer every request with these headers. */
function serve(r: Rig, path: string, headers: Record<string, string | string[]>, extra: Omit<Answer, 'headers'> = {}): void {
  r.origin.route(path, () => ({ headers, ...extra }));
}

/** Stores `path` (a first request, which must reach the origin) and returns the stored body. */
async function first(r: Rig, path: string, why = 'nothing is stored for it yet', headers: Record<string, string> = {}): Promise<string> {
  const { reply, seen } = await expectOrigin(r, path, why, headers);
  check(reply.status === 200 && reply.text === defaultBody(seen), () => `${describe('GET', path, headers, r)} answered ${describeReply(reply)}; expected the origin's 200 with the body ${JSON.stringify(defaultBody(seen))}`);
  return reply.text;
}

// ---------------------------------------------------------------------------------------------
// The checks.
// ---------------------------------------------------------------------------------------------

test('forwards what it cannot serve from its store: method, path and query, headers and body; passes back status, headers and body', async () => {
  const r = await rig('forwarding');
  const path = `${r.path()}?lang=fr&x=${r.int(1, 99)}`;
  r.origin.route(path, () => ({ headers: { 'X-Served-By': 'origin-7', 'Content-Type': 'text/plain; charset=utf-8' }, body: 'héllo ✓ 日本' }));
  const { reply, seen } = await expectOrigin(r, path, 'nothing is stored yet', { 'X-Request-Id': 'req-Ab9' });
  check(seen.url === path, () => `the origin received ${seen.url}; expected the path and query as the client sent them, ${path}`);
  check(seen.headers['x-request-id'] === 'req-Ab9', () => `the origin received the headers ${JSON.stringify(seen.headers)}; expected the client's X-Request-Id: req-Ab9 passed on`);
  check(reply.status === 200 && reply.text === 'héllo ✓ 日本', () => `GET ${path} answered ${describeReply(reply)}; expected the origin's 200 "héllo ✓ 日本", byte for byte`);
  check(reply.headers['x-served-by'] === 'origin-7', () => `GET ${path} answered without the origin's header X-Served-By: origin-7 (its headers: ${JSON.stringify(reply.headers)}); expected the origin's headers passed back`);

  const orders = r.path();
  r.origin.route(orders, (s) => ({ status: 201, headers: { Location: `${orders}/42`, 'Cache-Control': 'max-age=600' }, body: `created from ${s.body}` }));
  const body = JSON.stringify({ item: 'book', qty: 2 });
  const before = r.origin.count();
  const posted = expectReply(await send(r.port, { method: 'POST', path: orders, headers: { 'Content-Type': 'application/json' }, body }), `POST ${orders}`);
  check(r.origin.count() === before + 1, () => `POST ${orders} sent ${r.origin.count() - before} requests to the origin; expected one`);
  const seenPost = r.origin.seen[before]!;
  check(seenPost.method === 'POST' && seenPost.body === body, () => `the origin received ${seenPost.method} with the body ${JSON.stringify(seenPost.body)}; expected POST with the client's body ${JSON.stringify(body)}`);
  check(posted.status === 201 && posted.headers.location === `${orders}/42` && posted.text === `created from ${body}`, () => `POST ${orders} answered ${describeReply(posted)} (Location: ${posted.headers.location}); expected the origin's 201 with its Location and body`);

  const missing = r.path();
  r.origin.route(missing, () => ({ status: 404, body: 'no such page' }));
  const { reply: notFound } = await expectOrigin(r, missing, 'nothing is stored for it');
  check(notFound.status === 404 && notFound.text === 'no such page', () => `GET ${missing} answered ${describeReply(notFound)}; expected the origin's 404 "no such page"`);
});

test('serves a fresh stored response from its store, without asking the origin; each URL (path and query) is its own entry', async () => {
  const r = await rig('hit');
  const path = r.path();
  serve(r, path, { 'Cache-Control': 'max-age=600', 'X-Served-By': 'origin-3' });
  const body = await first(r, path);
  moveClock(1_000);
  const hit = await expectStored(r, path, body, 'max-age=600, and it is 1 s old');
  check(hit.headers['x-served-by'] === 'origin-3', () => `GET ${path} from the store answered without the stored header X-Served-By: origin-3; expected the stored response's headers`);
  for (const other of [path.toUpperCase() === path ? `${path}x` : path.toUpperCase(), `${path}${path.includes('?') ? '&' : '?'}v=2`]) {
    serve(r, other, { 'Cache-Control': 'max-age=600' });
    await first(r, other, `${other} is another URL than ${path}: nothing is stored for it`);
  }
});

test('a response is fresh while its freshness lifetime is greater than its current age: max-age=N is served from the store until N s − 1 ms, revalidated at N s', async () => {
  const r = await rig('lifetime edge');
  const maxAge = r.int(2, 600);
  const path = r.path();
  serve(r, path, { 'Cache-Control': `max-age=${maxAge}` });
  const body = await first(r, path);
  moveClock(maxAge * 1000 - 1);
  await expectStored(r, path, body, `max-age=${maxAge}: its current age ${maxAge * 1000 - 1} ms is less than its lifetime ${maxAge * 1000} ms`);
  moveClock(1);
  await expectOrigin(r, path, `max-age=${maxAge}: at ${maxAge} s its current age equals its lifetime, so it is stale (fresh only while lifetime > age)`);
});

test("counts the Age the origin sent: max-age=M with Age: A is stale M − A s after it arrived; Age ≥ M is stale at once; an invalid Age counts as 0", async () => {
  const r = await rig('age header');
  const maxAge = r.int(30, 600);
  const age = r.int(1, maxAge - 5);
  const path = r.path();
  serve(r, path, { 'Cache-Control': `max-age=${maxAge}`, Age: String(age) });
  const body = await first(r, path);
  const edge = (maxAge - age) * 1000;
  moveClock(edge - 1);
  await expectStored(r, path, body, `max-age=${maxAge} with Age: ${age}: its current age is ${age} s + ${seconds(edge - 1)} in the store, less than ${maxAge} s`);
  moveClock(1);
  await expectOrigin(r, path, `max-age=${maxAge} with Age: ${age}: its current age is ${age} s (the Age header) + ${seconds(edge)} in the store = ${maxAge} s, its lifetime: stale`);

  const old = r.path();
  serve(r, old, { 'Cache-Control': 'max-age=60', Age: '60' });
  await first(r, old);
  await expectOrigin(r, old, 'max-age=60 with Age: 60: it arrived 60 s old, already stale');

  const invalid = r.path();
  serve(r, invalid, { 'Cache-Control': 'max-age=10', Age: '7.5' });
  const invalidBody = await first(r, invalid);
  moveClock(9_999);
  await expectStored(r, invalid, invalidBody, 'max-age=10 with Age: 7.5: Age is delta-seconds, digits only, so 7.5 is invalid and counts as 0; the response is fresh for 10 s');
});

test("counts the response's Date (apparent age): a Date d s before it arrived makes it d s old; a Date in the future counts as 0; the larger of apparent age and Age wins", async () => {
  const r = await rig('apparent age');
  const maxAge = r.int(30, 600);
  const d = r.int(2, 20);
  const path = r.path();
  r.origin.route(path, () => ({ headers: { 'Cache-Control': `max-age=${maxAge}` }, date: Date.now() - d * 1000 }));
  const body = await first(r, path);
  moveClock((maxAge - d) * 1000 - 1);
  await expectStored(r, path, body, `max-age=${maxAge} with a Date ${d} s before it arrived: it arrived ${d} s old, and is fresh until ${maxAge - d} s after that`);
  moveClock(1);
  await expectOrigin(r, path, `max-age=${maxAge} with a Date ${d} s before it arrived: apparent age ${d} s + ${maxAge - d} s in the store = ${maxAge} s, its lifetime: stale`);

  const future = r.path();
  r.origin.route(future, () => ({ headers: { 'Cache-Control': 'max-age=20' }, date: Date.now() + 3_600_000 }));
  const futureBody = await first(r, future);
  moveClock(19_999);
  await expectStored(r, future, futureBody, 'max-age=20 with a Date an hour ahead: apparent age is max(0, response time − Date) = 0, so it is fresh for 20 s');

  // Dates have whole seconds: a response that arrives 0.4 s into a second is 0.4 s old.
  moveClock(1_000 - ((Date.now() - EPOCH) % 1000) + 400);
  const fractional = r.path();
  r.origin.route(fractional, () => ({ headers: { 'Cache-Control': 'max-age=10' }, date: Math.floor(Date.now() / 1000) * 1000 }));
  const fractionalBody = await first(r, fractional);
  moveClock(9_599);
  await expectStored(r, fractional, fractionalBody, 'max-age=10, arrived 0.4 s after its Date (Dates have whole seconds): it is 9.999 s old');
  moveClock(1);
  await expectOrigin(r, fractional, 'max-age=10, arrived 0.4 s after its Date: 0.4 s + 9.6 s in the store = 10 s, its lifetime: stale');

  for (const [ageHeader, dateAgo, fresh] of [[10, 4, 10], [2, 6, 6]] as const) {
    const p = r.path();
    r.origin.route(p, () => ({ headers: { 'Cache-Control': 'max-age=30', Age: String(ageHeader) }, date: Date.now() - dateAgo * 1000 }));
    const b = await first(r, p);
    const why = `max-age=30 with Age: ${ageHeader} and a Date ${dateAgo} s old: the corrected initial age is max(${dateAgo}, ${ageHeader}) = ${fresh} s`;
    moveClock((30 - fresh) * 1000 - 1);
    await expectStored(r, p, b, `${why}, so it is fresh for ${30 - fresh} s more`);
    moveClock(1);
    await expectOrigin(r, p, `${why}: stale ${30 - fresh} s after it arrived`);
  }
});

test('counts the time the origin took to answer (response_delay): a response that took D ms arrives D ms old', async () => {
  const r = await rig('response delay');
  const took = r.int(1_000, 9_000);
  const path = r.path();
  r.origin.route(path, () => ({ headers: { 'Cache-Control': 'max-age=30' }, takesMs: took }));
  const body = await first(r, path);
  const edge = 30_000 - took;
  moveClock(edge - 1);
  await expectStored(r, path, body, `max-age=30, and the origin took ${took} ms to answer (its Date is when it answered)`);
  moveClock(1);
  await expectOrigin(
    r,
    path,
    `max-age=30, and the origin took ${took} ms: its corrected initial age is Age (0) + response_delay (${took} ms, from when the request was sent to when the answer arrived), so ${seconds(edge)} after it arrived it is 30 s old: stale`,
  );
});

test('adds an Age header to every response served from its store: the current age in whole seconds, rounded down, once', async () => {
  const r = await rig('age added');
  const age = r.int(1, 100);
  const path = r.path();
  serve(r, path, { 'Cache-Control': 'max-age=3600', Age: String(age) });
  const body = await first(r, path);
  for (const [step, total] of [[10_999, 10_999], [1, 11_000], [500, 11_500]] as const) {
    moveClock(step);
    const reply = await expectStored(r, path, body, 'max-age=3600');
    const expected = String(age + Math.floor(total / 1000));
    const ages = reply.rawHeaders.filter((_, i) => i % 2 === 0 && reply.rawHeaders[i]!.toLowerCase() === 'age').length;
    check(reply.headers.age !== undefined, () => `GET ${path} ${r.at()}, served from the store, had no Age header; expected Age: ${expected} (Age: ${age} from the origin + ${seconds(total)} in the store, in whole seconds rounded down)`);
    check(ages === 1, () => `GET ${path} ${r.at()}, served from the store, had ${ages} Age headers; expected exactly one, Age: ${expected} (replace the origin's Age, do not add a second)`);
    check(reply.headers.age === expected, () => `GET ${path} ${r.at()}, served from the store, had Age: ${reply.headers.age}; expected Age: ${expected} (Age: ${age} from the origin + ${seconds(total)} in the store, in whole seconds rounded down)`);
  }
});

test('takes the freshness lifetime from s-maxage first, then max-age', async () => {
  const r = await rig('s-maxage');
  const shorter = r.path();
  serve(r, shorter, { 'Cache-Control': 'max-age=100, s-maxage=10' });
  await first(r, shorter);
  moveClock(10_000);
  await expectOrigin(r, shorter, 'max-age=100, s-maxage=10: a shared cache takes s-maxage, 10 s, so it is stale at 10 s');
  const longer = r.path();
  serve(r, longer, { 'Cache-Control': 's-maxage=100, max-age=10' });
  const body = await first(r, longer);
  moveClock(99_999);
  await expectStored(r, longer, body, 's-maxage=100, max-age=10: a shared cache takes s-maxage, 100 s');
});

test('uses Expires − Date only without s-maxage and max-age (Expires − response time without a Date); an invalid Expires is already expired', async () => {
  const r = await rig('expires');
  const lifetime = r.int(20, 600);
  const dateAgo = r.int(1, 10);
  const path = r.path();
  r.origin.route(path, () => ({ headers: { Expires: httpDate(Date.now() - dateAgo * 1000 + lifetime * 1000) }, date: Date.now() - dateAgo * 1000 }));
  const body = await first(r, path);
  const edge = (lifetime - dateAgo) * 1000;
  moveClock(edge - 1);
  await expectStored(r, path, body, `Expires ${lifetime} s after its Date, and its Date ${dateAgo} s before it arrived: lifetime ${lifetime} s, current age ${dateAgo} s + ${seconds(edge - 1)}`);
  moveClock(1);
  await expectOrigin(r, path, `Expires ${lifetime} s after its Date, and its Date ${dateAgo} s before it arrived: lifetime ${lifetime} s, current age ${dateAgo} s + ${seconds(edge)} = ${lifetime} s: stale`);

  const both = r.path();
  r.origin.route(both, () => ({ headers: { 'Cache-Control': 'max-age=10', Expires: httpDate(Date.now() + 3_600_000) } }));
  await first(r, both);
  moveClock(10_000);
  await expectOrigin(r, both, 'max-age=10 with Expires an hour ahead: max-age comes before Expires, so it is stale at 10 s');

  const noDate = r.path();
  r.origin.route(noDate, () => ({ headers: { Expires: httpDate(Date.now() + 30_000) }, date: null }));
  const noDateBody = await first(r, noDate);
  moveClock(29_999);
  await expectStored(r, noDate, noDateBody, 'Expires 30 s after it arrived and no Date header: its lifetime is Expires − the time it arrived, 30 s');

  for (const expires of ['0', 'never', httpDate(Date.now() - 1_000)]) {
    const p = r.path();
    serve(r, p, { Expires: expires });
    await first(r, p);
    await expectOrigin(r, p, `Expires: ${expires} is ${expires.includes('GMT') ? 'in the past' : 'not a valid date, which counts as already expired (RFC 9111 §5.3)'}: stale at once`);
  }
});

test('reads delta-seconds as RFC 9111 says: digits only, a quoted value accepted; any other value (1.5, -1, 60s, empty) makes the response stale at once; the first max-age wins', async () => {
  const r = await rig('delta seconds');
  const quoted = r.path();
  serve(r, quoted, { 'Cache-Control': 'max-age="60"' });
  const quotedBody = await first(r, quoted);
  moveClock(59_999);
  await expectStored(r, quoted, quotedBody, 'max-age="60": a quoted value is accepted, 60 s');
  for (const value of ['1.5', '10.9', '-1', '60s', '', ' ', '+60', '0x3c']) {
    const p = r.path();
    serve(r, p, { 'Cache-Control': `max-age=${value}` });
    await first(r, p);
    await expectOrigin(r, p, `max-age=${value} is not delta-seconds (one or more digits, nothing else), so the response is stale at once (RFC 9111 §4.2.1)`);
  }
  const twice = r.path();
  serve(r, twice, { 'Cache-Control': 'max-age=20, max-age=600' });
  await first(r, twice);
  moveClock(20_000);
  await expectOrigin(r, twice, 'max-age=20, max-age=600: the first occurrence wins, so it is stale at 20 s');
});

test('reads Cache-Control of every shape: any case, spaces, several header lines, unknown directives, commas inside quoted values', async () => {
  const r = await rig('shapes');
  const cases: Array<[string | string[], boolean]> = [
    ['MAX-AGE=60', true],
    ['  Public ,   max-age=60  ', true],
    [['public', 'max-age=60'], true],
    ['x-ext=1, foo, max-age=60, bar="baz"', true],
    ['community="no-store, private", max-age=60', true],
    [['max-age=60', 'No-Store'], false],
    ['max-age=60,PRIVATE', false],
  ];
  const entries: Array<[string, string, string | string[], boolean]> = [];
  for (const [value, stored] of cases) {
    const p = r.path();
    serve(r, p, { 'Cache-Control': value });
    entries.push([p, await first(r, p), value, stored]);
  }
  moveClock(59_999);
  for (const [p, body, value, stored] of entries) {
    const shown = Array.isArray(value) ? value.map((v) => `Cache-Control: ${v}`).join(' and ') : `Cache-Control: ${value}`;
    if (stored) await expectStored(r, p, body, `${shown} means max-age=60 (directive names are case-insensitive, lines combine, unknown directives are ignored, a quoted value is one value)`);
    else await expectOrigin(r, p, `${shown} forbids storing it`);
  }
});

test('never stores a no-store response', async () => {
  const r = await rig('no-store');
  for (const value of ['no-store, max-age=600', 'max-age=600, No-Store']) {
    const p = r.path();
    serve(r, p, { 'Cache-Control': value, ETag: '"v1"' });
    await first(r, p);
    moveClock(1_000);
    const { seen } = await expectOrigin(r, p, `Cache-Control: ${value}: never stored`);
    check(seen.headers['if-none-match'] === undefined, () => `GET ${p} ${r.at()} sent the origin If-None-Match: ${seen.headers['if-none-match']}; expected a plain request: a no-store response is never stored, so there is nothing to revalidate`);
  }
});

test('stores a no-cache response but revalidates it on every request, even while fresh, and serves the stored body on 304', async () => {
  const r = await rig('no-cache');
  const path = r.path();
  const etag = `"nc-${r.int(1, 9999)}"`;
  r.origin.route(path, (s) => (s.headers['if-none-match'] === etag ? { status: 304, headers: { ETag: etag, 'Cache-Control': 'No-Cache, max-age=600' } } : { headers: { ETag: etag, 'Cache-Control': 'No-Cache, max-age=600' } }));
  const body = await first(r, path);
  for (let i = 0; i < 2; i++) {
    moveClock(1_000);
    const { reply, seen } = await expectOrigin(r, path, 'Cache-Control: no-cache, max-age=600: no-cache means every use must be revalidated, fresh or not');
    check(
      seen.headers['if-none-match'] === etag,
      () => `GET ${path} ${r.at()} sent the origin ${describeSeen(seen)}; expected a conditional request with If-None-Match: ${etag}: a no-cache response is stored (unlike no-store) and revalidated with its ETag`,
    );
    check(reply.status === 200 && reply.text === body, () => `GET ${path} ${r.at()}, revalidated by a 304, answered ${describeReply(reply)}; expected 200 with the stored body ${JSON.stringify(body)} (the client never sees the 304)`);
  }
});

test('revalidates a stale entry with If-None-Match (its ETag) and If-Modified-Since (its Last-Modified), and serves the stored body on 304', async () => {
  const r = await rig('validators');
  const lastModified = httpDate(EPOCH - r.int(1, 99) * 86_400_000);
  const kinds: Array<[string, Record<string, string>]> = [
    ['an ETag', { ETag: `"r-${r.int(1, 9999)}"` }],
    ['a weak ETag', { ETag: `W/"w-${r.int(1, 9999)}"` }],
    ['a Last-Modified', { 'Last-Modified': lastModified }],
    ['an ETag and a Last-Modified', { ETag: `"b-${r.int(1, 9999)}"`, 'Last-Modified': lastModified }],
  ];
  for (const [kind, validators] of kinds) {
    const p = r.path();
    r.origin.route(p, (s) => (s.n > 1 ? { status: 304, headers: { 'Cache-Control': 'max-age=10' } } : { headers: { ...validators, 'Cache-Control': 'max-age=10' } }));
    const body = await first(r, p);
    moveClock(10_000);
    const { reply, seen } = await expectOrigin(r, p, `max-age=10: stale at 10 s, so revalidated`);
    const expected = { 'if-none-match': validators.ETag, 'if-modified-since': validators['Last-Modified'] };
    for (const [header, value] of Object.entries(expected)) {
      check(
        seen.headers[header] === value,
        () => `GET ${p} ${r.at()}, stale, with ${kind} stored, sent the origin ${describeSeen(seen)}; expected ${value === undefined ? `no ${header}` : `${header}: ${value}`} (If-None-Match carries the stored ETag as it is, If-Modified-Since the stored Last-Modified)`,
      );
    }
    check(reply.status === 200 && reply.text === body, () => `GET ${p} ${r.at()}, revalidated by a 304, answered ${describeReply(reply)}; expected 200 with the stored body ${JSON.stringify(body)} (the client never sees the 304)`);
  }
});

test("a 304 refreshes the entry: its headers replace the stored ones, and the entry's age starts again from the 304", async () => {
  const r = await rig('304 merge');
  const path = r.path();
  const newMaxAge = r.int(30, 600);
  r.origin.route(path, (s): Answer =>
    s.n === 1
      ? { headers: { ETag: '"e1"', 'Cache-Control': 'max-age=10', 'X-Revision': '1', 'Content-Type': 'text/plain' } }
      : { status: 304, headers: { ETag: '"e1"', 'Cache-Control': `max-age=${newMaxAge}`, 'X-Revision': String(s.n) } },
  );
  const body = await first(r, path);
  moveClock(10_000);
  const { reply } = await expectOrigin(r, path, 'max-age=10: stale at 10 s');
  check(reply.text === body, () => `GET ${path} ${r.at()}, revalidated by a 304, answered ${describeReply(reply)}; expected the stored body ${JSON.stringify(body)}`);
  check(reply.headers['x-revision'] === '2', () => `GET ${path} ${r.at()}, revalidated by a 304 carrying X-Revision: 2, answered with X-Revision: ${reply.headers['x-revision']}; expected 2: the 304's headers replace the stored ones`);
  check(reply.headers['content-type'] === 'text/plain', () => `GET ${path} ${r.at()}, revalidated by a 304, lost the stored Content-Type: text/plain (got ${reply.headers['content-type']}); expected stored headers the 304 does not carry to stay`);
  check(reply.headers.age === '0', () => `GET ${path} ${r.at()}, just revalidated by a 304 (no Age, Date now), had Age: ${reply.headers.age}; expected Age: 0: the entry's age starts again from the 304`);
  moveClock(newMaxAge * 1000 - 1);
  const hit = await expectStored(r, path, body, `the 304 said Cache-Control: max-age=${newMaxAge}, merged into the entry, and came ${seconds(newMaxAge * 1000 - 1)} ago`);
  check(hit.headers['x-revision'] === '2', () => `GET ${path} ${r.at()} from the store had X-Revision: ${hit.headers['x-revision']}; expected 2, from the 304 that refreshed it`);
  moveClock(1);
  await expectOrigin(r, path, `the 304 said max-age=${newMaxAge}, and came ${newMaxAge} s ago: stale`);
});

test('a 200 answer to a revalidation replaces the stored response', async () => {
  const r = await rig('200 on revalidation');
  const path = r.path();
  r.origin.route(path, (s) => ({ headers: { ETag: `"v${s.n}"`, 'Cache-Control': 'max-age=10' } }));
  await first(r, path);
  moveClock(10_000);
  const { reply, seen } = await expectOrigin(r, path, 'stale at 10 s');
  check(reply.text === defaultBody(seen), () => `GET ${path} ${r.at()}, to which the origin answered 200 with a new body, answered ${describeReply(reply)}; expected the new body ${JSON.stringify(defaultBody(seen))}`);
  moveClock(5_000);
  await expectStored(r, path, reply.text, 'the 200 that answered the revalidation replaced the entry, with max-age=10');
  moveClock(5_000);
  const { seen: again } = await expectOrigin(r, path, 'the new entry is stale 10 s after it arrived');
  check(again.headers['if-none-match'] === '"v2"', () => `GET ${path} ${r.at()} sent the origin ${describeSeen(again)}; expected If-None-Match: "v2", the ETag of the response that replaced the entry`);
});

test('never stores a private response, nor one that sets a cookie (this cache’s policy), and passes both on', async () => {
  const r = await rig('private');
  const cases: Array<[string, Record<string, string>]> = [
    ['private', { 'Cache-Control': 'private, max-age=600' }],
    ['Private with field names', { 'Cache-Control': 'max-age=600, Private="X-User"' }],
    ['Set-Cookie', { 'Cache-Control': 'public, max-age=600', 'Set-Cookie': `session=${r.int(1, 1e6)}; HttpOnly` }],
  ];
  for (const [kind, headers] of cases) {
    const p = r.path();
    serve(r, p, headers);
    const { reply } = await expectOrigin(r, p, 'nothing is stored yet');
    if (headers['Set-Cookie']) {
      const cookies = reply.headers['set-cookie'] ?? [];
      check(cookies.includes(headers['Set-Cookie']), () => `GET ${p} answered with Set-Cookie ${JSON.stringify(cookies)}; expected the origin's Set-Cookie: ${headers['Set-Cookie']} passed on`);
    }
    moveClock(1_000);
    const { reply: second, seen } = await expectOrigin(r, p, `a shared cache never stores a response with ${kind}: the next request must reach the origin`);
    check(second.text === defaultBody(seen), () => `GET ${p} ${r.at()} answered ${describeReply(second)}; expected the origin's new answer ${JSON.stringify(defaultBody(seen))}`);
  }
});

test('stores the response to a request with Authorization only when it says public or s-maxage', async () => {
  const r = await rig('authorization');
  const auth = { Authorization: `Bearer tok-${r.int(1, 1e9).toString(36)}` };
  const plain = r.path();
  serve(r, plain, { 'Cache-Control': 'max-age=600' });
  await first(r, plain, 'nothing is stored yet', auth);
  moveClock(1_000);
  await expectOrigin(r, plain, 'the first request carried Authorization and its response only says max-age=600: a shared cache must not store it', auth);
  await expectOrigin(r, plain, 'the response to a request with Authorization was not storable, so nothing is stored for anyone');
  for (const value of ['public, max-age=600', 's-maxage=600']) {
    const p = r.path();
    serve(r, p, { 'Cache-Control': value });
    const body = await first(r, p, 'nothing is stored yet', auth);
    moveClock(1_000);
    await expectStored(r, p, body, `the response to a request with Authorization says ${value}: a shared cache may store it (RFC 9111 §3.5)`);
  }
});

test('keeps one stored response per value of the request headers Vary names; Vary: * is never served from the store', async () => {
  const r = await rig('vary');
  const path = r.path();
  r.origin.route(path, (s) => ({ headers: { 'Cache-Control': 'max-age=600', Vary: 'accept-encoding, ACCEPT-LANGUAGE' }, body: `${s.headers['accept-language'] ?? '-'}/${s.headers['accept-encoding'] ?? '-'} v${s.n}` }));
  const variants = [{ 'Accept-Language': 'en', 'Accept-Encoding': 'gzip' }, { 'Accept-Language': 'fr', 'Accept-Encoding': 'gzip' }, { 'Accept-Language': 'en', 'Accept-Encoding': 'br' }];
  const bodies: string[] = [];
  for (const v of variants) {
    const { reply, seen } = await expectOrigin(r, path, `the response varies on Accept-Encoding and Accept-Language, and nothing is stored for ${JSON.stringify(v)} yet`, v);
    check(reply.text === bodyOf(seen, { body: `${v['Accept-Language']}/${v['Accept-Encoding']} v${seen.n}` }), () => `${describe('GET', path, v, r)} answered ${describeReply(reply)}; expected the origin's answer for that request`);
    bodies.push(reply.text);
  }
  moveClock(1_000);
  for (const [i, v] of variants.entries()) {
    await expectStored(r, path, bodies[i]!, `Vary: accept-encoding, ACCEPT-LANGUAGE: the entry stored for ${JSON.stringify(v)} (header names in Vary are case-insensitive)`, v);
  }
  await expectOrigin(r, path, 'no stored response was for a request without Accept-Language and Accept-Encoding');

  const star = r.path();
  serve(r, star, { 'Cache-Control': 'max-age=600', Vary: '*' });
  await first(r, star);
  await expectOrigin(r, star, 'Vary: * never matches a request: the response is never served from the store');
});

test('stores only 200 responses to GET: other statuses, HEAD and POST always reach the origin', async () => {
  const r = await rig('statuses');
  for (const status of [404, 301, 203, 500]) {
    const p = r.path();
    serve(r, p, { 'Cache-Control': 'max-age=600', Location: '/elsewhere' }, { status });
    await expectOrigin(r, p, 'nothing is stored yet');
    moveClock(1_000);
    const { reply } = await expectOrigin(r, p, `this cache stores only 200 responses, and the origin answered ${status}`);
    check(reply.status === status, () => `GET ${p} ${r.at()} answered ${describeReply(reply)}; expected the origin's ${status}`);
  }
  for (const method of ['HEAD', 'POST']) {
    const p = r.path();
    serve(r, p, { 'Cache-Control': 'max-age=600' });
    await expectOrigin(r, p, 'nothing is stored yet', {}, method);
    await expectOrigin(r, p, `only responses to GET are stored; this was a ${method}`, {}, method);
    await expectOrigin(r, p, `only responses to GET are stored; the ${method} before it left nothing in the store`);
  }
});

test('stale-while-revalidate=N: a stale entry is served at once and refreshed in the background, by exactly one request to the origin', async () => {
  const r = await rig('swr');
  const path = r.path();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  r.origin.route(path, (s) => ({ headers: { ETag: `"v${s.n}"`, 'Cache-Control': 'max-age=10, stale-while-revalidate=30' }, ...(s.n === 2 ? { hold: held } : {}) }));
  const body = await first(r, path);
  moveClock(10_000);
  const why = 'max-age=10, stale-while-revalidate=30: at 10 s it is stale but within the window, so it is served at once while one background request refreshes it';
  const stale = await within(get(r, path), requestTimeoutMs(), 'late' as const);
  if (stale === 'late') fail(`GET ${path} ${r.at()} did not answer while the origin held the refresh; expected the stale entry at once (${why}), not a wait for the refresh`);
  check(stale.text === body, () => `GET ${path} ${r.at()} answered ${describeReply(stale)}; expected the stale body ${JSON.stringify(body)} at once (${why})`);
  check(stale.headers.age === '10', () => `GET ${path} ${r.at()}, served stale, had Age: ${stale.headers.age}; expected Age: 10, its current age`);
  const refreshing = await within(r.origin.received(2), requestTimeoutMs(), 'late' as const);
  if (refreshing === 'late') fail(`GET ${path} ${r.at()} served the stale entry but never asked the origin to refresh it; expected one background request (${why})`);
  check(r.origin.seen[1]!.headers['if-none-match'] === '"v1"', () => `the background refresh was ${describeSeen(r.origin.seen[1]!)}; expected a conditional request with If-None-Match: "v1"`);
  // More stale requests while the refresh runs (the clock stands still: the refresh's age stays 0).
  for (let i = 0; i < 3; i++) {
    const again = await get(r, path);
    check(
      again.text === body,
      () => `GET ${path} ${r.at()}, while the refresh was running, answered ${describeReply(again)} (the origin had received ${r.origin.count(path)} requests for it); expected the stale body ${JSON.stringify(body)}: exactly one background refresh runs at a time, and the origin still holds it`,
    );
  }
  const extra = await within(r.origin.received(3), QUIET_MS, 'quiet' as const);
  check(extra === 'quiet', () => `while one background refresh of ${path} was running, stale requests sent the origin another: ${describeSeen(r.origin.seen[2]!)}; expected exactly one background refresh at a time`);
  release();
  // The refresh answers 200 "v2": poll until the proxy has stored it (each poll is served stale meanwhile).
  let fresh: Reply | undefined;
  for (let i = 0; i < 100 && fresh?.text !== defaultBody({ url: path, n: 2 }); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    fresh = await get(r, path);
  }
  check(fresh?.text === defaultBody({ url: path, n: 2 }), () => `after the background refresh answered 200 with ${JSON.stringify(defaultBody({ url: path, n: 2 }))}, GET ${path} still answered ${fresh ? describeReply(fresh) : 'nothing'}; expected the refreshed response stored`);
  check(r.origin.count(path) === 2, () => `the origin received ${r.origin.count(path)} requests for ${path}; expected 2: the first, and one background refresh`);

  const edge = r.path();
  r.origin.route(edge, () => ({ headers: { 'Cache-Control': 'max-age=10, stale-while-revalidate=30' } }));
  await first(r, edge);
  moveClock(40_000);
  const { reply } = await expectOrigin(r, edge, 'max-age=10, stale-while-revalidate=30: at 40 s it is past the window (stale served only while current age < lifetime + 30 s), so the request waits for the origin');
  check(reply.text === defaultBody({ url: edge, n: 2 }), () => `GET ${edge} ${r.at()} answered ${describeReply(reply)}; expected the origin's new answer: past the stale-while-revalidate window, nothing stale may be served`);
  const inWindow = r.path();
  r.origin.route(inWindow, () => ({ headers: { 'Cache-Control': 'max-age=10, stale-while-revalidate=30' } }));
  const inWindowBody = await first(r, inWindow);
  moveClock(39_999);
  const late = await get(r, inWindow);
  check(late.text === inWindowBody, () => `GET ${inWindow} ${r.at()} answered ${describeReply(late)}; expected the stale body ${JSON.stringify(inWindowBody)}: 39.999 s is within max-age=10 + stale-while-revalidate=30`);
});

test('coalesces concurrent requests for one URL into one request to the origin: misses and revalidations', async () => {
  const r = await rig('coalescing');
  const clients = r.int(4, 7);
  for (const kind of ['miss', 'revalidation'] as const) {
    const path = r.path();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    r.origin.route(path, (s) => ({ headers: { 'Cache-Control': 'max-age=10', ETag: '"c1"' }, ...(s.n === (kind === 'miss' ? 1 : 2) ? { hold: held } : {}), ...(s.n > 1 ? { status: 304 } : {}) }));
    let body = defaultBody({ url: path, n: 1 });
    if (kind === 'revalidation') {
      body = await first(r, path);
      moveClock(10_000);
    }
    const base = r.origin.count();
    const arrivedBefore = r.arrived();
    const replies = Array.from({ length: clients }, () => send(r.port, { path }));
    const why = kind === 'miss' ? 'concurrent misses of one URL share one origin request' : 'concurrent requests for one stale entry share one revalidation';
    const reached = await within(r.origin.received(base + 1), requestTimeoutMs(), 'late' as const);
    if (reached === 'late') fail(`${clients} concurrent GET ${path} sent the origin nothing within ${requestTimeoutMs() / 1000} s; expected one request (${why})`);
    for (let i = 0; i < 200 && r.arrived() < arrivedBefore + clients; i++) await new Promise((resolve) => setTimeout(resolve, 2));
    const extra = await within(r.origin.received(base + 2), QUIET_MS, 'quiet' as const);
    check(
      extra === 'quiet',
      () => `${clients} concurrent GET ${path} ${r.at()}${kind === 'miss' ? '' : ' (stale)'}, while the origin was still answering the first, sent it ${r.origin.count() - base} requests; expected one: ${why} (a thundering herd otherwise)`,
    );
    release();
    for (const [i, outcome] of (await Promise.all(replies)).entries()) {
      const reply = expectReply(outcome, `concurrent request ${i + 1} of ${clients} for ${path}`);
      check(reply.status === 200 && reply.text === body, () => `concurrent request ${i + 1} of ${clients} for ${path} answered ${describeReply(reply)}; expected 200 ${JSON.stringify(body)}, the answer to the one shared origin request`);
    }
    check(r.origin.count() === base + 1, () => `${clients} concurrent GET ${path} sent the origin ${r.origin.count() - base} requests; expected one (${why})`);
  }
});

test('a request that waited for another one’s origin request, whose answer may not be stored, asks the origin itself', async () => {
  const r = await rig('coalesced private');
  const path = r.path();
  const clients = r.int(3, 5);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  r.origin.route(path, (s) => ({ headers: { 'Cache-Control': 'private, max-age=600' }, body: `account of caller ${s.n}`, ...(s.n === 1 ? { hold: held } : {}) }));
  const replies = Array.from({ length: clients }, () => send(r.port, { path }));
  await within(r.origin.received(1), requestTimeoutMs(), 'late' as const);
  await within(r.origin.received(clients), QUIET_MS, 'quiet' as const);
  release();
  const bodies = (await Promise.all(replies)).map((o, i) => expectReply(o, `concurrent request ${i + 1} of ${clients} for ${path}`).text);
  const shared = bodies.filter((b, i) => bodies.indexOf(b) !== i);
  check(
    shared.length === 0,
    () => `${clients} concurrent GET ${path} got the bodies ${JSON.stringify(bodies)}; expected each its own: the first answer said private, so a request that waited for it must not be served it, and asks the origin itself`,
  );
  check(r.origin.count() === clients, () => `${clients} concurrent GET ${path}, answered private, sent the origin ${r.origin.count()} requests; expected ${clients}, one per request`);
});

test('answers 502 when the origin cannot be reached', async () => {
  const port = await deadPort();
  const base = `http://127.0.0.1:${port}`;
  const { port: proxy } = await startServer(`createCachingProxy({ origin: '${base}' })`, () => createCachingProxy({ origin: base }));
  for (const method of ['GET', 'POST']) {
    const reply = expectReply(await send(proxy, { method, path: '/down', body: method === 'POST' ? '{}' : undefined }), `${method} /down with the origin down`);
    check(reply.status === 502, () => `${method} /down, with nothing listening at the origin, answered ${describeReply(reply)}; expected 502 Bad Gateway`);
  }
});

test('gives each proxy its own store', async () => {
  const r = await rig('own store');
  const path = r.path();
  serve(r, path, { 'Cache-Control': 'max-age=600' });
  await first(r, path);
  const base = `http://127.0.0.1:${r.origin.port}`;
  const { port } = await startServer(`a second createCachingProxy({ origin: '${base}' })`, () => createCachingProxy({ origin: base }));
  const before = r.origin.count();
  const reply = expectReply(await send(port, { path }), `GET ${path} to a second proxy`);
  check(r.origin.count() === before + 1, () => `GET ${path} to a second proxy, from another createCachingProxy() call, answered ${describeReply(reply)} without asking the origin; expected a miss: each proxy has its own store (create it inside createCachingProxy)`);
});

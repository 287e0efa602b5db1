// The hidden suite of api-gateway: real services on 127.0.0.1 behind the learner's gateway, real
// requests to it. Real time, kept short: a check that needs a deadline to pass uses one of tens or
// hundreds of ms, and every bound it checks is either exact (a lower bound: no answer before the
// deadline) or generous (an upper bound far above what a correct gateway needs on a busy machine).
import { isDeepStrictEqual } from 'node:util';
import http from 'node:http';
import { afterEach, test } from 'vitest';
import { check, fail, describeThrown, show, streamFor, closeServers, deadPort, describeTimeout, send, startServer, within, type Outcome, type Reply } from 'learn-ds/harness';
import type { Backend } from 'learn-ds/subject/api-gateway';
import { createGateway } from 'learn-ds/subject/api-gateway';
import { answer, describeBehaviour, Service, type Behaviour, type Call } from './services.ts';

afterEach(closeServers);

// ---------------------------------------------------------------------------------------------
// Setting up a gateway in front of services.
// ---------------------------------------------------------------------------------------------

interface Spec {
  service: Service;
  required?: boolean;
  path?: string;
  timeoutMs?: number;
  maxConcurrent?: number;
}

const PATHS: Record<string, string> = {
  order: '/orders/{id}',
  customer: '/customers/by-order/{id}',
  reviews: '/v2/reviews/{id}/all',
  shipping: '/shipments/{id}',
};

function backendOf(s: Spec): Backend {
  return {
    name: s.service.name,
    baseUrl: s.service.baseUrl,
    path: s.path ?? PATHS[s.service.name] ?? `/${s.service.name}/{id}`,
    required: s.required ?? false,
    timeoutMs: s.timeoutMs ?? 1_500,
    maxConcurrent: s.maxConcurrent ?? 100,
  };
}

async function gateway(specs: Spec[], requestTimeoutMs = 1_800): Promise<{ port: number; backends: Backend[] }> {
  const backends = specs.map(backendOf);
  const { port } = await startServer('createGateway(…)', () => createGateway({ backends, requestTimeoutMs }));
  return { port, backends };
}

async function services(...names: string[]): Promise<Service[]> {
  return Promise.all(names.map((n) => new Service(n).start()));
}

function summaryPath(id: string): string {
  return `/orders/${encodeURIComponent(id)}/summary`;
}

function get(port: number, path: string): Promise<Outcome> {
  return send(port, { path });
}

function describeBody(r: Reply): string {
  if (r.json !== undefined) return show(r.json);
  return r.text === '' ? 'an empty body' : `the non-JSON body ${JSON.stringify(r.text.slice(0, 80))}`;
}

function describeSetup(backends: Backend[]): string {
  return backends.map((b) => `${b.name} (${b.required ? 'required' : 'optional'}, timeoutMs ${b.timeoutMs}, maxConcurrent ${b.maxConcurrent})`).join(', ');
}

/** Fails unless the outcome is a reply with status `expected`. */
function expectStatus(outcome: Outcome, expected: number, what: string, why: string): Reply {
  if (outcome.kind === 'timeout') fail(`${what} got no answer within ${describeTimeout(outcome.afterMs)}; expected ${expected} ${why} (does a call without a deadline hang the request?)`);
  if (outcome.kind === 'error') fail(`${what} got no response (${describeThrown(outcome.error)}); expected ${expected} ${why}`);
  const r = outcome.reply;
  check(r.status === expected, () => `${what} answered ${r.status} with ${describeBody(r)}; expected ${expected} ${why}`);
  return r;
}

/** The body of a 200: { id, data, partial }. */
function expectSummary(r: Reply, what: string, id: string, data: Record<string, unknown>, partial: string[]): void {
  const expected = { id, data, partial };
  check(isDeepStrictEqual(r.json, expected), () => `${what} answered 200 with ${describeBody(r)}; expected ${show(expected)}`);
}

/** An error's body: { error: string, service?: string }. */
function expectError(r: Reply, what: string, service?: string): void {
  const body = r.json as Record<string, unknown> | undefined;
  check(typeof body === 'object' && body !== null && typeof body.error === 'string', () => `${what} answered ${r.status} with ${describeBody(r)}; expected a JSON body with an "error" string`);
  if (service !== undefined) {
    check(body!.service === service, () => `${what} answered ${r.status} with ${describeBody(r)}; expected its "service" field to be ${show(service)}, the required service that failed`);
  }
}

/** Waits (real time, at most `ms`) until `call` is closed by the gateway. */
async function expectAborted(call: Call | undefined, service: string, when: string, ms = 1_000): Promise<void> {
  // On a very busy machine a short deadline may pass before the call even arrives: nothing to abort.
  if (call === undefined) return;
  const closed = await within(call.closed, ms, 'open' as const);
  check(closed === 'closed' || call.answered, () => `the call to ${service} (${call.url}) was still open ${ms} ms after ${when}; expected the gateway to abort it (close its connection) at once`);
}

// ---------------------------------------------------------------------------------------------
// Order ids of every shape, from the suite's seed.
// ---------------------------------------------------------------------------------------------

function idsFor(label: string): string[] {
  const rnd = streamFor(label);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const hex = (n: number) => Array.from({ length: n }, () => int(0, 15).toString(16)).join('');
  return [
    String(int(1, 999_999)),
    `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`,
    `OrD-${hex(3).toUpperCase()}x${int(0, 9)}`,
    `café-№${int(1, 99)}`,
    `注文-${int(100, 999)}`,
    `a b/c?d#${int(0, 9)}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// The checks.
// ---------------------------------------------------------------------------------------------

test('answers 200 with { id, data, partial: [] }, each service called at its path with the id', async () => {
  const svc = await services('order', 'customer', 'reviews');
  const { port } = await gateway([{ service: svc[0]!, required: true }, { service: svc[1]!, required: true }, { service: svc[2]! }]);
  for (const id of idsFor('compose')) {
    const bodies = { order: { id, total: id.length * 7 }, customer: { name: 'Ada', tags: ['vip', null] }, reviews: [{ stars: 5 }] };
    svc[0]!.onCall = (c) => answer(c, { kind: 'json', body: bodies.order });
    svc[1]!.onCall = (c) => answer(c, { kind: 'json', body: bodies.customer });
    svc[2]!.onCall = (c) => answer(c, { kind: 'json', body: bodies.reviews });
    const what = `GET ${summaryPath(id)}`;
    const r = expectStatus(await get(port, summaryPath(id)), 200, what, 'when every service answered');
    check(String(r.headers['content-type']).startsWith('application/json'), () => `${what} answered with Content-Type ${show(r.headers['content-type'])}; expected application/json`);
    const gotId = (r.json as { id?: unknown } | undefined)?.id;
    check(gotId === id, () => `${what} answered 200 with "id": ${show(gotId)}; expected ${show(id)}, the id decoded from the path (decodeURIComponent)`);
    expectSummary(r, what, id, bodies, []);
    for (const s of svc) {
      const call = s.calls.at(-1);
      const template = PATHS[s.name]!;
      const [prefix, suffix] = template.split('{id}') as [string, string];
      const url = call?.url ?? '';
      const segment = url.startsWith(prefix) && url.endsWith(suffix) ? url.slice(prefix.length, url.length - suffix.length) : undefined;
      let decoded: string | undefined;
      try {
        decoded = segment === undefined || /[/?#]/.test(segment) ? undefined : decodeURIComponent(segment);
      } catch {
        decoded = undefined;
      }
      check(call !== undefined && call.method === 'GET' && decoded === id, () =>
        call === undefined
          ? `${what}: the ${s.name} service received no call; expected GET ${template.replace('{id}', encodeURIComponent(id))}`
          : `${what}: the ${s.name} service received ${call.method} ${call.url}; expected GET ${template.replace('{id}', encodeURIComponent(id))} (the id decoded from the client's path, then percent-encoded with encodeURIComponent into the service's path)`,
      );
    }
  }
});

test('decodes the id however it was percent-encoded, ignores the query, and gives a JSON null body as it came', async () => {
  const [order] = await services('order');
  order!.onCall = (c) => answer(c, { kind: 'json', body: null });
  const { port } = await gateway([{ service: order!, required: true }]);
  for (const [path, id] of [
    ['/orders/caf%c3%a9-%e2%84%96/summary', 'café-№'],
    ['/orders/Ab%2fC/summary?expand=all', 'Ab/C'],
    ['/orders/%41%42c/summary', 'ABc'],
  ] as const) {
    const r = expectStatus(await get(port, path), 200, `GET ${path}`, 'when the service answered');
    expectSummary(r, `GET ${path}`, id, { order: null }, []);
  }
});

test('answers 404 to anything but GET /orders/{id}/summary, and 400 to an id that is not valid percent-encoding', async () => {
  const [order] = await services('order');
  const { port } = await gateway([{ service: order!, required: true }]);
  for (const [method, path] of [['POST', '/orders/42/summary'], ['GET', '/orders/42'], ['GET', '/orders//summary'], ['GET', '/orders/4/2/summary'], ['GET', '/'], ['DELETE', '/orders/42/summary']] as const) {
    const r = expectStatus(await send(port, { method, path }), 404, `${method} ${path}`, 'for a route the gateway does not serve');
    expectError(r, `${method} ${path}`);
  }
  for (const path of ['/orders/%E0%A4%A/summary', '/orders/%zz/summary']) {
    const r = expectStatus(await get(port, path), 400, `GET ${path}`, 'for an id that is not valid percent-encoding');
    expectError(r, `GET ${path}`);
  }
  check(order!.calls.length === 0, () => `the order service received ${order!.calls.length} call(s) (${order!.calls.map((c) => c.url).join(', ')}); expected none for requests answered 404 or 400`);
});

test('calls every service at once, not one after another', async () => {
  const svc = await services('order', 'customer', 'reviews', 'shipping');
  // Each service holds its answer until all four calls have arrived (or 1 s has passed).
  const all = Promise.all(svc.map((s) => s.arrived(1)));
  for (const s of svc) s.onCall = (c) => void within(all, 1_000, null).then(() => answer(c, { kind: 'json', body: { from: s.name } }));
  const { port } = await gateway(svc.map((s, i) => ({ service: s, required: i < 2 })));
  const outcome = await get(port, summaryPath('77'));
  const arrivals = svc.map((s) => s.calls[0]?.at);
  const firstAnswer = Math.min(...svc.map((s) => s.calls[0]?.at ?? Infinity)) + 1_000;
  const late = svc.filter((s) => s.calls[0] === undefined || s.calls[0].at >= firstAnswer - 1);
  check(late.length === 0, () => `the calls arrived at ${arrivals.map((t, i) => `${svc[i]!.name} ${t === undefined ? 'never' : `+${Math.round(t - arrivals[0]!)} ms`}`).join(', ')}; expected all four to be sent at once (each service held its answer until the others had been called; a gateway that waits for one answer before the next call never gets there)`);
  const r = expectStatus(outcome, 200, `GET ${summaryPath('77')}`, 'when every service answered');
  expectSummary(r, `GET ${summaryPath('77')}`, '77', Object.fromEntries(svc.map((s) => [s.name, { from: s.name }])), []);
});

test('counts any 2xx with a JSON body as an answer, and any other status as a failure', async () => {
  const [order, reviews] = await services('order', 'reviews');
  const { port } = await gateway([{ service: order!, required: true }, { service: reviews! }]);
  for (const status of [200, 201, 203, 299]) {
    reviews!.onCall = (c) => answer(c, { kind: 'json', status, body: { status } });
    const r = expectStatus(await get(port, summaryPath('9')), 200, `GET ${summaryPath('9')} with reviews answering ${status}`, 'when every service answered 2xx');
    expectSummary(r, `GET ${summaryPath('9')} with reviews answering ${status}`, '9', { order: { service: 'order' }, reviews: { status } }, []);
  }
  for (const status of [300, 400, 404, 429, 500, 503]) {
    reviews!.onCall = (c) => answer(c, { kind: 'json', status, body: { status } });
    const r = expectStatus(await get(port, summaryPath('9')), 200, `GET ${summaryPath('9')} with reviews answering ${status}`, 'with reviews, optional, marked partial');
    expectSummary(r, `GET ${summaryPath('9')} with reviews (optional) answering ${status} with a JSON body`, '9', { order: { service: 'order' }, reviews: null }, ['reviews']);
  }
});

/** Every way a service can fail but hanging, with a port nothing listens on for "refused". */
const FAILURES: Array<{ label: string; behaviour?: Behaviour }> = [
  { label: '500', behaviour: { kind: 'json', status: 500, body: { error: 'boom' } } },
  { label: '503', behaviour: { kind: 'text', status: 503, text: 'unavailable' } },
  { label: 'invalid JSON', behaviour: { kind: 'text', status: 200, text: '{"id": 4' } },
  { label: 'an empty body', behaviour: { kind: 'text', status: 200, text: '' } },
  { label: 'a reset mid-body', behaviour: { kind: 'reset' } },
  { label: 'connection refused' },
];

test('marks a failed optional service partial: data null, its name in partial, in the order of backends', async () => {
  for (const failure of FAILURES) {
    const [order, reviews, shipping] = await services('order', 'reviews', 'shipping');
    const refused = await deadPort();
    // reviews fails after shipping: partial follows options.backends, not the order of failures.
    // shipping never answers and the gateway gives up on it at its deadline (25 ms); reviews fails
    // only once the service has seen that call closed, so after the gateway learnt that shipping
    // failed, however slow the machine (a clock gap between the two would not be sure of it).
    shipping!.onCall = () => {};
    const shippingGivenUp = shipping!.arrived(1).then(() => shipping!.calls[0]!.closed);
    if (failure.behaviour) reviews!.onCall = (c) => void within(shippingGivenUp, 500, null).then(() => answer(c, failure.behaviour!));
    const specs: Spec[] = [{ service: order!, required: true }, { service: reviews! }, { service: shipping!, timeoutMs: 25 }];
    const backends = specs.map(backendOf);
    if (!failure.behaviour) backends[1]!.baseUrl = `http://127.0.0.1:${refused}`;
    const { port } = await startServer('createGateway(…)', () => createGateway({ backends, requestTimeoutMs: 1_800 }));
    const what = `GET ${summaryPath('5')} with reviews (optional) failing with ${failure.label} after shipping (optional, timeoutMs 25) never answered`;
    const r = expectStatus(await get(port, summaryPath('5')), 200, what, 'with the optional services marked partial');
    expectSummary(r, what, '5', { order: { service: 'order' }, reviews: null, shipping: null }, ['reviews', 'shipping']);
    await closeServers();
  }
});

test('answers 502 with { error, service } when a required service fails, whatever the failure', async () => {
  for (const failure of [...FAILURES, { label: '404', behaviour: { kind: 'json', status: 404, body: { error: 'no such order' } } as Behaviour }]) {
    const [order, customer, reviews] = await services('order', 'customer', 'reviews');
    if (failure.behaviour) customer!.onCall = (c) => answer(c, failure.behaviour!);
    const backends = [{ service: order!, required: true }, { service: customer!, required: true }, { service: reviews! }].map(backendOf);
    if (!failure.behaviour) backends[1]!.baseUrl = `http://127.0.0.1:${await deadPort()}`;
    const { port } = await startServer('createGateway(…)', () => createGateway({ backends, requestTimeoutMs: 1_800 }));
    const what = `GET ${summaryPath('8')} with customer (required) failing with ${failure.label}`;
    const r = expectStatus(await get(port, summaryPath('8')), 502, what, 'when a required service failed before its deadline (504 is for a deadline that passed; 200 with partial only for optional services)');
    expectError(r, what, 'customer');
    await closeServers();
  }
});

test('answers 504 at the per-call deadline of a required service that does not answer, and aborts that call', async () => {
  const [order, customer] = await services('order', 'customer');
  customer!.onCall = () => {};
  const timeoutMs = 50;
  const { port, backends } = await gateway([{ service: order!, required: true }, { service: customer!, required: true, timeoutMs }], 1_800);
  const t0 = performance.now();
  const outcome = await get(port, summaryPath('31'));
  const took = performance.now() - t0;
  const what = `GET ${summaryPath('31')} with customer (required, timeoutMs ${timeoutMs}) never answering`;
  const r = expectStatus(outcome, 504, what, 'once the per-call deadline of the required service passed');
  expectError(r, what, 'customer');
  check(took >= timeoutMs - 2, () => `${what} answered 504 after ${Math.round(took)} ms; expected no answer before the call's deadline, ${timeoutMs} ms after it was sent`);
  check(took < 1_500, () => `${what} answered after ${Math.round(took)} ms; expected 504 at the call's deadline (${timeoutMs} ms), not at the overall deadline (1800 ms). Setup: ${describeSetup(backends)}`);
  await expectAborted(customer!.calls[0], 'customer', 'the gateway answered 504');
});

test('answers at once when a required service fails, aborting the calls still in flight', async () => {
  const [order, customer, reviews] = await services('order', 'customer', 'reviews');
  reviews!.onCall = () => {};
  customer!.onCall = () => {};
  order!.onCall = (c) => void within(Promise.all([reviews!.arrived(1), customer!.arrived(1)]), 600, null).then(() => answer(c, { kind: 'json', status: 503, body: {} }));
  const { port } = await gateway([{ service: order!, required: true }, { service: customer!, required: true, timeoutMs: 1_500 }, { service: reviews!, timeoutMs: 1_500 }], 1_800);
  const t0 = performance.now();
  const outcome = await get(port, summaryPath('12'));
  const took = performance.now() - t0;
  const what = `GET ${summaryPath('12')} with order (required) answering 503 while customer (required) and reviews (optional) had not answered`;
  const r = expectStatus(outcome, 502, what, 'as soon as order failed');
  expectError(r, what, 'order');
  check(took < 1_200, () => `${what} answered after ${Math.round(took)} ms; expected an answer as soon as order failed, without waiting for the other calls' deadlines (1500 ms)`);
  for (const [s, name] of [[customer!, 'customer'], [reviews!, 'reviews']] as const) {
    check(s.calls.length <= 1, () => `${name} received ${s.calls.length} calls for one client request; expected 1`);
    await expectAborted(s.calls[0], name, 'the gateway answered 502');
  }
});

test('marks an optional service that does not answer partial at its per-call deadline, and aborts its call', async () => {
  const [order, reviews] = await services('order', 'reviews');
  reviews!.onCall = () => {};
  const timeoutMs = 50;
  const { port } = await gateway([{ service: order!, required: true }, { service: reviews!, timeoutMs }], 1_800);
  const t0 = performance.now();
  const outcome = await get(port, summaryPath('alpha'));
  const took = performance.now() - t0;
  const what = `GET ${summaryPath('alpha')} with reviews (optional, timeoutMs ${timeoutMs}) never answering`;
  const r = expectStatus(outcome, 200, what, 'with reviews marked partial once its deadline passed');
  expectSummary(r, what, 'alpha', { order: { service: 'order' }, reviews: null }, ['reviews']);
  check(took >= timeoutMs - 2, () => `${what} answered after ${Math.round(took)} ms; expected it to wait for reviews until its deadline, ${timeoutMs} ms`);
  check(took < 1_500, () => `${what} answered after ${Math.round(took)} ms; expected an answer at the reviews call's deadline (${timeoutMs} ms), not at the overall deadline (1800 ms)`);
  await expectAborted(reviews!.calls[0], 'reviews', 'its deadline passed');
});

test('answers at the overall deadline: 504 for a required service still out, partial for an optional one', async () => {
  for (const required of [true, false]) {
    // shipping alone: no other call has to make it within so short a deadline on a busy machine.
    const [shipping] = await services('shipping');
    shipping!.onCall = () => {};
    const requestTimeoutMs = 60;
    const { port } = await gateway([{ service: shipping!, required, timeoutMs: 1_500 }], requestTimeoutMs);
    const t0 = performance.now();
    const outcome = await get(port, summaryPath('zz'));
    const took = performance.now() - t0;
    const what = `GET ${summaryPath('zz')} with shipping (${required ? 'required' : 'optional'}, timeoutMs 1500) never answering and requestTimeoutMs ${requestTimeoutMs}`;
    const r = expectStatus(outcome, required ? 504 : 200, what, required ? 'once the overall deadline passed' : 'with shipping marked partial once the overall deadline passed');
    if (required) expectError(r, what, 'shipping');
    else expectSummary(r, what, 'zz', { shipping: null }, ['shipping']);
    check(took >= requestTimeoutMs - 2, () => `${what} answered after ${Math.round(took)} ms; expected no answer before the overall deadline, ${requestTimeoutMs} ms`);
    check(took < 1_300, () => `${what} answered after ${Math.round(took)} ms; expected an answer at the overall deadline (${requestTimeoutMs} ms), not at the call's own (1500 ms)`);
    await expectAborted(shipping!.calls[0], 'shipping', 'the overall deadline passed');
    await closeServers();
  }
});

/** The x-timeout-ms header of a call, as a number, or a failure naming what was sent. */
function timeoutHeader(call: Call, service: string): number {
  const raw = call.headers['x-timeout-ms'];
  check(typeof raw === 'string' && /^\d+$/.test(raw), () => `the call to ${service} carried x-timeout-ms: ${show(raw)}; expected the milliseconds left for the call, a whole number (rounded down)`);
  return Number(raw);
}

test('sends each service x-timeout-ms: the time left, the smaller of its per-call deadline and the overall one', async () => {
  const [order, reviews] = await services('order', 'reviews');
  // A fractional timeoutMs: the header is rounded down, never up.
  const { port } = await gateway([{ service: order!, required: true, timeoutMs: 400.5 }, { service: reviews!, timeoutMs: 1_500 }], 900);
  const t0 = performance.now();
  expectStatus(await get(port, summaryPath('h1')), 200, `GET ${summaryPath('h1')}`, 'when every service answered');
  const orderMs = timeoutHeader(order!.calls[0]!, 'order');
  const reviewsMs = timeoutHeader(reviews!.calls[0]!, 'reviews');
  const elapsedOrder = order!.calls[0]!.at - t0;
  const elapsedReviews = reviews!.calls[0]!.at - t0;
  check(orderMs <= 400 && orderMs >= Math.floor(400 - elapsedOrder) - 2, () => `order (timeoutMs 400.5, requestTimeoutMs 900) received x-timeout-ms: ${orderMs}, ${Math.round(elapsedOrder)} ms after the client sent its request; expected its per-call deadline rounded down, 400 at most, minus the little time that passed`);
  check(reviewsMs <= 900 && reviewsMs >= Math.floor(900 - elapsedReviews) - 2, () => `reviews (timeoutMs 1500, requestTimeoutMs 900) received x-timeout-ms: ${reviewsMs}, ${Math.round(elapsedReviews)} ms after the client sent its request; expected what is left of the overall deadline, 900 at most (the smaller of the two deadlines)`);
});

test('limits the calls in flight to each service to maxConcurrent; more wait their turn, first come first served', async () => {
  const [order, reviews] = await services('order', 'reviews');
  const held: Call[] = [];
  order!.onCall = (c) => held.push(c);
  const max = 3;
  const { port } = await gateway([{ service: order!, required: true, maxConcurrent: max, timeoutMs: 1_500 }, { service: reviews!, maxConcurrent: 100 }], 1_800);
  const ids = ['q1', 'q2', 'q3', 'q4', 'q5'];
  const outcomes: Array<Promise<Outcome>> = [];
  for (const [i, id] of ids.entries()) {
    outcomes.push(get(port, summaryPath(id)));
    // The gateway has this request once it calls reviews (no limit there): the order of arrival is known.
    const there = await within(reviews!.arrived(i + 1), 1_000, 'late' as const);
    check(there === 'arrived', () => `the reviews service (maxConcurrent 100) received ${reviews!.calls.length} calls for ${i + 1} client requests; expected one per request, sent at once`);
  }
  await within(order!.arrived(max), 1_000, null);
  // A gateway without a limit sends the others at once, as it sent reviews' calls: a moment for them
  // to arrive (one that arrives later still shows in the service's count of calls in flight, below).
  await within(order!.arrived(max + 1), 100, null);
  check(order!.calls.length === max, () => `with ${ids.length} client requests at once and order's maxConcurrent ${max}, the order service received ${order!.calls.length} calls before any answered; expected exactly ${max} in flight, the others waiting`);
  const urls = () => order!.calls.map((c) => decodeURIComponent(c.url.split('/').at(-1)!));
  for (let next = max; next < ids.length; next++) {
    answer(held.shift()!, { kind: 'json', body: { ok: next } });
    const there = await within(order!.arrived(next + 1), 1_000, 'late' as const);
    check(there === 'arrived', () => `one of ${max} calls to order (maxConcurrent ${max}) was answered, and no waiting call was sent within 1 s; expected the next waiting call to take the free slot at once`);
    await within(order!.arrived(next + 2), 50, null);
    check(order!.calls.length === next + 1, () => `after one answer freed one slot, order had received ${order!.calls.length} calls; expected ${next + 1}: one waiting call per free slot (at most ${max} in flight)`);
  }
  check(order!.maxInFlight <= max, () => `at one moment the order service (maxConcurrent ${max}) had ${order!.maxInFlight} calls in flight from the gateway; expected at most ${max}, the others waiting for a free slot`);
  check(isDeepStrictEqual(urls(), ids), () => `the order service received the ids in the order ${show(urls())}; the client requests arrived in the order ${show(ids)}; expected waiting calls to be sent first come, first served`);
  for (const c of held.splice(0)) answer(c, { kind: 'json', body: { ok: true } });
  for (const [i, o] of outcomes.entries()) expectStatus(await o, 200, `GET ${summaryPath(ids[i]!)}`, 'once order answered');
});

test('frees a slot whatever ends a call: an error, a reset, invalid JSON, a deadline', async () => {
  const [order] = await services('order');
  const behaviours: Behaviour[] = [{ kind: 'json', status: 500, body: {} }, { kind: 'reset' }, { kind: 'text', status: 200, text: 'not json' }, { kind: 'hang' }];
  let n = 0;
  order!.onCall = (c) => answer(c, n < behaviours.length ? behaviours[n++]! : { kind: 'json', body: { ok: true } });
  const { port } = await gateway([{ service: order!, required: true, maxConcurrent: 1, timeoutMs: 400 }], 1_800);
  for (const b of behaviours) {
    const what = `GET ${summaryPath('s')} with order (maxConcurrent 1) that ${describeBehaviour(b)}`;
    const expected = b.kind === 'hang' ? 504 : 502;
    expectStatus(await get(port, summaryPath('s')), expected, what, b.kind === 'hang' ? 'at its deadline' : 'for a failed required service');
  }
  const r = expectStatus(await get(port, summaryPath('s')), 200, `GET ${summaryPath('s')} after 4 failed calls to order (maxConcurrent 1)`, 'when order answers: every failed call must have freed its slot');
  expectSummary(r, `GET ${summaryPath('s')}`, 's', { order: { ok: true } }, []);
});

test('a call waiting for a slot counts against the overall deadline: it gets less time, or is never sent', async () => {
  const [order, reviews] = await services('order', 'reviews');
  const held: Call[] = [];
  order!.onCall = (c) => held.push(c);
  const requestTimeoutMs = 600;
  const { port } = await gateway([{ service: order!, required: true, maxConcurrent: 1, timeoutMs: 1_500 }, { service: reviews! }], requestTimeoutMs);
  // A: holds the only slot. B: waits behind it, 60 ms or more (measured), then gets the slot.
  const a = get(port, summaryPath('A'));
  await within(order!.arrived(1), 1_000, null);
  const tB = performance.now();
  const b = get(port, summaryPath('B'));
  await within(reviews!.arrived(2), 1_000, null);
  const seenB = reviews!.calls[1]?.at ?? tB;
  await new Promise((resolve) => setTimeout(resolve, 60));
  // B's call cannot be sent before the slot is freed, and B reached the gateway before reviews saw it.
  const freed = performance.now();
  answer(held.shift()!, { kind: 'json', body: { order: 'A' } });
  await within(order!.arrived(2), 1_000, null);
  const callB = order!.calls[1];
  check(callB !== undefined, () => `order's only slot was freed, and B's waiting call was not sent; expected it to be sent then`);
  const waited = freed - seenB;
  const header = timeoutHeader(callB!, 'order');
  check(header <= requestTimeoutMs - waited + 2, () => `B's call waited at least ${Math.round(waited)} ms for a slot, then carried x-timeout-ms: ${header}; expected at most ${Math.floor(requestTimeoutMs - waited)}: the wait comes out of the overall deadline (requestTimeoutMs ${requestTimeoutMs})`);
  answer(held.shift()!, { kind: 'json', body: { order: 'B' } });
  expectStatus(await a, 200, `GET ${summaryPath('A')}`, 'once order answered');
  expectStatus(await b, 200, `GET ${summaryPath('B')}`, 'once order answered');
  // A second gateway, whose requests need not succeed, so a short overall deadline: C holds the slot
  // until its deadline; D arrives 50 ms after C and waits behind it.
  const shortTimeoutMs = 150;
  const second = await gateway([{ service: order!, required: true, maxConcurrent: 1, timeoutMs: 1_500 }, { service: reviews! }], shortTimeoutMs);
  const tC = performance.now();
  const c = get(second.port, summaryPath('C'));
  await within(order!.arrived(3), 1_000, null);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const d = get(second.port, summaryPath('D'));
  await within(reviews!.arrived(4), 1_000, null);
  const seenD = reviews!.calls[3]?.at ?? performance.now();
  expectStatus(await c, 504, `GET ${summaryPath('C')} with order holding its call past the overall deadline (${shortTimeoutMs} ms)`, 'at the overall deadline');
  const rD = expectStatus(await d, 504, `GET ${summaryPath('D')} with order's only slot busy until C's deadline, then order not answering`, 'at its overall deadline');
  expectError(rD, `GET ${summaryPath('D')}`, 'order');
  const callD = order!.calls[3];
  if (callD !== undefined) {
    // D's call was sent after C's deadline (≥ tC + shortTimeoutMs); D reached the gateway before seenD.
    const most = Math.floor(seenD - tC) + 2;
    const headerD = timeoutHeader(callD, 'order');
    check(headerD <= most, () => `D's call waited for C's slot until C's overall deadline, then carried x-timeout-ms: ${headerD}; expected at most ${most}: what was left of D's own overall deadline (requestTimeoutMs ${shortTimeoutMs}), the wait counted`);
  }
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Sends a request and destroys its connection once `abortWhen` resolves. */
function sendAndAbort(port: number, path: string, abortWhen: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent: false });
    req.on('error', () => resolve());
    req.on('response', (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.end();
    void abortWhen.then(() => {
      req.destroy();
      resolve();
    });
  });
}

test('when the client goes away, aborts every call in flight and never sends the waiting ones', async () => {
  const [order, customer, reviews] = await services('order', 'customer', 'reviews');
  for (const s of [order!, customer!, reviews!]) s.onCall = () => {};
  const { port } = await gateway([{ service: order!, required: true, maxConcurrent: 1 }, { service: customer!, required: true }, { service: reviews! }], 1_800);
  // X holds order's only slot; Y's order call waits; then Y's client goes away, and X's.
  const leaveY = deferred();
  const leaveX = deferred();
  const x = sendAndAbort(port, summaryPath('X'), leaveX.promise);
  await within(Promise.all([order!.arrived(1), customer!.arrived(1), reviews!.arrived(1)]), 1_000, null);
  const y = sendAndAbort(port, summaryPath('Y'), leaveY.promise);
  await within(Promise.all([customer!.arrived(2), reviews!.arrived(2)]), 1_000, null);
  check(order!.calls.length === 1 && customer!.calls.length === 2 && reviews!.calls.length === 2, () => `order, customer and reviews received ${order!.calls.length}, ${customer!.calls.length}, ${reviews!.calls.length} calls for two client requests; expected 1 (maxConcurrent 1), 2 and 2`);
  leaveY.resolve();
  await y;
  await expectAborted(customer!.calls[1], 'customer', "Y's client closed the connection");
  leaveX.resolve();
  await x;
  for (const s of [order!, customer!, reviews!]) for (const c of s.calls) await expectAborted(c, s.name, 'its client closed the connection');
  await within(order!.arrived(2), 150, null);
  check(order!.calls.length === 1, () => `order received Y's waiting call (${order!.calls[1]?.url}) after Y's client had gone away; expected a waiting call of a request whose client left never to be sent`);
});

// The hidden suite of control-loop, the data plane: it serves lookups from its last good
// configuration whatever the control plane does (static stability).
import { test } from 'vitest';
import { advance, check, describeThrown, fail, pendingTimers, show, streamFor, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { createDataPlane, type DataPlane } from 'learn-ds/subject/control-loop';
import { errorsOfEveryKind, namesFor } from './api.ts';

type Answer = { delayMs: number; config?: unknown; error?: { value: unknown } };

/** A control plane answering fetchConfig as scripted; `answer` is read at each call. */
class ControlPlane {
  readonly calls: { startMs: number; endMs?: number }[] = [];
  answer: Answer = { delayMs: 10, error: { value: new Error('not configured') } };
  readonly fetchConfig = (): Promise<unknown> => {
    const call: { startMs: number; endMs?: number } = { startMs: virtualNow() };
    this.calls.push(call);
    const { delayMs, config, error } = this.answer;
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        call.endMs = virtualNow();
        if (error) reject(error.value);
        else resolve(structuredClone(config));
      }, delayMs);
    });
  };
}

function configOf(version: number, routes: [string, string][]): unknown {
  return { version, routes: routes.map(([key, backend]) => ({ key, backend })) };
}

function start(cp: ControlPlane, refreshMs: number): DataPlane {
  try {
    return createDataPlane({ fetchConfig: cp.fetchConfig, refreshMs });
  } catch (error) {
    return fail(`createDataPlane({ fetchConfig, refreshMs: ${refreshMs} }) threw ${describeThrown(error)}`);
  }
}

function lookup(dp: DataPlane, key: string): unknown {
  try {
    return dp.lookup(key);
  } catch (error) {
    return fail(`lookup(${show(key)}) threw ${describeThrown(error)}; a lookup answers from memory, a backend or undefined`);
  }
}

function expectServing(dp: DataPlane, version: number, routes: [string, string][], what: string): void {
  check(dp.version() === version, () => `${what}: version() is ${show(dp.version())}; expected ${version}`);
  for (const [key, backend] of routes) {
    const got = lookup(dp, key);
    check(got === backend, () => `${what}: lookup(${show(key)}) returned ${show(got)}; configuration ${version} routes it to ${show(backend)}`);
  }
}

function routesFor(label: string, version: number): [string, string][] {
  return namesFor(streamFor(label)).map((key, i) => [key, `10.0.${version}.${i + 1}`]);
}

test('the data plane serves the first good configuration: lookups of keys of every shape, undefined for a key it does not route, version() null before any', async () => {
  useVirtualTime();
  const cp = new ControlPlane();
  const routes = routesFor('serve', 1);
  cp.answer = { delayMs: 30, config: configOf(1, routes) };
  const dp = start(cp, 1000);
  check(dp.version() === null && lookup(dp, 'web-1') === undefined, () => `before any configuration arrived, version() is ${show(dp.version())} and lookup('web-1') ${show(lookup(dp, 'web-1'))}; expected null and undefined`);
  check(cp.calls.length === 1, () => `createDataPlane should fetch the configuration at once; fetchConfig was called ${cp.calls.length} times`);
  await advance(30);
  expectServing(dp, 1, routes, 'once configuration 1 arrived');
  for (const key of ['WEB-1', 'unknown', 'hasOwnProperty', 'valueOf']) {
    check(lookup(dp, key) === undefined, () => `lookup(${show(key)}) returned ${show(lookup(dp, key))}; configuration 1 does not route ${show(key)} (keys are compared exactly)`);
  }
  dp.stop();
});

test('the data plane fetches every refreshMs after the last fetch answered, and serves a new configuration as soon as it arrives', async () => {
  useVirtualTime();
  const random = streamFor('refresh');
  const refreshMs = 200 + Math.floor(random() * 800);
  const cp = new ControlPlane();
  const one = routesFor('one', 1);
  const two: [string, string][] = [...one.slice(3), ['new-key', '10.9.9.9']];
  cp.answer = { delayMs: 20, config: configOf(1, one) };
  const dp = start(cp, refreshMs);
  await advance(20 + refreshMs + 5);
  cp.answer = { delayMs: 20, config: configOf(2, two) };
  await advance(refreshMs + 15);
  const starts = cp.calls.map((c) => c.startMs);
  const expected = [0, 20 + refreshMs, 40 + 2 * refreshMs];
  check(show(starts) === show(expected), () => `with refreshMs = ${refreshMs} and each fetch answering in 20 ms, expected fetches at ${expected.join(', ')} ms; they were at ${starts.join(', ')} ms`);
  await advance(20);
  expectServing(dp, 2, two, 'after configuration 2 arrived');
  for (const [key] of one.slice(0, 3)) check(lookup(dp, key) === undefined, () => `configuration 2 no longer routes ${show(key)}, yet lookup(${show(key)}) returned ${show(lookup(dp, key))}`);
  dp.stop();
});

test('static stability: while the control plane is down (rejections of every kind), the data plane keeps serving its last good configuration, and takes the next one when it is back', async () => {
  useVirtualTime();
  const cp = new ControlPlane();
  const one = routesFor('down', 1);
  cp.answer = { delayMs: 10, config: configOf(1, one) };
  const dp = start(cp, 100);
  await advance(10);
  for (const { label, error } of errorsOfEveryKind()) {
    cp.answer = { delayMs: 10, error: { value: error } };
    await advance(500);
    expectServing(dp, 1, one, `the control plane rejected every fetch with ${label} for 500 ms`);
  }
  const two = routesFor('back', 2);
  cp.answer = { delayMs: 10, config: configOf(2, two) };
  await advance(200);
  expectServing(dp, 2, two, 'the control plane came back with configuration 2');
  dp.stop();
});

test('an invalid configuration is never served: the last good one stays (bad version, routes not a list, a route without a backend, an empty backend, a duplicate key, not an object)', async () => {
  useVirtualTime();
  const cp = new ControlPlane();
  const good = routesFor('valid', 1);
  const routes = good.map(([key, backend]) => ({ key, backend }));
  const invalid: { label: string; config: unknown }[] = [
    { label: 'null', config: null },
    { label: 'a string', config: 'version: 2' },
    { label: 'version -1', config: { version: -1, routes } },
    { label: 'version 2.5', config: { version: 2.5, routes } },
    { label: "version '2' (a string)", config: { version: '2', routes } },
    { label: 'version NaN', config: { version: Number.NaN, routes } },
    { label: 'no version', config: { routes } },
    { label: 'routes an object', config: { version: 2, routes: { a: 'b' } } },
    { label: 'no routes', config: { version: 2 } },
    { label: 'a route with no backend', config: { version: 2, routes: [...routes, { key: 'x' }] } },
    { label: "a route with backend ''", config: { version: 2, routes: [...routes, { key: 'x', backend: '' }] } },
    { label: 'a route whose backend is a number', config: { version: 2, routes: [{ key: 'x', backend: 7 }] } },
    { label: 'a route whose key is a number', config: { version: 2, routes: [{ key: 7, backend: 'b' }] } },
    { label: 'a route that is null', config: { version: 2, routes: [null] } },
    { label: "a duplicate key 'web-1'", config: { version: 2, routes: [...routes, { key: 'web-1', backend: 'x' }] } },
  ];
  cp.answer = { delayMs: 10, config: configOf(1, good) };
  const dp = start(cp, 100);
  await advance(10);
  for (const { label, config } of invalid) {
    cp.answer = { delayMs: 10, config };
    await advance(110);
    expectServing(dp, 1, good, `the control plane answered an invalid configuration (${label})`);
  }
  const edge: [string, string][] = [['web-1', 'b'], ['', 'empty-key-ok']];
  cp.answer = { delayMs: 10, config: { version: 0, routes: edge.map(([key, backend]) => ({ key, backend })) } };
  await advance(110);
  expectServing(dp, 0, edge, "the control plane answered a valid configuration with version 0 and a key ''");
  cp.answer = { delayMs: 10, config: { version: Number.MAX_SAFE_INTEGER, routes: [] } };
  await advance(110);
  check(dp.version() === Number.MAX_SAFE_INTEGER && lookup(dp, 'web-1') === undefined, () => `a valid configuration with version ${Number.MAX_SAFE_INTEGER} and no routes: version() is ${show(dp.version())}, lookup('web-1') ${show(lookup(dp, 'web-1'))}; expected ${Number.MAX_SAFE_INTEGER} and undefined`);
  dp.stop();
});

test('the data plane stops fetching after stop() and leaves no timer', async () => {
  useVirtualTime();
  const cp = new ControlPlane();
  cp.answer = { delayMs: 10, config: configOf(1, [['a', 'b']]) };
  const dp = start(cp, 100);
  await advance(350);
  dp.stop();
  const made = cp.calls.length;
  await advance(1000);
  check(cp.calls.length === made, () => `after stop(), fetchConfig was called ${cp.calls.length - made} more times; expected none`);
  check(pendingTimers() === 0, () => `after stop(), ${pendingTimers()} timers are still scheduled`);
  check(lookup(dp, 'a') === 'b', () => `after stop(), lookup('a') returned ${show(lookup(dp, 'a'))}; it still serves its last configuration`);
});

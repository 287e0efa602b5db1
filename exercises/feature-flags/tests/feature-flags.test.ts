// The hidden suite of feature-flags. The flag service is a fake in virtual time (tests/helpers.ts):
// every call answers `delayMs` later with what the service held when it was called.
import { afterEach, test, vi } from 'vitest';
import {
  advance,
  check,
  controlMathRandom,
  describeThrown,
  fail,
  pendingTimers,
  show,
  streamFor,
  useVirtualTime,
  virtualNow,
} from 'learn-ds/harness';
import { FeatureFlags } from 'learn-ds/subject/feature-flags';
import { FakeLogger, FakeSource, SHAPES, configText, mixedUserIds, userIds, type FlagJson, type Reply } from './helpers.ts';

type Flags = InstanceType<typeof FeatureFlags>;

// ---- Settings, drawn from the suite's seed. ----

interface Settings {
  reloadIntervalMs: number;
  killSwitchIntervalMs: number;
  /** How long the flag service takes to answer: always less than either interval. */
  delayMs: number;
}

/** reloadIntervalMs 2000..5000, killSwitchIntervalMs 50..200, delayMs 1..40: a reload is always far beyond a kill's bound. */
function settingsFor(label: string): Settings {
  const random = streamFor(`${label}/settings`);
  const pick = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  return { reloadIntervalMs: 1000 * pick(2, 5), killSwitchIntervalMs: 10 * pick(5, 20), delayMs: pick(1, 40) };
}

function settingsText(s: Settings): string {
  return `reloadIntervalMs = ${s.reloadIntervalMs}, killSwitchIntervalMs = ${s.killSwitchIntervalMs}, the flag service answering in ${s.delayMs} ms`;
}

/** Rejections of every kind a service may fail with. */
class ServiceUnavailable extends Error {
  override name = 'ServiceUnavailable';
}
const FAILURES: { what: string; value: unknown }[] = [
  { what: 'an Error subclass', value: new ServiceUnavailable('503 from the flag service') },
  { what: 'a string', value: 'connection refused' },
  { what: 'a plain object', value: { code: 'ECONNRESET' } },
  { what: 'undefined', value: undefined },
];

// ---- A client wired to a fake service. ----

interface Rig {
  flags: Flags;
  service: FakeSource;
  log: FakeLogger;
  s: Settings;
  /** When it was made: the times of a check are counted from here. */
  t0: number;
}

/** Every client a check made: stopped when the check ends, even one that failed half-way. */
const made: Flags[] = [];
afterEach(() => {
  for (const flags of made.splice(0)) {
    try {
      flags.stop();
    } catch {
      // a stop() that throws is judged by its own check
    }
  }
});

/** The learner's module: the one imported, or the same file loaded afresh. */
type Subject = { FeatureFlags: typeof FeatureFlags };

/** A FeatureFlags on a fake service, not started. Call useVirtualTime() first. */
function rig(label: string, config?: Reply<string>, subject: Subject = { FeatureFlags }): Rig {
  const s = settingsFor(label);
  const service = new FakeSource(s.delayMs, config);
  const log = new FakeLogger();
  let flags: Flags;
  try {
    flags = new subject.FeatureFlags({ source: service.source, logger: log.logger, ...s });
  } catch (error) {
    fail(`new FeatureFlags({ source, logger, ${settingsText(s)} }) threw ${describeThrown(error)}`);
  }
  made.push(flags);
  return { flags, service, log, s, t0: virtualNow() };
}

function start(r: Rig): void {
  try {
    r.flags.start();
  } catch (error) {
    fail(`start() threw ${describeThrown(error)}; it must start polling the flag service and return`);
  }
}

/** A started client whose first configuration, `flags`, has arrived (at delayMs). */
async function running(label: string, flags: readonly FlagJson[]): Promise<Rig> {
  const r = rig(label, { ok: configText(flags) });
  start(r);
  await at(r, r.s.delayMs);
  return r;
}

/** Runs virtual time to `ms` after the rig was made (and started), firing everything due then (the service's answers included). */
async function at(r: Rig, ms: number): Promise<void> {
  const target = r.t0 + ms;
  if (target > virtualNow()) await advance(target - virtualNow());
  await advance(0);
}

/** Milliseconds since the rig was made. */
const now = (r: Rig) => virtualNow() - r.t0;

/** isEnabled, with a throw or a non-boolean turned into a learner's message. */
function ask(flags: Flags, flagKey: string, userId: string, when: string): boolean {
  let answer: unknown;
  try {
    answer = flags.isEnabled(flagKey, userId);
  } catch (error) {
    fail(`isEnabled(${show(flagKey)}, ${show(userId)}) ${when} threw ${describeThrown(error)}; it must return true or false`);
  }
  if (typeof answer !== 'boolean') {
    fail(`isEnabled(${show(flagKey)}, ${show(userId)}) ${when} returned ${show(answer)}; expected true or false`);
  }
  return answer;
}

/** Which of `users` are in `flagKey`'s rollout. */
function members(flags: Flags, flagKey: string, users: readonly string[], when: string): Set<string> {
  const inside = new Set<string>();
  for (const user of users) if (ask(flags, flagKey, user, when)) inside.add(user);
  return inside;
}

/** A few users of every shape, for checks where a flag is on or off for everyone. */
const SAMPLE = mixedUserIds('sample', 6);

function expectAll(r: Rig, flagKey: string, expected: boolean, when: string, why: string): void {
  for (const user of SAMPLE) {
    const got = ask(r.flags, flagKey, user, when);
    if (got !== expected) {
      fail(`isEnabled(${show(flagKey)}, ${show(user)}) ${when} returned ${got}; expected ${expected}: ${why}`, settingsText(r.s));
    }
  }
}

const on = (key: string, rolloutPercent = 100): FlagJson => ({ key, enabled: true, rolloutPercent });

/** The learner's own timers still scheduled: all of them minus the service's answers to come. */
const ownTimers = (r: Rig) => pendingTimers() - r.service.timers;

// ---- The safe default, the first load, reloads and an unreachable service. ----

test('every flag is off before start() and while no good configuration has ever arrived (the safe default)', async () => {
  useVirtualTime();
  const r = rig('safe-default', { fail: FAILURES[0]!.value });
  expectAll(r, 'new-checkout', false, 'before start()', 'no configuration has been loaded yet, so every flag is off');
  start(r);
  const { reloadIntervalMs: R, delayMs: d } = r.s;
  for (const [i, failure] of FAILURES.entries()) {
    r.service.config = { fail: failure.value };
    await at(r, i * R + d);
    expectAll(r, 'new-checkout', false, `at ${now(r)} ms, the flag service having failed with ${failure.what} at every fetch so far`,
      'until a good configuration has arrived, every flag is off (the safe default)');
  }
  r.service.config = { ok: '{"flags": [{"key": "new-checkout", "enabled": true, "rolloutPercent": 100.5}]}' };
  await at(r, FAILURES.length * R + d);
  expectAll(r, 'new-checkout', false, 'after the first configuration that arrived was invalid (rolloutPercent 100.5)',
    'an invalid configuration is never used, so with no good one yet every flag stays off');
  r.service.setFlags([on('new-checkout')]);
  await at(r, (FAILURES.length + 1) * R + d);
  expectAll(r, 'new-checkout', true, `at ${now(r)} ms, when the service has just answered a good configuration (new-checkout at 100 %)`,
    'a good configuration is used as soon as it arrives, even after the service was unreachable at first');
  r.flags.stop();
});

test("the first configuration is used as soon as the fetch made at start() answers: flags at 100 % on, at 0 % or disabled off, others off", async () => {
  useVirtualTime();
  const r = rig('first-load', { ok: configText([on('new-checkout'), on('dark-mode', 0), { key: 'beta-search', enabled: false, rolloutPercent: 100 }]) });
  start(r);
  await at(r, r.s.delayMs);
  const when = `at ${r.s.delayMs} ms, when the fetch made at start() has answered`;
  expectAll(r, 'new-checkout', true, when, 'new-checkout is enabled at rolloutPercent 100, so it is on for everyone');
  expectAll(r, 'dark-mode', false, when, 'dark-mode is at rolloutPercent 0, so it is off for everyone');
  expectAll(r, 'beta-search', false, when, 'beta-search has enabled: false, so it is off whatever its rolloutPercent');
  expectAll(r, 'no-such-flag', false, when, 'a flag the configuration does not have is off');
  expectAll(r, 'New-Checkout', false, when, 'flag keys are compared exactly: New-Checkout is not new-checkout');
  r.flags.stop();
});

test('reloads every reloadIntervalMs without a restart: a change at the service is in effect within reloadIntervalMs + the response time', async () => {
  useVirtualTime();
  const r = await running('reload', [on('new-checkout'), on('dark-mode', 0), on('old-banner')]);
  const { reloadIntervalMs: R, delayMs: d } = r.s;
  // The change is made just after the fetch at 2R was sent: only the one at 3R can bring it.
  await at(r, 2 * R);
  r.service.setFlags([on('new-checkout', 0), on('dark-mode'), on('beta-search')]);
  await at(r, 3 * R + d);
  const when = `at ${3 * R + d} ms (the configuration changed at ${2 * R} ms, just after a fetch; ${settingsText(r.s)})`;
  const why = `a change is in effect within reloadIntervalMs + the response time (${R} + ${d} ms)`;
  expectAll(r, 'new-checkout', false, when, `new-checkout went from 100 % to 0 %, and ${why}`);
  expectAll(r, 'dark-mode', true, when, `dark-mode went from 0 % to 100 %, and ${why}`);
  expectAll(r, 'beta-search', true, when, `beta-search was added at 100 %, and ${why}`);
  expectAll(r, 'old-banner', false, when, `old-banner was removed from the configuration, and ${why}`);
  await at(r, 5 * R);
  const calls = r.service.configCalls.filter((t) => t <= 5 * R);
  check(
    calls.length === 6 && calls.every((t, i) => t === i * R),
    () => `fetchConfig was called at ${show(calls)} ms in the first ${5 * R} ms; expected at ${show([0, R, 2 * R, 3 * R, 4 * R, 5 * R])}: ` +
      'once at start() and then every reloadIntervalMs after it',
    settingsText(r.s),
  );
  r.flags.stop();
});

test('keeps the last good configuration while the flag service is unreachable, whatever it fails with (an Error subclass, a string, an object, undefined)', async () => {
  useVirtualTime();
  const r = await running('unreachable', [on('new-checkout'), on('dark-mode', 0)]);
  const { reloadIntervalMs: R, delayMs: d } = r.s;
  for (const [i, failure] of FAILURES.entries()) {
    r.service.config = { fail: failure.value };
    await at(r, (i + 1) * R + d);
    const when = `at ${now(r)} ms, the flag service having failed with ${failure.what} (unreachable)`;
    const why = 'while the service is unreachable, the last good configuration stays in use';
    expectAll(r, 'new-checkout', true, when, `new-checkout was at 100 % in it: ${why}`);
    expectAll(r, 'dark-mode', false, when, `dark-mode was at 0 % in it: ${why}`);
  }
  r.service.setFlags([on('dark-mode')]);
  await at(r, (FAILURES.length + 1) * R + d);
  const when = `at ${now(r)} ms, when the service, reachable again, has answered a new configuration`;
  expectAll(r, 'dark-mode', true, when, 'the new configuration (dark-mode at 100 %) is used as soon as it arrives');
  expectAll(r, 'new-checkout', false, when, 'the new configuration no longer has new-checkout');
  r.flags.stop();
});

// ---- Validation: a new configuration is used whole, or not at all. ----

/** The configuration in use when each candidate arrives: `baseline`, on for everyone. */
const BASELINE = [on('baseline')];

/** Loads `candidate` after the baseline and says whether it was used (baseline gone) or rejected (baseline still on). */
async function offer(label: string, candidate: string): Promise<{ r: Rig; accepted: boolean; logged: string[] }> {
  const r = await running(label, BASELINE);
  const before = r.log.lines.length;
  r.service.config = { ok: candidate };
  await at(r, r.s.reloadIntervalMs + r.s.delayMs);
  const accepted = !ask(r.flags, 'baseline', 'user-1', 'after a new configuration arrived');
  r.flags.stop();
  return { r, accepted, logged: r.log.lines.slice(before) };
}

interface Valid {
  what: string;
  text: string;
  /** Flags the candidate has, and whether each is on for everyone (true) or off for everyone (false). */
  expect: [string, boolean][];
}

async function expectAccepted(label: string, c: Valid): Promise<void> {
  const r = await running(label, BASELINE);
  r.service.config = { ok: c.text };
  await at(r, r.s.reloadIntervalMs + r.s.delayMs);
  const when = `after the configuration ${show(c.text)} arrived (replacing one with baseline at 100 %)`;
  expectAll(r, 'baseline', false, when, `this configuration is valid (${c.what}), so it replaces the last one, which had baseline`);
  for (const [key, value] of c.expect) expectAll(r, key, value, when, `this configuration is valid (${c.what}) and has ${key} ${value ? 'on' : 'off'} for everyone`);
  r.flags.stop();
}

interface Invalid {
  what: string;
  text: string;
  /** What the logged reason must name (case-insensitive). */
  names: string;
}

async function expectRejected(label: string, c: Invalid): Promise<void> {
  const { r, accepted, logged } = await offer(label, c.text);
  const when = `after the configuration ${show(c.text)} arrived (replacing one with baseline at 100 %)`;
  if (accepted) {
    fail(`${when}, isEnabled('baseline', 'user-1') returned false: the new configuration was used; expected it to be rejected (${c.what}) and the last good one kept`);
  }
  for (const user of SAMPLE) {
    if (ask(r.flags, 'probe', user, when)) {
      fail(`${when}, isEnabled('probe', ${show(user)}) returned true: a flag of the rejected configuration was used; ` +
        `a configuration with a problem (${c.what}) is rejected whole, its valid flags too`);
    }
  }
  expectAll(r, 'baseline', true, when, `the configuration is invalid (${c.what}), so the last good one stays in use`);
  check(logged.length > 0, () => `${when}, the configuration was rejected but nothing was logged through logger.warn; expected one line saying why (${c.what})`);
  check(
    logged.some((line) => line.toLowerCase().includes(c.names.toLowerCase())),
    () => `${when}, the configuration was rejected (${c.what}) and logger.warn got ${show(logged)}; expected the reason to name ${show(c.names)}`,
  );
}

const flagWith = (fields: Record<string, unknown>) => JSON.stringify({ flags: [on('probe'), fields] });
const flagText = (rolloutPercentText: string) =>
  `{"flags": [{"key": "probe", "enabled": true, "rolloutPercent": ${rolloutPercentText}}]}`;

test('accepts a valid configuration at every edge: rolloutPercent 0, -0, 100, 100.0, 12.5, an empty flags list, keys of any shape', async () => {
  useVirtualTime();
  const cases: Valid[] = [
    { what: 'rolloutPercent 0', text: flagText('0'), expect: [['probe', false]] },
    { what: 'rolloutPercent -0, which is 0', text: flagText('-0'), expect: [['probe', false]] },
    { what: 'rolloutPercent 100', text: flagText('100'), expect: [['probe', true]] },
    { what: 'rolloutPercent 100.0, which is 100', text: flagText('100.0'), expect: [['probe', true]] },
    { what: 'rolloutPercent 1e2, which is 100', text: flagText('1e2'), expect: [['probe', true]] },
    { what: 'a fractional rolloutPercent', text: flagText('12.5'), expect: [] },
    { what: 'a fractional rolloutPercent', text: flagText('0.1'), expect: [] },
    { what: 'a fractional rolloutPercent', text: flagText('99.9'), expect: [] },
    { what: 'an empty flags list', text: '{"flags": []}', expect: [['probe', false]] },
    {
      what: 'keys may be any non-empty string, and keys that differ only in letter case are two flags',
      text: JSON.stringify({ flags: [on('probe'), on('Probe', 0), on('größe ✓'), on(' ')] }),
      expect: [['probe', true], ['Probe', false], ['größe ✓', true], [' ', true]],
    },
    {
      what: 'the fields may come in any order, enabled may be false',
      text: '{"flags": [{"rolloutPercent": 100, "enabled": false, "key": "probe"}, {"rolloutPercent": 100, "key": "other", "enabled": true}]}',
      expect: [['probe', false], ['other', true]],
    },
  ];
  for (const [i, c] of cases.entries()) await expectAccepted(`accept-${i}`, c);
});

test('rejects a rolloutPercent outside 0..100 (100.5, 101, -0.5, -1, 100.000001, 1e400), keeps the last good configuration and logs why', async () => {
  useVirtualTime();
  for (const [i, value] of ['100.5', '101', '-0.5', '-1', '100.000001', '-0.000001', '1e400'].entries()) {
    const text = JSON.stringify({ flags: [on('probe')] }).slice(0, -2) + `, {"key": "edge", "enabled": true, "rolloutPercent": ${value}}]}`;
    await expectRejected(`range-${i}`, { what: `rolloutPercent ${value} is outside 0..100`, text, names: 'rolloutPercent' });
  }
});

test('rejects a field of the wrong type (rolloutPercent "50", enabled "true", key 42, flags not a list, …), keeps the last good configuration and logs why', async () => {
  useVirtualTime();
  const cases: Invalid[] = [
    { what: 'rolloutPercent is the string "50", not a number', text: flagWith({ key: 'edge', enabled: true, rolloutPercent: '50' }), names: 'rolloutPercent' },
    { what: 'rolloutPercent is null', text: flagWith({ key: 'edge', enabled: true, rolloutPercent: null }), names: 'rolloutPercent' },
    { what: 'rolloutPercent is true', text: flagWith({ key: 'edge', enabled: true, rolloutPercent: true }), names: 'rolloutPercent' },
    { what: 'rolloutPercent is a list', text: flagWith({ key: 'edge', enabled: true, rolloutPercent: [50] }), names: 'rolloutPercent' },
    { what: 'enabled is the string "true", not a boolean', text: flagWith({ key: 'edge', enabled: 'true', rolloutPercent: 50 }), names: 'enabled' },
    { what: 'enabled is 1, not a boolean', text: flagWith({ key: 'edge', enabled: 1, rolloutPercent: 50 }), names: 'enabled' },
    { what: 'enabled is null', text: flagWith({ key: 'edge', enabled: null, rolloutPercent: 50 }), names: 'enabled' },
    { what: 'key is the number 42, not a string', text: flagWith({ key: 42, enabled: true, rolloutPercent: 50 }), names: 'key' },
    { what: 'key is null', text: flagWith({ key: null, enabled: true, rolloutPercent: 50 }), names: 'key' },
    { what: 'key is the empty string', text: flagWith({ key: '', enabled: true, rolloutPercent: 50 }), names: 'key' },
    { what: 'a flag is a string, not an object', text: JSON.stringify({ flags: [on('probe'), 'edge'] }), names: 'flags' },
    { what: 'a flag is null', text: JSON.stringify({ flags: [on('probe'), null] }), names: 'flags' },
    { what: 'a flag is a list', text: JSON.stringify({ flags: [on('probe'), ['edge', true, 50]] }), names: 'flags' },
    { what: 'flags is an object, not a list', text: JSON.stringify({ flags: { probe: on('probe') } }), names: 'flags' },
    { what: 'flags is null', text: '{"flags": null}', names: 'flags' },
    { what: 'the configuration is a list, not an object', text: JSON.stringify([on('probe')]), names: 'flags' },
    { what: 'the configuration is null', text: 'null', names: 'flags' },
    { what: 'the configuration is a number', text: '42', names: 'flags' },
    { what: 'the configuration is a string', text: '"flags"', names: 'flags' },
  ];
  for (const [i, c] of cases.entries()) await expectRejected(`type-${i}`, c);
});

test('rejects a configuration with a field missing, keeps the last good one and logs why', async () => {
  useVirtualTime();
  const cases: Invalid[] = [
    { what: 'a flag has no key', text: flagWith({ enabled: true, rolloutPercent: 50 }), names: 'key' },
    { what: 'a flag has no enabled', text: flagWith({ key: 'edge', rolloutPercent: 50 }), names: 'enabled' },
    { what: 'a flag has no rolloutPercent', text: flagWith({ key: 'edge', enabled: true }), names: 'rolloutPercent' },
    { what: 'the configuration has no flags', text: '{}', names: 'flags' },
  ];
  for (const [i, c] of cases.entries()) await expectRejected(`missing-${i}`, c);
});

test('rejects a configuration with an unknown field, at the top level or in a flag, keeps the last good one and logs the field', async () => {
  useVirtualTime();
  const cases: Invalid[] = [
    { what: 'the top level has an unknown field, version', text: JSON.stringify({ flags: [on('probe')], version: 3 }), names: 'version' },
    { what: 'a flag has an unknown field, owner', text: flagWith({ key: 'edge', enabled: true, rolloutPercent: 50, owner: 'payments' }), names: 'owner' },
    {
      what: 'a flag has an unknown field, rolloutPercentage (a typo beside rolloutPercent)',
      text: flagWith({ key: 'edge', enabled: true, rolloutPercent: 50, rolloutPercentage: 100 }),
      names: 'rolloutPercentage',
    },
  ];
  for (const [i, c] of cases.entries()) await expectRejected(`unknown-${i}`, c);
});

test('rejects two flags with the same key, keeps the last good configuration and logs the key', async () => {
  useVirtualTime();
  const dup = { key: 'checkout-v2', enabled: true, rolloutPercent: 50 };
  await expectRejected('dup-0', { what: 'checkout-v2 appears twice', text: JSON.stringify({ flags: [on('probe'), dup, { ...dup, rolloutPercent: 100 }] }), names: 'checkout-v2' });
  await expectRejected('dup-1', { what: 'checkout-v2 appears twice, identical', text: JSON.stringify({ flags: [dup, on('probe'), dup] }), names: 'checkout-v2' });
});

test('rejects text that is not valid JSON, keeps the last good configuration and logs that it is not JSON', async () => {
  useVirtualTime();
  const texts = ['', '{', '{"flags": [}', '{"flags": [],}', "{'flags': []}", 'flags: []', `${configText([on('probe')])} trailing`];
  for (const [i, text] of texts.entries()) await expectRejected(`json-${i}`, { what: 'it is not valid JSON', text, names: 'JSON' });
});

test('a configuration is validated whole: one bad flag rejects it all, and the next good configuration is used', async () => {
  useVirtualTime();
  const r = await running('whole', BASELINE);
  const { reloadIntervalMs: R, delayMs: d } = r.s;
  r.service.config = { ok: JSON.stringify({ flags: [on('probe'), on('baseline'), { key: 'edge', enabled: true, rolloutPercent: 150 }] }) };
  await at(r, R + d);
  const when = 'after a configuration with probe at 100 % and edge at rolloutPercent 150 arrived';
  for (const user of SAMPLE) {
    if (ask(r.flags, 'probe', user, when)) {
      fail(`${when}, isEnabled('probe', ${show(user)}) returned true; expected false: a configuration with one bad flag is rejected whole, its valid flags are not used either`);
    }
  }
  r.service.setFlags([on('probe')]);
  await at(r, 2 * R + d);
  expectAll(r, 'probe', true, `at ${2 * R + d} ms, after a good configuration followed the rejected one`, 'a good configuration is used as soon as it arrives, whatever came before');
  expectAll(r, 'baseline', false, `at ${2 * R + d} ms, after a good configuration followed the rejected one`, 'the good configuration has no baseline');
  r.flags.stop();
});

// ---- The kill switch. ----

test('the kill switch turns a flag off for everyone within killSwitchIntervalMs + the response time, long before the next reload', async () => {
  useVirtualTime();
  const r = await running('kill', [on('new-checkout'), on('dark-mode')]);
  const { killSwitchIntervalMs: K, delayMs: d } = r.s;
  // Killed just after the kill-list fetch at 3K was sent: only the one at 4K can bring it.
  await at(r, 3 * K);
  r.service.killed = { ok: ['new-checkout', 'not-a-flag'] };
  await at(r, 4 * K + d);
  const when = `at ${4 * K + d} ms (new-checkout killed at ${3 * K} ms, just after a kill-list fetch; ${settingsText(r.s)})`;
  expectAll(r, 'new-checkout', false, when, `a kill is in effect within killSwitchIntervalMs + the response time (${K} + ${d} ms), without waiting for the next reload`);
  expectAll(r, 'dark-mode', true, when, 'only the flags on the kill list are off');
  await at(r, 10 * K);
  const calls = r.service.killCalls.filter((t) => t <= 10 * K);
  check(
    calls.length === 11 && calls.every((t, i) => t === i * K),
    () => `fetchKilled was called ${calls.length} times in the first ${10 * K} ms (at ${show(calls.slice(0, 12))}); expected at 0, ${K}, ${2 * K}, … ${10 * K} ms: ` +
      'once at start() and then every killSwitchIntervalMs',
    settingsText(r.s),
  );
  r.flags.stop();
});

test('a lifted kill turns the flag back on within the same bound, and a reload does not lift a kill', async () => {
  useVirtualTime();
  const r = await running('unkill', [on('new-checkout')]);
  const { reloadIntervalMs: R, killSwitchIntervalMs: K, delayMs: d } = r.s;
  r.service.killed = { ok: ['new-checkout'] };
  await at(r, K + d);
  expectAll(r, 'new-checkout', false, `at ${K + d} ms, after the kill list named new-checkout`, 'a killed flag is off for everyone');
  await at(r, R + d);
  expectAll(r, 'new-checkout', false, `at ${R + d} ms, after a reload of the configuration (still new-checkout at 100 %) while the kill list still names it`,
    'a kill holds for as long as the kill list names the flag, whatever the configuration says');
  const lifted = Math.ceil((R + d) / K) * K;
  await at(r, lifted);
  r.service.killed = { ok: [] };
  await at(r, lifted + K + d);
  expectAll(r, 'new-checkout', true, `at ${lifted + K + d} ms (the kill was lifted at ${lifted} ms, just after a kill-list fetch)`,
    `a lifted kill is in effect within killSwitchIntervalMs + the response time (${K} + ${d} ms)`);
  r.flags.stop();
});

test('a kill stays in force while the flag service is unreachable, whatever it fails with', async () => {
  useVirtualTime();
  const r = await running('kill-unreachable', [on('new-checkout')]);
  const { killSwitchIntervalMs: K, delayMs: d } = r.s;
  r.service.killed = { ok: ['new-checkout'] };
  await at(r, K + d);
  for (const [i, failure] of FAILURES.entries()) {
    r.service.killed = { fail: failure.value };
    r.service.config = { fail: failure.value };
    await at(r, (i + 2) * K + d);
    expectAll(r, 'new-checkout', false, `at ${now(r)} ms, new-checkout killed and then the service failing with ${failure.what}`,
      'the last kill list received stays in force while the service is unreachable: an unreachable service does not lift a kill');
  }
  r.flags.stop();
});

test('stop() stops polling and leaves no timer of yours scheduled; the flags keep their values', async () => {
  useVirtualTime();
  const r = await running('stop', [on('new-checkout')]);
  const { reloadIntervalMs: R } = r.s;
  await at(r, R + 1);
  try {
    r.flags.stop();
  } catch (error) {
    fail(`stop() threw ${describeThrown(error)}`);
  }
  await at(r, R + 100);
  check(ownTimers(r) === 0, () => `${ownTimers(r)} timer(s) of yours were still scheduled after stop() (once the service had answered); expected none`);
  const calls = r.service.configCalls.length + r.service.killCalls.length;
  await at(r, 10 * R);
  const later = r.service.configCalls.length + r.service.killCalls.length - calls;
  check(later === 0, () => `the flag service was called ${later} more time(s) after stop(); expected no call`);
  expectAll(r, 'new-checkout', true, 'after stop()', 'stop() ends the polling, not the flags: the last configuration still answers');
});

// ---- Rollouts: who is in. ----

/** A client that has loaded `flags` and stopped polling, for the rollout checks. */
async function serving(label: string, flags: readonly FlagJson[], subject?: Subject): Promise<Rig> {
  const r = rig(label, { ok: configText(flags) }, subject);
  start(r);
  await at(r, r.s.delayMs);
  r.flags.stop();
  return r;
}

function sample(users: Iterable<string>, n = 3): string {
  return [...users].slice(0, n).map((u) => show(u)).join(', ');
}

test('0 % lets nobody in and 100 % lets everybody in (20,000 user ids of every shape, and the empty one)', async () => {
  useVirtualTime();
  const users = mixedUserIds('edges', 5_000);
  const r = await serving('edges', [on('zero-flag', 0), on('full-flag', 100)]);
  const inAtZero = members(r.flags, 'zero-flag', users, 'with zero-flag at rolloutPercent 0');
  check(inAtZero.size === 0, () =>
    `${inAtZero.size} of ${users.length} users were in at 0 % (e.g. ${sample(inAtZero)}); expected nobody: a user is in when their bucket is strictly below the percentage (<, not <=)`);
  const inAtFull = members(r.flags, 'full-flag', users, 'with full-flag at rolloutPercent 100');
  const out = users.filter((u) => !inAtFull.has(u));
  check(out.length === 0, () =>
    `${out.length} of ${users.length} users were left out at 100 % (e.g. ${sample(out)}); expected everybody in: buckets go from 0 up to, not including, 100`);
});

test("a user's answer is stable: asked again, by a fresh instance, and by your module loaded afresh (as in another process)", async () => {
  useVirtualTime();
  controlMathRandom(streamFor('stable/math-random'));
  const users = mixedUserIds('stable', 1_000);
  const flags = [on('new-checkout', 50), on('dark-mode', 12.5)];
  const first = await serving('stable-a', flags);
  const fresh = await serving('stable-b', flags);
  vi.resetModules();
  const reloaded = (await import('learn-ds/subject/feature-flags')) as Subject;
  const other = await serving('stable-c', flags, reloaded);
  // One pass per comparison, in this order: a per-instance salt differs from the first instance
  // on a fresh one too, and must be named as such, not caught first by the reloaded module's
  // comparison when the fresh instance happened to agree on the users asked so far.
  for (const { key, rolloutPercent } of flags) {
    for (const user of users) {
      const a = ask(first.flags, key, user, `at ${rolloutPercent} %`);
      const again = ask(first.flags, key, user, `at ${rolloutPercent} %, asked a second time`);
      if (a !== again) fail(`isEnabled(${show(key)}, ${show(user)}) at ${rolloutPercent} % returned ${a}, then ${again} when asked again; expected the same answer every time: the bucket must come from the flag key and user id alone, not from Math.random() or the time`);
    }
  }
  for (const { key, rolloutPercent } of flags) {
    for (const user of users) {
      const a = ask(first.flags, key, user, `at ${rolloutPercent} %`);
      const b = ask(fresh.flags, key, user, `on a fresh instance at ${rolloutPercent} %`);
      if (a !== b) fail(`isEnabled(${show(key)}, ${show(user)}) at ${rolloutPercent} % returned ${a} on one instance and ${b} on a fresh one with the same configuration; expected the same answer on every instance (no per-instance salt or counter)`);
    }
  }
  for (const { key, rolloutPercent } of flags) {
    for (const user of users) {
      const a = ask(first.flags, key, user, `at ${rolloutPercent} %`);
      const c = ask(other.flags, key, user, `with your module loaded afresh, at ${rolloutPercent} %`);
      if (a !== c) fail(`isEnabled(${show(key)}, ${show(user)}) at ${rolloutPercent} % returned ${a}, and ${c} once your module was loaded afresh (as in another process); expected the same answer in every process: no random salt made when the module loads`);
    }
  }
});

const STEPS = [0, 0.1, 1, 5, 10, 12, 12.4, 12.5, 12.6, 13, 20, 33.3, 50, 66.7, 90, 99.9, 100];

/** Who is in `flagKey` at each of `steps`, one reload per step on one instance. */
async function rolloutSteps(label: string, flagKey: string, users: readonly string[], steps: readonly number[]): Promise<Set<string>[]> {
  const r = await running(label, [on(flagKey, steps[0]!)]);
  const { reloadIntervalMs: R, delayMs: d } = r.s;
  const sets: Set<string>[] = [];
  for (const [i, percent] of steps.entries()) {
    r.service.setFlags([on(flagKey, percent)]);
    await at(r, (i + 1) * R + d);
    sets.push(members(r.flags, flagKey, users, `with ${flagKey} reloaded at rolloutPercent ${percent}`));
  }
  r.flags.stop();
  return sets;
}

test('a rollout is monotone: everyone in at one percentage is still in at every higher one', async () => {
  useVirtualTime();
  const users = mixedUserIds('monotone', 1_250);
  const sets = await rolloutSteps('monotone', 'new-checkout', users, STEPS);
  for (let i = 1; i < STEPS.length; i++) {
    const dropped = [...sets[i - 1]!].filter((u) => !sets[i]!.has(u));
    check(dropped.length === 0, () =>
      `${dropped.length} user(s) in at ${STEPS[i - 1]} % were out at ${STEPS[i]} % (e.g. ${sample(dropped)}); a rollout is monotone: everyone in at one percentage ` +
      'must still be in at every higher one. Compare a bucket that does not depend on the percentage with the percentage');
  }
});

test('fractional percentages count: 12.4 %, 12.5 % and 12.6 % each let in more users than the one before, and 0.1 % lets some in', async () => {
  useVirtualTime();
  const users = mixedUserIds('fractional', 5_000);
  const steps = [0, 0.1, 12, 12.4, 12.5, 12.6, 13];
  const sets = await rolloutSteps('fractional', 'dark-mode', users, steps);
  const size = (percent: number) => sets[steps.indexOf(percent)]!.size;
  for (const [low, high] of [[12, 12.4], [12.4, 12.5], [12.5, 12.6], [12.6, 13], [0, 0.1]] as const) {
    const a = size(low);
    const b = size(high);
    check(b > a, () =>
      `${b} of ${users.length} users were in at ${high} % and ${a} at ${low} %; expected more at ${high} % (about ${Math.round((users.length * (high - low)) / 100)} more): ` +
      'a fractional percentage counts as it is, not rounded; make the buckets at least as fine as 0.1 %');
  }
});

/** |observed - expected| allowed for a binomial count: 5 standard deviations, and 1 for rounding. */
function binomialTolerance(n: number, p: number): number {
  return 5 * Math.sqrt(n * p * (1 - p)) + 1;
}

test('the share of users let in matches the percentage, for user ids of every shape (sequential, random, mixed case, non-ASCII)', async () => {
  useVirtualTime();
  const percents = [0.1, 1, 12.5, 50, 87.5, 99.9];
  const r = await serving('shares', percents.map((p, i) => on(`rollout-${i}`, p)));
  for (const shape of SHAPES) {
    const users = userIds('shares', shape, 4_000);
    for (const [i, percent] of percents.entries()) {
      const count = members(r.flags, `rollout-${i}`, users, `at rolloutPercent ${percent}`).size;
      const expected = (users.length * percent) / 100;
      const tolerance = binomialTolerance(users.length, percent / 100);
      check(Math.abs(count - expected) <= tolerance, () =>
        `${count} of ${users.length} ${shape} user ids (e.g. ${sample(users)}) were in at ${percent} %; expected about ${expected} ` +
        `(within ±${tolerance.toFixed(1)}): the bucket must spread user ids of every shape evenly; use a hash that mixes well (e.g. SHA-256 from node:crypto)`);
    }
  }
});

test("flags are independent: being in one flag's rollout tells nothing about being in another's", async () => {
  useVirtualTime();
  const users = mixedUserIds('independent', 4_000);
  const pairs: [string, number, string, number][] = [
    ['checkout-v2', 50, 'checkout-v3', 50],
    ['new-checkout', 50, 'dark-mode', 50],
    ['search-ranking', 20, 'beta-search', 30],
    ['a', 10, 'b', 10],
  ];
  const r = await serving('independent', pairs.flatMap(([a, pa, b, pb]) => [on(a, pa), on(b, pb)]));
  for (const [a, pa, b, pb] of pairs) {
    const inA = members(r.flags, a, users, `with ${a} at ${pa} %`);
    const inB = members(r.flags, b, users, `with ${b} at ${pb} %`);
    const both = [...inA].filter((u) => inB.has(u)).length;
    const q = (pa / 100) * (pb / 100);
    const expected = users.length * q;
    const tolerance = binomialTolerance(users.length, q);
    check(Math.abs(both - expected) <= tolerance, () =>
      `${both} of ${users.length} users were in both ${a} (${pa} %, ${inA.size} in) and ${b} (${pb} %, ${inB.size} in); for independent flags expected about ${expected} ` +
      `(within ±${tolerance.toFixed(1)}): a user's bucket must come from the flag key and the user id together, hashed so that flags are not correlated`);
  }
});

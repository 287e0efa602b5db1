// The hidden suite of trace-context: the two parsers at every edge of the W3C Trace Context grammar
// (pure calls), then the tracer through real HTTP services on loopback, judged by rebuilding each
// request's trace tree from the services' log lines and the headers each hop received.
import { afterEach, test } from 'vitest';
import { check, controlMathRandom, describeThrown, fail, show, streamFor } from 'learn-ds/harness';
import { createTracer, parseTraceparent, parseTracestate } from 'learn-ds/subject/trace-context';
import { closeAll, listen, rawGet } from './net.ts';
import { checkTree, parseLine, type Incoming, type Member } from './tree.ts';
import { World, type ServiceSpec } from './world.ts';

afterEach(closeAll);

// ---------------------------------------------------------------------------------------------
// Test data from the suite's seed.
// ---------------------------------------------------------------------------------------------

function dataFor(label: string) {
  const rnd = streamFor(label);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
  /** A random id of n hex digits with a letter in it (so that case matters) and not all zero. */
  const id = (n: number) => {
    const digits = hex(n - 1);
    const at = Math.floor(rnd() * n);
    return digits.slice(0, at) + 'abcdef'[Math.floor(rnd() * 6)] + digits.slice(at);
  };
  return { rnd, traceId: () => id(32), spanId: () => id(16), hex };
}

function describeCall(name: string, arg: string | undefined): string {
  return `${name}(${arg === undefined ? 'undefined' : JSON.stringify(arg)})`;
}

function callParser<T>(name: string, fn: (h: string | undefined) => T, arg: string | undefined): T {
  try {
    return fn(arg);
  } catch (error) {
    fail(`${describeCall(name, arg)} threw ${describeThrown(error)}; expected it to return (${name === 'parseTraceparent' ? 'null for an invalid header' : '[] for an invalid header'}), never to throw`);
  }
}

/** parseTraceparent(header) must give `expected`; `why` says why, for the learner. */
function expectTraceparent(header: string | undefined, expected: { traceId: string; parentId: string; sampled: boolean } | null, why: string): void {
  const got = callParser('parseTraceparent', parseTraceparent, header);
  if (expected === null) {
    check(got === null, () => `${describeCall('parseTraceparent', header)} returned ${show(got)}; expected null: ${why}`);
    return;
  }
  const same = got !== null && typeof got === 'object' && got.traceId === expected.traceId && got.parentId === expected.parentId && got.sampled === expected.sampled;
  check(same, () => `${describeCall('parseTraceparent', header)} returned ${show(got)}; expected ${show(expected)}: ${why}`);
}

/** parseTracestate(header) must give `expected` (key, value pairs in order); `why` says why. */
function expectTracestate(header: string | undefined, expected: readonly Member[], why: string): void {
  const got = callParser('parseTracestate', parseTracestate, header);
  const pairs = Array.isArray(got) ? got.map((m: unknown) => (typeof m === 'object' && m !== null ? [(m as { key?: unknown }).key, (m as { value?: unknown }).value] : [m, undefined])) : undefined;
  const same = pairs !== undefined && pairs.length === expected.length && pairs.every(([k, v], i) => k === expected[i]![0] && v === expected[i]![1]);
  const shown = (h: string | undefined) => (h !== undefined && h.length > 120 ? `${JSON.stringify(h.slice(0, 100))}… (${h.length} characters)` : JSON.stringify(h));
  check(
    same,
    () => `parseTracestate(${shown(header)}) returned ${show(got)}; expected ${expected.length === 0 ? '[]' : show(expected.map(([key, value]) => ({ key, value })))}: ${why}`,
  );
}

/** The same fields with the same values, in any order. */
function sameFields(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const sorted = (o: Record<string, unknown>) => JSON.stringify(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : 1)));
  return sorted(a) === sorted(b);
}

const tp = (version: string, traceId: string, parentId: string, flags: string) => `${version}-${traceId}-${parentId}-${flags}`;

// ---------------------------------------------------------------------------------------------
// parseTraceparent
// ---------------------------------------------------------------------------------------------

test('parseTraceparent reads a valid version-00 header: trace id, parent id, and the sampled bit of trace-flags', () => {
  const d = dataFor('valid traceparent');
  const traceId = d.traceId();
  const parentId = d.spanId();
  expectTraceparent(tp('00', traceId, parentId, '01'), { traceId, parentId, sampled: true }, 'a valid header, sampled');
  expectTraceparent(tp('00', traceId, parentId, '00'), { traceId, parentId, sampled: false }, 'a valid header, not sampled');
  expectTraceparent(tp('00', '0af7651916cd43dd8448eb211c80319c', '00f067aa0ba902b7', '01'), { traceId: '0af7651916cd43dd8448eb211c80319c', parentId: '00f067aa0ba902b7', sampled: true }, "the Recommendation's own example");
  // Ids with leading zeros, and with only one digit that is not zero, are valid.
  expectTraceparent(tp('00', '0'.repeat(31) + '1', '0'.repeat(15) + '1', '00'), { traceId: '0'.repeat(31) + '1', parentId: '0'.repeat(15) + '1', sampled: false }, 'ids that are not all zero are valid, however many zeros they start with');
  // trace-flags is a bit field: sampled is its lowest bit, whatever the other bits.
  for (const [flags, sampled] of [['03', true], ['09', true], ['ff', true], ['81', true], ['02', false], ['08', false], ['fe', false], ['80', false]] as const) {
    expectTraceparent(
      tp('00', traceId, parentId, flags),
      { traceId, parentId, sampled },
      `trace-flags is a bit field and sampled is its lowest bit: 0x${flags} has it ${sampled ? 'set' : 'clear'} (mask the bit, do not compare the whole byte with 01)`,
    );
  }
});

test('parseTraceparent refuses fields of the wrong length: version 2, trace-id 32, parent-id 16, trace-flags 2 hex characters', () => {
  const d = dataFor('lengths');
  const t = d.traceId();
  const p = d.spanId();
  const cases: Array<[string, string]> = [
    [tp('00', t.slice(0, 31), p, '01'), 'a trace-id of 31 characters'],
    [tp('00', t + 'a', p, '01'), 'a trace-id of 33 characters'],
    [tp('00', t, p.slice(0, 15), '01'), 'a parent-id of 15 characters'],
    [tp('00', t, p + 'a', '01'), 'a parent-id of 17 characters'],
    [tp('00', t, p, '1'), 'trace-flags of 1 character'],
    [tp('00', t, p, '001'), 'trace-flags of 3 characters'],
    [tp('0', t, p, '01'), 'a version of 1 character'],
    [tp('000', t, p, '01'), 'a version of 3 characters'],
    [`00-${t}-${p}`, 'trace-flags missing'],
    [`00-${t}${p}-01`, 'a dash missing'],
    [`00_${t}_${p}_01`, 'fields not separated by dashes'],
    ['', 'an empty header'],
  ];
  for (const [header, why] of cases) expectTraceparent(header, null, `${why} is invalid`);
  expectTraceparent(undefined, null, 'no header at all');
  expectTraceparent(tp('00', t, p, '01'), { traceId: t, parentId: p, sampled: true }, 'the same fields at their exact lengths are valid');
});

test('parseTraceparent accepts lowercase hex only: uppercase or other characters make the header invalid', () => {
  const d = dataFor('lowercase');
  const t = d.traceId();
  const p = d.spanId();
  const upper = (s: string) => s.toUpperCase();
  const cases: Array<[string, string]> = [
    [tp('00', upper(t), p, '01'), 'an uppercase trace-id'],
    [tp('00', t.slice(0, 31) + 'A', p, '01'), 'a trace-id with one uppercase letter'],
    [tp('00', t, upper(p), '01'), 'an uppercase parent-id'],
    [tp('00', t, p, '0A'), 'uppercase trace-flags'],
    [tp('cC', t, p, '01'), 'an uppercase version'],
    [tp('00', t.slice(0, 31) + 'g', p, '01'), "a trace-id with a 'g'"],
    [tp('00', t, p.slice(0, 15) + '.', '01'), "a parent-id with a '.'"],
    [tp('00', t.slice(0, 31) + 'é', p, '01'), 'a trace-id with a non-ASCII letter'],
    [tp('00', t, p.slice(0, 15) + '٣', '01'), 'a parent-id with an Arabic-Indic digit'],
    [tp('00', t, p, '.0'), "trace-flags with a '.'"],
    [tp('.0', t, p, '01'), "a version with a '.'"],
  ];
  for (const [header, why] of cases) expectTraceparent(header, null, `${why} is invalid: every field is lowercase hex (0-9, a-f), and uppercase is not accepted`);
});

test('parseTraceparent refuses an all-zero trace-id or parent-id', () => {
  const d = dataFor('zeros');
  const t = d.traceId();
  const p = d.spanId();
  expectTraceparent(tp('00', '0'.repeat(32), p, '01'), null, 'an all-zero trace-id is invalid');
  expectTraceparent(tp('00', t, '0'.repeat(16), '01'), null, 'an all-zero parent-id is invalid');
  expectTraceparent(tp('00', '0'.repeat(32), '0'.repeat(16), '00'), null, 'all-zero ids are invalid');
  expectTraceparent(tp('cc', '0'.repeat(32), p, '01'), null, 'an all-zero trace-id is invalid in any version');
  expectTraceparent(tp('00', t, p, '00'), { traceId: t, parentId: p, sampled: false }, 'flags 00 are fine: only the ids may not be all zero');
});

test('parseTraceparent refuses version ff, and version 00 with anything after trace-flags; a higher version may add fields after a dash', () => {
  const d = dataFor('versions');
  const t = d.traceId();
  const p = d.spanId();
  expectTraceparent(tp('ff', t, p, '01'), null, 'version ff is forbidden');
  expectTraceparent(`${tp('ff', t, p, '01')}-extra`, null, 'version ff is forbidden, with or without more fields');
  expectTraceparent(`${tp('00', t, p, '01')}-what-the-future-will-be-like`, null, 'version 00 has exactly four fields: extra fields make a version-00 header invalid');
  expectTraceparent(`${tp('00', t, p, '01')}-`, null, 'version 00 is exactly 55 characters: a trailing dash (extra fields) makes it invalid');
  expectTraceparent(`${tp('00', t, p, '01')}.`, null, 'version 00 is exactly 55 characters');
  const later: Array<[string, string, boolean]> = [
    [tp('cc', t, p, '01'), 'a higher version with the four fields only', true],
    [`${tp('cc', t, p, '01')}-what-the-future-will-be-like`, 'a higher version with extra fields after a dash', true],
    [`${tp('01', t, p, '00')}-x`, 'version 01 with an extra field', false],
    [`${tp('fe', t, p, '03')}-${d.hex(8)}-${d.hex(4)}`, 'version fe with two extra fields', true],
  ];
  for (const [header, why, sampled] of later) {
    expectTraceparent(header, { traceId: t, parentId: p, sampled }, `${why} is read: its first four fields have the version-00 layout (a higher version only adds fields)`);
  }
  expectTraceparent(`${tp('cc', t, p, '01')}.what-the-future-will-be-like`, null, 'in a higher version, trace-flags must be followed by the end of the header or a dash');
  expectTraceparent(tp('cc', t, p, '1'), null, 'a higher version shorter than 55 characters is invalid');
  expectTraceparent(tp('cc', t, p.slice(0, 15), '01') + '0', null, 'a higher version whose parent-id is 15 characters is invalid, even at 55 characters in all');
});

// ---------------------------------------------------------------------------------------------
// parseTracestate
// ---------------------------------------------------------------------------------------------

test('parseTracestate keeps members in order, ignores spaces and tabs around them, and drops empty members', () => {
  expectTracestate('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', [['rojo', '00f067aa0ba902b7'], ['congo', 't61rcWkgMzE']], 'two members, in the order sent');
  expectTracestate('foo=1 \t , \t bar=2, \t baz=3', [['foo', '1'], ['bar', '2'], ['baz', '3']], 'spaces and tabs around members are not part of them');
  expectTracestate('\t foo=1 \t', [['foo', '1']], 'spaces and tabs around a member are not part of it');
  expectTracestate('foo=1,,bar=2', [['foo', '1'], ['bar', '2']], 'an empty member is allowed, and dropped');
  expectTracestate(',foo=1, ,\t,bar=2,', [['foo', '1'], ['bar', '2']], 'empty and whitespace-only members are allowed anywhere, and dropped');
  expectTracestate('foo=1, , ,', [['foo', '1']], 'empty members at the end are dropped');
  expectTracestate('', [], 'an empty header has no members (and is valid)');
  expectTracestate(' , \t ', [], 'a header of whitespace and commas has no members');
  expectTracestate(undefined, [], 'no header at all');
  expectTracestate('foo=a b c', [['foo', 'a b c']], 'spaces inside a value are part of it');
});

test('parseTracestate accepts simple keys and tenant@system keys at their length limits, and discards the whole header for any invalid key', () => {
  const d = dataFor('keys');
  const value = d.hex(8);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
  const valid: Array<[string, string]> = [
    ['a', 'a one-letter key'],
    [alphabet, 'a key using every character allowed'],
    ['z'.repeat(256), 'a simple key of 256 characters'],
    ['my-tracing_system*/v2', 'a simple key with digits, dashes, underscores, asterisks and slashes'],
    ['tenant@system', 'a tenant@system key'],
    ['7shop@pay', 'a tenant id may start with a digit'],
    [`${'t'.repeat(241)}@${'v'.repeat(14)}`, 'a tenant id of 241 and a system id of 14 characters'],
    [`${alphabet}@a-z0-9_-*/`, 'a tenant@system key using every character allowed'],
  ];
  for (const [key, why] of valid) {
    expectTracestate(`foo=1,${key}=${value}`, [['foo', '1'], [key, value]], `${why} is valid`);
  }
  const invalid: Array<[string, string]> = [
    ['z'.repeat(257), 'a simple key of 257 characters'],
    [`${'t'.repeat(242)}@v`, 'a tenant id of 242 characters'],
    [`t@${'v'.repeat(15)}`, 'a system id of 15 characters'],
    ['t@1pay', 'a system id that starts with a digit'],
    ['FOO', 'an uppercase key'],
    ['fOo', 'a key with an uppercase letter'],
    ['foo.bar', "a key with a '.'"],
    ['foo bar', 'a key with a space inside'],
    ['_foo', "a key that starts with '_'"],
    ['foo@', 'a key with an empty system id'],
    ['@foo', 'a key with an empty tenant id'],
    ['foo@@bar', "a key with two '@'"],
    ['foo@bar@baz', "a key with two '@'"],
    ['clé', 'a key with a non-ASCII letter'],
    ['', 'an empty key'],
  ];
  for (const [key, why] of invalid) {
    expectTracestate(`foo=1,${key}=${value},bar=2`, [], `${why} is invalid, and an invalid member makes the whole header invalid: discard all of it`);
  }
  expectTracestate('foo =1', [], "a space between the key and '=' makes the key invalid");
  expectTracestate('foo=1,bar', [], "a member without '=' is invalid");
});

test('parseTracestate accepts values of 1 to 256 printable ASCII characters other than comma and equals, and discards the whole header otherwise', () => {
  let printable = '';
  for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x2c && c !== 0x3d) printable += String.fromCharCode(c);
  const valid: Array<[string, string]> = [
    ['x', 'a value of 1 character'],
    ['v'.repeat(256), 'a value of 256 characters'],
    [printable.trimStart(), 'a value using every printable character but comma and equals'],
    ['t61rcWkgMzE', 'a mixed-case value'],
  ];
  for (const [value, why] of valid) expectTracestate(`foo=${value},bar=2`, [['foo', value], ['bar', '2']], `${why} is valid`);
  const invalid: Array<[string, string]> = [
    ['', 'an empty value'],
    ['v'.repeat(257), 'a value of 257 characters'],
    ['bar=baz', "a value with '='"],
    ['a\tb', 'a value with a tab'],
    ['café', 'a value with a non-ASCII letter'],
    ['a\u007fb', 'a value with the DEL character'],
  ];
  for (const [value, why] of invalid) {
    expectTracestate(`foo=${value},bar=2`, [], `${why} is invalid, and an invalid member makes the whole header invalid: discard all of it`);
  }
});

test('parseTracestate accepts at most 32 members, and discards a header with 33 members or a duplicate key', () => {
  const members = (n: number): Member[] => Array.from({ length: n }, (_, i) => [`bar${String(i + 1).padStart(2, '0')}`, String(i + 1)] as const);
  const header = (ms: readonly Member[]) => ms.map(([k, v]) => `${k}=${v}`).join(',');
  expectTracestate(header(members(32)), members(32), '32 members are allowed');
  expectTracestate(header(members(33)), [], 'more than 32 members make the header invalid: 33 members are one too many');
  expectTracestate(`${header(members(32))},,  ,`, members(32), '32 members and empty ones are allowed: empty members are dropped, and are not members');
  expectTracestate('foo=1,foo=1', [], 'a duplicate key makes the header invalid, even with the same value');
  expectTracestate('foo=1,bar=2,foo=3', [], 'a duplicate key makes the header invalid');
  expectTracestate('a@b=1,a@c=2,b@a=3', [['a@b', '1'], ['a@c', '2'], ['b@a', '3']], 'keys that share a tenant or a system are different keys');
});

// ---------------------------------------------------------------------------------------------
// The tracer, over real HTTP: gateway calls orders and payments at once; orders calls stock;
// stock and payments call a sink that records what it is sent.
// ---------------------------------------------------------------------------------------------

function chain(sampleNewTraces = true): ServiceSpec[] {
  return [
    { name: 'gateway', key: 'gateway', calls: ['orders', 'payments'], parallel: true, sampleNewTraces },
    { name: 'orders', key: 'orders@acme', calls: ['stock'], sampleNewTraces: !sampleNewTraces },
    { name: 'stock', key: 'stock', calls: ['sink'], sampleNewTraces: !sampleNewTraces },
    { name: 'payments', key: '7shop@pay', calls: ['sink'], sampleNewTraces: !sampleNewTraces },
  ];
}

const stateHeader = (ms: readonly Member[]) => ms.map(([k, v]) => `${k}=${v}`).join(',');

test('continues a valid trace through a chain of services: one trace id, a new span at each service whose parent is the caller\'s span', async () => {
  const d = dataFor('chain');
  controlMathRandom(streamFor('chain ids'));
  const world = await World.build(chain());
  const spanIds = new Map<string, string>();
  const state: Member[] = [['congo', 't61rcWkgMzE'], ['rojo', '00f067aa0ba902b7']];
  const requests: Array<{ headers: Array<[string, string]>; incoming: Incoming }> = [];
  for (const [version, flags, sampled, extra] of [['00', '01', true, ''], ['00', '00', false, ''], ['cc', '01', true, '-what-the-future-will-be-like']] as const) {
    const traceId = d.traceId();
    const parentId = d.spanId();
    requests.push({
      headers: [['traceparent', `${tp(version, traceId, parentId, flags)}${extra}`], ['tracestate', stateHeader(state)]],
      incoming: { continues: { traceId, parentId, sampled }, tracestate: state },
    });
  }
  for (const [i, r] of requests.entries()) {
    await world.send('gateway', `r${i + 1}`, r.headers);
    checkTree(world, `r${i + 1}`, r.incoming, spanIds);
  }
});

test('starts a new trace when traceparent is missing or invalid, with a new trace id, no parent, the sampled flag from sampleNewTraces, and drops the incoming tracestate', async () => {
  const d = dataFor('new trace');
  controlMathRandom(streamFor('new trace ids'));
  const t = d.traceId();
  const p = d.spanId();
  const invalid: Array<[Array<[string, string]>, string[]]> = [
    [[], []],
    [[['traceparent', tp('00', t.toUpperCase(), p, '01')]], [t, t.toUpperCase()]],
    [[['traceparent', tp('ff', t, p, '01')]], [t]],
    [[['traceparent', tp('00', t, '0'.repeat(16), '01')]], [t]],
    [[['traceparent', tp('00', '0'.repeat(32), p, '01')]], ['0'.repeat(32)]],
    [[['traceparent', `${tp('00', t, p, '01')}-extra`]], [t]],
    [[['traceparent', tp('00', t + 'a', p, '01')]], [t, (t + 'a').slice(1)]],
    [[['traceparent', tp('00', t, p, '01')], ['traceparent', tp('00', d.traceId(), p, '01')]], [t]],
  ];
  const traceIds = new Set<string>();
  for (const sampleNewTraces of [true, false]) {
    const world = await World.build(chain(sampleNewTraces));
    const spanIds = new Map<string, string>();
    for (const [i, [headers, notTraceIds]] of invalid.entries()) {
      const tag = `n${i + 1}`;
      await world.send('gateway', tag, [...headers, ['tracestate', 'congo=t61rcWkgMzE,gateway=old']]);
      const { spans } = checkTree(world, tag, { tracestate: [], notTraceIds }, spanIds);
      const traceId = spans[0]!.traceId;
      check(!traceIds.has(traceId), () => `gateway started the trace ${traceId} for request ${tag} (sent with ${headers.length === 0 ? 'no traceparent' : JSON.stringify(headers.map(([, v]) => v).join(' and '))}), a trace id it had already used for another new trace; expected a new random trace id for every new trace`);
      traceIds.add(traceId);
    }
    await closeAll();
  }
});

test('sends the sampled flag on as it was received, and clears the other flag bits', async () => {
  const d = dataFor('flags');
  controlMathRandom(streamFor('flags ids'));
  const world = await World.build(chain());
  const spanIds = new Map<string, string>();
  for (const [i, [flags, sampled]] of ([['01', true], ['00', false], ['03', true], ['02', false], ['ff', true], ['fe', false]] as const).entries()) {
    const traceId = d.traceId();
    const parentId = d.spanId();
    const tag = `f${i + 1}`;
    await world.send('gateway', tag, [['traceparent', tp('00', traceId, parentId, flags)]]);
    checkTree(world, tag, { continues: { traceId, parentId, sampled }, tracestate: [] }, spanIds);
  }
});

test('puts its own tracestate member first: an updated member moves to the left, the others keep their order, and at 32 members the right-most makes room', async () => {
  const d = dataFor('tracestate moves');
  controlMathRandom(streamFor('tracestate ids'));
  const world = await World.build(chain());
  const spanIds = new Map<string, string>();
  const values = Array.from({ length: 32 }, () => d.hex(6));
  const many = (n: number): Member[] => values.slice(0, n).map((v, i) => [`v${i + 1}`, v] as const);
  const cases: Array<{ sent: string[]; members: Member[] }> = [
    { sent: ['congo=a1,gateway=old,rojo=b2'], members: [['congo', 'a1'], ['gateway', 'old'], ['rojo', 'b2']] },
    { sent: ['congo=a1,rojo=b2,orders@acme=old,stock=older'], members: [['congo', 'a1'], ['rojo', 'b2'], ['orders@acme', 'old'], ['stock', 'older']] },
    { sent: [stateHeader(many(32))], members: many(32) },
    { sent: [stateHeader([...many(31), ['gateway', 'old']])], members: [...many(31), ['gateway', 'old']] },
    { sent: [stateHeader(many(31))], members: many(31) },
    { sent: ['congo=a1 , ,\t rojo=b2', 'x@y=3'], members: [['congo', 'a1'], ['rojo', 'b2'], ['x@y', '3']] },
    { sent: ['congo=a1,congo=a2'], members: [] },
    { sent: ['congo=a1', 'UPPER=x'], members: [] },
  ];
  for (const [i, c] of cases.entries()) {
    const traceId = d.traceId();
    const parentId = d.spanId();
    const tag = `s${i + 1}`;
    await world.send('gateway', tag, [['traceparent', tp('00', traceId, parentId, '01')], ...c.sent.map((v) => ['tracestate', v] as [string, string])]);
    checkTree(world, tag, { continues: { traceId, parentId, sampled: true }, tracestate: c.members }, spanIds);
  }
});

test('keeps each request\'s context across awaits, timers and interleaved requests: concurrent requests never see each other\'s ids', async () => {
  const d = dataFor('concurrent');
  controlMathRandom(streamFor('concurrent ids'));
  const world = await World.build(chain());
  // Every service holds each request after its first log line until the check lets it go.
  const held = new Map<string, () => void>();
  const arrivals: string[] = [];
  let arrived = () => {};
  world.gate = (service, tag) => {
    if (service !== 'gateway') return Promise.resolve();
    arrivals.push(tag);
    arrived();
    return new Promise<void>((resolve) => held.set(tag, resolve));
  };
  const n = 6;
  const requests = Array.from({ length: n }, (_, i) => {
    const traceId = d.traceId();
    const parentId = d.spanId();
    const sampled = i % 2 === 0;
    const tag = `c${i + 1}`;
    const state: Member[] = [['congo', d.hex(8)]];
    return {
      tag,
      incoming: { continues: { traceId, parentId, sampled }, tracestate: state } satisfies Incoming,
      sent: world.start('gateway', tag, [['traceparent', tp('00', traceId, parentId, sampled ? '01' : '00')], ['tracestate', stateHeader(state)]]),
    };
  });
  // Wait until every request is held at the gateway, then let them all go at once, in a seeded
  // order that starts with the first to arrive: their continuations interleave.
  await new Promise<void>((resolve) => {
    arrived = () => arrivals.length === n && resolve();
    arrived();
  });
  const order = [...arrivals.slice(1)].sort(() => d.rnd() - 0.5);
  for (const tag of [arrivals[0]!, ...order]) held.get(tag)!();
  for (const r of requests) await r.sent.answered();
  const spanIds = new Map<string, string>();
  for (const r of requests) checkTree(world, r.tag, r.incoming, spanIds);
});

test('writes each log line as one JSON object with service, trace_id, span_id, parent_id and message; fields are added, but never replace those five', async () => {
  const d = dataFor('log lines');
  controlMathRandom(streamFor('log ids'));
  const lines: string[] = [];
  const service = 'paiements-é☕';
  const tracer = createTracer({ service, tracestateKey: 'pay', sampleNewTraces: true, write: (line) => lines.push(line) });
  // Outside any request, the ids are null.
  tracer.log('starting up');
  check(lines.length === 1, () => `tracer.log('starting up') called write ${lines.length} times; expected once: one call of write per log line`);
  const boot = parseLine(service, lines[0]!);
  const expectedBoot = { service, trace_id: null, span_id: null, parent_id: null, message: 'starting up' };
  check(
    Object.entries(expectedBoot).every(([k, v]) => boot[k] === v),
    () => `tracer.log('starting up'), outside any request, wrote ${show(boot)}; expected ${show(expectedBoot)}: outside a request there is no span, so the three ids are null`,
  );
  const traceId = d.traceId();
  const parentId = d.spanId();
  const fields = { order: 'ord_7f3a', amount: 12.5, paid: false, items: ['книга', '本'], customer: { name: 'Zoë' }, note: null };
  const forged = { trace_id: 'forged', span_id: 'forged', parent_id: 'forged', service: 'forged', message: 'forged' };
  const url = await listen(
    tracer.handler(async (_req, res) => {
      tracer.log('paiement reçu ✓', fields);
      await Promise.resolve();
      tracer.log('forged fields', forged);
      res.end('ok');
    }),
  );
  const sent = await rawGet(url, '/', [['traceparent', tp('00', traceId, parentId, '01')]]);
  check(sent.kind === 'reply' && sent.status === 200, () => `a request to a server made with tracer.handler(fn) got ${show(sent)}; expected fn's answer, 200`);
  check((lines.length as number) === 3, () => `the handler called tracer.log twice, and write was called ${lines.length - 1} times; expected twice: one call of write per log line`);
  const line = parseLine(service, lines[1]!);
  const spanId = line.span_id;
  check(typeof spanId === 'string' && /^[0-9a-f]{16}$/.test(spanId) && !/^0+$/.test(spanId), () => `the log line ${show(line)} has span_id ${show(spanId)}; expected a new span id: 16 lowercase hex characters, not all zero`);
  const expected = { ...fields, service, trace_id: traceId, span_id: spanId, parent_id: parentId, message: 'paiement reçu ✓' };
  check(
    sameFields(line, expected),
    () => `tracer.log('paiement reçu ✓', ${show(fields)}) in a request sent with traceparent ${tp('00', traceId, parentId, '01')} wrote ${show(line)}; expected ${show(expected)}: the five fields of the tracer and the fields given, unchanged`,
  );
  const second = parseLine(service, lines[2]!);
  const own = { service, trace_id: traceId, span_id: spanId, parent_id: parentId, message: 'forged fields' };
  check(
    Object.entries(own).every(([k, v]) => second[k] === v),
    () => `tracer.log('forged fields', ${show(forged)}), called after an await, wrote ${show(second)}; expected service, trace_id, span_id, parent_id and message to be the tracer's own, ${show(own)}: ` +
      (second.span_id === null ? 'the request\'s context was lost after the await (run the handler inside asyncLocalStorage.run)' : 'fields given may not replace them'),
  );
});

test('makes ids at random: 32 and 16 lowercase hex characters, never all zero, never the same twice', async () => {
  controlMathRandom(streamFor('random ids'));
  const world = await World.build([{ name: 'edge', key: 'edge', calls: ['sink'], sampleNewTraces: false }]);
  const spanIds = new Map<string, string>();
  const traceIds = new Map<string, string>();
  for (let i = 1; i <= 40; i++) {
    const tag = `q${i}`;
    await world.send('edge', tag, []);
    const { spans } = checkTree(world, tag, { tracestate: [] }, spanIds);
    const before = traceIds.get(spans[0]!.traceId);
    check(before === undefined, () => `edge started the trace ${spans[0]!.traceId} for request ${tag}, the trace id it had already given ${before}; expected a new random trace id for every new trace`);
    traceIds.set(spans[0]!.traceId, tag);
  }
});

import { createHmac } from 'node:crypto';
import { test } from 'vitest';
import {
  advance,
  check,
  controlMathRandom,
  describeThrown,
  fail,
  show,
  streamFor,
  useVirtualTime,
} from 'learn-ds/harness';
import type { SignedMessage, Verdict } from 'learn-ds/subject/signed-messages';
// Before learn-ds/subject/signed-messages: the counter must be in place before the learner's file loads.
import { timingSafeEqualCalls } from './watch-crypto.ts';
import { sign, Verifier } from 'learn-ds/subject/signed-messages';

type VerifierInstance = InstanceType<typeof Verifier>;
type Reason = Exclude<Verdict, { ok: true }>['reason'];
type Expected = 'ok' | Reason;

const NONCE = /^[0-9a-f]{32}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;
const HEX_DIGITS = '0123456789abcdef';
const YEAR_MS = 365 * 24 * 3600_000;

// ---- The test's own implementation of the format, to check interoperability. ----

function hmacHex(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

function signedText(m: Pick<SignedMessage, 'timestamp' | 'nonce' | 'body'>): string {
  return `${m.timestamp}.${m.nonce}.${m.body}`;
}

/** A message signed by the test itself, with the documented format. */
function build(key: string, fields: Pick<SignedMessage, 'timestamp' | 'nonce' | 'body'>): SignedMessage {
  const m = { body: fields.body, timestamp: fields.timestamp, nonce: fields.nonce, signature: hmacHex(key, signedText(fields)) };
  builtByTest.add(m);
  return m;
}

/** Messages signed by the test itself (not by the learner's sign), to explain a wrong 'bad-signature'. */
const builtByTest = new WeakSet<object>();

// ---- Per-test settings, drawn from the suite's seed. ----

interface Setup {
  random: () => number;
  key: string;
  maxAgeMs: number;
  verifier: VerifierInstance;
  /** A new nonce (32 lower-case hex characters) from the seeded stream. */
  nonce: () => string;
}

function hexFrom(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += HEX_DIGITS[Math.floor(random() * 16)];
  return out;
}

/** Virtual time, a key, maxAgeMs 5..60 s (whole seconds) and a verifier, for one test. */
async function setup(label: string): Promise<Setup> {
  useVirtualTime();
  const random = streamFor(label);
  // Moves the clock off round numbers, so a timestamp that is not Date.now() shows.
  await advance(1 + Math.floor(random() * 100_000));
  const key = `key-${hexFrom(random, 12)}`;
  const maxAgeMs = 1000 * (5 + Math.floor(random() * 56));
  return { random, key, maxAgeMs, verifier: new Verifier({ key, maxAgeMs }), nonce: () => hexFrom(random, 32) };
}

const BODIES = ['transfer 100 EUR to bob', '', '{"order":42,"status":"paid"}', 'a.b.c', 'naïve café ☕', 'line 1\nline 2'];

/** A body for one message, from the seeded stream. */
function bodyFrom(random: () => number): string {
  return `${BODIES[Math.floor(random() * BODIES.length)]}#${Math.floor(random() * 1000)}`;
}

// ---- Calling the learner's code. ----

/** How a timestamp relates to the clock, for messages: "now − 5000 ms". */
function when(timestamp: number): string {
  const d = timestamp - Date.now();
  return d === 0 ? 'now' : d < 0 ? `now − ${-d} ms` : `now + ${d} ms`;
}

function signOrFail(key: string, body: string): SignedMessage {
  let m: unknown;
  try {
    m = sign(key, body);
  } catch (error) {
    fail(`sign(${show(key)}, ${show(body)}) threw ${describeThrown(error)}; expected a signed message`);
  }
  check(
    typeof m === 'object' && m !== null,
    () => `sign(${show(key)}, ${show(body)}) returned ${show(m)}; expected an object { body, timestamp, nonce, signature }`,
  );
  return m as SignedMessage;
}

/** Verifies and returns the verdict as 'ok' or the reason; anything else fails with `what` named. */
function verdictOf(verifier: VerifierInstance, message: unknown, what: string, expected: Expected): Expected {
  let verdict: unknown;
  try {
    verdict = verifier.verify(message as SignedMessage);
  } catch (error) {
    fail(`${what}: verify threw ${describeThrown(error)}; expected ${expectedText(expected)}. verify must return a verdict, never throw`);
  }
  const v = verdict as Partial<Record<'ok' | 'reason', unknown>> | null;
  if (typeof v === 'object' && v !== null && v.ok === true) return 'ok';
  if (typeof v === 'object' && v !== null && v.ok === false && typeof v.reason === 'string' &&
    ['malformed', 'bad-signature', 'stale', 'replayed'].includes(v.reason)) return v.reason as Reason;
  fail(`${what}: verify returned ${show(verdict)}; expected ${expectedText(expected)}`);
}

function expectedText(expected: Expected): string {
  return expected === 'ok' ? show({ ok: true }) : show({ ok: false, reason: expected });
}

function verdictText(got: Expected): string {
  return expectedText(got);
}

/** Checks the verdict; `why` is appended to the message when it is wrong. */
function expectVerdict(verifier: VerifierInstance, message: unknown, expected: Expected, what: string, why = ''): void {
  const got = verdictOf(verifier, message, what, expected);
  if (got === expected) return;
  let reason = why;
  // A genuine message rejected early: say why it is genuine rather than what the check is about.
  if (got === 'bad-signature' && expected !== 'malformed') {
    const m = message as SignedMessage;
    reason = builtByTest.has(m)
      ? `: the message is genuine, its signature is the HMAC-SHA256 in hex of ${show(signedText(m))} under the verifier's key`
      : ": the message was signed by your own sign with the verifier's key";
  } else if (got === 'malformed' && expected !== 'malformed') {
    reason = ': the message is well-formed (a string body, a safe-integer timestamp, 32 and 64 lower-case hex characters)';
  }
  fail(`${what}: verify returned ${verdictText(got)}; expected ${expectedText(expected)}${reason}`);
}

// ---- sign ----

test('sign returns { body, timestamp: Date.now(), nonce, signature } in the documented format', async () => {
  const { random, key } = await setup('format');
  for (const body of BODIES) {
    await advance(1 + Math.floor(random() * 5000));
    const m = signOrFail(key, body);
    const call = `sign(${show(key)}, ${show(body)})`;
    check(m.body === body, () => `${call} returned body ${show(m.body)}; expected the body unchanged, ${show(body)}`);
    check(
      m.timestamp === Date.now(),
      () => `${call} returned timestamp ${show(m.timestamp)} while Date.now() was ${Date.now()}; expected Date.now() at signing, in whole milliseconds`,
    );
    check(
      typeof m.nonce === 'string' && NONCE.test(m.nonce),
      () => `${call} returned nonce ${show(m.nonce)}; expected 32 lower-case hex characters (randomBytes(16).toString('hex'))`,
    );
    check(
      typeof m.signature === 'string' && SIGNATURE.test(m.signature),
      () => `${call} returned signature ${show(m.signature)}; expected 64 lower-case hex characters (an HMAC-SHA256 digest in hex)`,
    );
  }
});

test('sign signs HMAC-SHA256(key, `${timestamp}.${nonce}.${body}`), as any other implementation computes it', async () => {
  const { random, key } = await setup('signature');
  const otherKey = `other-${hexFrom(random, 8)}`;
  for (const k of [key, otherKey, 'clé secrète ☕']) {
    for (const body of BODIES) {
      const m = signOrFail(k, body);
      const text = signedText(m);
      const expected = hmacHex(k, text);
      if (m.signature === expected) continue;
      const diagnosis =
        m.signature === hmacHex(k, body) ? ': yours is the HMAC of the body alone, so the timestamp and nonce are not protected'
        : m.signature === hmacHex(k, `${m.timestamp}${m.nonce}${m.body}`) ? ': yours signs the fields without the dots between them'
        : '';
      fail(
        `sign(${show(k)}, ${show(body)}) returned signature ${show(m.signature)}; expected ${show(expected)}, ` +
          `the HMAC-SHA256 in hex of ${show(text)} under the key${diagnosis}`,
      );
    }
  }
});

// ---- verify: genuine messages ----

test('verify accepts genuine messages, whether signed by your sign or by another implementation', async () => {
  const { random, key, maxAgeMs, verifier } = await setup('genuine');
  for (let i = 0; i < 5; i++) {
    const body = bodyFrom(random);
    const m = signOrFail(key, body);
    expectVerdict(verifier, m, 'ok', `a message just signed by your sign(${show(key)}, ${show(body)})`);
  }
  const fresh = signOrFail(key, 'later');
  await advance(maxAgeMs / 2);
  expectVerdict(verifier, fresh, 'ok', `a message signed by your sign ${maxAgeMs / 2} ms earlier (maxAgeMs = ${maxAgeMs})`);
  for (const offset of [0, -1000, 1000, -Math.floor(maxAgeMs / 3)]) {
    const m = build(key, { timestamp: Date.now() + offset, nonce: hexFrom(random, 32), body: bodyFrom(random) });
    expectVerdict(
      verifier, m, 'ok',
      `a genuine message signed by another implementation (timestamp ${when(m.timestamp)}, nonce ${show(m.nonce)}, body ${show(m.body)}, maxAgeMs = ${maxAgeMs})`,
      `: its signature is the HMAC-SHA256 in hex of ${show(signedText(m))} under the key`,
    );
  }
});

// ---- verify: bad signatures ----

/** One hex character of `hex` changed, at `index`. */
function flipHex(hex: string, index: number): string {
  const c = hex[index]!;
  const other = HEX_DIGITS[(HEX_DIGITS.indexOf(c) + 1) % 16]!;
  return hex.slice(0, index) + other + hex.slice(index + 1);
}

test("rejects a message whose body, timestamp, nonce or signature was changed as 'bad-signature'", async () => {
  const { random, key, maxAgeMs, verifier } = await setup('tampered');
  const tampers: Array<[string, (m: SignedMessage) => SignedMessage]> = [
    ['its body changed', (m) => ({ ...m, body: m.body.replace('100', '900') })],
    ['one character added to its body', (m) => ({ ...m, body: `${m.body}!` })],
    ['its timestamp moved 1 ms later', (m) => ({ ...m, timestamp: m.timestamp + 1 })],
    ['its timestamp moved 1 ms earlier', (m) => ({ ...m, timestamp: m.timestamp - 1 })],
    ['one character of its nonce changed', (m) => ({ ...m, nonce: flipHex(m.nonce, 7) })],
    ['the first character of its signature changed', (m) => ({ ...m, signature: flipHex(m.signature, 0) })],
    ['the last character of its signature changed', (m) => ({ ...m, signature: flipHex(m.signature, 63) })],
  ];
  for (const [change, tamper] of tampers) {
    for (const by of ['another implementation', 'your sign'] as const) {
      const genuine = by === 'your sign'
        ? signOrFail(key, 'transfer 100 EUR to bob')
        : build(key, { timestamp: Date.now() - 500, nonce: hexFrom(random, 32), body: 'transfer 100 EUR to bob' });
      const forged = tamper(genuine);
      expectVerdict(
        verifier, forged, 'bad-signature',
        `a message signed by ${by}, with ${change} (${show(forged)}, maxAgeMs = ${maxAgeMs})`,
        ': the signature covers the timestamp, the nonce and the body, so changing any of them must be caught',
      );
    }
  }
});

test("rejects a message signed with another key as 'bad-signature'", async () => {
  const { random, key, maxAgeMs, verifier } = await setup('other-key');
  const otherKey = `${key}x`;
  const theirs = build(otherKey, { timestamp: Date.now(), nonce: hexFrom(random, 32), body: 'transfer 100 EUR to bob' });
  expectVerdict(
    verifier, theirs, 'bad-signature',
    `a message signed with the key ${show(otherKey)}, verified by a Verifier with key ${show(key)} (maxAgeMs = ${maxAgeMs})`,
  );
  const yours = signOrFail(otherKey, 'transfer 100 EUR to mallory');
  expectVerdict(
    verifier, yours, 'bad-signature',
    `a message signed by your sign(${show(otherKey)}, ...), verified by a Verifier with key ${show(key)}`,
  );
});

test('rejects a forgery that moves characters from one field to the next (the dots in the signed text prevent it)', async () => {
  const { random, key } = await setup('shift');
  // A verifier for which nothing is ever too old: only the signature can stop the forgery.
  const maxAgeMs = 200 * YEAR_MS;
  const verifier = new Verifier({ key, maxAgeMs });
  for (let i = 0; i < 3; i++) {
    const body = bodyFrom(random);
    const m = signOrFail(key, body);
    // Same characters in the same order, split differently: the timestamp's last digit moves into
    // the nonce, and the nonce's last character into the body.
    const forged: SignedMessage = {
      body: m.nonce.slice(-1) + m.body,
      timestamp: Math.floor(m.timestamp / 10),
      nonce: String(m.timestamp % 10) + m.nonce.slice(0, -1),
      signature: m.signature,
    };
    expectVerdict(
      verifier, forged, 'bad-signature',
      `a forgery made from a message signed by your sign (${show(m)}) by moving characters between its fields ` +
        `(${show(forged)}), with maxAgeMs = 200 years so that only the signature can reject it`,
      `: ${show(`${m.timestamp}${m.nonce}${m.body}`)} and ${show(`${forged.timestamp}${forged.nonce}${forged.body}`)} are the same string, ` +
        `which is why the signed text puts dots between the fields: ${show(signedText(m))} and ${show(signedText(forged))} differ`,
    );
    expectVerdict(verifier, m, 'ok', `the genuine message the forgery was made from (${show(m)}), verified after it`);
  }
});

// ---- verify: malformed messages ----

test("rejects a signature of the wrong length or not lower-case hex as 'malformed', without throwing", async () => {
  const { random, key, maxAgeMs, verifier } = await setup('bad-length');
  const variants: Array<[string, (s: string) => string]> = [
    ['62 hex characters (its last 2 cut off)', (s) => s.slice(0, 62)],
    ['63 hex characters (its last one cut off)', (s) => s.slice(0, 63)],
    ['66 hex characters (2 added)', (s) => `${s}00`],
    ['128 hex characters (written twice)', (s) => s + s],
    ['the empty string', () => ''],
    ['64 characters, the first one not hex', (s) => `g${s.slice(1)}`],
    ['64 characters, with spaces', (s) => `  ${s.slice(2)}`],
    ['the right hex digest in upper case', (s) => s.toUpperCase()],
  ];
  for (const [what, change] of variants) {
    let genuine = build(key, { timestamp: Date.now(), nonce: hexFrom(random, 32), body: 'transfer 100 EUR to bob' });
    // Upper case would change nothing in a digest made of digits only (about one in 10^13).
    while (!/[a-f]/.test(genuine.signature)) genuine = build(key, { ...genuine, nonce: hexFrom(random, 32) });
    const signature = change(genuine.signature);
    const m = { ...genuine, signature };
    expectVerdict(
      verifier, m, 'malformed',
      `a message whose signature is ${what} (${show(signature)}; maxAgeMs = ${maxAgeMs})`,
      ': a signature is exactly 64 lower-case hex characters; check the format before comparing ' +
        '(timingSafeEqual throws on buffers of different lengths)',
    );
  }
});

test("rejects anything that is not an object with the four fields of the right types and formats as 'malformed'", async () => {
  const { random, key, maxAgeMs, verifier } = await setup('malformed');
  const now = Date.now();
  const good = () => ({ timestamp: now, nonce: hexFrom(random, 32), body: 'transfer 100 EUR to bob' });
  // Each one signed over its own (bad) fields with the right key, so that only its format is wrong.
  const signedOver = (fields: { timestamp: number; nonce: string; body: string }) => build(key, fields);
  const cases: Array<[string, unknown]> = [
    ['null', null],
    ['undefined', undefined],
    ['a string', 'transfer 100 EUR to bob'],
    ['a number', 42],
    ['an empty object', {}],
    ['a message without its body', (({ body: _b, ...rest }) => rest)(signedOver(good()))],
    ['a message without its nonce', (({ nonce: _n, ...rest }) => rest)(signedOver(good()))],
    ['a message whose body is a number', { ...signedOver({ ...good(), body: '42' }), body: 42 }],
    ['a message whose timestamp is a string', { ...signedOver(good()), timestamp: String(now) }],
    ['a message whose timestamp is not a whole number', signedOver({ ...good(), timestamp: now + 0.5 })],
    ['a message whose timestamp is NaN', signedOver({ ...good(), timestamp: Number.NaN })],
    ['a message whose timestamp is Infinity', signedOver({ ...good(), timestamp: Number.POSITIVE_INFINITY })],
    ['a message whose timestamp is 2 ** 53, not a safe integer', signedOver({ ...good(), timestamp: 2 ** 53 })],
    ['a message whose nonce is in upper case', signedOver({ ...good(), nonce: `A${hexFrom(random, 31)}`.toUpperCase() })],
    ['a message whose nonce has 31 hex characters', signedOver({ ...good(), nonce: hexFrom(random, 31) })],
    ['a message whose nonce has 33 hex characters', signedOver({ ...good(), nonce: hexFrom(random, 33) })],
    ['a message whose nonce is not hex', signedOver({ ...good(), nonce: `z${hexFrom(random, 31)}` })],
    ['a message whose nonce is a number', { ...signedOver(good()), nonce: 12345 }],
    ['a message whose signature is a number', { ...signedOver(good()), signature: 12345 }],
  ];
  for (const [what, value] of cases) {
    expectVerdict(
      verifier, value, 'malformed',
      `verify(${what}${typeof value === 'object' && value !== null ? `: ${show(value)}` : ''}) (maxAgeMs = ${maxAgeMs})`,
      ': a message is an object with a string body, a safe-integer timestamp, a nonce of 32 lower-case hex ' +
        'characters and a signature of 64; the format is checked first, before the signature',
    );
  }
});

// ---- verify: age ----

test("rejects a message more than maxAgeMs old as 'stale', and accepts one exactly maxAgeMs old", async () => {
  const { random, key, maxAgeMs, verifier } = await setup('too-old');
  const msg = (offset: number) => build(key, { timestamp: Date.now() + offset, nonce: hexFrom(random, 32), body: bodyFrom(random) });
  const exact = msg(-maxAgeMs);
  expectVerdict(verifier, exact, 'ok', `a genuine message timestamped ${when(exact.timestamp)} (maxAgeMs = ${maxAgeMs})`, `: |now − timestamp| = ${maxAgeMs} is not more than maxAgeMs`);
  for (const offset of [-maxAgeMs - 1, -maxAgeMs - 1000, -10 * maxAgeMs]) {
    const m = msg(offset);
    expectVerdict(verifier, m, 'stale', `a genuine message timestamped ${when(m.timestamp)} (maxAgeMs = ${maxAgeMs})`, `: it is ${-offset} ms old, more than maxAgeMs`);
  }
  const kept = signOrFail(key, 'first');
  const late = signOrFail(key, 'second');
  await advance(maxAgeMs);
  expectVerdict(verifier, kept, 'ok', `a message signed by your sign exactly ${maxAgeMs} ms earlier (maxAgeMs = ${maxAgeMs})`);
  await advance(1);
  expectVerdict(verifier, late, 'stale', `a message signed by your sign ${maxAgeMs + 1} ms earlier (maxAgeMs = ${maxAgeMs})`);
});

test("rejects a message timestamped more than maxAgeMs in the future as 'stale', and accepts one exactly maxAgeMs ahead", async () => {
  const { random, key, maxAgeMs, verifier } = await setup('future');
  const msg = (offset: number) => build(key, { timestamp: Date.now() + offset, nonce: hexFrom(random, 32), body: bodyFrom(random) });
  const exact = msg(maxAgeMs);
  expectVerdict(verifier, exact, 'ok', `a genuine message timestamped ${when(exact.timestamp)} (maxAgeMs = ${maxAgeMs})`, `: |now − timestamp| = ${maxAgeMs} is not more than maxAgeMs`);
  for (const offset of [maxAgeMs + 1, maxAgeMs + 1000, 100 * maxAgeMs, 50 * YEAR_MS]) {
    const m = msg(offset);
    expectVerdict(
      verifier, m, 'stale', `a genuine message timestamped ${when(m.timestamp)}, in the future (maxAgeMs = ${maxAgeMs})`,
      ': a message from too far in the future is stale too (|now − timestamp| > maxAgeMs); otherwise an attacker who ' +
        'got one signed with a future timestamp could replay it for as long as they like',
    );
  }
});

// ---- verify: replays ----

test("rejects a message already accepted as 'replayed', and accepts a new one", async () => {
  const { random, key, maxAgeMs, verifier } = await setup('replay');
  const m = build(key, { timestamp: Date.now(), nonce: hexFrom(random, 32), body: 'transfer 100 EUR to bob' });
  expectVerdict(verifier, m, 'ok', `a genuine message (${show(m)}), verified the first time`);
  expectVerdict(verifier, m, 'replayed', 'the same message, verified again right after it was accepted');
  expectVerdict(verifier, { ...m }, 'replayed', 'a copy of that message (a new object, the same fields), verified again');
  await advance(maxAgeMs / 2);
  expectVerdict(verifier, m, 'replayed', `that message again, ${maxAgeMs / 2} ms after it was accepted (maxAgeMs = ${maxAgeMs})`);
  const again = build(key, { timestamp: Date.now(), nonce: hexFrom(random, 32), body: m.body });
  expectVerdict(verifier, again, 'ok', `a new genuine message with the same body and a new nonce (${show(again.nonce)})`, ': only the nonce makes a message a replay');
  const a = signOrFail(key, 'pay invoice 7');
  const b = signOrFail(key, 'pay invoice 7');
  expectVerdict(verifier, a, 'ok', "a message from your sign(key, 'pay invoice 7')");
  expectVerdict(verifier, b, 'ok', "a second message from your sign(key, 'pay invoice 7'), signed right after the first", ': each call to sign draws a new nonce');
});

test("a replay of a message older than maxAgeMs is 'stale', not 'replayed'", async () => {
  const { random, key, maxAgeMs, verifier } = await setup('replay-stale');
  const m = build(key, { timestamp: Date.now(), nonce: hexFrom(random, 32), body: 'transfer 100 EUR to bob' });
  expectVerdict(verifier, m, 'ok', `a genuine message (maxAgeMs = ${maxAgeMs}), verified the first time`);
  await advance(maxAgeMs + 1);
  expectVerdict(
    verifier, m, 'stale', `the same message again, ${maxAgeMs + 1} ms after its timestamp (maxAgeMs = ${maxAgeMs})`,
    ": the rules are checked in order, and 'stale' comes before 'replayed'",
  );
  expectVerdict(verifier, m, 'stale', `the same message once more, still ${maxAgeMs + 1} ms old`);
});

test('still rejects a replay of a message timestamped ahead of the clock, for as long as that message is valid', async () => {
  const { random, key, maxAgeMs, verifier } = await setup('future-replay');
  const m = build(key, { timestamp: Date.now() + maxAgeMs, nonce: hexFrom(random, 32), body: 'transfer 100 EUR to bob' });
  expectVerdict(verifier, m, 'ok', `a genuine message timestamped ${when(m.timestamp)} (maxAgeMs = ${maxAgeMs}), verified the first time`);
  const wait = Math.floor(1.5 * maxAgeMs);
  await advance(wait);
  expectVerdict(
    verifier, m, 'replayed',
    `the same message again, ${wait} ms after it was accepted, when its timestamp is ${when(m.timestamp)} (maxAgeMs = ${maxAgeMs})`,
    ': it is still valid, so its nonce must still be remembered. Forget a nonce when its message becomes stale ' +
      '(|now − timestamp| > maxAgeMs), not maxAgeMs after it was accepted',
  );
});

test('only an accepted message uses up its nonce: one rejected for a bad signature or as stale does not', async () => {
  const { random, key, maxAgeMs, verifier } = await setup('burn');
  const nonce = hexFrom(random, 32);
  const forged = { ...build(key, { timestamp: Date.now(), nonce, body: 'transfer 100 EUR to bob' }), body: 'transfer 9000 EUR to mallory' };
  expectVerdict(verifier, forged, 'bad-signature', `a forged message with nonce ${show(nonce)}`);
  const genuine = build(key, { timestamp: Date.now(), nonce, body: 'transfer 100 EUR to bob' });
  expectVerdict(
    verifier, genuine, 'ok', `then a genuine message with the same nonce ${show(nonce)}`,
    ': a message rejected for its signature does not use up its nonce; otherwise anyone could block a nonce with a forgery',
  );
  const nonce2 = hexFrom(random, 32);
  const old = build(key, { timestamp: Date.now() - maxAgeMs - 1, nonce: nonce2, body: 'pay invoice 7' });
  expectVerdict(verifier, old, 'stale', `a genuine message ${maxAgeMs + 1} ms old with nonce ${show(nonce2)} (maxAgeMs = ${maxAgeMs})`);
  const current = build(key, { timestamp: Date.now(), nonce: nonce2, body: 'pay invoice 7' });
  expectVerdict(
    verifier, current, 'ok', `then a genuine, current message with the same nonce ${show(nonce2)}`,
    ': a message rejected as stale does not use up its nonce; only an accepted message does',
  );
});

test('forgets a nonce once its message is stale: a new message may reuse it later', async () => {
  const { random, key, maxAgeMs, verifier } = await setup('forget');
  const nonce = hexFrom(random, 32);
  const first = build(key, { timestamp: Date.now(), nonce, body: 'pay invoice 7' });
  expectVerdict(verifier, first, 'ok', `a genuine message with nonce ${show(nonce)} (maxAgeMs = ${maxAgeMs})`);
  await advance(3 * maxAgeMs);
  const reuse = build(key, { timestamp: Date.now(), nonce, body: 'pay invoice 8' });
  expectVerdict(
    verifier, reuse, 'ok',
    `a new genuine message that reuses nonce ${show(nonce)}, ${3 * maxAgeMs} ms after the first one (maxAgeMs = ${maxAgeMs})`,
    ': the first message has long been stale, so its nonce must have been forgotten. Remembering every nonce ' +
      'forever makes the verifier\'s memory grow without bound',
  );
});

test("a fractional maxAgeMs (whole seconds + 0.5 ms): |now − timestamp| of maxAgeMs − 0.5 is valid, maxAgeMs + 0.5 is 'stale', both ways", async () => {
  const { random, key, maxAgeMs: whole } = await setup('fraction');
  const maxAgeMs = whole + 0.5;
  const verifier = new Verifier({ key, maxAgeMs });
  const msg = (offset: number) => build(key, { timestamp: Date.now() + offset, nonce: hexFrom(random, 32), body: bodyFrom(random) });
  for (const offset of [-whole, whole]) {
    const m = msg(offset);
    expectVerdict(verifier, m, 'ok', `a genuine message timestamped ${when(m.timestamp)} (maxAgeMs = ${maxAgeMs})`, `: ${whole} ms is less than maxAgeMs = ${maxAgeMs} (do not round maxAgeMs down)`);
  }
  for (const offset of [-whole - 1, whole + 1]) {
    const m = msg(offset);
    expectVerdict(verifier, m, 'stale', `a genuine message timestamped ${when(m.timestamp)} (maxAgeMs = ${maxAgeMs})`, `: ${whole + 1} ms is more than maxAgeMs = ${maxAgeMs} (do not round maxAgeMs up)`);
  }
});

/** `verifier.remembered`, or a failure naming what it was instead of a count. */
function rememberedBy(verifier: VerifierInstance, when: string): number {
  let n: unknown;
  try {
    n = (verifier as { remembered: unknown }).remembered;
  } catch (error) {
    fail(`${when}, reading verifier.remembered threw ${describeThrown(error)}; expected the number of nonces it holds`);
  }
  check(Number.isSafeInteger(n), () => `${when}, verifier.remembered was ${show(n)}; expected the number of nonces it holds (a whole number)`);
  return n as number;
}

test('memory stays bounded: when it accepts a message, it forgets every nonce whose message is stale by then (verifier.remembered)', async () => {
  const { random, key, maxAgeMs, verifier } = await setup('memory');
  const t0 = Date.now();
  // Messages accepted now, timestamped up to maxAgeMs in the past, and one exactly maxAgeMs ahead.
  const ages = [0, 1, Math.floor(maxAgeMs / 3), maxAgeMs - 1, maxAgeMs];
  for (const age of ages) expectVerdict(verifier, build(key, { timestamp: t0 - age, nonce: hexFrom(random, 32), body: bodyFrom(random) }), 'ok', `a genuine message ${age} ms old`);
  expectVerdict(verifier, build(key, { timestamp: t0 + maxAgeMs, nonce: hexFrom(random, 32), body: bodyFrom(random) }), 'ok', `a genuine message timestamped maxAgeMs = ${maxAgeMs} ms ahead`);
  const held = ages.length + 1;
  check(rememberedBy(verifier, `after accepting ${held} messages`) === held, () =>
    `after accepting ${held} messages, all still valid, verifier.remembered was ${show((verifier as { remembered: unknown }).remembered)}; expected ${held}: each accepted message's nonce is held while the message is valid`);
  // One step at a time: at each moment, accept one fresh message; the messages stale by then must be gone.
  const fresh: number[] = [];
  for (const step of [0, 1, Math.floor(maxAgeMs / 3) - 1, maxAgeMs - Math.floor(maxAgeMs / 3) - 1, 1, maxAgeMs - 1, 1]) {
    await advance(step);
    const now = Date.now();
    expectVerdict(verifier, build(key, { timestamp: now, nonce: hexFrom(random, 32), body: bodyFrom(random) }), 'ok', `a fresh genuine message ${now - t0} ms after the first ones`);
    fresh.push(now);
    const timestamps = [...ages.map((a) => t0 - a), t0 + maxAgeMs, ...fresh];
    const valid = timestamps.filter((ts) => Math.abs(now - ts) <= maxAgeMs).length;
    const got = rememberedBy(verifier, `${now - t0} ms after the first messages`);
    check(got === valid, () =>
      `${now - t0} ms after the first messages (maxAgeMs = ${maxAgeMs}), just after accepting a fresh one, verifier.remembered was ${got}; expected ${valid}, ` +
        `the accepted messages still valid then (|now − timestamp| ≤ maxAgeMs, the message timestamped ahead included). ` +
        (got > valid ? 'Forget a nonce once its message is stale, or the memory grows without bound' : 'A nonce is forgotten only once its message is stale'));
  }
});

// ---- randomness and constant time ----

test('sign draws nonces from crypto randomness: all different, even with Math.random() always returning 0.5', async () => {
  const { key } = await setup('nonces');
  const seen = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const m = signOrFail(key, 'same body');
    check(!seen.has(m.nonce), () => `call ${i + 1} of sign(key, 'same body') returned the nonce ${show(m.nonce)}, already returned by an earlier call; expected a new random nonce each time`);
    seen.add(m.nonce);
  }
  controlMathRandom(() => 0.5);
  const nonces: string[] = [];
  for (let i = 0; i < 20; i++) nonces.push(signOrFail(key, 'same body').nonce);
  const distinct = new Set(nonces).size;
  check(
    distinct === nonces.length,
    () => `with Math.random() always returning 0.5, 20 calls of sign gave only ${distinct} different nonce${distinct === 1 ? '' : 's'} ` +
      `(${show(nonces.slice(0, 3))}, ...); expected 20: Math.random() is predictable, so draw nonces from crypto.randomBytes(16)`,
  );
});

test('verify compares signatures in constant time, with crypto.timingSafeEqual', async () => {
  const { random, key, verifier } = await setup('constant-time');
  const genuine = build(key, { timestamp: Date.now(), nonce: hexFrom(random, 32), body: 'transfer 100 EUR to bob' });
  const forged = { ...build(key, { timestamp: Date.now(), nonce: hexFrom(random, 32), body: 'transfer 100 EUR to bob' }) };
  forged.signature = flipHex(forged.signature, 40);
  for (const [what, m, expected] of [['a genuine message', genuine, 'ok'], ['a message whose signature is wrong in its 41st character', forged, 'bad-signature']] as const) {
    const before = timingSafeEqualCalls();
    expectVerdict(verifier, m, expected, `${what} (${show(m)})`);
    check(
      timingSafeEqualCalls() > before,
      () => `verify, given ${what}, did not call timingSafeEqual from node:crypto; expected it to compare the signatures with it: ` +
        '=== stops at the first character that differs, so an attacker who times the answers learns how much of a guessed signature was right',
    );
  }
});

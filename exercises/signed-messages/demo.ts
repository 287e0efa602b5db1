// `learn-ds run signed-messages`: what your Verifier answers to a genuine message and to the usual
// attacks (replayed, tampered, re-dated, stale, signed with another key, malformed), then how many
// nonces it holds under a steady stream, against the messages still valid.
import { advance, costLine, demo, labelled, sparkline, timeAxis, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { sign, Verifier, type SignedMessage } from 'learn-ds/subject/signed-messages';

const KEY = 's3cret';
const MAX_AGE_MS = 60_000;

/** What verify answered, in a few words ('ok', 'bad-signature', or what it threw). */
function answer(verifier: InstanceType<typeof Verifier>, message: unknown): string {
  try {
    const verdict = verifier.verify(message as SignedMessage) as unknown;
    if (typeof verdict !== 'object' || verdict === null) return `returned ${String(verdict)}`;
    const v = verdict as { ok?: unknown; reason?: unknown };
    return v.ok === true ? 'ok' : typeof v.reason === 'string' ? v.reason : `returned ${JSON.stringify(verdict)}`;
  } catch (error) {
    return `threw ${error instanceof Error ? error.message : String(error)}`;
  }
}

demo('a genuine message, and the attacks a verifier must refuse', async () => {
  useVirtualTime();
  const start = virtualNow();
  const verifier = new Verifier({ key: KEY, maxAgeMs: MAX_AGE_MS });
  const rows: Array<readonly [string, string]> = [];
  const at = async (seconds: number) => advance(start + seconds * 1000 - virtualNow());
  const verify = (what: string, message: unknown) => {
    const said = answer(verifier, message);
    rows.push([`${((virtualNow() - start) / 1000).toFixed(0).padStart(3)} s  ${what}`, `${said.padEnd(14)} remembered ${verifier.remembered}`]);
  };

  const order = sign(KEY, 'transfer 100 EUR to bob');
  verify(`genuine: sign('${KEY}', 'transfer 100 EUR to bob')`, order);
  await at(1);
  verify('the same message again (a replay)', order);
  await at(2);
  verify("body changed to 'transfer 900 EUR to eve'", { ...order, body: 'transfer 900 EUR to eve' });
  verify("forged: sign('guess', …) with another key", sign('guess', 'transfer 900 EUR to eve'));
  verify('nonce in upper case', { ...order, nonce: order.nonce.toUpperCase() });
  verify('null', null);
  await at(30);
  verify('a second genuine message', sign(KEY, 'transfer 5 EUR to carol'));
  await at(61);
  verify('the first message, replayed 61 s later', order);
  verify('the same, timestamp changed to now', { ...order, timestamp: Date.now() });
  verify('a third genuine message', sign(KEY, 'transfer 7 EUR to dan'));
  return [
    `new Verifier({ key: '${KEY}', maxAgeMs: ${MAX_AGE_MS} }); each row is a call to verify, and what it answered:`,
    '',
    labelled(rows),
    '',
    'Only the key holder can make a signature that matches the fields, so any change to body, timestamp',
    'or nonce breaks it; the timestamp bounds how long a copied message works, and the nonces remembered',
    'meanwhile stop it from working twice. After 61 s the first nonce can be forgotten: its message is stale.',
  ].join('\n');
});

demo('a message every 2 s for 5 minutes: the nonces your verifier holds', async () => {
  useVirtualTime();
  const verifier = new Verifier({ key: KEY, maxAgeMs: MAX_AGE_MS });
  const span = 300_000;
  const every = 2_000;
  const held: number[] = [];
  const valid: number[] = [];
  const accepted: number[] = [];
  for (let t = 0; t < span; t += every) {
    if (answer(verifier, sign(KEY, `reading ${t / every}`)) === 'ok') accepted.push(t);
    held.push(verifier.remembered);
    valid.push(accepted.filter((a) => t - a <= MAX_AGE_MS).length);
    await advance(every);
  }
  const width = 60;
  const columns = (samples: readonly number[]) =>
    Array.from({ length: width }, (_, c) => samples[Math.min(samples.length - 1, Math.floor(((c + 1) * samples.length) / width) - 1)]!);
  const top = Math.max(...held, ...valid);
  return [
    `maxAgeMs ${MAX_AGE_MS}; a genuine message signed and verified every ${every / 1000} s; sampled right after each verify:`,
    '',
    labelled([
      ['remembered', sparkline(columns(held), top)],
      ['still valid', sparkline(columns(valid), top)],
      ['', timeAxis(span, width)],
    ]),
    '',
    costLine({
      what: `nonces held after 5 minutes (${accepted.length} messages accepted)`,
      measured: held.at(-1) ?? 0,
      ideal: valid.at(-1) ?? 0,
      why: 'the messages not yet stale',
      cause: 'the nonces of stale messages are kept: memory grows with every message accepted',
    }),
  ].join('\n');
});

// `learn-ds run idempotency-keys`: your payment server over real HTTP on 127.0.0.1, as a timeline:
// a payment retried after its answer was lost, a duplicate sent while the first still waits for the
// gateway, the key reused with another body, a gateway failure and its retry; with the charges made.
import http from 'node:http';
import { demo, labelled, closeServers, send, startServer, type Outcome } from 'learn-ds/harness';
import { createPaymentServer, type ChargeRequest } from 'learn-ds/subject/idempotency-keys';

/** A gateway that numbers its charges and, for the calls it is told to, holds or fails them. */
class Gateway {
  readonly charges: string[] = [];
  /** Called with each charge before it settles; returns what to do with it. */
  next: () => 'succeed' | 'fail' | Promise<void> = () => 'succeed';
  readonly charge = async (request: ChargeRequest): Promise<{ chargeId: string }> => {
    const chargeId = `ch_${this.charges.length + 1}`;
    const plan = this.next();
    this.next = () => 'succeed';
    if (plan === 'fail') throw new Error('the card network is unreachable');
    this.charges.push(`${chargeId} ${request.customer} ${request.amount} ${request.currency}`);
    if (plan !== 'succeed') await plan;
    return { chargeId };
  };
}

const body = (customer: string, amount: number) => JSON.stringify({ customer, amount, currency: 'EUR' });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A line per customer charged more than once (each customer here makes one payment). */
function twice(charges: readonly string[]): string[] {
  const per = new Map<string, number>();
  for (const c of charges) per.set(c.split(' ')[1]!, (per.get(c.split(' ')[1]!) ?? 0) + 1);
  return [...per].filter(([, n]) => n > 1).map(([customer, n]) => `${customer} made one payment and was charged ${n} times.`);
}

/** What came back, in a few words: '201 ch_1', '409', 'no answer (…)'. */
function said(outcome: Outcome): string {
  if (outcome.kind === 'timeout') return `no answer within ${outcome.afterMs / 1000} s`;
  if (outcome.kind === 'error') return `no answer (${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)})`;
  const chargeId = (outcome.reply.json as { chargeId?: unknown } | undefined)?.chargeId;
  return `${outcome.reply.status}${typeof chargeId === 'string' ? ` ${chargeId}` : ''}`;
}

/** Sends a POST and cuts the connection once the gateway has been asked to charge: the answer is lost. */
function sendAndLoseAnswer(port: number, gateway: Gateway, key: string, payload: string): Promise<void> {
  return new Promise((resolve) => {
    let charged!: () => void;
    const settle = new Promise<void>((r) => (charged = r));
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/payments', agent: false, headers: { 'Idempotency-Key': key, 'Content-Type': 'application/json' } });
    req.on('error', () => undefined); // the cut, seen from the client
    gateway.next = () => {
      req.destroy();
      setImmediate(charged);
      return settle;
    };
    req.end(payload);
    const giveUp = setTimeout(() => {
      gateway.next = () => 'succeed'; // the server never charged: nothing to cut
      req.destroy();
      resolve();
    }, 2_000);
    void settle.then(() => pause(50)).then(() => (clearTimeout(giveUp), resolve()));
  });
}

demo('payments over HTTP: a lost answer, a duplicate in flight, a reused key, a gateway failure', async () => {
  const gateway = new Gateway();
  const rows: Array<readonly [string, string]> = [];
  try {
    const { port } = await startServer('createPaymentServer(…)', () => createPaymentServer({ gateway, keyTtlMs: 24 * 3600_000 }));
    const post = async (key: string, payload: string) =>
      send(port, { method: 'POST', path: '/payments', headers: { 'Idempotency-Key': key, 'Content-Type': 'application/json' }, body: payload });
    const row = (request: string, answer: string) => rows.push([request, `${answer.padEnd(34)}charges: ${gateway.charges.length}`]);

    await sendAndLoseAnswer(port, gateway, 'pay-1', body('ada', 1250));
    row("pay-1  ada 1250 EUR", 'lost: the connection dropped');
    row("pay-1  ada 1250 EUR (the client's retry)", said(await post('pay-1', body('ada', 1250))));
    row('pay-1  same, fields in another order', said(await post('pay-1', JSON.stringify({ currency: 'EUR', amount: 1250, customer: 'ada' }))));

    let release = () => {};
    gateway.next = () => new Promise<void>((r) => (release = r));
    const slow = post('pay-2', body('bob', 500));
    for (let waited = 0; gateway.charges.length < 2 && waited < 2_000; waited += 5) await pause(5);
    row('pay-2  bob 500 EUR', '… the gateway is slow');
    row('pay-2  bob 500 EUR (a double click)', said(await post('pay-2', body('bob', 500))));
    row('pay-2  bob 900 EUR (same key, other body)', said(await post('pay-2', body('bob', 900))));
    release();
    row('       (the gateway answers the first pay-2)', said(await slow));

    row('pay-1  ada 9900 EUR (same key, other body)', said(await post('pay-1', body('ada', 9900))));
    gateway.next = () => 'fail';
    row('pay-3  carol 70 EUR (gateway down)', said(await post('pay-3', body('carol', 70))));
    row('pay-3  carol 70 EUR (retry)', said(await post('pay-3', body('carol', 70))));
  } finally {
    await closeServers();
  }
  return [
    'createPaymentServer({ gateway, keyTtlMs: 1 day }) on 127.0.0.1; each row is a POST /payments from a client,',
    'with its Idempotency-Key and body, and what came back (201 with its chargeId):',
    '',
    labelled([['key    body', 'answer'], ...rows]),
    '',
    `The gateway charged: ${gateway.charges.join('; ') || 'nothing'}.`,
    ...twice(gateway.charges),
    'Three payments, one key each. With idempotency keys each is charged once: retries get the first answer',
    'back, a duplicate in flight gets 409, a key reused with another body gets 422, and a failed charge (502)',
    'leaves its key free for the retry.',
  ].join('\n');
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** What a client asks to charge: `amount` is a positive whole number of the currency's minor unit (cents). */
export interface ChargeRequest {
  customer: string;
  amount: number;
  currency: string;
}

/** The payment provider. Each successful `charge` moves real money: it must happen once per payment. */
export interface PaymentGateway {
  charge(request: ChargeRequest): Promise<{ chargeId: string }>;
}

export interface ServerOptions {
  gateway: PaymentGateway;
  /** How long a key's stored response is kept, counted from when that response was sent. */
  keyTtlMs: number;
}

/** What the server remembers about one Idempotency-Key. */
type Entry =
  // A request with this key is charging right now: a duplicate must not charge too.
  | { state: 'running'; request: ChargeRequest }
  // It succeeded: replays get this very response until `expiresAt`.
  | { state: 'done'; request: ChargeRequest; status: number; body: string; expiresAt: number };

/**
 * Returns an http.Server (not yet listening) that serves POST /payments: a charge per
 * Idempotency-Key, replays answered with the stored response.
 */
export function createPaymentServer(options: ServerOptions): Server {
  const { gateway, keyTtlMs } = options;
  // Inside the function: each server has its own keys.
  const keys = new Map<string, Entry>();

  function forgetExpired(now: number): void {
    for (const [key, entry] of keys) {
      if (entry.state === 'done' && now >= entry.expiresAt) keys.delete(key);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== '/payments') {
      req.resume();
      return send(res, 404, { error: 'not found' });
    }
    const raw = await readBody(req);

    // Node lowercases the names of incoming headers.
    const header = req.headers['idempotency-key'];
    const key = Array.isArray(header) ? header[0] : header;
    if (!key) return send(res, 400, { error: 'the Idempotency-Key header is required' });
    const request = parseCharge(raw);
    if (!request) return send(res, 400, { error: 'the body must be { customer, amount, currency }' });

    // Validation came first: an invalid request never touches its key.
    forgetExpired(Date.now());
    const entry = keys.get(key);
    if (entry) {
      if (!sameCharge(entry.request, request)) {
        return send(res, 422, { error: 'this Idempotency-Key was used with a different body' });
      }
      if (entry.state === 'running') {
        return send(res, 409, { error: 'a request with this Idempotency-Key is still in progress' });
      }
      res.writeHead(entry.status, { 'content-type': 'application/json', 'idempotent-replayed': 'true' });
      res.end(entry.body);
      return;
    }

    // Claimed before the first await: a duplicate arriving during the charge finds it.
    keys.set(key, { state: 'running', request });
    let chargeId: string;
    try {
      ({ chargeId } = await gateway.charge({ ...request }));
    } catch {
      // Nothing was charged: release the key so that the client's retry may charge.
      keys.delete(key);
      return send(res, 502, { error: 'the payment gateway failed; retry with the same Idempotency-Key' });
    }
    const body = JSON.stringify({ chargeId, ...request });
    keys.set(key, { state: 'done', request, status: 201, body, expiresAt: Date.now() + keyTtlMs });
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(body);
  }

  return createServer((req, res) => {
    handle(req, res).catch(() => {
      if (res.headersSent) res.destroy();
      else send(res, 500, { error: 'internal error' });
    });
  });
}

function send(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The charge a body asks for, or undefined when the body is not a valid one. */
function parseCharge(raw: string): ChargeRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { customer, amount, currency } = value as Record<string, unknown>;
  if (typeof customer !== 'string' || customer === '') return undefined;
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0) return undefined;
  if (typeof currency !== 'string' || currency === '') return undefined;
  return { customer, amount, currency };
}

/** The same body means the same three fields: key order, whitespace and other fields do not matter. */
function sameCharge(a: ChargeRequest, b: ChargeRequest): boolean {
  return a.customer === b.customer && a.amount === b.amount && a.currency === b.currency;
}

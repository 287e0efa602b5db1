import type { Server } from 'node:http';

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

/**
 * Returns an http.Server (not yet listening) that serves POST /payments: it charges
 * `gateway` once per `Idempotency-Key`, answers a replay with the stored response (same status
 * and body), refuses a key reused with a different body (422) or still in progress (409), and
 * forgets a key `keyTtlMs` after its response was sent. See README.md for every rule.
 */
export function createPaymentServer(options: ServerOptions): Server {
  throw new Error('TODO: implement createPaymentServer (see README.md)');
}

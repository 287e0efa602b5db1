import type { Server } from 'node:http';

/** One service behind the gateway. */
export interface Backend {
  /** The field of `data` that holds this service's answer, and its name in `partial` and errors. */
  name: string;
  /** Where the service listens, e.g. `http://127.0.0.1:4001` (no trailing slash). */
  baseUrl: string;
  /** The path to call, with `{id}` standing for the order id, e.g. `/orders/{id}`. */
  path: string;
  /** A required service's failure fails the client request; an optional one's is marked partial. */
  required: boolean;
  /** The per-call deadline, counted from when the call is sent. */
  timeoutMs: number;
  /** At most this many calls in flight to this service at once; more wait in a queue (FIFO). */
  maxConcurrent: number;
}

export interface GatewayOptions {
  backends: Backend[];
  /** The overall deadline of one client request, counted from when the gateway received it. */
  requestTimeoutMs: number;
}

/**
 * Returns an http.Server (not yet listening) that answers `GET /orders/{id}/summary` by calling
 * every backend at once and composing their answers. See README.md for every rule.
 */
export function createGateway(options: GatewayOptions): Server {
  throw new Error('TODO: implement createGateway (see README.md)');
}

/**
 * Real HTTP for a hidden suite: starts the learner's http.Server on an ephemeral loopback port,
 * sends real requests that never hang (each one gives up after REQUEST_TIMEOUT_MS of real time),
 * and closes every server after the check. (A candidate for the harness: nothing here is specific
 * to this exercise.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeThrown, fail } from 'learn-ds/harness';

/** Real milliseconds a request may take before the check reports it as unanswered. */
export const REQUEST_TIMEOUT_MS = 2_000;
/**
 * Once a request has gone unanswered, the server under test probably never answers: later requests
 * wait less, so that a server that never responds fails every check quickly instead of running
 * into the whole run's time limit.
 */
const AFTER_A_TIMEOUT_MS = 300;
let sawTimeout = false;

/** How long the next request may take, in real milliseconds. */
export function requestTimeoutMs(): number {
  return sawTimeout ? AFTER_A_TIMEOUT_MS : REQUEST_TIMEOUT_MS;
}

/** Says how long a request was given, for a message: "2 s", "0.3 s". */
export function describeTimeout(ms: number): string {
  return `${ms / 1000} s`;
}

export interface Reply {
  status: number;
  /** The body as received. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export type Outcome =
  | { kind: 'reply'; reply: Reply }
  | { kind: 'timeout'; afterMs: number }
  | { kind: 'error'; error: unknown };

export interface RequestSpec {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

const started: http.Server[] = [];

/**
 * Calls `create()` (which must return an http.Server that is not listening yet), listens on
 * 127.0.0.1 on an ephemeral port and returns the port. `name` names the factory in messages.
 */
export async function startServer(name: string, create: () => unknown): Promise<number> {
  let value: unknown;
  try {
    value = create();
  } catch (error) {
    fail(`${name}(…) threw ${describeThrown(error)}; expected it to return an http.Server, not yet listening`);
  }
  if (!(value instanceof http.Server)) {
    fail(`${name}(…) returned ${value === undefined ? 'undefined' : 'something that is not an http.Server'}; expected an http.Server from node:http's createServer(), not yet listening`);
  }
  const server = value;
  if (server.listening) {
    fail(`${name}(…) returned a server that is already listening; return it without calling listen() (the checks choose the port)`);
  }
  started.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => fail(`the server returned by ${name}(…) could not listen on 127.0.0.1: ${describeThrown(error)}`));
  return (server.address() as AddressInfo).port;
}

/** Closes every server started by the check, dropping any connection still open. */
export async function closeServers(): Promise<void> {
  for (const server of started.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 500);
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/**
 * Sends one request on a fresh connection and reports what happened; never rejects, never hangs:
 * after requestTimeoutMs() it gives up and reports a timeout.
 */
export function send(port: number, spec: RequestSpec): Promise<Outcome> {
  const body = spec.body ?? '';
  const headers: Record<string, string | number> = { ...spec.headers };
  if (spec.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = Buffer.byteLength(body);
  }
  const timeoutMs = requestTimeoutMs();
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = http.request(
      { host: '127.0.0.1', port, method: spec.method ?? 'POST', path: spec.path ?? '/', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          finish({ kind: 'reply', reply: { status: res.statusCode ?? 0, text, json } });
        });
        res.on('error', (error) => finish({ kind: 'error', error }));
        res.on('close', () => finish({ kind: 'error', error: new Error('the connection closed before the response ended') }));
      },
    );
    req.on('error', (error) => finish({ kind: 'error', error }));
    const timer = setTimeout(() => {
      sawTimeout = true;
      finish({ kind: 'timeout', afterMs: timeoutMs });
      req.destroy();
    }, timeoutMs);
    req.end(body);
  });
}

/** Resolves when `promise` does, or with `fallback` after `ms` of real time. */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

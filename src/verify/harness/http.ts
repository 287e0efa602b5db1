/**
 * Real HTTP for hidden suites and demos of HTTP exercises: starts the learner's http.Server on an
 * ephemeral loopback port, sends real requests that never hang (each gives up after a time of
 * real milliseconds and says so), and closes every server a check started (call closeServers()
 * in afterEach). Timers and sockets are real; a suite fakes only the clocks it needs.
 */
import type { Agent, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeThrown, fail } from './failure.ts';

// Loaded on first use: every hidden suite imports the harness, few of them speak HTTP.
const nodeHttp = async () => (await import('node:http')).default;

/** Real milliseconds a request may take before it is reported as unanswered. */
export const REQUEST_TIMEOUT_MS = 2_000;
/**
 * Once a request has gone unanswered, the server under test probably never answers: later
 * requests wait less, so that such a server fails every check quickly instead of running into
 * the whole run's time limit.
 */
const AFTER_A_TIMEOUT_MS = 300;
let sawTimeout = false;

/** A new run starts with the full timeout (a thread may serve several runs: setup.ts). */
export function forgetTimeouts(): void {
  sawTimeout = false;
}

/** How long the next request may take, in real milliseconds. */
export function requestTimeoutMs(): number {
  return sawTimeout ? AFTER_A_TIMEOUT_MS : REQUEST_TIMEOUT_MS;
}

/** How long a request was given, for a message: "2 s", "0.3 s". */
export function describeTimeout(ms: number): string {
  return `${ms / 1000} s`;
}

export interface Reply {
  status: number;
  /** Node's view: names lowercased, repeated lines joined (Set-Cookie an array). */
  headers: IncomingHttpHeaders;
  /** Every header line as received: [name, value, name, value, …]. */
  rawHeaders: string[];
  /** The body as received. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export type Outcome = { kind: 'reply'; reply: Reply } | { kind: 'timeout'; afterMs: number } | { kind: 'error'; error: unknown };

export interface RequestSpec {
  /** GET by default. */
  method?: string;
  /** `/` by default. */
  path?: string;
  headers?: Record<string, string>;
  /** Sent with its Content-Length; set Content-Type in `headers`. */
  body?: string;
  /** The agent whose connections carry it (e.g. one with keepAlive); a fresh connection when absent. */
  agent?: Agent;
}

const started: Server[] = [];

/** Listens on 127.0.0.1 on an ephemeral port and returns the port; closeServers() closes it. */
export async function listenOnLoopback(server: Server, name: string): Promise<number> {
  started.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => fail(`the server returned by ${name} could not listen on 127.0.0.1: ${describeThrown(error)}`));
  return (server.address() as AddressInfo).port;
}

/**
 * Calls the learner's factory (`name` as the learner would read the call, e.g.
 * `createPaymentServer(…)`), checks it returned an http.Server not yet listening, and starts it.
 */
export async function startServer(name: string, create: () => unknown): Promise<{ port: number; server: Server }> {
  const http = await nodeHttp();
  let value: unknown;
  try {
    value = create();
  } catch (error) {
    fail(`${name} threw ${describeThrown(error)}; expected it to return an http.Server, not yet listening`);
  }
  if (!(value instanceof http.Server)) {
    fail(`${name} returned ${value === undefined ? 'undefined' : 'something that is not an http.Server'}; expected an http.Server from node:http's createServer(), not yet listening`);
  }
  if (value.listening) fail(`${name} returned a server that is already listening; return it without calling listen() (the checks choose the port)`);
  return { port: await listenOnLoopback(value, name), server: value };
}

/** Closes every server started since the last call, dropping any connection still open. */
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Sends one request on a fresh connection (or on spec.agent's) and reports what happened; never rejects, never hangs:
 * after requestTimeoutMs() it gives up and reports a timeout (a request sent again on a fresh
 * connection, below, has its own).
 */
export async function send(port: number, spec: RequestSpec = {}): Promise<Outcome> {
  const http = await nodeHttp();
  const headers: Record<string, string | number> = { ...spec.headers };
  if (spec.body !== undefined) headers['Content-Length'] = Buffer.byteLength(spec.body);
  const timeoutMs = requestTimeoutMs();
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    /** Whether a response began: a reset after that is the server's doing, never sent again. */
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port, method: spec.method ?? 'GET', path: spec.path ?? '/', headers, agent: spec.agent ?? false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        finish({ kind: 'reply', reply: { status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, text, json: parseJson(text) } });
      });
      res.on('error', (error) => finish({ kind: 'error', error }));
      res.on('close', () => finish({ kind: 'error', error: new Error('the connection closed before the response ended') }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive connection the server closed while it was idle (its keepAliveTimeout) is reset
      // by the request sent on it: sent again on a fresh connection, as Node's documentation
      // advises. A fresh connection never meets this, so no server is judged by a race of ours.
      if (req.reusedSocket && !answered && error.code === 'ECONNRESET' && !done) {
        done = true;
        clearTimeout(timer);
        const { agent: _reused, ...fresh } = spec;
        resolve(send(port, fresh));
        return;
      }
      finish({ kind: 'error', error });
    });
    const timer = setTimeout(() => {
      sawTimeout = true;
      finish({ kind: 'timeout', afterMs: timeoutMs });
      req.destroy();
    }, timeoutMs);
    req.end(spec.body ?? '');
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

/** A port nothing listens on (a server is started there and closed): a service that is down. */
export async function deadPort(): Promise<number> {
  const server = (await nodeHttp()).createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

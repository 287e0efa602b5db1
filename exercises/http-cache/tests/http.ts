/**
 * Real HTTP for the hidden suite and the demo: starts the learner's proxy on an ephemeral loopback
 * port, runs a scripted origin server behind it, sends requests that never hang, and closes every
 * server after the check. Only the clocks are faked (Date, performance.now, hrtime): timers and
 * sockets are real, and the clock stands still unless a check moves it.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeThrown, fail } from 'learn-ds/harness';

/** Real milliseconds a request may take before the check reports it as unanswered. */
const REQUEST_TIMEOUT_MS = 2_000;
/** After one unanswered request, later ones wait less: a proxy that never answers fails fast. */
const AFTER_A_TIMEOUT_MS = 300;
let sawTimeout = false;

export function requestTimeoutMs(): number {
  return sawTimeout ? AFTER_A_TIMEOUT_MS : REQUEST_TIMEOUT_MS;
}

export interface Reply {
  status: number;
  /** Node's view: names lowercased, repeated lines joined (Set-Cookie an array). */
  headers: IncomingHttpHeaders;
  /** Every header line as received: [name, value, name, value, …]. */
  rawHeaders: string[];
  text: string;
}

export type Outcome = { kind: 'reply'; reply: Reply } | { kind: 'timeout'; afterMs: number } | { kind: 'error'; error: unknown };

export interface RequestSpec {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

const started: http.Server[] = [];

/** Listens on 127.0.0.1 on an ephemeral port; the server is closed after the check. */
export async function listen(server: http.Server, name: string): Promise<number> {
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

/** Calls the learner's factory, checks it returned an http.Server not yet listening, and starts it. */
export async function startServer(name: string, create: () => unknown): Promise<{ port: number; server: http.Server }> {
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
  return { port: await listen(value, name), server: value };
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

/** Sends one request on a fresh connection; never rejects, never hangs. */
export function send(port: number, spec: RequestSpec): Promise<Outcome> {
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
    const req = http.request({ host: '127.0.0.1', port, method: spec.method ?? 'GET', path: spec.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        finish({ kind: 'reply', reply: { status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, text: Buffer.concat(chunks).toString('utf8') } }),
      );
      res.on('error', (error) => finish({ kind: 'error', error }));
      res.on('close', () => finish({ kind: 'error', error: new Error('the connection closed before the response ended') }));
    });
    req.on('error', (error) => finish({ kind: 'error', error }));
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

// ---------------------------------------------------------------------------------------------
// The origin: a real server whose answers each check scripts, which records every request.
// ---------------------------------------------------------------------------------------------

/** A request as the origin received it. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** This request's number among the origin's requests for its URL, from 1. */
  n: number;
}

/** What the origin answers. `date`: ms for the Date header (default: the clock now), null for none. */
export interface Answer {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string;
  date?: number | null;
  /** Moves the clock by this many ms before answering: the time the origin took. */
  takesMs?: number;
  /** Holds the answer until this promise resolves. */
  hold?: Promise<void>;
}

export type Script = (seen: Seen) => Answer;

export class Origin {
  readonly seen: Seen[] = [];
  private readonly scripts = new Map<string, Script>();
  private readonly waiters: Array<{ n: number; resolve: () => void }> = [];
  port = 0;

  /** How the origin moves the (fake) clock: given by the suite. */
  constructor(private readonly moveClock: (ms: number) => void) {}

  /** Scripts the answers for one URL (path and query). */
  route(url: string, script: Script): void {
    this.scripts.set(url, script);
  }

  /** Requests received for `url` (all when omitted). */
  count(url?: string): number {
    return url === undefined ? this.seen.length : this.seen.filter((s) => s.url === url).length;
  }

  /** Resolves once the origin has received `n` requests in all. */
  received(n: number): Promise<'received'> {
    if (this.seen.length >= n) return Promise.resolve('received');
    return new Promise((resolve) => this.waiters.push({ n, resolve: () => resolve('received') }));
  }

  async start(): Promise<string> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = req.url ?? '/';
        const seen: Seen = { method: req.method ?? '', url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), n: this.count(url) + 1 };
        this.seen.push(seen);
        for (const w of this.waiters.filter((w) => this.seen.length >= w.n)) w.resolve();
        const script: Script = this.scripts.get(url) ?? (() => ({}));
        const answer = script(seen);
        const reply = () => {
          if (answer.takesMs) this.moveClock(answer.takesMs);
          const date = answer.date === undefined ? Date.now() : answer.date;
          if (date === null) res.sendDate = false;
          else res.setHeader('Date', new Date(date).toUTCString());
          for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
          const status = answer.status ?? 200;
          res.writeHead(status);
          res.end(status === 304 || seen.method === 'HEAD' ? undefined : (answer.body ?? defaultBody(seen)));
        };
        if (answer.hold) void answer.hold.then(reply);
        else reply();
      });
    });
    this.port = await listen(server, 'the origin');
    return `http://127.0.0.1:${this.port}`;
  }
}

/** The body the origin sends unless scripted: its URL and the request's number, so versions differ. */
export function defaultBody(seen: Pick<Seen, 'url' | 'n'>): string {
  return `${seen.url} v${seen.n}`;
}

/** A port nothing listens on (a server is started there and closed). */
export async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

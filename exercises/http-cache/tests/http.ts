/**
 * Real HTTP for the hidden suite and the demo: the learner's proxy and the requests sent to it go
 * through the harness's loopback helpers; here is the scripted origin server behind the proxy.
 * Only the clocks are faked (Date, performance.now, hrtime): timers and sockets are real, and the
 * clock stands still unless a check moves it.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import { listenOnLoopback } from 'learn-ds/harness';

export { closeServers, deadPort, requestTimeoutMs, send, startServer, within, type Outcome, type Reply } from 'learn-ds/harness';

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
    this.port = await listenOnLoopback(server, 'the origin');
    return `http://127.0.0.1:${this.port}`;
  }
}

/** The body the origin sends unless scripted: its URL and the request's number, so versions differ. */
export function defaultBody(seen: Pick<Seen, 'url' | 'n'>): string {
  return `${seen.url} v${seen.n}`;
}

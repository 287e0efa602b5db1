/**
 * The services behind the learner's gateway: real HTTP servers on 127.0.0.1 whose answers each
 * check scripts (a JSON body, a status, a body cut by a reset, invalid JSON, no answer at all),
 * and which record every call: when it arrived, its URL and headers, and whether the caller
 * closed the connection before the service answered (the gateway aborted it).
 */
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { listenOnLoopback } from 'learn-ds/harness';

/** One call as a service received it. */
export interface Call {
  url: string;
  method: string;
  headers: IncomingHttpHeaders;
  /** performance.now() when it arrived. */
  at: number;
  /** True once the service has answered (or reset) it. */
  answered: boolean;
  /** True once the caller closed the connection before the service answered. */
  abandoned: boolean;
  /** Resolves when the caller closes the connection before an answer. */
  closed: Promise<'closed'>;
  res: ServerResponse;
}

/** How a service answers one call. */
export type Behaviour =
  | { kind: 'json'; status?: number; body: unknown }
  | { kind: 'text'; status: number; text: string }
  /** Sends the headers and half of the body, then destroys the connection. */
  | { kind: 'reset' }
  /** Never answers. */
  | { kind: 'hang' };

export function describeBehaviour(b: Behaviour): string {
  switch (b.kind) {
    case 'json':
      return `answers ${b.status ?? 200} with a JSON body`;
    case 'text':
      return `answers ${b.status} with the body ${JSON.stringify(b.text)}`;
    case 'reset':
      return 'sends 200 and half its body, then resets the connection';
    case 'hang':
      return 'never answers';
  }
}

export function answer(call: Call, b: Behaviour): void {
  if (call.answered || call.abandoned) return;
  const res = call.res;
  switch (b.kind) {
    case 'json':
    case 'text': {
      call.answered = true;
      const text = b.kind === 'json' ? JSON.stringify(b.body) : b.text;
      res.writeHead(b.status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    case 'reset': {
      call.answered = true;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 200 });
      res.write('{"items": [1, 2, 3], "more": "');
      // Let the headers and the first half reach the gateway before the connection goes.
      setTimeout(() => res.socket?.destroy(), 10);
      return;
    }
    case 'hang':
      return;
  }
}

export class Service {
  readonly calls: Call[] = [];
  port = 0;
  /** The most calls in flight at once (received, neither answered nor abandoned), as each arrived. */
  maxInFlight = 0;
  #waiters: Array<{ n: number; resolve: () => void }> = [];
  /** How each call is answered; set by the check (answered at once unless it holds calls). */
  onCall: (call: Call) => void;

  constructor(
    readonly name: string,
    behaviour: Behaviour = { kind: 'json', body: { service: name } },
  ) {
    this.onCall = (call) => answer(call, behaviour);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Calls received and neither answered nor abandoned. */
  get inFlight(): number {
    return this.calls.filter((c) => !c.answered && !c.abandoned).length;
  }

  /** Resolves once `n` calls have arrived in all. */
  arrived(n: number): Promise<'arrived'> {
    if (this.calls.length >= n) return Promise.resolve('arrived');
    return new Promise((resolve) => this.#waiters.push({ n, resolve: () => resolve('arrived') }));
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => {
      let closedNow!: (v: 'closed') => void;
      const call: Call = {
        url: req.url ?? '',
        method: req.method ?? '',
        headers: req.headers,
        at: performance.now(),
        answered: false,
        abandoned: false,
        closed: new Promise((resolve) => (closedNow = resolve)),
        res,
      };
      res.on('close', () => {
        if (call.answered) return;
        call.abandoned = true;
        closedNow('closed');
      });
      this.calls.push(call);
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      for (const w of this.#waiters.filter((w) => this.calls.length >= w.n)) w.resolve();
      req.resume();
      this.onCall(call);
    });
    this.port = await listenOnLoopback(server, `the ${this.name} service`);
    return this;
  }
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

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

/** How one call ended. */
type Outcome = { ok: true; body: unknown } | { ok: false; timedOut: boolean; why: string };

/** Limits the calls in flight to one backend; the others wait their turn, first come first served. */
class Limiter {
  #inFlight = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  /** Resolves with a release function once a slot is free; false if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<(() => void) | false> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.#inFlight < this.max) return Promise.resolve(this.#take());
    return new Promise((resolve) => {
      const turn = () => {
        signal.removeEventListener('abort', leave);
        resolve(this.#take());
      };
      // Given up while waiting (deadline, client gone): leave the queue, never to be sent.
      const leave = () => {
        this.#waiting.splice(this.#waiting.indexOf(turn), 1);
        resolve(false);
      };
      this.#waiting.push(turn);
      signal.addEventListener('abort', leave, { once: true });
    });
  }

  #take(): () => void {
    this.#inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight--;
      this.#waiting.shift()?.();
    };
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** The order id of `GET /orders/{id}/summary`, decoded; null for another route, 'invalid' for bad encoding. */
function orderIdOf(req: IncomingMessage): string | null | 'invalid' {
  const path = (req.url ?? '/').split('?')[0]!;
  const match = /^\/orders\/([^/]+)\/summary$/.exec(path);
  if (req.method !== 'GET' || !match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return 'invalid';
  }
}

/**
 * Returns an http.Server (not yet listening) that answers `GET /orders/{id}/summary` by calling
 * every backend at once and composing their answers. See README.md for every rule.
 */
export function createGateway(options: GatewayOptions): Server {
  const limiters = new Map(options.backends.map((b) => [b, new Limiter(b.maxConcurrent)]));

  return createServer((req, res) => {
    const id = orderIdOf(req);
    if (id === null) return sendJson(res, 404, { error: 'not found: try GET /orders/{id}/summary' });
    if (id === 'invalid') return sendJson(res, 400, { error: 'the order id is not valid percent-encoding' });

    const deadline = performance.now() + options.requestTimeoutMs;
    // Aborted when the request is over for any reason: answered, past its deadline, or the client left.
    const request = new AbortController();
    let overallPassed = false;
    const overall = setTimeout(() => {
      overallPassed = true;
      request.abort();
    }, options.requestTimeoutMs);
    const finish = () => {
      clearTimeout(overall);
      request.abort();
    };
    res.on('close', finish); // the client went away (or the answer was sent): stop everything

    const call = async (backend: Backend): Promise<Outcome> => {
      const release = await limiters.get(backend)!.acquire(request.signal);
      if (!release) return { ok: false, timedOut: true, why: 'the deadline passed while the call waited for a free slot' };
      const budget = Math.min(backend.timeoutMs, deadline - performance.now());
      const one = new AbortController();
      let callPassed = false;
      const timer = setTimeout(() => {
        callPassed = true;
        one.abort();
      }, Math.max(0, budget));
      const stop = () => one.abort();
      request.signal.addEventListener('abort', stop, { once: true });
      try {
        const url = backend.baseUrl + backend.path.replace('{id}', encodeURIComponent(id));
        const answer = await fetch(url, { signal: one.signal, headers: { 'x-timeout-ms': String(Math.max(0, Math.floor(budget))) } });
        const text = await answer.text();
        if (answer.status < 200 || answer.status > 299) return { ok: false, timedOut: false, why: `it answered ${answer.status}` };
        try {
          return { ok: true, body: JSON.parse(text) };
        } catch {
          return { ok: false, timedOut: false, why: 'its body is not JSON' };
        }
      } catch (error) {
        const timedOut = callPassed || overallPassed;
        return { ok: false, timedOut, why: timedOut ? 'it did not answer within its deadline' : String(error) };
      } finally {
        clearTimeout(timer);
        request.signal.removeEventListener('abort', stop);
        release();
      }
    };

    const bodies = new Map<string, unknown>();
    const failed = new Set<string>(); // optional services that failed (a body may be JSON null)
    let over = false; // answered, or the client went away
    res.on('close', () => (over = true));
    let left = options.backends.length;
    for (const backend of options.backends) {
      void call(backend).then((outcome) => {
        if (over) return;
        if (!outcome.ok && backend.required) {
          over = true;
          sendJson(res, outcome.timedOut ? 504 : 502, { error: `${backend.name} failed: ${outcome.why}`, service: backend.name });
          finish(); // the answer is decided: abort every other call
          return;
        }
        bodies.set(backend.name, outcome.ok ? outcome.body : null);
        if (!outcome.ok) failed.add(backend.name);
        if (--left > 0) return;
        over = true;
        const data = Object.fromEntries(options.backends.map((b) => [b.name, bodies.get(b.name)]));
        const partial = options.backends.filter((b) => failed.has(b.name)).map((b) => b.name);
        sendJson(res, 200, { id, data, partial });
        finish();
      });
    }
  });
}

/**
 * A small system of real HTTP services on loopback, each wired with the learner's tracer: what each
 * service was sent (its traceparent and tracestate headers) and every log line it wrote are kept,
 * so that the checks can rebuild the trace tree. The services' own code is the checks': it logs at
 * arrival, after an await, after a timer and at the end, and calls its downstream services
 * through `tracer.fetch`.
 */
import type { IncomingMessage } from 'node:http';
import { describeThrown, fail } from 'learn-ds/harness';
import { createTracer, type Tracer } from 'learn-ds/subject/trace-context';
import { listen, rawGet, type Sent } from './net.ts';

export interface ServiceSpec {
  name: string;
  /** Its key in tracestate. */
  key: string;
  /** The services it calls for each request ('sink' records what it is sent and calls nobody). */
  calls: string[];
  /** Calls its downstream services at the same time rather than one after the other. */
  parallel?: boolean;
  sampleNewTraces?: boolean;
}

/** What a service (or the sink) was sent. */
export interface Seen {
  /** The service, or `sink<-caller` for what the sink got from `caller`. */
  at: string;
  tag: string;
  traceparent: string | undefined;
  tracestate: string | undefined;
}

export interface Line {
  service: string;
  raw: string;
}

/** Every answer closes its connection: no idle connection that fetch keeps open outlives the check. */
const CLOSE = { connection: 'close' };

/** The messages each service logs for each request, in order. */
export const STEPS = ['received', 'after await', 'after timer', 'done'] as const;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export class World {
  readonly lines: Line[] = [];
  readonly seen: Seen[] = [];
  /** What went wrong inside a service: learner code that threw, a downstream call that failed. */
  readonly problems: string[] = [];
  readonly tracers = new Map<string, Tracer>();
  readonly specs: ServiceSpec[];
  private readonly urls = new Map<string, string>();
  /** Awaited by every service between its first and second log line; the checks hold requests there. */
  gate: (service: string, tag: string) => Promise<void> = async () => {};

  private constructor(specs: ServiceSpec[]) {
    this.specs = specs;
  }

  static async build(specs: ServiceSpec[]): Promise<World> {
    const world = new World(specs);
    world.urls.set(
      'sink',
      await listen((req, res) => {
        world.seen.push({
          at: `sink<-${header(req, 'x-from') ?? '?'}`,
          tag: header(req, 'x-tag') ?? '',
          traceparent: header(req, 'traceparent'),
          tracestate: header(req, 'tracestate'),
        });
        res.writeHead(200, CLOSE).end('ok');
      }),
    );
    for (const spec of specs) world.urls.set(spec.name, await listen(world.serviceHandler(spec)));
    return world;
  }

  url(name: string): string {
    return this.urls.get(name)!;
  }

  private serviceHandler(spec: ServiceSpec) {
    const options = { service: spec.name, tracestateKey: spec.key, sampleNewTraces: spec.sampleNewTraces ?? true, write: (line: string) => this.lines.push({ service: spec.name, raw: line }) };
    let tracer: Tracer;
    try {
      tracer = createTracer(options);
    } catch (error) {
      fail(`createTracer({ service: '${spec.name}', tracestateKey: '${spec.key}', sampleNewTraces: ${options.sampleNewTraces}, write }) threw ${describeThrown(error)}; expected a tracer`);
    }
    this.tracers.set(spec.name, tracer);
    let handler: ReturnType<Tracer['handler']>;
    try {
      handler = tracer.handler(async (req, res) => {
        const tag = header(req, 'x-tag') ?? '';
        this.seen.push({ at: spec.name, tag, traceparent: header(req, 'traceparent'), tracestate: header(req, 'tracestate') });
        try {
          tracer.log('received', { tag });
          await this.gate(spec.name, tag);
          tracer.log('after await', { tag });
          await new Promise<void>((resolve) => setTimeout(resolve, 0));
          tracer.log('after timer', { tag });
          const call = async (to: string) => {
            const reply = await tracer.fetch(`${this.url(to)}/`, { headers: { 'x-tag': tag, 'x-from': spec.name } });
            await reply.text();
            if (!reply.ok) this.problems.push(`${spec.name}'s call to ${to} was answered ${reply.status}`);
          };
          if (spec.parallel) await Promise.all(spec.calls.map(call));
          else for (const to of spec.calls) await call(to);
          tracer.log('done', { tag });
          res.writeHead(200, CLOSE).end('ok');
        } catch (error) {
          this.problems.push(`in ${spec.name}, handling request ${tag}: ${describeThrown(error)}`);
          if (!res.headersSent) res.writeHead(500, CLOSE);
          res.end();
        }
      });
    } catch (error) {
      fail(`tracer.handler(fn) threw ${describeThrown(error)}; expected a request handler for http.createServer`);
    }
    return handler;
  }

  /** Sends a request to `service` with the given header lines, tagged `tag`; fails unless it answers 200. */
  async send(service: string, tag: string, headers: ReadonlyArray<readonly [string, string]>): Promise<void> {
    this.expectAnswered(await rawGet(this.url(service), '/', [['x-tag', tag], ...headers]), service, tag, headers);
  }

  /** Sends a request without waiting for its answer; `answered` fails unless it got 200. */
  start(service: string, tag: string, headers: ReadonlyArray<readonly [string, string]>): { answered: () => Promise<void> } {
    const sent = rawGet(this.url(service), '/', [['x-tag', tag], ...headers]);
    return { answered: async () => this.expectAnswered(await sent, service, tag, headers) };
  }

  private expectAnswered(sent: Sent, service: string, tag: string, headers: ReadonlyArray<readonly [string, string]>): void {
    const what = `a request to ${service} (${tag}) with ${describeHeaders(headers)}`;
    const problems = this.problems.length > 0 ? `: ${this.problems.join('; ')}` : '';
    if (sent.kind === 'timeout') fail(`${what} was not answered within ${sent.afterMs / 1000} s${problems || ' (does your handler run the function it wraps?)'}`);
    if (sent.kind === 'error') fail(`${what} got no response (${sent.error})${problems}`);
    if (sent.status !== 200 || problems) fail(`${what} was answered ${sent.status}${problems}`);
  }
}

export function describeHeaders(headers: ReadonlyArray<readonly [string, string]>): string {
  if (headers.length === 0) return 'no trace headers';
  return headers.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
}

import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a valid `traceparent` header says about the caller. */
export interface Traceparent {
  /** 32 lowercase hex characters, not all zero. */
  traceId: string;
  /** The caller's span id: 16 lowercase hex characters, not all zero. */
  parentId: string;
  /** The sampled bit (the lowest bit) of trace-flags. */
  sampled: boolean;
}

/** One `key=value` member of a `tracestate` header. */
export interface TracestateMember {
  key: string;
  value: string;
}

export interface TracerOptions {
  /** The service's name, written in every log line. */
  service: string;
  /** This service's key in tracestate (its value is the current span id). */
  tracestateKey: string;
  /** The sampled flag of a trace this service starts. */
  sampleNewTraces: boolean;
  /** Receives each log line: one JSON object per call. */
  write: (line: string) => void;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Tracer {
  /** Wraps a request handler: the handler (and everything it starts) runs in the request's span. */
  handler(fn: RequestHandler): (req: IncomingMessage, res: ServerResponse) => void;
  /** The global fetch, with traceparent and tracestate for the current span added to the headers. */
  fetch(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Response>;
  /** Writes one JSON log line with the current span's ids. */
  log(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Reads a `traceparent` header: `{ traceId, parentId, sampled }`, or null when it is missing or
 * invalid (lowercase hex only, exact lengths, version ff and all-zero ids invalid, version 00 with
 * exactly four fields). Never throws. See README.md for every rule.
 */
export function parseTraceparent(header: string | undefined): Traceparent | null {
  throw new Error('TODO: implement parseTraceparent (see README.md)');
}

/**
 * Reads a `tracestate` header: its `key=value` members in order, empty ones dropped, or [] when it
 * is missing or invalid (a bad key or value, more than 32 members, a key twice). Never throws.
 */
export function parseTracestate(header: string | undefined): TracestateMember[] {
  throw new Error('TODO: implement parseTracestate (see README.md)');
}

/**
 * A tracer for one service: `handler` opens a span for each request (continuing a valid
 * traceparent, or starting a new trace), `fetch` sends the span's context on, and `log` writes
 * JSON lines carrying its ids.
 */
export function createTracer(options: TracerOptions): Tracer {
  throw new Error('TODO: implement createTracer (see README.md)');
}

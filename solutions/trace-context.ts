import { AsyncLocalStorage } from 'node:async_hooks';
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

/** The span a request is handled in. */
interface SpanContext {
  traceId: string;
  /** This span's own id: a new one for every request handled. */
  spanId: string;
  /** The caller's span id, or null when this span starts a new trace. */
  parentId: string | null;
  sampled: boolean;
  /** The tracestate to send on, this service's own member first. */
  tracestate: TracestateMember[];
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

// ---------------------------------------------------------------------------------------------
// traceparent: version "-" trace-id "-" parent-id "-" trace-flags, lowercase hex throughout.
// ---------------------------------------------------------------------------------------------

// The four fields of every version; version 00 ends there, a higher version may go on after a dash.
const FIELDS = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/s;
const ALL_ZEROS = /^0+$/;

/** Reads a `traceparent` header: what it says, or null when it is missing or invalid. */
export function parseTraceparent(header: string | undefined): Traceparent | null {
  const match = header === undefined ? null : FIELDS.exec(header);
  if (!match) return null;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff') return null; // forbidden
  if (version === '00' && rest !== undefined) return null; // version 00 has exactly four fields
  if (ALL_ZEROS.test(traceId) || ALL_ZEROS.test(parentId)) return null;
  return { traceId, parentId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

// ---------------------------------------------------------------------------------------------
// tracestate: up to 32 comma-separated key=value members, empty members allowed.
// ---------------------------------------------------------------------------------------------

const KEY_CHAR = '[a-z0-9_\\-*/]';
const SIMPLE_KEY = `[a-z]${KEY_CHAR}{0,255}`;
const TENANT_KEY = `[a-z0-9]${KEY_CHAR}{0,240}@[a-z]${KEY_CHAR}{0,13}`;
const KEY = new RegExp(`^(?:${SIMPLE_KEY}|${TENANT_KEY})$`);
// Printable ASCII but ',' and '=', at most 256 characters, not ending in a space.
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_MEMBERS = 32;

/** Reads a `tracestate` header: its members in order, or [] when it is missing or invalid (discarded whole). */
export function parseTracestate(header: string | undefined): TracestateMember[] {
  if (header === undefined) return [];
  const members: TracestateMember[] = [];
  for (const raw of header.split(',')) {
    const member = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    if (member === '') continue; // empty and whitespace-only members are allowed, and dropped
    const eq = member.indexOf('=');
    if (eq < 0) return [];
    const key = member.slice(0, eq);
    const value = member.slice(eq + 1);
    if (!KEY.test(key) || !VALUE.test(value)) return [];
    if (members.some((m) => m.key === key)) return [];
    members.push({ key, value });
  }
  return members.length > MAX_MEMBERS ? [] : members;
}

function formatTracestate(members: readonly TracestateMember[]): string {
  return members.map((m) => `${m.key}=${m.value}`).join(',');
}

// ---------------------------------------------------------------------------------------------
// The tracer.
// ---------------------------------------------------------------------------------------------

function randomHex(length: number): string {
  for (;;) {
    let hex = '';
    while (hex.length < length) hex += Math.floor(Math.random() * 16).toString(16);
    if (!ALL_ZEROS.test(hex)) return hex; // all zeros is an invalid id
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** A tracer for one service: spans for the requests it serves, context sent on by fetch, JSON logs. */
export function createTracer(options: TracerOptions): Tracer {
  const { service, tracestateKey, sampleNewTraces, write } = options;
  const storage = new AsyncLocalStorage<SpanContext>();

  function spanFor(req: IncomingMessage): SpanContext {
    const spanId = randomHex(16);
    const parent = parseTraceparent(headerValue(req.headers.traceparent));
    // An invalid or missing traceparent starts a new trace, and its tracestate is not even read.
    const inherited = parent ? parseTracestate(headerValue(req.headers.tracestate)) : [];
    const others = inherited.filter((m) => m.key !== tracestateKey);
    // This service's member goes first; at 32 members, the right-most one makes room.
    const tracestate = [{ key: tracestateKey, value: spanId }, ...others].slice(0, MAX_MEMBERS);
    return parent
      ? { traceId: parent.traceId, spanId, parentId: parent.parentId, sampled: parent.sampled, tracestate }
      : { traceId: randomHex(32), spanId, parentId: null, sampled: sampleNewTraces, tracestate };
  }

  return {
    handler(fn) {
      return (req, res) => {
        // Everything fn starts, now or after awaits and timers, sees this request's span.
        void storage.run(spanFor(req), async () => {
          try {
            await fn(req, res);
          } catch {
            if (!res.headersSent) res.writeHead(500);
            res.end();
          }
        });
      };
    },

    fetch(url, init = {}) {
      const span = storage.getStore();
      const headers: Record<string, string> = { ...init.headers };
      if (span) {
        headers.traceparent = `00-${span.traceId}-${span.spanId}-${span.sampled ? '01' : '00'}`;
        headers.tracestate = formatTracestate(span.tracestate);
      }
      return fetch(url, { ...init, headers });
    },

    log(message, fields = {}) {
      const span = storage.getStore();
      write(
        JSON.stringify({
          ...fields,
          service,
          trace_id: span?.traceId ?? null,
          span_id: span?.spanId ?? null,
          parent_id: span?.parentId ?? null,
          message,
        }),
      );
    },
  };
}

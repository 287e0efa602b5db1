import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';

export interface ProxyOptions {
  /** The origin server's base URL, like `http://127.0.0.1:8080` (no path, no trailing slash). */
  origin: string;
}

// ---------------------------------------------------------------------------------------------
// Header values: pure parsing.
// ---------------------------------------------------------------------------------------------

/** A header as Node gives it: one string, several lines (Set-Cookie), or absent. */
type HeaderValue = string | string[] | undefined;

/** One string for a header of several lines, as RFC 9110 combines them: joined with ", ". */
function joined(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Cache-Control's directives: names lowercased, values unquoted, `true` for a directive without a
 * value. The first occurrence of a directive wins. Commas inside a quoted value do not split.
 */
function parseCacheControl(value: HeaderValue): Map<string, string | true> {
  const directives = new Map<string, string | true>();
  const text = joined(value) ?? '';
  let i = 0;
  while (i < text.length) {
    // One directive: a name, then optionally "=" and a token or a quoted string, up to a comma.
    let name = '';
    while (i < text.length && text[i] !== ',' && text[i] !== '=') name += text[i++];
    let argument: string | true = true;
    if (text[i] === '=') {
      i++;
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (text[i] === '"') {
        argument = '';
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          if (i < text.length) argument += text[i++];
        }
        i++; // the closing quote
        while (i < text.length && text[i] !== ',') i++; // anything after it is not part of the value
      } else {
        argument = '';
        while (i < text.length && text[i] !== ',') argument += text[i++];
        argument = argument.trim();
      }
    }
    i++; // the comma
    const key = name.trim().toLowerCase();
    if (key !== '' && !directives.has(key)) directives.set(key, argument);
  }
  return directives;
}

/** The largest delta-seconds a cache must represent (RFC 9111 §1.2.2). */
const MAX_DELTA_SECONDS = 2_147_483_648;

/** delta-seconds (RFC 9111 §1.2.2): one or more digits, nothing else; undefined when invalid. */
function deltaSeconds(value: string | true | undefined): number | undefined {
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) return undefined;
  return Math.min(Number(value), MAX_DELTA_SECONDS);
}

/** An HTTP-date in ms since the epoch; undefined when absent or invalid. */
function httpDate(value: HeaderValue): number | undefined {
  const text = joined(value);
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The request header names a Vary lists, lowercased; '*' when it holds a "*". */
function varyNames(value: HeaderValue): string[] | '*' {
  const names = (joined(value) ?? '').split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
  return names.includes('*') ? '*' : names;
}

/** A request header's value for Vary matching: lines combined, outer whitespace dropped. */
function varyValue(value: HeaderValue): string | undefined {
  return joined(value)?.trim();
}

// ---------------------------------------------------------------------------------------------
// Freshness and age (RFC 9111 §4.2): pure arithmetic in milliseconds.
// ---------------------------------------------------------------------------------------------

/** What the age calculation needs of a response, captured when it arrived. */
interface Timing {
  /** The clock when the request that got this response was sent to the origin. */
  requestTime: number;
  /** The clock when the response arrived. */
  responseTime: number;
  /** The response's Age header in seconds (0 when absent or invalid). */
  ageValue: number;
  /** The response's Date (ms), or undefined when it had none. */
  dateValue: number | undefined;
}

/** RFC 9111 §4.2.3's corrected initial age, plus the time spent in this cache since. */
function currentAgeMs(t: Timing, now: number): number {
  const apparentAge = Math.max(0, t.responseTime - (t.dateValue ?? t.responseTime));
  const responseDelay = t.responseTime - t.requestTime;
  const correctedAgeValue = t.ageValue * 1000 + responseDelay;
  const correctedInitialAge = Math.max(apparentAge, correctedAgeValue);
  return correctedInitialAge + (now - t.responseTime);
}

/**
 * RFC 9111 §4.2.1 for a shared cache: s-maxage, else max-age, else Expires − Date. An invalid
 * s-maxage or max-age makes the response stale (lifetime 0), as does an invalid Expires. No
 * heuristic freshness: a response without any of them has a lifetime of 0.
 */
function freshnessLifetimeMs(cc: Map<string, string | true>, headers: IncomingHttpHeaders, t: Timing): number {
  for (const directive of ['s-maxage', 'max-age']) {
    if (cc.has(directive)) return (deltaSeconds(cc.get(directive)) ?? 0) * 1000;
  }
  if (headers.expires !== undefined) {
    const expires = httpDate(headers.expires);
    if (expires === undefined) return 0;
    return expires - (t.dateValue ?? t.responseTime);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// What may be stored.
// ---------------------------------------------------------------------------------------------

/** Hop-by-hop headers: they concern one connection and are never forwarded nor stored. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** The headers to pass on: hop-by-hop ones (and those Connection names) left out. */
function endToEnd(headers: IncomingHttpHeaders, drop: readonly string[] = []): IncomingHttpHeaders {
  const named = (joined(headers.connection) ?? '').split(',').map((n) => n.trim().toLowerCase());
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name) || drop.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Whether a shared cache may store this response to a GET (the statement's rules). */
function storable(requestHeaders: IncomingHttpHeaders, status: number, headers: IncomingHttpHeaders): boolean {
  if (status !== 200) return false;
  const cc = parseCacheControl(headers['cache-control']);
  if (cc.has('no-store') || cc.has('private')) return false;
  if (headers['set-cookie'] !== undefined) return false;
  if (varyNames(headers.vary) === '*') return false;
  if (requestHeaders.authorization !== undefined && !cc.has('public') && !cc.has('s-maxage')) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Talking to the origin.
// ---------------------------------------------------------------------------------------------

interface OriginResponse extends Timing {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function timingOf(headers: IncomingHttpHeaders, requestTime: number, responseTime: number): Timing {
  const age = typeof headers.age === 'string' ? deltaSeconds(headers.age.trim()) : undefined;
  return { requestTime, responseTime, ageValue: age ?? 0, dateValue: httpDate(headers.date) };
}

function askOrigin(origin: URL, method: string, path: string, headers: OutgoingHttpHeaders, body: Buffer): Promise<OriginResponse> {
  return new Promise((resolve, reject) => {
    const requestTime = Date.now();
    const req = httpRequest(
      { host: origin.hostname, port: origin.port, method, path, headers: { ...headers, host: origin.host } },
      (res) => {
        const responseTime = Date.now();
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks), ...timingOf(res.headers, requestTime, responseTime) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// The store and the proxy.
// ---------------------------------------------------------------------------------------------

interface Entry extends Timing {
  /** The stored headers: end-to-end ones, without Age (kept as ageValue) or Content-Length. */
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The request headers Vary names, lowercased, and their values in the request that got this. */
  vary: Array<[string, string | undefined]>;
  /** A background refresh (stale-while-revalidate) is in flight. */
  refreshing: boolean;
}

/** What an exchange with the origin ended with: an entry to serve, a response to pass on, or nothing. */
type Outcome = { kind: 'entry'; entry: Entry } | { kind: 'response'; response: OriginResponse } | { kind: 'error' };

/**
 * Returns an http.Server (not yet listening): a shared cache in front of `options.origin`, which
 * forwards what it cannot answer from its store and stores what RFC 9111 lets a shared cache store.
 */
export function createCachingProxy(options: ProxyOptions): Server {
  const origin = new URL(options.origin);
  /** Stored responses by URL (path and query), newest last. */
  const store = new Map<string, Entry[]>();
  /** The origin exchange in flight for a URL: later requests for it wait instead of asking too. */
  const inflight = new Map<string, Promise<Outcome>>();

  function lookup(url: string, headers: IncomingHttpHeaders): Entry | undefined {
    const entries = store.get(url) ?? [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]!;
      if (entry.vary.every(([name, value]) => varyValue(headers[name]) === value)) return entry;
    }
    return undefined;
  }

  function save(url: string, requestHeaders: IncomingHttpHeaders, response: OriginResponse): Entry {
    const names = varyNames(response.headers.vary) as string[];
    const entry: Entry = {
      requestTime: response.requestTime,
      responseTime: response.responseTime,
      ageValue: response.ageValue,
      dateValue: response.dateValue,
      headers: endToEnd(response.headers, ['age', 'content-length']),
      body: response.body,
      vary: names.map((name) => [name, varyValue(requestHeaders[name])]),
      refreshing: false,
    };
    // The new response replaces what this request would have been served.
    const kept = (store.get(url) ?? []).filter((old) => !old.vary.every(([name, value]) => varyValue(requestHeaders[name]) === value));
    store.set(url, [...kept, entry]);
    return entry;
  }

  /** A 304 refreshes an entry: its headers merged in, its age counted from the 304 (RFC 9111 §4.3.4). */
  function refresh(entry: Entry, response: OriginResponse): Entry {
    Object.assign(entry.headers, endToEnd(response.headers, ['age', 'content-length']));
    entry.requestTime = response.requestTime;
    entry.responseTime = response.responseTime;
    entry.ageValue = response.ageValue;
    entry.dateValue = httpDate(entry.headers.date);
    return entry;
  }

  /** One GET to the origin, conditional when `entry` has validators; stores what may be stored. */
  async function exchange(url: string, req: IncomingMessage, entry: Entry | undefined): Promise<Outcome> {
    const headers: OutgoingHttpHeaders = endToEnd(req.headers, ['host', 'content-length']);
    if (entry?.headers.etag !== undefined) headers['if-none-match'] = entry.headers.etag;
    if (entry?.headers['last-modified'] !== undefined) headers['if-modified-since'] = entry.headers['last-modified'];
    let response: OriginResponse;
    try {
      response = await askOrigin(origin, 'GET', url, headers, Buffer.alloc(0));
    } catch {
      return { kind: 'error' };
    }
    if (response.status === 304 && entry) return { kind: 'entry', entry: refresh(entry, response) };
    if (storable(req.headers, response.status, response.headers)) return { kind: 'entry', entry: save(url, req.headers, response) };
    return { kind: 'response', response };
  }

  /** Starts an exchange for `url`, registered so that other requests for the URL wait for it. */
  function startExchange(url: string, req: IncomingMessage, entry: Entry | undefined): Promise<Outcome> {
    const task = exchange(url, req, entry);
    if (!inflight.has(url)) {
      inflight.set(url, task);
      void task.then(() => {
        if (inflight.get(url) === task) inflight.delete(url);
      });
    }
    return task;
  }

  function serveEntry(res: ServerResponse, entry: Entry): void {
    const age = Math.floor(currentAgeMs(entry, Date.now()) / 1000);
    res.writeHead(200, { ...entry.headers, age: String(age) });
    res.end(entry.body);
  }

  function passOn(res: ServerResponse, response: OriginResponse): void {
    res.writeHead(response.status, endToEnd(response.headers));
    res.end(response.body);
  }

  function badGateway(res: ServerResponse): void {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('the origin could not be reached');
  }

  async function serveGet(req: IncomingMessage, res: ServerResponse, url: string, mayWait: boolean): Promise<void> {
    const entry = lookup(url, req.headers);
    if (entry) {
      const cc = parseCacheControl(entry.headers['cache-control']);
      const now = Date.now();
      const age = currentAgeMs(entry, now);
      const lifetime = freshnessLifetimeMs(cc, entry.headers, entry);
      if (!cc.has('no-cache')) {
        if (lifetime > age) return serveEntry(res, entry);
        const swr = deltaSeconds(cc.get('stale-while-revalidate'));
        if (swr !== undefined && age < lifetime + swr * 1000) {
          if (!entry.refreshing) {
            entry.refreshing = true;
            void startExchange(url, req, entry).then(() => (entry.refreshing = false));
          }
          return serveEntry(res, entry);
        }
      }
    }
    // The origin is needed: wait for an exchange already in flight for this URL, then look again.
    const pending = inflight.get(url);
    if (pending && mayWait) {
      await pending;
      return serveGet(req, res, url, false);
    }
    const outcome = await startExchange(url, req, entry);
    if (outcome.kind === 'entry') return serveEntry(res, outcome.entry);
    if (outcome.kind === 'response') return passOn(res, outcome.response);
    return badGateway(res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = req.url ?? '/';
    if (req.method === 'GET') return serveGet(req, res, url, true);
    // Anything else is forwarded as it is, and never stored.
    let response: OriginResponse;
    try {
      response = await askOrigin(origin, req.method ?? 'GET', url, endToEnd(req.headers, ['host', 'content-length']), Buffer.concat(chunks));
    } catch {
      return badGateway(res);
    }
    passOn(res, response);
  }

  return createServer((req, res) => {
    handle(req, res).catch(() => {
      if (res.headersSent) res.destroy();
      else badGateway(res);
    });
  });
}

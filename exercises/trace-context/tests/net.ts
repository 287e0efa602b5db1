/**
 * Real HTTP on loopback for the hidden suite and the demo: servers the checks start and close, and
 * a raw client that sends header lines exactly as written (repeated headers, any case), which
 * node:http's client cannot. Nothing here judges: it reports what happened.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * Real milliseconds a request may take before it is reported as unanswered: generous, for a busy
 * machine, until one goes unanswered; then short, so that a handler that never answers fails every
 * check quickly instead of running into the run's time limit.
 */
const REQUEST_TIMEOUT_MS = 10_000;
const AFTER_A_TIMEOUT_MS = 1_000;
let sawTimeout = false;

const started: http.Server[] = [];

/** Listens on 127.0.0.1 on a free port; returns the server's base URL, http://127.0.0.1:PORT. */
export async function listen(listener: http.RequestListener): Promise<string> {
  const server = http.createServer(listener);
  started.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes every server started since the last call, dropping connections still open. */
export async function closeAll(): Promise<void> {
  await Promise.all(
    started.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          const timer = setTimeout(resolve, 500);
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
        }),
    ),
  );
}

export type Sent = { kind: 'reply'; status: number } | { kind: 'timeout'; afterMs: number } | { kind: 'error'; error: string };

/**
 * Sends `GET path` to `baseUrl` on a fresh connection with the header lines as given (a name may
 * repeat), and reports the response's status; never rejects, never hangs.
 */
export function rawGet(baseUrl: string, path: string, headers: ReadonlyArray<readonly [string, string]>): Promise<Sent> {
  const { hostname, port } = new URL(baseUrl);
  const head = [`GET ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close', ...headers.map(([k, v]) => `${k}: ${v}`)];
  const timeoutMs = sawTimeout ? AFTER_A_TIMEOUT_MS : REQUEST_TIMEOUT_MS;
  return new Promise((resolve) => {
    let done = false;
    let received = '';
    const finish = (sent: Sent) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(sent);
    };
    const socket = net.connect(Number(port), hostname);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      finish(status ? { kind: 'reply', status: Number(status) } : { kind: 'error', error: 'the connection closed without a response' });
    });
    socket.on('error', (error) => finish({ kind: 'error', error: error.message }));
    const timer = setTimeout(() => {
      sawTimeout = true;
      finish({ kind: 'timeout', afterMs: timeoutMs });
    }, timeoutMs);
    socket.write(`${head.join('\r\n')}\r\n\r\n`, 'latin1');
  });
}

// The hidden-suite harness's loopback HTTP: send() opens a fresh connection per request unless the
// suite gives it an agent, whose kept-alive connections then carry the requests.
import { Agent, createServer } from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import { closeServers, send, startServer } from '../src/verify/harness/http.ts';

afterEach(closeServers);

/** A server that answers every request with the number of connections it has accepted so far. */
async function countingServer(): Promise<number> {
  let connections = 0;
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ connections }));
  });
  server.on('connection', () => connections++);
  return (await startServer('countingServer()', () => server)).port;
}

async function connectionsSeen(port: number, agent?: Agent): Promise<unknown> {
  const outcome = await send(port, { method: 'POST', path: '/', body: '{}', ...(agent ? { agent } : {}) });
  if (outcome.kind !== 'reply') throw new Error(`no reply: ${outcome.kind}`);
  return (outcome.reply.json as { connections: number }).connections;
}

/** A server that drops (resets) every connection at its second request, as one closing idle kept-alive connections races a client. */
async function droppingServer(): Promise<{ port: number; answered: () => number }> {
  let answered = 0;
  const server = createServer((req, res) => {
    const socket = req.socket as typeof req.socket & { requests?: number };
    socket.requests = (socket.requests ?? 0) + 1;
    if (socket.requests > 1) {
      socket.resetAndDestroy();
      return;
    }
    req.resume();
    answered++;
    res.end('ok');
  });
  const { port } = await startServer('droppingServer()', () => server);
  return { port, answered: () => answered };
}

describe('send()', () => {
  test("a kept-alive connection reset at the next request sends that request again on a fresh connection", async () => {
    const { port, answered } = await droppingServer();
    const agent = new Agent({ keepAlive: true });
    try {
      for (let i = 0; i < 3; i++) {
        const outcome = await send(port, { method: 'POST', path: '/', body: '{}', agent });
        expect(outcome.kind === 'reply' && outcome.reply.text).toBe('ok');
      }
      expect(answered()).toBe(3);
    } finally {
      agent.destroy();
    }
  });

  test('a reset on a fresh connection is reported, not sent again', async () => {
    const server = createServer((req) => req.socket.resetAndDestroy());
    const { port } = await startServer('resettingServer()', () => server);
    const outcome = await send(port, { method: 'POST', path: '/', body: '{}' });
    expect(outcome.kind).toBe('error');
    expect(outcome.kind === 'error' && (outcome.error as NodeJS.ErrnoException).code).toBe('ECONNRESET');
  });

  test('opens a fresh connection for each request by default', async () => {
    const port = await countingServer();
    expect([await connectionsSeen(port), await connectionsSeen(port), await connectionsSeen(port)]).toEqual([1, 2, 3]);
  });

  test("carries requests on the agent's kept-alive connection when given one", async () => {
    const port = await countingServer();
    const agent = new Agent({ keepAlive: true });
    try {
      expect([await connectionsSeen(port, agent), await connectionsSeen(port, agent), await connectionsSeen(port, agent)]).toEqual([1, 1, 1]);
    } finally {
      agent.destroy();
    }
  });
});

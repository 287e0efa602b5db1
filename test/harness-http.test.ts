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

describe('send()', () => {
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

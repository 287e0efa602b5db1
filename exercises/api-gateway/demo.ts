// `learn-ds run api-gateway`: your gateway in front of three real services on 127.0.0.1, four
// client requests, each drawn as a timeline: when each call was in flight (█ answered, ▒ failed,
// ░ aborted by your gateway), and when and what your gateway answered.
import { demo, labelled, closeServers, send, startServer, timeAxis, type Outcome } from 'learn-ds/harness';
import { createGateway } from 'learn-ds/subject/api-gateway';
import { answer, Service, type Behaviour, type Call } from './tests/services.ts';

const SPAN_MS = 400;
const WIDTH = 48;

interface Scenario {
  title: string;
  /** What each service does, and after how many ms. */
  plan: Record<string, { behaviour: Behaviour; afterMs: number }>;
}

const SCENARIOS: Scenario[] = [
  {
    title: 'every service answers',
    plan: { order: { behaviour: { kind: 'json', body: { total: 42 } }, afterMs: 40 }, customer: { behaviour: { kind: 'json', body: { name: 'Ada' } }, afterMs: 60 }, reviews: { behaviour: { kind: 'json', body: [5, 4] }, afterMs: 80 } },
  },
  {
    title: 'reviews (optional) never answers: partial at its deadline',
    plan: { order: { behaviour: { kind: 'json', body: { total: 42 } }, afterMs: 40 }, customer: { behaviour: { kind: 'json', body: { name: 'Ada' } }, afterMs: 60 }, reviews: { behaviour: { kind: 'hang' }, afterMs: 0 } },
  },
  {
    title: 'customer (required) answers 500: 502 at once, the others aborted',
    plan: { order: { behaviour: { kind: 'hang' }, afterMs: 0 }, customer: { behaviour: { kind: 'json', status: 500, body: {} }, afterMs: 70 }, reviews: { behaviour: { kind: 'hang' }, afterMs: 0 } },
  },
  {
    title: 'order (required) never answers: 504 at its deadline',
    plan: { order: { behaviour: { kind: 'hang' }, afterMs: 0 }, customer: { behaviour: { kind: 'json', body: { name: 'Ada' } }, afterMs: 50 }, reviews: { behaviour: { kind: 'json', body: [] }, afterMs: 80 } },
  },
];

function said(outcome: Outcome): string {
  if (outcome.kind === 'timeout') return 'no answer';
  if (outcome.kind === 'error') return 'connection error';
  const body = outcome.reply.json as { partial?: unknown; service?: unknown } | undefined;
  if (outcome.reply.status === 200) return `200, partial ${JSON.stringify(body?.partial)}`;
  return `${outcome.reply.status} (service ${JSON.stringify(body?.service)})`;
}

/** One call as a strip: from its arrival to its end, █ answered, ▒ failed, ░ aborted. */
function strip(call: Call | undefined, endedAt: number | undefined, failed: boolean, t0: number): string {
  if (!call) return '(never called)';
  const col = (t: number) => Math.max(0, Math.min(WIDTH, Math.round(((t - t0) / SPAN_MS) * WIDTH)));
  const from = col(call.at);
  const to = Math.max(from + 1, col(endedAt ?? t0 + SPAN_MS));
  const glyph = call.abandoned ? '░' : failed ? '▒' : '█';
  return ' '.repeat(from) + glyph.repeat(to - from);
}

demo('one client request fanned out to three services: what came back, and when', async () => {
  const blocks: string[] = [];
  // The first round is a warm-up, not drawn: the first fetch of a process loads its HTTP client.
  for (const [round, scenario] of [SCENARIOS[0]!, ...SCENARIOS].entries()) {
    const services = await Promise.all(['order', 'customer', 'reviews'].map((n) => new Service(n).start()));
    const ended = new Map<string, number>();
    for (const s of services) {
      const { behaviour, afterMs } = scenario.plan[s.name]!;
      s.onCall = (c) => {
        void c.closed.then(() => ended.set(s.name, performance.now()));
        if (behaviour.kind === 'hang') return;
        setTimeout(() => {
          answer(c, behaviour);
          ended.set(s.name, performance.now());
        }, afterMs);
      };
    }
    const backends = services.map((s) => ({
      name: s.name,
      baseUrl: s.baseUrl,
      path: `/${s.name}/{id}`,
      required: s.name !== 'reviews',
      timeoutMs: s.name === 'order' ? 250 : 200,
      maxConcurrent: 4,
    }));
    const { port } = await startServer('createGateway(…)', () => createGateway({ backends, requestTimeoutMs: 350 }));
    const t0 = performance.now();
    const outcome = await send(port, { path: '/orders/42/summary' });
    const answeredAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 30)); // let the aborted calls' closes arrive
    const rows: Array<readonly [string, string]> = services.map((s) => {
      const plan = scenario.plan[s.name]!;
      const failed = plan.behaviour.kind !== 'json' || (plan.behaviour.status ?? 200) >= 300;
      return [`${s.name} (${s.name === 'reviews' ? 'optional' : 'required'}, ${s.name === 'order' ? 250 : 200} ms)`, strip(s.calls[0], ended.get(s.name), failed, t0)];
    });
    const at = Math.min(WIDTH - 1, Math.round(((answeredAt - t0) / SPAN_MS) * WIDTH));
    rows.push(['gateway answers', `${' '.repeat(at)}▲ ${Math.round(answeredAt - t0)} ms: ${said(outcome)}`]);
    rows.push(['', timeAxis(SPAN_MS, WIDTH)]);
    if (round > 0) blocks.push(`${scenario.title}\n${labelled(rows)}`);
    await closeServers();
  }
  return `${blocks.join('\n\n')}\n\n█ answered  ▒ failed  ░ aborted by the gateway (its connection closed)   requestTimeoutMs 350`;
});

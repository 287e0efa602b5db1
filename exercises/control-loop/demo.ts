// `learn-ds run control-loop`: a rollout of 12 instances through an API that goes down for 12 s,
// with your reconciler; and your data plane serving through the same outage.
import { advance, bucket, demo, labelled, sparkline, stateStrip, timeAxis, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { createDataPlane, createReconciler } from 'learn-ds/subject/control-loop';
import { FakeApi } from './tests/api.ts';

demo('a rollout of 12 instances to v2 through a 12-second outage of the API', async () => {
  useVirtualTime();
  const span = 40_000;
  const width = 80;
  const outage = { from: 4_000, to: 16_000 };
  const down = (t: number) => t >= outage.from && t < outage.to;
  const names = Array.from({ length: 12 }, (_, i) => `web-${i + 1}`);
  const settings = { intervalMs: 1000, maxChangesPerInterval: 2, lagMs: 1500, baseBackoffMs: 250, maxBackoffMs: 4000 };
  const fake = new FakeApi(names.map((n) => [n, 'v1']), names.map((n) => [n, 'v2']), settings);
  fake.reply = () => (down(virtualNow()) ? { delayMs: 30, fail: { error: new Error('503'), applied: false } } : { delayMs: 30 });
  const loop = createReconciler({ api: fake.api, desired: fake.desired, ...settings });

  // The data plane polls a control plane that is down during the same outage.
  let served = 0;
  const dataPlane = createDataPlane({
    fetchConfig: async () => {
      if (down(virtualNow())) throw new Error('control plane unavailable');
      return { version: Math.floor(virtualNow() / 10_000) + 1, routes: [{ key: 'checkout', backend: '10.0.0.7' }] };
    },
    refreshMs: 2000,
  });

  loop.start();
  const done: number[] = [];
  const versions: { from: number; to: number; state: string }[] = [];
  for (let t = 0; t < span; t += 250) {
    await advance(250);
    done.push(names.filter((n) => fake.state.get(n) === 'v2').length);
    if (dataPlane.lookup('checkout') === '10.0.0.7') served++;
    const state = `v${dataPlane.version() ?? '-'}`;
    const last = versions.at(-1);
    if (last && last.state === state) last.to = t + 250;
    else versions.push({ from: t, to: t + 250, state });
  }
  loop.stop();
  dataPlane.stop();

  const lists = fake.lists().map((c) => c.startMs);
  const changes = fake.mutations().map((c) => c.startMs);
  const scale = Math.max(1, ...bucket(lists, span, width), ...bucket(changes, span, width));
  const convergedAt = done.findIndex((n) => n === names.length);
  return [
    `createReconciler: ${Object.entries(settings).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
    labelled([
      ['API', stateStrip([{ from: 0, to: outage.from, state: 'up' }, { ...outage, state: 'down' }, { from: outage.to, to: span, state: 'up' }], span, width, { up: '─', down: '█' })],
      ['list() calls', sparkline(bucket(lists, span, width), scale)],
      ['changes', sparkline(bucket(changes, span, width), scale)],
      ['at v2 (of 12)', sparkline(done.filter((_, i) => i % Math.ceil(done.length / width) === 0), names.length)],
      ['data plane', stateStrip(versions, span, width, Object.fromEntries(versions.map((v) => [v.state, v.state.at(-1)!])))],
      ['', timeAxis(span, width)],
    ]),
    '',
    `Before the outage the loop updates 2 instances per second (the rate limit). During it, its passes fail`,
    `and it waits 250, 500, 1000, 2000, 4000, 4000… ms between them (backoff, capped), instead of hammering`,
    `the API. After it, ${convergedAt < 0 ? 'it had still not finished at 40 s' : `all 12 are at v2 at ${((convergedAt + 1) * 250 / 1000).toFixed(2)} s`}: no instance was changed twice, even though`,
    `each list() was up to ${settings.lagMs} ms stale. The data plane answered ${served} of ${done.length} lookups`,
    `(one every 250 ms), the outage included: it kept configuration ${versions.find((v) => v.to > outage.from)?.state ?? '?'} while the control plane was down.`,
    fake.violations.length > 0 ? `Broken rules: ${fake.violations[0]}` : 'No rule was broken (rate limit, one change of a name at a time, no desired name deleted).',
  ].join('\n');
});

// `learn-ds run load-balancer`: your balancer against random choice and round robin on a fleet of
// servers of skewed speeds, then against "least loaded" when loads are published every 200 ms.
import { bar, demo, labelled } from 'learn-ds/harness';
import { LoadBalancer } from 'learn-ds/subject/load-balancer';
import { driveFleet, type CreateBalancer } from './tests/drive.ts';
import { runBaseline, strategies, traffic, type Outcome } from './tests/queueing.ts';

function yours(means: readonly number[], seed: number, publishEveryMs?: number): Promise<Outcome> {
  const create: CreateBalancer = (servers, load) => new LoadBalancer({
    servers, timeoutMs: 1000, probe: async () => true, unhealthyAfter: 3, healthyAfter: 2, ejectAfter: 1e6, baseEjectionMs: 0,
    ...(load ? { load } : {}),
  });
  return driveFleet(create, means, seed, 1500, 0.3, publishEveryMs);
}

function table(rows: Array<[string, Outcome]>): string {
  const scale = Math.max(...rows.map(([, o]) => o.p99));
  return labelled(rows.map(([name, o]) => [name, `peak ${String(o.peak).padStart(4)}  p99 ${String(o.p99).padStart(6)} ms  ${bar(o.p99, scale, 40)}`]));
}

demo('two random choices against random, round robin and stale "least loaded"', async () => {
  const seed = 4242;
  const skewed = [10, 10, 10, 10, 20, 20, 20, 40, 40, 80];
  const t = traffic(seed, 1500, 0.3);
  const fresh: Array<[string, Outcome]> = [
    ['your balancer', await yours(skewed, seed)],
    ['random', runBaseline(skewed, t, strategies.random!, seed)],
    ['round robin', runBaseline(skewed, t, strategies['round robin']!, seed)],
  ];
  const even = skewed.map(() => 20);
  const stale: Array<[string, Outcome]> = [
    ['your balancer', await yours(even, seed, 200)],
    ['least loaded', runBaseline(even, t, strategies['least loaded']!, seed, 200)],
    ['random', runBaseline(even, t, strategies.random!, seed, 200)],
  ];
  return [
    `10 servers, one request at a time each, mean service ${skewed.join(', ')} ms; 1,500 requests at 0.3 per ms:`,
    '',
    table(fresh),
    '',
    'Random and round robin give the 80 ms server a tenth of the traffic, more than it can serve: its queue',
    'grows and so does the tail. Two choices over in-flight counts send it only what it keeps up with.',
    '',
    '10 equal servers (20 ms), loads published every 200 ms (peak: most requests at one server at once):',
    '',
    table(stale),
    '',
    '"Least loaded" on stale data sends 200 ms of traffic to the same server: herding. Two random choices',
    'send the least loaded server only the requests whose pair contains it.',
  ].join('\n');
});

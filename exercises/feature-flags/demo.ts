// `learn-ds run feature-flags`: a rollout raised from 0 to 100 % through reloads, who is in at each
// step; a second flag at the same steps beside it; then a bad configuration, an outage and a kill.
import { advance, demo, labelled, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { FeatureFlags } from 'learn-ds/subject/feature-flags';
import { FakeLogger, FakeSource, configText, type FlagJson } from './tests/helpers.ts';

const USERS = Array.from({ length: 48 }, (_, i) => `user-${i + 1}`);
const STEPS = [0, 1, 5, 10, 12.5, 25, 50, 75, 99, 100];
const RELOAD_MS = 10_000;
const KILL_MS = 500;

const flag = (key: string, rolloutPercent: number): FlagJson => ({ key, enabled: true, rolloutPercent });

demo('a rollout from 0 to 100 %, reloaded step by step; then a bad configuration, an outage and a kill', async () => {
  useVirtualTime();
  const service = new FakeSource(20, { ok: configText([flag('new-checkout', 0), flag('dark-mode', 0)]) });
  const log = new FakeLogger();
  const flags = new FeatureFlags({ source: service.source, logger: log.logger, reloadIntervalMs: RELOAD_MS, killSwitchIntervalMs: KILL_MS });
  flags.start();
  /** Runs until `ms` after start, the service's answers due then included. */
  const until = async (ms: number) => {
    await advance(ms - virtualNow());
    await advance(0);
  };
  let reloads = 0;
  /** Runs until the next reload has answered (the service takes 20 ms). */
  const nextReload = () => until(++reloads * RELOAD_MS + 20);
  await until(20);

  const row = (key: string) => {
    const marks = USERS.map((u) => (flags.isEnabled(key, u) ? '●' : '·')).join('');
    const count = USERS.filter((u) => flags.isEnabled(key, u)).length;
    return `${marks}  ${String(count).padStart(2)}/${USERS.length}`;
  };
  const rows: [string, string][] = [['', `${USERS[0]} … ${USERS.at(-1)}, one column each`]];
  for (const percent of STEPS) {
    service.setFlags([flag('new-checkout', percent), flag('dark-mode', percent)]);
    await nextReload();
    rows.push([`${percent} %`.padStart(7), `${row('new-checkout')}   ${row('dark-mode')}`]);
  }
  const header = `${'new-checkout'.padEnd(USERS.length + 7)}   dark-mode`;

  const events: [string, string][] = [];
  service.setFlags([flag('new-checkout', 50), flag('dark-mode', 50)]);
  await nextReload();
  events.push(['both back to 50 %', row('new-checkout')]);
  service.config = { ok: '{"flags": [{"key": "new-checkout", "enabled": true, "rolloutPercent": "100"}]}' };
  await nextReload();
  events.push(['"100" (a string)', `${row('new-checkout')}   rejected: ${log.lines.at(-1) ?? '(nothing logged)'}`]);
  service.config = { fail: new Error('flag service unreachable') };
  await nextReload();
  events.push(['service down', `${row('new-checkout')}   the last good configuration stays`]);
  service.killed = { ok: ['new-checkout'] };
  await until(virtualNow() + KILL_MS + 20);
  events.push(['killed', `${row('new-checkout')}   within ${KILL_MS} ms + the response time, no reload needed`]);
  flags.stop();

  return [
    `FeatureFlags on 48 users, the rollout raised at each reload (every ${RELOAD_MS / 1000} s). ● in, · out.`,
    '',
    labelled([['', header], ...rows]),
    '',
    'Read down a column: once a user is in, they stay in (monotone). Compare the two flags at the same',
    'percentage: different users, because the bucket hashes the flag key with the user id (independent).',
    '',
    labelled(events),
  ].join('\n');
});

// `learn-ds run transactional-outbox`: your service, relay and consumer on real SQLite databases; the
// relay crashes between a publish and its mark, restarts, publishes that event again, and the
// consumer applies it once.
import { demo } from 'learn-ds/harness';
import { loadSqlJs } from './tests/database.ts';
import { runScenario } from './tests/run.ts';
import type { Scenario } from './tests/scenario.ts';

const scenario: Scenario = {
  accounts: ['zoë'],
  actions: [
    { kind: 'deposit', command: { commandId: 'cmd-1', accountId: 'zoë', amount: 30 } },
    { kind: 'withdraw', command: { commandId: 'cmd-2', accountId: 'zoë', amount: 31 } },
    { kind: 'deposit', command: { commandId: 'cmd-3', accountId: 'zoë', amount: 20 } },
    { kind: 'withdraw', command: { commandId: 'cmd-4', accountId: 'zoë', amount: 50 } },
    { kind: 'relay' },
    { kind: 'deliver', count: 10 },
  ],
};

demo('a crash between publish and mark: the relay catches up, the consumer applies each event once', async () => {
  const sql = await loadSqlJs();
  // Where is the relay's second publish? A run without a crash tells.
  const calm = await runScenario(sql, scenario);
  const publishes = calm.trace.filter((step) => step.role === 'relay' && step.label.startsWith('publish '));
  const at = (publishes[1] ?? publishes[0])?.roleStep ?? 1;
  const run = await runScenario(sql, scenario, { role: 'relay', at });
  const problems = run.violations.map((v) => `  ✗ ${v.message}`);
  return [
    'Four commands on account zoë (one withdrawal too large), the relay, the consumer; the service',
    `process crashes right after step ${at} of the relay, then catches up:`,
    '',
    ...run.story.map((line) => `  ${line}`),
    '',
    `the broker received: ${run.published.join(', ') || 'nothing'}`,
    `the consumer's statements: ${run.statements.map((s) => `${s.accountId}: deposited ${s.deposited}, withdrawn ${s.withdrawn}, ${s.entries} entries`).join('; ') || 'none'}`,
    '',
    problems.length > 0 ? 'What went wrong:' : 'An event published twice (at least once) and applied once: the outbox and the dedup table at work.',
    ...problems,
  ].join('\n');
});

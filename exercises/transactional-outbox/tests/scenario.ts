// One run's script, drawn from the suite's seed. Whatever the draw, it holds every situation a
// mistake needs, so a wrong solution fails under every seed:
// - two deposits of the same amount to one account, relayed in one batch, whose ids sort the other
//   way round as text ('cmd-10' < 'cmd-9'): ordering by anything but the outbox's order, publishing
//   side by side, or deduplicating by content shows;
// - the broker refuses the first publish of the relay's first run: skipping a row, or marking it sent first, shows;
// - withdrawals rejected at the edge (one more than the balance), one accepted at it (exactly the balance);
// - two committed events whose ids differ only in case, on an account whose id differs from
//   another's only in case;
// - redeliveries of events already applied, also after the consumer restarted.
import type { Command } from 'learn-ds/subject/transactional-outbox';
import { streamFor } from 'learn-ds/harness';

export type Action =
  | { kind: 'deposit' | 'withdraw'; command: Command }
  /** Runs publishPending(); with `refuse`, the broker refuses the first publish of this run. */
  | { kind: 'relay'; refuse?: boolean }
  /** Delivers up to `count` queued events to the consumer, oldest first. */
  | { kind: 'deliver'; count: number }
  /** The broker delivers again the `back`-th most recently acknowledged event (1 = the last). */
  | { kind: 'redeliver'; back: number }
  /** The consumer process stops cleanly and starts again (no crash). */
  | { kind: 'restart-consumer' };

export interface Scenario {
  accounts: string[];
  actions: Action[];
}

const ACCOUNT_BASES = ['acct-7', 'zoë-4', 'wallet_ab', 'ñandú-12', 'user@example.org'];
const THIRD_ACCOUNTS = ['Bob', '𝔸lice', 'ÅSA-2', 'n10'];
const SEQUENTIAL = [
  ['cmd-9', 'cmd-10'],
  ['op_99', 'op_100'],
  ['Ĉmd-9', 'Ĉmd-10'],
  ['evt-999', 'evt-1000'],
];

export function scenarioFor(label: string): Scenario {
  const rnd = streamFor(label);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const hex = (n: number) => Array.from({ length: n }, () => int(0, 15).toString(16)).join('');

  const base = pick(ACCOUNT_BASES);
  const a = base;
  const b = base[0]!.toUpperCase() + base.slice(1); // differs from a only in case
  const c = rnd() < 0.5 ? pick(THIRD_ACCOUNTS) : `${hex(8)}-${hex(4)}`;
  const [first, second] = pick(SEQUENTIAL) as [string, string];
  const twin = `Tx-${hex(3)}${pick(['a', 'b', 'c', 'd', 'e', 'f'])}`; // has a letter to change the case of
  const random = () => pick([`${hex(8)}-${hex(4)}`, `𝔼vt-${hex(4)}`, `Zoë-${int(1, 999)}`, `${int(1, 99999)}`]);
  const ids = new Set<string>([first, second, twin, twin.toLowerCase()]);
  const fresh = (): string => {
    for (;;) {
      const id = random();
      if (!ids.has(id)) {
        ids.add(id);
        return id;
      }
    }
  };

  const x = int(10, 90);
  const y = int(5, 60);
  const w = int(1, 40);
  const command = (kind: 'deposit' | 'withdraw', accountId: string, amount: number, commandId = fresh()): Action => ({
    kind,
    command: { commandId, accountId, amount },
  });

  const actions: Action[] = [
    command('deposit', a, x, first),
    command('deposit', a, x, second),
    command('withdraw', b, y), // b holds nothing yet: rejected
    command('deposit', b, y),
    { kind: 'relay', refuse: true },
    { kind: 'relay' },
    { kind: 'deliver', count: 2 },
    command('withdraw', a, 2 * x), // exactly the balance: accepted
    command('withdraw', a, 1), // one more than the balance (0): rejected
    command('deposit', c, w, twin),
    command('deposit', c, w, twin.toLowerCase()),
    command('withdraw', b, y + 1), // one more than the balance: rejected
  ];
  // The rest in a seeded order: more relays and deliveries between the later commands.
  const later: Action[] = [
    { kind: 'relay' },
    { kind: 'deliver', count: int(1, 3) },
    command('deposit', b, int(1, 50)),
    command('withdraw', c, int(1, w)),
    { kind: 'relay' },
  ];
  for (const action of later) {
    if (rnd() < 0.5) actions.push({ kind: 'deliver', count: 1 });
    actions.push(action);
  }
  actions.push(
    { kind: 'deliver', count: 20 },
    { kind: 'redeliver', back: 1 },
    { kind: 'restart-consumer' },
    { kind: 'redeliver', back: int(2, 3) },
  );
  return { accounts: [a, b, c], actions };
}

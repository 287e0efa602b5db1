// `learn-ds run vector-clock`: three processes exchange three messages; each event drawn on its
// process's lane with the clock your increment and merge give it, then what your compare says of
// every pair of events, and which pairs are concurrent.
import { demo, labelled } from 'learn-ds/harness';
import { compare, increment, merge } from 'learn-ds/subject/vector-clock';
import { at, copy, exchangeOfThree, Exchange, sameClock, show, type SimEvent } from './tests/helpers.ts';

const PROCESSES = ['alice', 'bob', 'carol'] as const;
const SYMBOL: Record<string, string> = { before: '→', after: '←', equal: '=', concurrent: '∥' };

/** The exchange of the hidden suite: m1 alice → bob, m2 bob → carol, m3 carol → alice. */
const exchange = (): Exchange => exchangeOfThree({ increment: (c, n) => increment(c, n), merge: (a, b) => merge(a, b) });

/** `items` in lines of `size`. */
const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/** [alice, bob, carol] entries of a clock, missing ones as 0. */
const vector = (clock: Record<string, number>) => `[${PROCESSES.map((p) => at(clock, p)).join(',')}]`;

demo('alice, bob and carol exchange three messages: every clock, every pair', () => {
  const x = exchange();
  const lane = 20;
  const rows = x.events.map((e) => {
    const cells = PROCESSES.map((p) => (p === e.process ? `${e.name} ${vector(e.clock)}` : '│').padEnd(lane)).join('');
    const wrong = sameClock(e.clock, e.expected) ? '' : `  (correct: ${vector(e.expected)})`;
    return `${cells}${e.what.slice(e.process.length + 2)}${wrong}`;
  });
  const events = x.events;
  const order = (e: SimEvent, f: SimEvent) => (e === f ? 'equal' : String(compare(copy(e.clock), copy(f.clock))));
  const matrix = events.map((e) => [e.name, events.map((f) => ` ${SYMBOL[order(e, f)] ?? '?'}`).join(' ')] as const);
  const pairs = (events.length * (events.length - 1)) / 2;
  const concurrent: string[] = [];
  const disagree: string[] = [];
  events.forEach((e, i) => events.slice(i + 1).forEach((f) => {
    const got = order(e, f);
    if (got === 'concurrent') concurrent.push(`${e.name} ∥ ${f.name}`);
    const truth = x.relation(e, f);
    if (got !== truth) disagree.push(`${e.name} ${SYMBOL[truth]} ${f.name} (yours ${SYMBOL[got] ?? show(got)})`);
  }));
  return [
    'A local event or a send increments the process\'s own entry (a send attaches the new clock to the message);',
    'a receive merges the attached clock into the process\'s clock, then increments. Clocks as [alice,bob,carol]:',
    '',
    PROCESSES.map((p) => p.padEnd(lane)).join('').trimEnd(),
    ...rows,
    '',
    'compare(row\'s clock, column\'s clock): → before, ← after, = equal, ∥ concurrent',
    labelled([['', events.map((e) => e.name.padEnd(2)).join(' ')], ...matrix]),
    '',
    `Concurrent by your compare (${concurrent.length} pairs):`,
    ...chunks(concurrent, 8).map((line) => `  ${line.join(', ')}`),
    disagree.length === 0
      ? `On all ${pairs} pairs your compare agrees with the exchange itself (who could have heard of whom through messages).`
      : `Where the exchange itself says otherwise (${disagree.length} of ${pairs} pairs; the exchange's relation, then your compare's):\n` +
        chunks(disagree, 5).map((l) => `  ${l.join(', ')}`).join('\n'),
    'Lamport timestamps would give a3 3 and b3 4, as if a3 came first; only the vectors show that neither knew of the other.',
  ].join('\n');
});

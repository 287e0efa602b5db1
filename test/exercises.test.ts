/**
 * The promise every exercise makes, by the rules of src/dev/rules.ts (the very ones `npm run check`
 * reports): its reference passes on several seeds, its starter fails, every mutant fails on every
 * seed naming its mistake, and its demo draws with the reference (and tells the starter's TODO).
 * A hidden suite that a wrong solution passes is a bug, and this is where it shows. The rules of
 * the files alone (manifest, statement, hints, imports) are asserted by test/catalog.test.ts, the
 * typecheck rule of every exercise by test/typecheck.test.ts (one program for all of them).
 *
 * Each exercise is proven through one warm runner (one vitest start-up for all its runs, the demo's
 * included; warm verdicts equal cold ones, test/warm-verifier.test.ts), two exercises at a time,
 * the costliest first.
 */
import { describe, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { formatFindings, runFindings } from '../src/dev/rules.ts';
import { DEFAULT_PROOF } from '../src/dev/prove.ts';
import { costliestFirst, expectedCost } from '../src/dev/check.ts';

const catalog = loadCatalog();
/**
 * The costliest proofs start first, as `npm run check` starts them: the last ones to run, when
 * the other files are done and a core may be left idle, are short.
 */
const exercises = costliestFirst(catalog.exercises, (e) => expectedCost(e, DEFAULT_PROOF)).map((i) => catalog.exercises[i]!);
/** Exercises proven at once: each holds a vitest child busy; more only queue on a 2-core machine. */
const PROOFS_AT_ONCE = 2;
/** A proof is some 30 runs; waiting for a free slot counts too (the last exercise waits for nearly all the others). */
const PROOF_TIMEOUT_MS = 30 * 60_000;

/** At most `n` holders at a time; the others wait in order. */
function slots(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let free = n;
  const waiting: Array<() => void> = [];
  return async (fn) => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}
const proofSlot = slots(PROOFS_AT_ONCE);

describe.concurrent.each(exercises.map((e) => [e.id, e] as const))('%s', (_id, exercise) => {
  test(
    'is proven: the reference passes on 3 seeds, the starter fails, every mutant fails on 2 seeds naming its mistake, the demo draws',
    async ({ expect }) => {
      const { findings } = await proofSlot(() => runFindings(exercise, DEFAULT_PROOF));
      expect(findings, formatFindings(findings)).toEqual([]);
    },
    PROOF_TIMEOUT_MS,
  );
});

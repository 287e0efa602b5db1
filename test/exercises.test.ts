/**
 * The promise every exercise makes, by the rules of src/dev/rules.ts (the very ones `npm run check`
 * reports): its files type-check, its reference passes on several seeds, its starter fails, every
 * mutant fails on every seed naming its mistake, and its demo draws with the reference. A hidden
 * suite that a wrong solution passes is a bug, and this is where it shows. The rules of the files
 * alone (manifest, statement, hints, imports) are asserted by test/catalog.test.ts.
 *
 * Each exercise is proven through one warm runner (one vitest start-up for all its runs; warm
 * verdicts equal cold ones, test/warm-verifier.test.ts), two exercises at a time.
 */
import { describe, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { formatFindings, runFindings } from '../src/dev/rules.ts';
import { DEFAULT_PROOF } from '../src/dev/prove.ts';
import { typecheckFindings } from '../src/dev/typecheck.ts';

const catalog = loadCatalog();
/** Exercises proven at once: each holds a vitest child busy; more only queue on a 2-core machine. */
const PROOFS_AT_ONCE = 2;
/** A proof is some 30 runs; waiting for a free slot counts too. */
const PROOF_TIMEOUT_MS = 15 * 60_000;

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

describe.concurrent.each(catalog.exercises.map((e) => [e.id, e] as const))('%s', (id, exercise) => {
  test(
    'is proven: its files type-check, the reference passes on 3 seeds, the starter fails, every mutant fails on 2 seeds naming its mistake, the demo draws',
    async ({ expect }) => {
      const findings = await proofSlot(async () => [
        // One exercise at a time, each reusing what the last type-check parsed (typecheck.ts).
        ...((await typecheckFindings([exercise])).get(id) ?? []),
        ...(await runFindings(exercise, DEFAULT_PROOF)).findings,
      ]);
      expect(findings, formatFindings(findings)).toEqual([]);
    },
    PROOF_TIMEOUT_MS,
  );
});

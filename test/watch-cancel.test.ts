/**
 * `watch`: a new save cancels the run still in progress. A learner saves an infinite loop, then a
 * fix: the fix's verdict comes next, soon (not the loop's timeout first, and the fix after it).
 * A real session (file watcher, warm verifier) on the retry-backoff exercise.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import type { Verdict } from '../src/verify/verdict.ts';
import { WatchSession } from '../src/watch/session.ts';
import { updateProgress } from '../src/workspace/progress-store.ts';
import { createWorkspace, scaffoldExercise } from '../src/workspace/workspace.ts';
import { tempDir } from './support/cli.ts';

const catalog = loadCatalog();
const exercise = catalog.byId.get('retry-backoff')!;
const loop = fileURLToPath(new URL('./fixtures/bad-input/infinite-loop.ts', import.meta.url));

describe('watch: a new save cancels the run in progress', () => {
  const sessions: WatchSession[] = [];
  afterAll(() => sessions.forEach((s) => s.quit()));

  test('a fix saved while an infinite loop runs is judged next, long before the loop\'s time limit', async () => {
    const ws = await createWorkspace(tempDir());
    const { file } = await scaffoldExercise(ws, exercise);
    writeFileSync(file, readFileSync(exercise.solutionPath, 'utf8'));
    const verdicts: Array<{ verdict: Verdict; at: number }> = [];
    let screen = '';
    const session = new WatchSession({
      ws,
      catalog,
      exercise,
      shown: (p) => p,
      // A limit far above the time the fix may take: only a cancelled loop lets the fix through in time.
      timeoutSeconds: 120,
      output: { write: (text) => (screen += text), tty: false, keys: false },
      cli: {
        renderHints: () => '',
        statement: async () => '',
        save: async (change) => ({ ok: true, progress: await updateProgress(ws.progressFile, change) }),
      },
      onVerdict: (verdict) => verdicts.push({ verdict, at: Date.now() }),
    });
    sessions.push(session);
    await session.start();
    await expect.poll(() => verdicts.length, { timeout: 60_000, interval: 50 }).toBe(1); // warm child up
    expect(verdicts[0]!.verdict.passed).toBe(true);

    writeFileSync(file, readFileSync(loop, 'utf8'));
    // The loop's run is under way (it never ends by itself within the test)…
    await new Promise((r) => setTimeout(r, 1_500));
    expect(verdicts).toHaveLength(1);
    // …when the fix is saved.
    const fixedAt = Date.now();
    writeFileSync(file, `${readFileSync(exercise.solutionPath, 'utf8')}\n// fixed\n`);
    await expect.poll(() => verdicts.length, { timeout: 60_000, interval: 50 }).toBe(2);
    expect(verdicts[1]!.verdict.passed).toBe(true);
    expect(verdicts[1]!.at - fixedAt).toBeLessThan(60_000);
    expect(screen).not.toMatch(/timed out/);
  }, 120_000);
});

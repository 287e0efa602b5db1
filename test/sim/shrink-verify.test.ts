// End to end: `learn-ds verify` on a mutant whose nemesis check fails shows the shrunk schedule as a
// numbered story, and the replay command it prints (--seed … --faults …) reproduces exactly that run.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { learnDs, repoRoot, tempDir } from '../support/cli.ts';
import { mutantsOf } from '../support/mutants.ts';

const ID = 'crdts';
const MUTANT = 'gc-merge-keys-of-a';

/** --json carries a check's detail (the schedule, the timeline, the replay line) in its message, after the first line. */
interface JsonCheck {
  name: string;
  passed: boolean;
  message?: string;
}

async function verifyJson(args: string[]): Promise<JsonCheck[]> {
  const r = await learnDs(tempDir(), ['verify', ID, ...args, '--json', '--timeout', '60']);
  expect(r.exitCode, r.stderr).toBe(1);
  return (JSON.parse(r.stdout) as { checks: JsonCheck[] }).checks;
}

/** The story's lines and everything after them (the timeline, the replay line). */
function shrunkRun(detail: string): { story: string[]; rest: string } {
  const lines = detail.split('\n');
  const story = lines.filter((l) => /^ {2}\d+\. /.test(l));
  return { story, rest: detail.slice(detail.indexOf(story.at(-1)!) + story.at(-1)!.length) };
}

test(`verify ${ID} on its ${MUTANT} mutant: a few faults of many, told as a story; the replay command reproduces that run`, async () => {
  const mutant = mutantsOf(join(repoRoot, 'exercises', ID)).find((m) => m.name === MUTANT)!;
  const checks = await verifyJson(['--file', mutant.file, '--seed', '1']);
  const shrunk = checks.find((c) => !c.passed && /The same check still fails with only/.test(c.message ?? ''));
  expect(shrunk, JSON.stringify(checks, null, 1)).toBeDefined();
  const detail = shrunk!.message!;
  const counts = /The same check still fails with only (?:this fault|these (\d+) faults) of the run's (\d+), shrunk in [\d.]+ s:/.exec(detail)!;
  const after = counts[1] === undefined ? 1 : Number(counts[1]);
  expect(after).toBeLessThanOrEqual(3);
  expect(Number(counts[2])).toBeGreaterThan(after);
  const { story } = shrunkRun(detail);
  expect(story).toHaveLength(after);
  for (const [i, line] of story.entries()) expect(line).toMatch(new RegExp(`^ {2}${i + 1}\\. .* at \\d+ ms`));

  const replay = /replay it first: npx learn-ds verify crdts --seed (\d+) --faults (\S+)$/m.exec(detail);
  expect(replay, detail).not.toBeNull();
  const again = (await verifyJson(['--file', mutant.file, '--seed', replay![1]!, '--faults', replay![2]!])).find((c) => c.name === shrunk!.name)!;
  expect(again.passed).toBe(false);
  expect(again.message!.split('\n')[0]).toBe(detail.split('\n')[0]);
  const replayed = shrunkRun(again.message!);
  expect(replayed.story).toEqual(story);
  expect(replayed.rest).toBe(shrunkRun(detail).rest);

  // The learner fixes their file (here: the reference) and replays the same code: it still applies, and says the run passes now.
  const mine = join(tempDir(), `${ID}.ts`);
  copyFileSync(join(repoRoot, 'solutions', `${ID}.ts`), mine);
  const fixed = await learnDs(tempDir(), ['verify', ID, '--file', mine, '--seed', replay![1]!, '--faults', replay![2]!, '--json', '--timeout', '60']);
  expect(fixed.exitCode, fixed.stderr).toBe(0);
  expect(fixed.stderr).toContain(`The shrunk run that --faults ${replay![2]!} replays (seed ${replay![1]!}, only the steps it keeps) passes now.`);
}, 400_000); // three cold runs of a simulated suite, on a machine that may be busy

test('a --faults code that names no check of the exercise (another check\'s, another exercise\'s) is told in one line, with the command to use', async () => {
  const mutant = mutantsOf(join(repoRoot, 'exercises', ID)).find((m) => m.name === MUTANT)!;
  const r = await learnDs(tempDir(), ['verify', ID, '--file', mutant.file, '--seed', '4', '--faults', '2,o3@zzzz', '--json', '--timeout', '60']);
  expect(r.exitCode).toBe(1);
  expect(r.stderr.trim().split('\n').filter((l) => l.includes('--faults'))).toEqual([
    '--faults 2,o3@zzzz names no check of crdts as it is now (a code from another check or exercise, or from an older learn-ds), so seed 4 ran with all its faults; ' +
      'replay a failure with the command its verdict prints, e.g. npx learn-ds verify crdts --seed 4',
  ]);
}, 300_000);

test('--faults is a plan as a check prints it, and comes with the --seed it was printed with', async () => {
  const file = join(tempDir(), 'mine.ts');
  writeFileSync(file, 'export {};\n');
  const noSeed = await learnDs(tempDir(), ['verify', ID, '--faults', '2,5@k3f', '--file', file]);
  expect(noSeed.exitCode).toBe(2);
  expect(noSeed.stderr).toContain('--faults replays the shrunk run of a failing check: give the --seed it printed too, e.g. npx learn-ds verify crdts --seed 1234 --faults 2,5@k3f');
  const bad = await learnDs(tempDir(), ['verify', ID, '--seed', '3', '--faults', '2;5']);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('the faults are a plan as a failing check prints it, e.g. --faults 2,5@k3f');
});

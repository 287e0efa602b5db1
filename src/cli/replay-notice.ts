/**
 * `verify --seed N --faults PLAN`: the plan is for one check (its name and source hashed into the
 * code), so the hidden run tells, through a file named in the environment, which check replayed it
 * and how that run ended. This says in one line what the learner could not see otherwise: that the
 * code named no check (another exercise's, another check's, or one made before learn-ds changed),
 * or that the shrunk run it names now passes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAULTS_SEEN_ENV } from '../sim/schedule.ts';

export interface Replayed {
  check: string;
  seed: number;
  failed: boolean;
}

/** What the hidden run wrote: one JSON line per check that replayed the plan. */
export function parseReplayed(text: string): Replayed[] {
  return text.split('\n').flatMap((line) => {
    try {
      const r = JSON.parse(line) as Partial<Replayed>;
      return typeof r.check === 'string' && typeof r.seed === 'number' && typeof r.failed === 'boolean' ? [r as Replayed] : [];
    } catch {
      return [];
    }
  });
}

/**
 * The notice for a run with `--faults code` (pure): undefined when a check replayed it and failed
 * (the verdict tells that run), or when the run ended before its checks did (`complete` false).
 */
export function replayNotice(replayed: readonly Replayed[], code: string, exercise: string, seed: number, command: string, complete: boolean): string | undefined {
  if (replayed.length === 0) {
    if (!complete) return undefined;
    return `--faults ${code} names no check of ${exercise} as it is now (a code from another check or exercise, or from an older learn-ds), ` +
      `so seed ${seed} ran with all its faults; replay a failure with the command its verdict prints, e.g. ${command} verify ${exercise} --seed ${seed}`;
  }
  if (replayed.every((r) => !r.failed)) return `The shrunk run that --faults ${code} replays (seed ${seed}, only the steps it keeps) passes now.`;
  return undefined;
}

/** Points the hidden run at a fresh file for its answer; `read()` collects it and removes the file. */
export function watchReplay(): { read(): Replayed[] } {
  const dir = mkdtempSync(join(tmpdir(), 'learn-ds-faults-'));
  const file = join(dir, 'replayed.jsonl');
  process.env[FAULTS_SEEN_ENV] = file;
  return {
    read() {
      delete process.env[FAULTS_SEEN_ENV];
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        // No check replayed the plan.
      }
      rmSync(dir, { recursive: true, force: true });
      return parseReplayed(text);
    },
  };
}

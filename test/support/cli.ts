// Runs the real learn-ds launcher in a directory, as a learner would, and captures what it says.
import { mkdtempSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const launcher = join(repoRoot, 'bin', 'learn-ds.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function learnDs(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [launcher, ...args], {
    cwd,
    reject: false,
    stdin: 'ignore',
    // Messages spell the command as the README does; cli.test.ts checks how it is detected.
    // No type check beside verify (a whole TypeScript program, ~5 s of CPU for each new file) unless
    // a test asks for it with LEARN_DS_TYPECHECK: '1': the tests that look at it do.
    env: { NO_COLOR: '1', CI: 'true', LEARN_DS_WORKSPACE: '', LEARN_DS_COMMAND: 'npx learn-ds', LEARN_DS_TYPECHECK: '0', ...env },
    extendEnv: true,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A fresh, empty directory (real path, so that paths printed by the CLI compare equal). */
export function tempDir(prefix = 'learn-ds-test-'): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/** Processes whose environment names `file` as the learner file under test (Linux /proc). */
export function processesJudging(file: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/environ`, 'utf8').includes(`LEARN_DS_SUBJECT=${file}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

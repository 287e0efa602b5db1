/**
 * The command a learner types to run learn-ds, as they started it this time: every "run this next"
 * line (the CLI's, watch's, doctor's, the workspace's README, a statement, a replay line written by
 * the harness inside a verifier child) takes it from here, so that copying a line always works.
 *
 * - `npx learn-ds` / `npm exec learn-ds`: npm says so in npm_command=exec.
 * - `npm run learn-ds -- …`: npm_command=run (run-script on older npm) and a script that runs the launcher.
 * - a bin on the PATH (`learn-ds`: the project's bin/ on PATH, a global or linked install).
 * - `node path/to/learn-ds.js` or a bin by its path: that path, as typed from here.
 * The CLI passes its form to the processes it starts in LEARN_DS_COMMAND; a process started some
 * other way (the project's tests running the harness) falls back to the README's form.
 */
import { basename, delimiter, dirname, isAbsolute, relative, resolve } from 'node:path';

export const COMMAND_ENV = 'LEARN_DS_COMMAND';
/** The form the README teaches when nothing better is known. */
export const DEFAULT_COMMAND = 'npx learn-ds';

export interface Invocation {
  env: Record<string, string | undefined>;
  /** process.argv[1]: the script node was asked to run (a symlink stays a symlink here). */
  script: string | undefined;
  cwd: string;
}

/** Pure: the command that started learn-ds, or undefined when it cannot tell. */
export function detectCommand({ env, script, cwd }: Invocation): string | undefined {
  if (env.npm_command === 'exec') return 'npx learn-ds';
  if ((env.npm_command === 'run' || env.npm_command === 'run-script') && env.npm_lifecycle_event && /learn-ds(\.js)?\b/.test(env.npm_lifecycle_script ?? '')) {
    return `npm run ${env.npm_lifecycle_event} --`;
  }
  if (!script) return undefined;
  const name = basename(script);
  if (!name.startsWith('learn-ds')) return undefined;
  const dir = resolve(cwd, dirname(script));
  if (!name.endsWith('.js')) {
    const onPath = (env.PATH ?? '').split(delimiter).some((p) => p !== '' && resolve(cwd, p) === dir);
    if (onPath) return name;
  }
  const rel = relative(cwd, resolve(cwd, script));
  const path = rel.startsWith('..') || isAbsolute(rel) ? resolve(cwd, script) : rel.includes('/') ? rel : `./${rel}`;
  const typed = /[\s'"$`\\]/.test(path) ? `'${path.replaceAll("'", "'\\''")}'` : path;
  return name.endsWith('.js') ? `node ${typed}` : typed;
}

/** The command as this process should print it. */
export function learnDsCommand(process_: Pick<NodeJS.Process, 'env' | 'argv' | 'cwd'> = process): string {
  const passed = process_.env[COMMAND_ENV];
  if (passed) return passed;
  return detectCommand({ env: process_.env, script: process_.argv[1], cwd: process_.cwd() }) ?? DEFAULT_COMMAND;
}

/** Rewrites the README's form (`npx learn-ds`) in a text written beforehand (statements, hints). */
export function withCommand(text: string, command: string): string {
  return command === DEFAULT_COMMAND ? text : text.replaceAll(DEFAULT_COMMAND, command);
}

/** This process's form of the command, computed once at start-up. */
export const CMD = learnDsCommand();

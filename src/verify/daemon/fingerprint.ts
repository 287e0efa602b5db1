/**
 * What a warm verifier's verdicts depend on besides the learner's file, as short strings: when one
 * changes, the daemon (or its runner for one exercise) is replaced rather than reused, so that a
 * warm verdict is always the one a cold run would give now.
 * - learn-ds itself: its sources, package files and installed dependencies (the lock file), Node;
 * - the environment a hidden run reads (LEARN_DS_SCENARIOS, the command replay lines name, …);
 * - one exercise: every file of its folder (hidden tests, manifest, demo).
 * Built from file sizes and modification times: a few hundred stat calls, about a millisecond.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_ENV, learnDsCommand } from '../../command.ts';
import { packageRoot, srcDir } from '../../package-paths.ts';

/** Variables that do not change what a hidden run does: leaving them out keeps the daemon. */
const IRRELEVANT = new Set(['LEARN_DS_WORKSPACE', 'LEARN_DS_DAEMON', 'LEARN_DS_DAEMON_IDLE_SECONDS', 'LEARN_DS_DEBUG', 'LEARN_DS_NO_BUNDLE']);
const RELEVANT = ['NODE_OPTIONS', 'NODE_PATH', 'TZ', 'LANG', 'LC_ALL'];

function stamp(file: string): string {
  try {
    const s = statSync(file);
    return `${file}:${s.size}:${s.mtimeMs}`;
  } catch {
    return `${file}:-`;
  }
}

function walk(dir: string, into: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path, into);
    else into.push(stamp(path));
  }
}

const digest = (parts: readonly string[]) => createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);

/** The environment variables a hidden run may read, as `NAME=value` lines. */
export function relevantEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  // The command replay lines name, as this process spells it (the daemon is given the same).
  env = { ...env, [COMMAND_ENV]: learnDsCommand({ env, argv: process.argv, cwd: () => process.cwd() }) };
  return Object.keys(env)
    .filter((k) => (k.startsWith('LEARN_DS_') && !IRRELEVANT.has(k)) || RELEVANT.includes(k))
    .sort()
    .map((k) => `${k}=${env[k]}`);
}

/** learn-ds's code, dependencies, Node and the relevant environment. */
export function learnDsFingerprint(env: NodeJS.ProcessEnv = process.env): string {
  const parts = [process.version, ...relevantEnv(env)];
  walk(srcDir, parts);
  for (const f of ['package.json', 'package-lock.json', 'node_modules/.package-lock.json', 'bin/learn-ds.js']) parts.push(stamp(join(packageRoot, f)));
  return digest(parts);
}

/** Every file of one exercise's folder. */
export function exerciseFingerprint(exerciseDir: string): string {
  const parts: string[] = [];
  walk(exerciseDir, parts);
  return digest(parts);
}

/**
 * What a warm verifier's verdicts depend on besides the learner's file, as short strings: when one
 * changes, the daemon (or its runner for one exercise) is replaced rather than reused, so that a
 * warm verdict is always the one a cold run would give now.
 * - learn-ds itself: every file and folder under src/, the package files and installed
 *   dependencies (the lock files), Node (bin/lib/sources.js: the launcher checks these stamps as
 *   it starts, and they serve the command it starts; without the launcher, src/ is walked);
 * - the environment a hidden run reads (LEARN_DS_SCENARIOS, the command replay lines name, …);
 * - one exercise: every file of its folder (hidden tests, manifest, demo).
 * Built from file sizes and modification times.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKED_SOURCES, sourceStamps, type CheckedSources, type SourceStamps } from '../../../bin/lib/sources.js';
import { COMMAND_ENV, learnDsCommand } from '../../command.ts';
import { packageRoot } from '../../package-paths.ts';

/** Variables that do not change what a hidden run does: leaving them out keeps the daemon. */
const IRRELEVANT = new Set(['LEARN_DS_WORKSPACE', 'LEARN_DS_DAEMON', 'LEARN_DS_DAEMON_IDLE_SECONDS', 'LEARN_DS_DEBUG', 'LEARN_DS_NO_BUNDLE', 'LEARN_DS_TYPECHECK']);
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

/** The stamps' digest: equal digests, equal sources. */
export function sourcesDigest(stamps: SourceStamps): string {
  const lines = Object.keys(stamps)
    .sort()
    .map((path) => `${path}=${stamps[path]}`);
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

/** How long the launcher's check stands for the process it started: a command's span, not a long-lived menu's. */
const CHECK_STANDS_MS = 10_000;

/** The digest of learn-ds's sources: the launcher's, when it checked them a moment ago; walked otherwise. */
export function learnDsSources(root: string = packageRoot): string {
  const checked = (globalThis as { [CHECKED_SOURCES]?: CheckedSources })[CHECKED_SOURCES];
  if (root === packageRoot && checked && Date.now() - checked.at < CHECK_STANDS_MS) return sourcesDigest(checked.stamps);
  return sourcesDigest(sourceStamps(root));
}

/** learn-ds's code, dependencies, Node and the relevant environment. */
export function learnDsFingerprint(env: NodeJS.ProcessEnv = process.env): string {
  return digest([process.version, ...relevantEnv(env), learnDsSources()]);
}

/** Every file of one exercise's folder. */
export function exerciseFingerprint(exerciseDir: string): string {
  const parts: string[] = [];
  walk(exerciseDir, parts);
  return digest(parts);
}

/**
 * `npm run bench`: wall time of the commands a learner waits for, medians of several runs.
 * - `learn-ds list` (target ≤ 150 ms)
 * - a cold `learn-ds verify` of each reference solution, against a bare `vitest run` of the same
 *   hidden suite measured in the same run as the baseline (target ≤ 1.5× the baseline)
 * Prints a markdown table for BENCHMARKS.md.
 */
import { spawnSync } from 'node:child_process';
import { cpus, tmpdir, totalmem } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { packageRoot } from '../src/package-paths.ts';
import { ENV } from '../src/verify/protocol.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const launcher = join(packageRoot, 'bin', 'learn-ds.js');
const vitestEntry = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const cwd = mkdtempSync(join(tmpdir(), 'learn-ds-bench-'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median wall time of a command, in ms; fails loudly if it does not exit with `expectCode`. */
function time(args: string[], env: NodeJS.ProcessEnv, expectCode = 0, runDir = cwd): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: runDir, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
    samples.push(performance.now() - start);
    if (r.status !== expectCode) throw new Error(`${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  }
  return median(samples);
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const rows: string[] = [];
time([launcher, '--version'], {}); // make sure the launcher's bundle is built: we time warm starts

const list = time([launcher, 'list'], {});
rows.push(`| \`learn-ds list\` | ${fmt(list)} | ≤ 150 ms | ${list <= 150 ? 'met' : 'MISSED'} |`);

for (const e of loadCatalog().exercises) {
  const verify = time([launcher, 'verify', e.id, '--file', e.solutionPath, '--json', '--seed', '1'], {});
  const bare = time([vitestEntry, 'run', '--config', join(packageRoot, 'src/verify/hidden.config.ts')], {
    [ENV.subject]: e.solutionPath,
    [ENV.exports]: e.exports.join(','),
    [ENV.seed]: '1',
    [ENV.exerciseDir]: e.dir,
  }, 0, e.dir);
  const ratio = verify / bare;
  rows.push(`| \`learn-ds verify ${e.id}\` (bare vitest: ${fmt(bare)}) | ${fmt(verify)} | ≤ 1.5× bare | ${ratio.toFixed(2)}× ${ratio <= 1.5 ? 'met' : 'MISSED'} |`);
}

console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}; median of ${RUNS} runs\n`);
console.log('| command | median wall time | target | result |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(row);

/**
 * `npm run bench`: what a learner waits for, timed as they type the commands (the README's way:
 * `learn-ds` on the PATH), against learnyounode's `list` and `verify` measured in the same run
 * (installed by this script into a temporary folder from the npm registry; not a dependency).
 * - `list`, `hint`, `progress`: target ≤ learnyounode's `list`; `npx learn-ds list` and
 *   `npm run learn-ds -- list` shown for comparison.
 * - `verify`: the first after `stop` (the daemon's start-up, once) and from the second on (target
 *   ≤ learnyounode's `verify`); `--no-daemon` (cold) for comparison.
 * - every exercise: warm verify (second run on), cold verify, and a bare `vitest run` of its
 *   hidden suite (cold target ≤ 1.5× bare).
 * Prints the machine and markdown tables for BENCHMARKS.md. BENCH_RUNS (default 5) sets the
 * number of runs per median; BENCH_EXERCISES=0 skips the per-exercise table.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { chapterSlug } from '../src/catalog/chapters.ts';
import { packageRoot } from '../src/package-paths.ts';
import { ENV } from '../src/verify/protocol.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const vitestEntry = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'learn-ds-bench-'));
const runtimeDir = join(scratch, 'run');
mkdirSync(runtimeDir, { mode: 0o700 });
const lynDir = join(scratch, 'learnyounode');
const home = join(scratch, 'home');
mkdirSync(home);

/** The learner's environment: learn-ds's bin and learnyounode's on the PATH, a daemon of our own. */
const env: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: [join(packageRoot, 'bin'), join(lynDir, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
  NO_COLOR: '1',
  HOME: home, // learnyounode keeps its state in ~/.config
  XDG_RUNTIME_DIR: runtimeDir,
  LEARN_DS_DAEMON: '1',
  LEARN_DS_WORKSPACE: '',
  LEARN_DS_COMMAND: '',
  npm_command: '',
  npm_lifecycle_event: '',
  npm_lifecycle_script: '',
};
delete env.CI;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const TICK_MS = 10; // Linux's USER_HZ is 100

/** CPU time (ms) of the children this process has waited for: every command run, with all it started and waited for. */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) * TICK_MS;
}

/** CPU time (ms) of the daemon and its vitest children so far (they outlive the commands that use them). */
function daemonCpuMs(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`XDG_RUNTIME_DIR=${runtimeDir}`)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks * TICK_MS;
}

interface Sample {
  wall: number;
  /** CPU time of the command and of the daemon's processes during it: what it costs, whatever the load. */
  cpu: number;
  /** Of which the daemon's processes (the rest is the command's). */
  daemon: number;
}

function run(cmd: string, args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}, expectCode = 0): Sample {
  const [cpu0, daemon0] = [childrenCpuMs(), daemonCpuMs()];
  const start = performance.now();
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', maxBuffer: 256 * 2 ** 20, stdio: ['ignore', 'pipe', 'pipe'] });
  const wall = performance.now() - start;
  if (r.status !== expectCode) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  const daemon = Math.max(0, daemonCpuMs() - daemon0);
  return { wall, cpu: childrenCpuMs() - cpu0 + daemon, daemon };
}

/** Medians of `runs` runs (after one untimed run that warms caches); `before` runs untimed before each. */
function time(cmd: string, args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}, expectCode = 0, before = () => undefined as void): Sample {
  before();
  run(cmd, args, cwd, extra, expectCode);
  const samples = Array.from({ length: RUNS }, () => (before(), run(cmd, args, cwd, extra, expectCode)));
  return { wall: median(samples.map((s) => s.wall)), cpu: median(samples.map((s) => s.cpu)), daemon: median(samples.map((s) => s.daemon)) };
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const verdict = (ms: number, target: number) => (ms <= target ? 'met' : 'MISSED');

// --- learnyounode, installed here for the comparison ------------------------------------------
mkdirSync(lynDir);
writeFileSync(join(lynDir, 'package.json'), '{"name":"bench-learnyounode","private":true}');
const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--silent', 'learnyounode@4'], { cwd: lynDir, env, encoding: 'utf8' });
const hasLyn = install.status === 0;
const lynWork = join(scratch, 'lyn-work');
mkdirSync(lynWork);
let lynList: Sample = { wall: Number.NaN, cpu: Number.NaN, daemon: 0 };
let lynVerify: Sample = { wall: Number.NaN, cpu: Number.NaN, daemon: 0 };
if (hasLyn) {
  run('learnyounode', ['select', 'HELLO WORLD'], lynWork);
  writeFileSync(join(lynWork, 'program.js'), 'console.log("HELLO WORLD")\n');
  lynList = time('learnyounode', ['list'], lynWork);
  lynVerify = time('learnyounode', ['verify', 'program.js'], lynWork);
} else {
  console.error(`learnyounode could not be installed (npm install exited ${install.status}); its rows are left out.\n${install.stderr}`);
}

// --- learn-ds as typed --------------------------------------------------------------------------
const catalog = loadCatalog();
const typed = catalog.byId.get('retry-backoff')!;
const work = join(scratch, 'work');
mkdirSync(work);
run('learn-ds', ['start', typed.id], work);
const typedFile = join(work, 'learn-ds', chapterSlug(typed.chapterInfo), typed.file);
copyFileSync(typed.solutionPath, typedFile);
const solutionText = readFileSync(typed.solutionPath, 'utf8');
let edits = 0;
/** The learner's loop: a change saved, then verify (its type check cannot come from the cache). */
const edit = () => writeFileSync(typedFile, `${solutionText}\n// edit ${++edits}\n`);

const rows: string[] = [];
/** Each row goes to stderr as soon as it is measured: a run cut short (a time limit) still shows what it had. */
const progress = (line: string) => process.stderr.write(`${line}\n`);
const row = (what: string, ms: Sample, target?: Sample, targetText?: string) => {
  const judged = target !== undefined && !Number.isNaN(target.wall);
  // A daemon's share is shown apart: the command's own CPU time and the daemon's (the run, and what it readies after).
  const cpu = ms.daemon > 0 ? `${fmt(ms.cpu)} (daemon ${fmt(ms.daemon)})` : fmt(ms.cpu);
  progress(`${what}: ${fmt(ms.wall)}, CPU ${cpu}`);
  rows.push(
    `| ${what} | ${fmt(ms.wall)} | ${cpu} | ${judged ? targetText : '–'} | ${judged ? `${verdict(ms.wall, target.wall)} (CPU: ${verdict(ms.cpu, target.cpu)})` : '–'} |`,
  );
};
if (hasLyn) row('`learnyounode list` (baseline)', lynList);
for (const [args, name] of [[['list'], 'list'], [['hint'], 'hint'], [['progress'], 'progress']] as const) {
  row(`\`learn-ds ${name}\``, time('learn-ds', [...args], work), lynList, '≤ learnyounode list');
}
row('`npx learn-ds list` (for comparison)', time('npx', ['learn-ds', 'list'], packageRoot));
row('`npm run learn-ds -- list` (for comparison)', time('npm', ['run', '--silent', 'learn-ds', '--', 'list'], packageRoot));
if (hasLyn) row('`learnyounode verify program.js` (baseline)', lynVerify);
run('learn-ds', ['stop'], work);
const first = run('learn-ds', ['verify'], work);
row('`learn-ds verify`, first after `stop` (starts the daemon, once)', first);
row('`learn-ds verify`, second run on', time('learn-ds', ['verify'], work), lynVerify, '≤ learnyounode verify');
row('`learn-ds verify`, second run on, each after an edit (the type check runs)', time('learn-ds', ['verify'], work, {}, 0, edit), lynVerify, '≤ learnyounode verify');
// npx runs from the clone's folder (the README's way without the PATH line), on the same workspace.
const viaNpx = { LEARN_DS_WORKSPACE: join(work, 'learn-ds') };
row('`npx learn-ds verify`, second run on', time('npx', ['learn-ds', 'verify'], packageRoot, viaNpx), lynVerify, '≤ learnyounode verify');
row('`learn-ds verify --no-daemon` (cold, for comparison)', time('learn-ds', ['verify', '--no-daemon'], work));

// --- every exercise -------------------------------------------------------------------------------
const perExercise: string[] = [];
if (process.env.BENCH_EXERCISES !== '0') {
  const author = { LEARN_DS_AUTHOR: '1' }; // the references themselves, which verify refuses from learners
  for (const e of catalog.exercises) {
    const args = ['verify', e.id, '--file', e.solutionPath, '--json', '--seed', '1'];
    const warm = time('learn-ds', args, scratch, author);
    const cold = time('learn-ds', [...args, '--no-daemon'], scratch, author);
    const bare = time(process.execPath, [vitestEntry, 'run', '--config', join(packageRoot, 'src/verify/hidden.config.ts')], e.dir, {
      [ENV.subject]: e.solutionPath,
      [ENV.exports]: e.exports.join(','),
      [ENV.seed]: '1',
      [ENV.exerciseDir]: e.dir,
      ...author,
    });
    const ratio = cold.wall / bare.wall;
    progress(`verify ${e.id}: warm ${fmt(warm.wall)}, cold ${fmt(cold.wall)}, bare ${fmt(bare.wall)}`);
    perExercise.push(`| ${e.id} | ${fmt(warm.wall)} (${fmt(warm.cpu)}) | ${fmt(cold.wall)} (${fmt(cold.cpu)}) | ${fmt(bare.wall)} (${fmt(bare.cpu)}) | ${ratio.toFixed(2)}× ${ratio <= 1.5 ? 'met' : 'MISSED'} |`);
  }
}
run('learn-ds', ['stop'], work);
// Nothing of ours is left: no daemon, no socket.
const left = readdirSync(runtimeDir).flatMap((d) => readdirSync(join(runtimeDir, d)));
if (left.length > 0) console.error(`left behind in the daemon's folder: ${left.join(', ')}`);

const [load1] = loadavg();
console.log(
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}; ` +
    `median of ${RUNS} runs; ${new Date().toISOString().slice(0, 10)}; load average at the end ${load1!.toFixed(1)}\n`,
);
console.log('| as the learner types it | median wall time | median CPU time | target | result |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
if (perExercise.length > 0) {
  console.log('\n| exercise (reference, seed 1): wall (CPU) | `verify`, second run on | `verify --no-daemon` | bare `vitest run` | cold ≤ 1.5× bare |');
  console.log('|---|---|---|---|---|');
  for (const r of perExercise) console.log(r);
}

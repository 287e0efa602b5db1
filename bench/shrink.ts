/**
 * How well failing scenarios shrink: every mutant of the simulated exercises is judged as a learner's
 * file would be (verify, seed 1, the exercise's own limit, one warm runner per exercise), and for each
 * failed simulated check (a detail naming a scenario seed) it reads what the verdict says: how many
 * faults (and droppable client operations) the failing run had, how many the shrunk one keeps, and
 * the CPU time the replay and the shrinking took. Prints one line per check, then BENCHMARKS.md's
 * table (a row per exercise as soon as it is done, marked ROW).
 * Usage: tsx bench/shrink.ts [id…] (default: the exercises whose hidden tests use checkScenario);
 * SHRINK_MUTANTS=a,b only those mutants; SHRINK_DETAIL=N prints the details that kept N faults or more.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { isBroken, loadMutants } from '../src/dev/mutants.ts';
import { verify } from '../src/verify/verify.ts';
import { WarmSuiteRunner } from '../src/verify/warm/warm-runner.ts';

export interface Shrunk {
  /** Faults of the failing run and of the run shown; undefined when the verdict says neither. */
  before: number;
  after: number;
  /** Droppable client operations of the failing run and of the run shown (0 and 0 when the scenario has none). */
  opsBefore: number;
  opsAfter: number;
  seconds: number | undefined;
  nondeterministic: boolean;
}

/** What a failed simulated check's detail says about its shrinking. */
export function readShrink(detail: string): Shrunk | undefined {
  const faults = readFaults(detail);
  if (!faults) return undefined;
  let ops = /It needs only (\d+) client operations? of the run's (\d+)/.exec(detail);
  if (ops) return { ...faults, opsBefore: Number(ops[2]), opsAfter: Number(ops[1]) };
  ops = /It needs (every one|none) of the run's (\d+) client operations?\./.exec(detail);
  if (ops) return { ...faults, opsBefore: Number(ops[2]), opsAfter: ops[1] === 'none' ? 0 : Number(ops[2]) };
  return { ...faults, opsBefore: 0, opsAfter: 0 };
}

function readFaults(detail: string): Omit<Shrunk, 'opsBefore' | 'opsAfter'> | undefined {
  if (!/scenario seed \d+ · replay it first/.test(detail)) return undefined;
  const nondeterministic = /^Not deterministic: /m.test(detail);
  let m = /The same check still fails with only (?:this fault|these (\d+) faults) of the run's (\d+), shrunk in ([\d.]+) s/.exec(detail);
  if (m) return { before: Number(m[2]), after: m[1] === undefined ? 1 : Number(m[1]), seconds: Number(m[3]), nondeterministic };
  m = /Faults of this run \(each of them is needed for it to fail this way, shrunk in ([\d.]+) s\):\n((?: {2}\d+\. .*(?:\n|$))+)/.exec(detail);
  if (m) {
    const n = m[2]!.trim().split('\n').length;
    return { before: n, after: n, seconds: Number(m[1]), nondeterministic };
  }
  m = /It fails with no fault at all: the run had (\d+) faults?, none of which it needs \(replayed without them, shrunk in ([\d.]+) s\)/.exec(detail);
  if (m) return { before: Number(m[1]), after: 0, seconds: Number(m[2]), nondeterministic };
  return { before: 0, after: 0, seconds: undefined, nondeterministic };
}

function simulatedExercises(): string[] {
  const dir = join(import.meta.dirname, '..', 'exercises');
  return readdirSync(dir).filter((id) => {
    try {
      return readdirSync(join(dir, id, 'tests')).some((f) => /checkScenario\(/.test(readFileSync(join(dir, id, 'tests', f), 'utf8')));
    } catch {
      return false;
    }
  }).sort();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

{
  const catalog = loadCatalog();
  const ids = process.argv.slice(2).length > 0 ? process.argv.slice(2) : simulatedExercises();
  console.log(`${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at the start`);
  const rows: string[] = [];
  const all: Shrunk[] = [];
  for (const id of ids) {
    const exercise = catalog.byId.get(id);
    if (!exercise) throw new Error(`no exercise ${id}`);
    const runner = new WarmSuiteRunner();
    const found: Shrunk[] = [];
    try {
      for (const mutant of loadMutants(exercise)) {
        if (isBroken(mutant)) continue;
        // SHRINK_MUTANTS=a,b measures only those mutants.
        if (process.env.SHRINK_MUTANTS && !process.env.SHRINK_MUTANTS.split(',').includes(mutant.name)) continue;
        const verdict = await verify({ exercise, file: mutant.file, shownFile: mutant.name, seed: 1 }, (r) => runner.run(r));
        if (!verdict.checks.some((c) => !c.passed && readShrink(c.detail ?? ''))) {
          console.log(`${id} ${mutant.name}: no failed simulated check (${verdict.checks.filter((c) => !c.passed).map((c) => `${c.name.slice(0, 50)}: ${(c.message ?? '').slice(0, 120)}`).join(' | ')})`);
        }
        for (const check of verdict.checks) {
          const s = check.passed ? undefined : readShrink(check.detail ?? '');
          if (!s) continue;
          found.push(s);
          console.log(`${id} ${mutant.name} · ${check.name.slice(0, 60)}: ${s.before} → ${s.after} faults${s.opsBefore ? `, ${s.opsBefore} → ${s.opsAfter} operations` : ''}${s.seconds === undefined ? '' : ` in ${s.seconds.toFixed(1)} s`}${s.nondeterministic ? ' (not deterministic)' : ''}`);
          // SHRINK_DETAIL=N prints the whole detail of the checks that kept N steps or more.
          if (Number(process.env.SHRINK_DETAIL) > 0 && s.after >= Number(process.env.SHRINK_DETAIL)) console.log(check.detail);
        }
      }
    } finally {
      runner.close();
    }
    all.push(...found);
    rows.push(row(id, found));
    console.log(`ROW ${rows.at(-1)!}`);
  }
  console.log('\n| exercise | failed simulated checks | with faults | with ≥ 4 faults | their faults before → after (total) | after ≤ 3 | largest before → after | operations before → after (total) | shrink CPU median / max |\n|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  const withFaults = all.filter((s) => s.before > 0);
  const many = all.filter((s) => s.before >= 4);
  console.log(
    `\n${all.length} failed simulated checks, ${withFaults.length} of them with faults: ${sum(withFaults, 'before')} faults before, ${sum(withFaults, 'after')} after; ` +
      `${many.length} with ≥ 4 faults: ${sum(many, 'before')} → ${sum(many, 'after')} (median ${median(many.map((s) => s.before))} → ${median(many.map((s) => s.after))}), ${many.filter((s) => s.after <= 3).length} of them to ≤ 3; ` +
      `operations ${sum(all, 'opsBefore')} → ${sum(all, 'opsAfter')}; shrink CPU median ${median(times(all)).toFixed(2)} s, 90th percentile ${quantile(times(all), 0.9).toFixed(2)} s, max ${Math.max(0, ...times(all)).toFixed(1)} s; ` +
      `load average ${loadavg()[0]!.toFixed(1)} at the end`,
  );
}

function sum(xs: readonly Shrunk[], key: 'before' | 'after' | 'opsBefore' | 'opsAfter'): number {
  return xs.reduce((a, s) => a + s[key], 0);
}

function times(xs: readonly Shrunk[]): number[] {
  return xs.flatMap((s) => (s.seconds === undefined ? [] : [s.seconds]));
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** One row of BENCHMARKS.md's table for an exercise. */
function row(id: string, found: readonly Shrunk[]): string {
  const withFaults = found.filter((s) => s.before > 0);
  const many = found.filter((s) => s.before >= 4);
  const largest = withFaults.reduce<Shrunk | undefined>((a, s) => (a === undefined || s.before > a.before ? s : a), undefined);
  const withOps = found.filter((s) => s.opsBefore > 0);
  const t = times(found);
  return `| ${id} | ${found.length} | ${withFaults.length} | ${many.length} | ${sum(many, 'before')} → ${sum(many, 'after')} | ${many.filter((s) => s.after <= 3).length} | ` +
    `${largest ? `${largest.before} → ${largest.after}` : '–'} | ${withOps.length ? `${sum(withOps, 'opsBefore')} → ${sum(withOps, 'opsAfter')}` : '–'} | ` +
    `${t.length ? `${median(t).toFixed(1)} s / ${Math.max(...t).toFixed(1)} s` : '–'} |`;
}

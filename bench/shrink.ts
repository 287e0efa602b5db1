/**
 * How well failing scenarios shrink: every mutant of the simulated exercises is judged as a learner's
 * file would be (verify, seed 1, the exercise's own limit, one warm runner per exercise), and for each
 * failed simulated check (a detail naming a scenario seed) it reads what the verdict says: how many
 * faults the failing run had, how many the shrunk one keeps, and the CPU time the replay and the
 * shrinking took. Prints one line per check, then a markdown table per exercise.
 * Usage: tsx bench/shrink.ts [id…] (default: the exercises whose hidden tests use checkScenario).
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
  seconds: number | undefined;
  nondeterministic: boolean;
}

/** What a failed simulated check's detail says about its shrinking. */
export function readShrink(detail: string): Shrunk | undefined {
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
    let mutants = 0;
    try {
      for (const mutant of loadMutants(exercise)) {
        if (isBroken(mutant)) continue;
        mutants++;
        const verdict = await verify({ exercise, file: mutant.file, shownFile: mutant.name, seed: 1 }, (r) => runner.run(r));
        for (const check of verdict.checks) {
          const s = check.passed ? undefined : readShrink(check.detail ?? '');
          if (!s) continue;
          found.push(s);
          console.log(`${id} ${mutant.name} · ${check.name.slice(0, 60)}: ${s.before} → ${s.after} faults${s.seconds === undefined ? '' : ` in ${s.seconds.toFixed(1)} s`}${s.nondeterministic ? ' (not deterministic)' : ''}`);
        }
      }
    } finally {
      runner.close();
    }
    all.push(...found);
    const withFaults = found.filter((s) => s.before > 0);
    const largest = withFaults.reduce<Shrunk | undefined>((a, s) => (a === undefined || s.before > a.before ? s : a), undefined);
    const times = found.flatMap((s) => (s.seconds === undefined ? [] : [s.seconds]));
    rows.push(
      `| ${id} | ${mutants} | ${found.length} | ${withFaults.length} | ${withFaults.length ? `${median(withFaults.map((s) => s.before))} → ${median(withFaults.map((s) => s.after))}` : '–'} | ` +
        `${largest ? `${largest.before} → ${largest.after}` : '–'} | ` +
        `${times.length ? `${median(times).toFixed(1)} s / ${Math.max(...times).toFixed(1)} s` : '–'} | ${found.filter((s) => s.nondeterministic).length} |`,
    );
  }
  const withFaults = all.filter((s) => s.before > 0);
  console.log('\n| exercise | mutants | failed simulated checks | with faults | faults before → after (median) | largest before → its after | shrink CPU (median / max) | not deterministic |\n|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log(
    `\n${all.length} failed simulated checks, ${withFaults.length} of them with faults: ${withFaults.reduce((a, s) => a + s.before, 0)} faults before, ` +
      `${withFaults.reduce((a, s) => a + s.after, 0)} after; after ≤ 3 in ${withFaults.filter((s) => s.after <= 3).length}; load average ${loadavg()[0]!.toFixed(1)} at the end`,
  );
}

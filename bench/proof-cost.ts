/**
 * What one exercise's proof costs, part by part, in CPU time (the figure that depends least on a
 * shared machine's load): the warm runs (reference, starter, mutants; the child's own CPU per run
 * and vitest's split of it), the demo, and the whole proof with its children. One exercise after
 * the other. Usage: tsx bench/proof-cost.ts id…
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { DEFAULT_PROOF } from '../src/dev/prove.ts';
import { runFindings } from '../src/dev/rules.ts';
import { WarmSuiteRunner } from '../src/verify/warm/warm-runner.ts';
import type { SuiteRequest } from '../src/verify/run-suite.ts';

/** CPU time of this process and of its reaped children, in ms. */
function cpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * 10;
}

const catalog = loadCatalog();
const eachRun = process.env.PROOF_COST_RUNS === '1';
const subjectOf = (r: SuiteRequest) => (r.demo ? 'demo ' : '') + r.subjectFile.split('/').slice(-2).join('/');
const s = (ms: number) => (ms / 1000).toFixed(1);
console.log(`${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at the start`);
console.log('\n| exercise | runs | proof CPU | of which warm runs (child) | collect / tests (wall) | findings | wall |\n|---|---|---|---|---|---|---|');
let total = 0;
for (const id of process.argv.slice(2)) {
  const exercise = catalog.byId.get(id);
  if (!exercise) throw new Error(`no exercise ${id}`);
  const warm = new WarmSuiteRunner({ reuseThreads: process.env.PROOF_COST_FRESH_THREADS !== '1' });
  let runs = 0;
  let childCpu = 0;
  let collect = 0;
  let tests = 0;
  const runner = async (r: SuiteRequest) => {
    const outcome = await warm.run(r);
    runs++;
    const p = warm.lastTimings?.phases;
    if (eachRun) {
      const checks = outcome.report?.tests.length ?? 0;
      const ran = outcome.report?.tests.filter((t) => t.state !== 'skipped').length ?? 0;
      console.log(`  ${subjectOf(r)} seed ${r.seed}${r.stopWhen ? ' (targeted)' : ''}: ${ran}/${checks} checks, child CPU ${p?.cpuMs.toFixed(0)} ms, tests ${p?.testsMs.toFixed(0)} ms`);
    }
    if (p) {
      childCpu += p.cpuMs;
      collect += p.collectMs;
      tests += p.testsMs;
    }
    return outcome;
  };
  const start = performance.now();
  const cpu = cpuMs();
  const { findings } = await runFindings(exercise, { ...DEFAULT_PROOF, runner });
  warm.close();
  await new Promise((r) => setTimeout(r, 300)); // the killed child reaped
  const used = cpuMs() - cpu;
  total += used;
  console.log(`| ${id} | ${runs} | ${s(used)} s | ${s(childCpu)} s | ${s(collect)} / ${s(tests)} s | ${findings.map((f) => f.rule).join(', ') || '–'} | ${s(performance.now() - start)} s |`);
}
console.log(`\nsum of proof CPU: ${s(total)} s; load average ${loadavg()[0]!.toFixed(1)} at the end`);

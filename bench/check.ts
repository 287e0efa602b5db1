/**
 * How long proving an exercise takes (`npm run check -- <id>`): each exercise alone, one after the
 * other (never the whole catalog at once on a shared machine), through check's own code: the files'
 * rules, the type-check, the warm proof (reference 3 seeds, starter, every mutant on 2 seeds) and
 * the demo. Prints a markdown table and the sum, an upper bound of the whole catalog's time run one
 * exercise at a time. Usage: tsx bench/check.ts [id…] (default: every exercise).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { exerciseFolders } from '../src/catalog/catalog.ts';
import { checkExercises } from '../src/dev/check.ts';

/** CPU time of this process and of its reaped children (the warm children, the demo's), in ms. */
function cpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * 10;
}

const ids = process.argv.slice(2).length > 0 ? process.argv.slice(2) : exerciseFolders();
console.log(`${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at the start`);
console.log('\n| exercise | runs | wall time | of which type-check | CPU time | rules broken |\n|---|---|---|---|---|---|');
let total = 0;
let totalCpu = 0;
for (const id of ids) {
  const start = performance.now();
  const cpu = cpuMs();
  const [typed] = await checkExercises([id], { runs: false });
  const typecheckMs = performance.now() - start;
  const [report] = await checkExercises([id], { jobs: 1, typecheck: false });
  const ms = performance.now() - start;
  const used = cpuMs() - cpu;
  total += ms;
  totalCpu += used;
  const broken = [...new Set([...typed!.findings, ...report!.findings].map((f) => f.rule))].join(', ') || '–';
  console.log(`| ${id} | ${report!.ran} | ${(ms / 1000).toFixed(1)} s | ${(typecheckMs / 1000).toFixed(1)} s | ${(used / 1000).toFixed(1)} s | ${broken} |`);
}
console.log(`\n${ids.length} exercises one after the other: ${(total / 1000).toFixed(0)} s wall, ${(totalCpu / 1000).toFixed(0)} s CPU; load average ${loadavg()[0]!.toFixed(1)} at the end`);

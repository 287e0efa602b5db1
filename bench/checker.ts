/**
 * `npm run bench` (linearizability checker): CPU time to answer Porcupine's labelled histories
 * (../shared/porcupine), every answer checked against its label. Target (issue 16): the 102 Jepsen
 * etcd histories within 2× of Porcupine's own Go checker on the same machine. When Go and a
 * checkout of Porcupine are at hand (PORCUPINE_SRC=DIR), its `go test` CPU time is measured in the
 * same run; Porcupine's code is never part of this repository.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { checkLinearizable } from '../src/sim/index.ts';
import { etcdModel, havePorcupine, kvAppendModel, labels, parseJepsen, parseKv } from '../test/support/porcupine.ts';

if (!havePorcupine) {
  console.log('bench/checker: ../shared/porcupine is missing; skipped');
  process.exit(0);
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const { jepsen, kv } = labels();
const etcd = jepsen.map(([n, expected]) => ({ ops: parseJepsen(n), expected }));
let start = cpuMs();
let wrong = 0;
for (const { ops, expected } of etcd) if (checkLinearizable(ops, etcdModel).ok !== expected) wrong++;
const etcdMs = cpuMs() - start;

const rows = [`| Jepsen etcd, 102 histories | ${etcdMs.toFixed(0)} ms | ${wrong} wrong |`];
for (const [name, expected, partitioned] of kv) {
  const ops = parseKv(name);
  start = cpuMs();
  const result = checkLinearizable(ops, kvAppendModel(partitioned));
  const right = result.ok === expected;
  rows.push(`| key-value ${name}, ${partitioned ? 'by key' : 'whole store'} (${ops.length} ops) | ${(cpuMs() - start).toFixed(0)} ms | ${right ? 'right' : result.ok ? 'WRONG' : result.verdict} |`);
}

let go = 'not measured (set PORCUPINE_SRC to a checkout of Porcupine, with go installed)';
const src = process.env.PORCUPINE_SRC;
if (src) {
  // The test binary's own CPU time: user + sys of the child, from /usr/bin/time's format.
  execFileSync('go', ['test', '-c', '-o', 'porcupine.test', '.'], { cwd: src, env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off' } });
  const timing = execFileSync('sh', ['-c', "/usr/bin/time -f '%U %S' ./porcupine.test -test.run '^TestEtcdJepsen' -test.count=1 2>&1 >/dev/null | tail -1"], { cwd: src, encoding: 'utf8' });
  const [user, sys] = timing.trim().split(' ').map(Number);
  const goMs = ((user ?? 0) + (sys ?? 0)) * 1000;
  go = `${goMs.toFixed(0)} ms; learn-ds/Porcupine = ${(etcdMs / goMs).toFixed(2)}× (target ≤ 2×)`;
}

console.log(`\n### Linearizability checker (${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version})\n`);
console.log('| histories | CPU time | answers |\n|---|---|---|');
console.log(rows.join('\n'));
console.log(`\nPorcupine (Go) on the etcd histories, same machine: ${go}`);

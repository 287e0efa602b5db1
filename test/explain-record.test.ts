// The recording of the last failing simulated run (src/verify/harness/record.ts) that `learn-ds explain` reads.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { faultPeriods } from '../src/sim/fault-periods.ts';
import { History, SimClient, Simulation, SimulationViolation, type KvInput } from '../src/sim/index.ts';
import { ENV } from '../src/verify/protocol.ts';
import { MAX_EVENTS, buildRecord, recordFailedRun } from '../src/verify/harness/record.ts';
import { readRecord, type RunRecord } from '../src/report/explain/run-record.ts';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { mutantSource } from '../src/dev/mutants.ts';
import { failingRun } from './explain-fixture.ts';
import { execa } from 'execa';
import { chapterSlug } from '../src/catalog/chapters.ts';
import { learnDs, repoRoot, tempDir } from './support/cli.ts';

describe('fault periods read back from a trace', () => {
  test('partitions to their heal (one-way cuts together), pauses extended by a longer one, a crash ending a pause and starting down time', () => {
    const sim = new Simulation({ seed: 1, nodes: ['a', 'b', 'n10'], factory: () => ({ receive() {} }) });
    sim.start();
    sim.at(1, () => sim.blockOneWay('a', 'b'));
    sim.at(2, () => sim.blockOneWay('a', 'n10'));
    sim.at(3, () => sim.pause('b', 10));
    sim.at(5, () => sim.pause('b', 20));
    sim.at(8, () => sim.heal());
    sim.at(9, () => sim.crash('b'));
    sim.at(12, () => sim.restart('b'));
    sim.at(14, () => sim.crash('n10'));
    sim.runFor(30);
    expect(faultPeriods(sim.trace, sim.ids)).toEqual([
      { kind: 'partition', nodes: ['a', 'b', 'n10'], from: 1, to: 8, label: 'partition a → b cut (one way); a → n10 cut (one way)' },
      { kind: 'pause', nodes: ['b'], from: 3, to: 9, label: 'b paused' },
      { kind: 'down', nodes: ['b'], from: 9, to: 12, label: 'b down' },
      { kind: 'down', nodes: ['n10'], from: 14, to: undefined, label: 'n10 down' },
    ]);
  });
});

describe('the record of a failing run', () => {
  test('holds the check, seed, message, nodes and clients, the trace with times, the fault periods, the notes, the schedule', () => {
    const record = failingRun();
    expect(record).toMatchObject({
      version: 1, exercise: 'fixture', seed: 42, nodes: ['n1', 'n2', 'n3'], clients: ['c1', 'c2'], omittedEvents: 0,
      violation: { t: 80, nodes: ['n3'] },
      schedule: ['1. n3 is cut off from n1 and n2 at 10.0 ms.', '2. c2 reads x from n3 at 50.0 ms.'],
      notes: { n1: [{ t: 17, text: 'stored x=v1' }] },
    });
    expect(record.check).toContain('holds the check');
    expect(record.message).toMatch(/^the clients' gets and puts are not linearizable/);
    expect(record.faults.map((f) => [f.kind, f.from, f.to])).toEqual([['partition', 10, 40], ['pause', 20, 35], ['down', 45, 60]]);
    expect(record.events.map((e) => e.i)).toEqual(record.events.map((_, k) => k));
    expect(record.events.find((e) => e.kind === 'drop')).toMatchObject({ from: 'n1', to: 'n3', reason: 'partition', message: { type: 'gossip', value: 'v1' }, t: 17, sentAt: 17 });
    // JSON all the way: what is written is what is read.
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });

  test("holds the clients' history and the check's own linearizability result: the longest valid order and what cannot follow it", () => {
    const { history } = failingRun();
    expect(history!.ops).toEqual([
      { id: 0, client: 'c1', text: 'x: write "v1"', input: { kind: 'write', key: 'x', value: 'v1' }, output: undefined, callTime: 12, returnTime: 22 },
      { id: 1, client: 'c2', text: 'x: read → null', input: { kind: 'read', key: 'x' }, output: null, callTime: 50, returnTime: 60 },
    ]);
    expect(history!.linearizability).toEqual({ verdict: 'not-linearizable', ops: [0, 1], longest: [0], stuck: [1], model: 'the check' });
  });
});

test("the history recorded is the failing run's own, even when later runs (a shrinking's) made newer ones", () => {
  type Msg = { type: string; msgId?: number; inReplyTo?: number };
  function run(latency: number) {
    const sim = new Simulation<Msg>({
      seed: 1, nodes: 1, network: { latency: () => latency },
      factory: (ctx) => ({ receive: (from, m) => ctx.send(from, { type: 'read_ok', inReplyTo: m.msgId! }) }),
    });
    const history = new History<KvInput<string | null>, string | null>();
    const client = new SimClient<KvInput<string | null>, string | null>(sim, 'c1', history, 50);
    sim.at(1, () => client.call('n1', { type: 'read' }, { kind: 'read', key: 'x' }, () => 'ghost'));
    sim.runFor(20);
    return { sim, history };
  }
  const failing = run(2);
  const later = run(3);
  const error = new SimulationViolation('v', 20, 1);
  const record = buildRecord({ error, message: 'v', seed: 1, sim: failing.sim }, 'x');
  expect(record.history!.ops).toEqual([expect.objectContaining({ client: 'c1', callTime: 1, returnTime: failing.history.ops[0]!.returnTime })]);
  expect(failing.history.ops[0]!.returnTime).toBe(5);
  expect(later.history.ops[0]!.returnTime).toBe(7);
  // No model from a check, and ops a key-value model fits: the model is inferred, and says so.
  expect(record.history!.linearizability).toMatchObject({ verdict: 'not-linearizable', stuck: [0], model: 'inferred' });
});

test("bursts of message loss, which leave no trace event, come from the simulation's fault schedule (steps left out by a plan are not)", () => {
  const sim = new Simulation({ seed: 1, nodes: 2, factory: () => ({ receive() {} }) });
  const base = sim.network.loss;
  // Step 2 is left out, as a shrunk replay would.
  sim.faults.keep = new Set([1, 3]);
  sim.at(10, () => (sim.network = { ...sim.network, loss: 0.5 }));
  sim.at(30, () => (sim.network = { ...sim.network, loss: base }));
  sim.at(35, () => (sim.network = { ...sim.network, loss: 0.9 }));
  sim.at(40, () => (sim.network = { ...sim.network, loss: 0.25 }));
  sim.runFor(50);
  const error = new SimulationViolation('v', 50, 1);
  expect(buildRecord({ error, message: 'v', seed: 1, sim }, 'x').faults).toEqual([
    { kind: 'loss', nodes: ['n1', 'n2'], from: 10, to: 30, label: '50% of messages lost' },
    { kind: 'loss', nodes: ['n1', 'n2'], from: 40, to: null, label: '25% of messages lost' },
  ]);
});

test('a long run keeps its last MAX_EVENTS events before the violation, numbered as in the whole trace, and says how many were left out', () => {
  const sim = new Simulation({
    seed: 1, nodes: 2, network: { latency: () => 0.5 },
    factory: (ctx) => {
      if (ctx.id === 'n1') ctx.setTimer(1, function tick() { ctx.send('n2', { type: 'tick' }); ctx.setTimer(1, tick); });
      return { receive() {} };
    },
  });
  sim.runFor(MAX_EVENTS / 2 + 100);
  const error = new SimulationViolation('v', sim.now, 1);
  const record = buildRecord({ error, message: 'v', seed: 1, sim }, 'long');
  expect(record.events).toHaveLength(MAX_EVENTS);
  expect(record.omittedEvents).toBe(sim.trace.length - MAX_EVENTS);
  expect(record.events[0]!.i).toBe(record.omittedEvents);
  expect(record.events.at(-1)).toMatchObject({ i: sim.trace.length - 1, t: sim.trace.at(-1)!.t });
});

describe('saving it (in the hidden run)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of [ENV.failures, ENV.exerciseDir, ENV.report]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  function failingSim(): { sim: Simulation; error: SimulationViolation } {
    const sim = new Simulation({ seed: 3, nodes: 2, network: { latency: () => 1 }, factory: (ctx) => ({ receive: () => ctx.log('got it') }) });
    sim.sendFrom('n1', 'n2', { type: 'hello' });
    sim.runFor(5);
    return { sim, error: new SimulationViolation('n2 said nothing back', sim.now, 3, ['n2']) };
  }

  function workspaceState(): string {
    const state = join(tempDir(), '.learn-ds');
    mkdirSync(state);
    return state;
  }

  test('writes <workspace>/.learn-ds/failures/<exercise>.json; the first failing check of a run is kept, a new run replaces it', async () => {
    const state = workspaceState();
    process.env[ENV.failures] = join(state, 'failures');
    process.env[ENV.exerciseDir] = join('exercises', 'my-exercise');
    process.env[ENV.report] = '/run/one/report.json';
    const { sim, error } = failingSim();
    recordFailedRun({ error, message: error.message, seed: 3, sim });
    const file = join(state, 'failures', 'my-exercise.json');
    const first = await readRecord(file);
    expect(first.ok && first.record.message).toBe('n2 said nothing back');
    expect(first.ok && first.record.notes).toEqual({ n2: [{ t: 1, text: 'got it' }] });
    recordFailedRun({ error, message: 'a later check of the same run', seed: 4, sim });
    expect(((await readRecord(file)) as { record: RunRecord }).record.seed).toBe(3);
    process.env[ENV.report] = '/run/two/report.json';
    recordFailedRun({ error, message: 'the next run', seed: 5, sim });
    expect(((await readRecord(file)) as { record: RunRecord }).record.seed).toBe(5);
    expect(readdirSync(join(state, 'failures'))).toEqual(['my-exercise.json']);
  });

  test('writes nothing unless the folder is a workspace\'s .learn-ds/failures, and never throws (an unwritable folder costs the record only)', () => {
    const { sim, error } = failingSim();
    process.env[ENV.exerciseDir] = join('exercises', 'my-exercise');
    delete process.env[ENV.failures];
    expect(() => recordFailedRun({ error, message: 'm', seed: 1, sim })).not.toThrow();
    const elsewhere = tempDir();
    process.env[ENV.failures] = join(elsewhere, 'solutions');
    recordFailedRun({ error, message: 'm', seed: 1, sim });
    expect(readdirSync(elsewhere)).toEqual([]);
    // The state folder must exist already: no workspace is made up.
    process.env[ENV.failures] = join(elsewhere, 'nowhere', '.learn-ds', 'failures');
    recordFailedRun({ error, message: 'm', seed: 1, sim });
    expect(existsSync(join(elsewhere, 'nowhere'))).toBe(false);
    // A file where the folder should be: the write fails, quietly.
    const state = workspaceState();
    writeFileSync(join(state, 'failures'), 'not a folder');
    process.env[ENV.failures] = join(state, 'failures');
    expect(() => recordFailedRun({ error, message: 'm', seed: 1, sim })).not.toThrow();
    expect(readFileSync(join(state, 'failures'), 'utf8')).toBe('not a folder');
  });
});

describe('learn-ds verify records a failing simulated run', () => {
  test('a quorum-kv mutant verified in a workspace: the record names the failing check, its seed, the trace and the history; explain finds it', async () => {
    const dir = tempDir();
    expect((await learnDs(dir, ['start', 'quorum-kv'])).exitCode).toBe(0);
    const exercise = loadCatalog().byId.get('quorum-kv')!;
    const mutant = join(dir, 'mutant.ts');
    writeFileSync(mutant, mutantSource(exercise, join(exercise.dir, 'mutants', 'no-write-back.patch')));
    const verify = await learnDs(dir, ['verify', 'quorum-kv', '--file', mutant, '--seed', '7', '--no-daemon'], { LEARN_DS_AUTHOR: '1' });
    expect(verify.exitCode).toBe(1);
    const read = await readRecord(join(dir, 'learn-ds', '.learn-ds', 'failures', 'quorum-kv.json'));
    expect(read.ok).toBe(true);
    const { record } = read as { record: RunRecord };
    // The first failing check of the verdict is the one recorded, and the verdict says how to open it.
    const firstFailed = /^ +✗ (.+)$/m.exec(verify.stdout)![1]!;
    expect(record.check).toBe(firstFailed);
    expect(verify.stdout).toContain('Step through the failing simulated run: npx learn-ds explain quorum-kv (add --html for a page).');
    expect(record).toMatchObject({ exercise: 'quorum-kv', suiteSeed: 7, clients: ['c1'] });
    expect(record.events.length).toBeGreaterThan(5);
    expect(record.history!.ops.length).toBeGreaterThan(0);
    const summary = await learnDs(dir, ['explain', 'quorum-kv']);
    expect(summary.exitCode).toBe(0);
    expect(summary.stdout).toContain(record.check);
    expect(summary.stdout).toContain('the last events before the violation');
    // A run that records nothing (a file that does not even load) says nothing of explain.
    writeFileSync(mutant, 'export const nothing = 1;\n');
    const broken = await learnDs(dir, ['verify', 'quorum-kv', '--file', mutant, '--no-daemon'], { LEARN_DS_AUTHOR: '1' });
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).not.toContain('explain');
  }, 180_000);

  test('watch records too: a save of a failing file, verified by the warm verifier, leaves its failing run for explain', async () => {
    const dir = tempDir();
    expect((await learnDs(dir, ['start', 'quorum-kv'])).exitCode).toBe(0);
    const exercise = loadCatalog().byId.get('quorum-kv')!;
    const file = join(dir, 'learn-ds', chapterSlug(exercise.chapterInfo), exercise.file);
    writeFileSync(file, mutantSource(exercise, join(exercise.dir, 'mutants', 'no-write-back.patch')));
    const record = join(dir, 'learn-ds', '.learn-ds', 'failures', 'quorum-kv.json');
    // Without a terminal, watch verifies each save (and the file as it is when it starts) until stopped.
    const watch = execa(process.execPath, [join(repoRoot, 'bin', 'learn-ds.js'), 'watch', 'quorum-kv'], {
      cwd: dir, reject: false, stdin: 'ignore', env: { NO_COLOR: '1', LEARN_DS_WORKSPACE: '', LEARN_DS_AUTHOR: '1' },
    });
    try {
      await expect.poll(() => existsSync(record), { timeout: 150_000, interval: 250 }).toBe(true);
    } finally {
      watch.kill('SIGTERM');
      await watch;
    }
    const read = await readRecord(record);
    expect(read.ok && read.record.exercise).toBe('quorum-kv');
  }, 180_000);
});

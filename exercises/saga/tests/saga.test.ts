// The hidden suite of saga: scripted scenarios (every message 5 ms) that make each classic mistake
// happen under every seed, a crash after every write and every send of the orchestrator, and many
// sagas at once under random faults, judged for safety and, once the faults end, for liveness.
import { test } from 'vitest';
import { check, checkScenario, expectProgress, figure, show, sometimes } from 'learn-ds/harness';
import { uniformLatency } from 'learn-ds/sim';
import {
  CLIENTS, CLIENT_RETRY_MS, MAX_RETRY_MS, TIMELINE, sagaId, servicesFor, stepName, world,
  type Plan, type Request, type SagaState, type Script, type World,
} from './helpers.ts';

/** Long enough for a saga of four steps and its compensations, with retries, on a quiet network. */
const SETTLE = 1_500;

const at = (t: number) => `${t.toFixed(1)} ms`;

/** Runs until every saga is finished; a liveness failure names the sagas still running. */
function finish(w: World, what: string, within = SETTLE): void {
  const t = w.sim.runUntilTrue(() => w.allFinished(), within);
  check(t !== undefined, () => `${what}: after ${within} ms, saga(s) ${w.unfinished()} had still not finished (the client heard no 'finished')`);
  const p = w.finalProblem();
  check(p === undefined, () => p!);
}

function expectOutcome(s: SagaState, want: 'completed' | 'compensated', why: string): void {
  check(s.outcome === want, () => `saga ${show(s.id)} (${s.steps.join(' → ')}) finished ${show(s.outcome)}; expected ${show(want)}: ${why}`);
}

const sequence = (w: World, s: SagaState) =>
  w.requests.filter((r) => r.saga === s.id).reduce<string[]>((out, r) => {
    const label = `${r.type} ${r.step}`;
    if (out.at(-1) !== label) out.push(label);
    return out;
  }, []);

const scriptOf = (script: Script) => () => script;

let figured = false;

// ── the happy path ─────────────────────────────────────────────────────────────────────────────

test('runs every step once, in order, one at a time, and finishes completed when no step is declined', () => {
  checkScenario({ ...TIMELINE, seeds: 5 }, (seed) => {
    const w = world({ seed });
    const svc = w.services;
    const sagas = [
      w.start(sagaId(seed, 1), [svc[0]!, svc[1]!, svc[2]!]),
      w.start(sagaId(seed, 2), [svc[2]!, svc[0]!]),
      w.start(sagaId(seed, 3), [svc[3]!], 'Mobile-App'),
      w.start(sagaId(seed, 4), [svc[1]!, svc[3]!, svc[0]!, svc[2]!], 'Mobile-App'),
      w.start(sagaId(seed, 5), []),
    ];
    finish(w, 'five sagas, no fault');
    for (const s of sagas) {
      expectOutcome(s, 'completed', 'every service answered done');
      const want = s.steps.map((_, i) => `do ${i}`);
      const got = sequence(w, s);
      check(got.join(', ') === want.join(', '), () => `saga ${show(s.id)}: the orchestrator sent ${got.join(', ') || 'nothing'}; expected ${want.join(', ') || 'nothing'} (a saga with no steps completes at once)`);
    }
    const steps = sagas.reduce((n, s) => n + s.steps.length, 0);
    if (!figured) {
      figured = true;
      figure('requests per step, no fault', w.requests.length / steps, { limit: 1 });
    }
    check(w.requests.length === steps, () => `on a network that loses nothing, the orchestrator sent ${w.requests.length} requests for ${steps} steps; expected one per step (retry a request only when its answer is late)`);
  });
});

// ── declined steps ─────────────────────────────────────────────────────────────────────────────

test('when a step is declined, compensates exactly the steps that succeeded, in reverse order, and finishes compensated', () => {
  checkScenario({ ...TIMELINE, seeds: 5 }, (seed) => {
    const svc = servicesFor(seed);
    // Saga d declines at step d: one saga per position of the declined step, in a saga of four.
    const declineAt = new Map<string, number>();
    const w = world({ seed, script: scriptOf({ declines: (saga, step) => declineAt.get(saga) === step }) });
    const sagas = [0, 1, 2, 3].map((d) => {
      const id = sagaId(seed, 10 + d);
      declineAt.set(id, d);
      return w.start(id, [svc[(d + 0) % 4]!, svc[(d + 1) % 4]!, svc[(d + 2) % 4]!, svc[(d + 3) % 4]!], d % 2 ? 'client' : 'Mobile-App');
    });
    finish(w, 'four sagas, each with a declined step');
    for (const [d, s] of sagas.entries()) {
      expectOutcome(s, 'compensated', `${stepName(s, d)} was declined`);
      const want = [...Array.from({ length: d + 1 }, (_, i) => `do ${i}`), ...Array.from({ length: d }, (_, i) => `undo ${d - 1 - i}`)];
      const got = sequence(w, s);
      check(got.join(', ') === want.join(', '), () => `saga ${show(s.id)}, whose ${stepName(s, d)} was declined: the orchestrator sent ${got.join(', ')}; expected ${want.join(', ')}: ` +
        `the steps that succeeded are compensated in reverse order, and the declined step (which did nothing) is not`);
    }
  });
});

// ── timeouts ───────────────────────────────────────────────────────────────────────────────────

test('a timeout is not a failure: a request with no answer is sent again with the same key until a definite answer, and nothing is compensated meanwhile', () => {
  checkScenario({ ...TIMELINE, seeds: 5, sometimes: ['a request answered only after being retried'] }, (seed) => {
    const svc = servicesFor(seed);
    // Step 1 of every saga is slow: each attempt stays in flight 250 ms before the service acts on
    // it (longer than any retry interval allowed), the first answer is lost, the second is
    // 'unavailable' (nothing done). The third saga's last step is then declined.
    const slow = (r: Request, attempt: number): Plan =>
      r.type === 'do' && r.step === 1 ? { holdMs: 250, reply: attempt === 1 ? 'none' : attempt === 2 ? 'unavailable' : 'normal' } : {};
    const third = sagaId(seed, 22);
    const w = world({ seed, script: scriptOf({ plan: slow, declines: (saga, step) => saga === third && step === 2 }) });
    const sagas = [
      w.start(sagaId(seed, 20), [svc[0]!, svc[1]!, svc[2]!]),
      w.start(sagaId(seed, 21), [svc[3]!, svc[2]!]),
      w.start(third, [svc[1]!, svc[0]!, svc[3]!]),
    ];
    finish(w, 'three sagas whose step 1 times out and is retried');
    expectOutcome(sagas[0]!, 'completed', `no step was declined; ${stepName(sagas[0]!, 1)} only timed out`);
    expectOutcome(sagas[1]!, 'completed', `no step was declined; ${stepName(sagas[1]!, 1)} only timed out`);
    expectOutcome(sagas[2]!, 'compensated', `${stepName(sagas[2]!, 2)} was declined`);
    for (const s of sagas) {
      const tries = w.requests.filter((r) => r.saga === s.id && r.type === 'do' && r.step === 1);
      sometimes('a request answered only after being retried', tries.length >= 3);
      check(tries.length >= 2, () => `saga ${show(s.id)}: ${stepName(s, 1)} was sent ${tries.length} time(s) though its first answer was lost; expected it to be sent again after at most ${MAX_RETRY_MS} ms`);
      const gaps = tries.slice(1).map((r, i) => r.t - tries[i]!.t);
      check(gaps.every((g) => g <= MAX_RETRY_MS + 1e-9), () => `saga ${show(s.id)}: ${stepName(s, 1)} was retried after gaps of ${gaps.map((g) => `${g.toFixed(1)} ms`).join(', ')}; expected a retry at most ${MAX_RETRY_MS} ms after the previous attempt`);
    }
  });
});

// ── duplicated and late answers ────────────────────────────────────────────────────────────────

test('a duplicated or late answer is ignored: it never skips a step nor starts a compensation again', () => {
  checkScenario({ ...TIMELINE, seeds: 5 }, (seed) => {
    const svc = servicesFor(seed);
    const declining = sagaId(seed, 31);
    // Every answer comes twice: its copy 1 ms later (while the next request is on its way), or,
    // for the declined step, 12 ms later (after the first compensation is confirmed, while the
    // second is on its way).
    const twice = (r: Request): Plan => ({ twiceMs: r.saga === declining && r.step === 2 && r.type === 'do' ? 12 : 1 });
    const w = world({ seed, script: scriptOf({ plan: twice, declines: (saga, step) => saga === declining && step === 2 }) });
    const done = w.start(sagaId(seed, 30), [svc[0]!, svc[1]!, svc[2]!, svc[3]!]);
    const compensated = w.start(declining, [svc[2]!, svc[3]!, svc[0]!]);
    finish(w, 'two sagas whose every answer comes twice');
    expectOutcome(done, 'completed', 'every step was done');
    expectOutcome(compensated, 'compensated', `${stepName(compensated, 2)} was declined`);
    const got = sequence(w, compensated);
    check(got.join(', ') === 'do 0, do 1, do 2, undo 1, undo 0', () => `saga ${show(compensated.id)}, whose step 2 was declined twice over: the orchestrator sent ${got.join(', ')}; expected do 0, do 1, do 2, undo 1, undo 0`);
  });
});

// ── compensations ─────────────────────────────────────────────────────────────────────────────

test('compensations are retried until they succeed (unavailable, lost, in flight), with the step\'s key', () => {
  checkScenario({ ...TIMELINE, seeds: 5 }, (seed) => {
    const svc = servicesFor(seed);
    // Each compensation: 1st attempt 'unavailable', 2nd answer lost, 3rd held 150 ms, then normal.
    const stubborn = (r: Request, attempt: number): Plan =>
      r.type !== 'undo' ? {} : attempt === 1 ? { reply: 'unavailable' } : attempt === 2 ? { reply: 'none' } : attempt === 3 ? { holdMs: 150 } : {};
    const w = world({ seed, script: scriptOf({ plan: stubborn, declines: (_saga, step) => step === 2 }) });
    const s = w.start(sagaId(seed, 40), [svc[1]!, svc[2]!, svc[3]!]);
    const t = w.start(sagaId(seed, 41), [svc[0]!, svc[3]!, svc[1]!, svc[2]!]);
    w.sim.runUntilTrue(() => w.allFinished(), 3 * SETTLE);
    for (const x of [s, t]) {
      for (const i of [1, 0]) {
        const st = x.step[i]!;
        const tries = w.requests.filter((r) => r.saga === x.id && r.type === 'undo' && r.step === i).length;
        check(st.compensatedAt !== undefined, () => `saga ${show(x.id)}: ${stepName(x, i)} was never compensated at ${x.steps[i]} within ${3 * SETTLE} ms (the orchestrator sent its undo ${tries} time(s); ` +
          `the first is answered 'unavailable', the second's answer is lost, the third stays in flight 150 ms): retry a compensation until the service confirms it`);
      }
      expectOutcome(x, 'compensated', `${stepName(x, 2)} was declined`);
    }
    finish(w, 'two sagas whose compensations fail before they succeed', 3 * SETTLE);
  });
});

// ── crashes ───────────────────────────────────────────────────────────────────────────────────

/** Two sagas (one completes, one is compensated) with the orchestrator crashing after its k-th write or send. */
function crashRun(seed: number, kind: 'writes' | 'sends', k: number, restartAfterMs: number) {
  const svc = servicesFor(seed);
  const declining = sagaId(seed, 51);
  const w = world({ seed, script: scriptOf({ declines: (saga, step) => saga === declining && step === 2 }) });
  w.sim.start();
  if (kind === 'writes') w.sim.crashAfter(w.orch, { writes: k, restartAfterMs });
  else w.sim.crashAfter(w.orch, { sends: k, restartAfterMs });
  const a = w.start(sagaId(seed, 50), [svc[0]!, svc[1]!, svc[2]!]);
  w.sim.runFor(3);
  const c = w.start(declining, [svc[3]!, svc[1]!, svc[0]!]);
  return { w, a, c };
}

test('after a crash at any point, it resumes from its durable log: no step is skipped or run again, and every saga finishes', () => {
  checkScenario({ ...TIMELINE, seeds: 3, sometimes: ['a crash after a write', 'a crash after a send', 'a crash while compensating'] }, (seed) => {
    for (const kind of ['writes', 'sends'] as const) {
      for (let k = 1; k <= 40; k++) {
        const restart = 5 + ((seed * 7 + k) % 4) * 10;
        const { w, a, c } = crashRun(seed, kind, k, restart);
        const t = w.sim.runUntilTrue(() => w.allFinished(), SETTLE);
        const crashed = w.sim.trace.find((e) => e.kind === 'crash');
        if (crashed === undefined) break; // fewer than k writes or sends in the whole run
        sometimes(kind === 'writes' ? 'a crash after a write' : 'a crash after a send');
        sometimes('a crash while compensating', w.requests.some((r) => r.saga === c.id && r.type === 'undo' && r.t <= crashed.t));
        const when = `the orchestrator crashed after its ${k}${k === 1 ? 'st' : k === 2 ? 'nd' : k === 3 ? 'rd' : 'th'} ${kind === 'writes' ? 'write to ctx.storage' : 'send'} (at ${at(crashed.t)}) and restarted ${restart} ms later`;
        check(t !== undefined, () => `${when}; ${SETTLE} ms later, saga(s) ${w.unfinished()} had still not finished: on restart, resume every saga from the durable log`);
        expectOutcome(a, 'completed', `${when}; no step of it was declined`);
        expectOutcome(c, 'compensated', `${when}; ${stepName(c, 2)} was declined`);
        const p = w.finalProblem();
        check(p === undefined, () => `${when}; ${p}`);
      }
    }
  });
});

// ── many sagas under random faults ────────────────────────────────────────────────────────────

function chaos(seed: number) {
  const svc = servicesFor(seed);
  const random = (() => {
    let x = seed * 2654435761 + 1;
    return () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
  })();
  // Each service holds, loses, repeats or refuses some requests, decided per request.
  const plan = (): Plan => {
    const r = random();
    return r < 0.1 ? { reply: 'none' } : r < 0.2 ? { reply: 'unavailable' } : r < 0.3 ? { holdMs: 20 + random() * 200 } : r < 0.4 ? { twiceMs: random() * 60 } : {};
  };
  const declined = new Set<string>();
  const w = world({
    seed,
    network: { latency: uniformLatency(1, 15), loss: 0.1, duplicate: 0.1 },
    script: () => ({ plan, declines: (saga, step) => declined.has(`${saga}\u0000${step}`) }),
  });
  const FAULTS_END = 1_200;
  const sagas: SagaState[] = [];
  for (let i = 0; i < 12; i++) {
    const n = 1 + Math.floor(random() * 4);
    const steps = Array.from({ length: n }, () => svc[Math.floor(random() * svc.length)]!);
    const id = sagaId(seed, 60 + i);
    if (random() < 0.4) declined.add(`${id}\u0000${Math.floor(random() * n)}`);
    w.sim.at(random() * 600, () => sagas.push(w.start(id, steps, CLIENTS[i % 3]!)));
  }
  // The orchestrator crashes every 100 to 300 ms and restarts 5 to 60 ms later, until FAULTS_END.
  const crash = () => {
    if (w.sim.now >= FAULTS_END) return;
    w.sim.crash(w.orch);
    w.sim.after(5 + random() * 55, () => w.sim.restart(w.orch));
    w.sim.after(100 + random() * 200, crash);
  };
  w.sim.after(50 + random() * 100, crash);
  return { w, sagas, FAULTS_END, random };
}

test('many sagas at once, under lost, duplicated and late messages, declines and crashes: every saga ends fully completed or fully compensated', () => {
  checkScenario({ ...TIMELINE, seeds: 12, sometimes: ['a saga compensated', 'a saga completed', 'a saga spanning a crash'] }, (seed) => {
    const { w, FAULTS_END } = chaos(seed);
    w.sim.runUntil(FAULTS_END);
    w.sim.network = { ...w.sim.network, loss: 0, duplicate: 0 };
    w.sim.runUntilTrue(() => w.allFinished(), 3 * SETTLE);
    const p = w.finalProblem();
    check(p === undefined, () => p!);
    for (const s of w.sagas.values()) {
      if (s.outcome === 'compensated') sometimes('a saga compensated');
      if (s.outcome === 'completed') sometimes('a saga completed');
      if (s.outcome !== undefined && w.sim.trace.some((e) => e.kind === 'crash' && e.t > s.startedAt && e.t < s.finishedAt!)) sometimes('a saga spanning a crash');
    }
  });
});

test('after the faults end, every saga finishes within 1.5 s', () => {
  checkScenario({ ...TIMELINE, seeds: 12 }, (seed) => {
    const { w, FAULTS_END } = chaos(seed);
    w.sim.runUntil(FAULTS_END + 100);
    w.sim.network = { ...w.sim.network, loss: 0, duplicate: 0 };
    if (!w.sim.isUp(w.orch)) w.sim.restart(w.orch);
    const ended = w.sim.now;
    expectProgress(w.sim, {
      within: SETTLE,
      what: `every saga finished and its client told 'finished' (the orchestrator retries each unanswered request within ${MAX_RETRY_MS} ms; clients send 'start' again every ${CLIENT_RETRY_MS} ms)`,
      until: () => w.allFinished(),
      faultsEndedAt: ended,
    });
  });
});

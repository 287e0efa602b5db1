/**
 * The saga suite's world: the learner's orchestrator (a simulated node that may crash, keeping only
 * its durable storage), services played by the suite (they decline, hold requests, lose or repeat
 * their answers, say they are unavailable, as each scenario scripts them), and clients that start
 * sagas (sending `start` again every CLIENT_RETRY_MS until the saga is finished).
 *
 * Rules checked as each message is sent (the timeline ends at the first one broken):
 * - a step's `do` goes to its service, only after the previous step's `done` reached the
 *   orchestrator, never after a step was declined;
 * - an `undo` only for a step whose `done` reached the orchestrator (not a declined step, not one
 *   never sent, not one whose request may still be in flight), in reverse order;
 * - every request of a step carries the same key, and no two steps share one;
 * - a saga never goes back: no request for an earlier position (do 0 … do n-1, undo n-1 … undo 0)
 *   than one already sent, in any life of the orchestrator;
 * - `finished completed` only when every step is done, `finished compensated` only when a step
 *   was declined and every step done is undone.
 * The services check that each step takes effect at most once, and never after its compensation
 * or after its saga finished.
 */
import { show, simulate } from 'learn-ds/harness';
import { type NetworkOptions, type NodeId, type SimNode, type Simulation } from 'learn-ds/sim';
import type { Message } from 'learn-ds/subject/saga';
import { createOrchestrator } from 'learn-ds/subject/saga';

export type { Message };
export type Sim = Simulation<Message, SimNode<Message>>;
export type Outcome = 'completed' | 'compensated';

/** A client sends `start` again this often until it hears `finished`. */
export const CLIENT_RETRY_MS = 200;
/** How long the statement allows between two attempts of a request. */
export const MAX_RETRY_MS = 100;

/** The orchestrator (the learner's node) and the services, ids of several shapes. */
export const ORCH = 'saga-orch';
export const SERVICES: readonly NodeId[] = ['flight', 'Hôtel-EU', 'car-hire', 'сервис-4'];
export const CLIENTS: readonly NodeId[] = ['client', 'Mobile-App', 'コンソール'];
/** The lanes of a timeline. */
export const LANES: readonly NodeId[] = ['client', ORCH, ...SERVICES];
const SAGA_SHAPES: readonly ((i: number) => string)[] = [
  (i) => `trip-${i}`,
  (i) => `${(0x7f3a9c + i * 7919).toString(16)}`,
  (i) => `Trip-${String.fromCharCode(65 + (i % 26))}x${i}`,
  (i) => `voyage/${['Paris', 'Zürich', '東京', 'Kraków'][i % 4]}#${i}`,
];

/** The services in an order that depends on the seed, so that each step meets each service. */
export function servicesFor(seed: number): NodeId[] {
  const r = seed % SERVICES.length;
  return [...SERVICES.slice(r), ...SERVICES.slice(0, r)];
}
/** Saga ids of several shapes (sequential, hex, mixed case, non-ASCII, with '/' and '#'). */
export function sagaId(seed: number, i: number): string {
  return SAGA_SHAPES[(seed + i) % SAGA_SHAPES.length]!(i);
}

export interface Request {
  type: 'do' | 'undo';
  saga: string;
  step: number;
  key: string;
}

/** What a service does with one request: when it acts on it, and how it answers. */
export interface Plan {
  /** The request stays in flight this long before the service acts on it (default 0). */
  holdMs?: number;
  /** 'none': the answer is lost; 'unavailable': nothing is done and it says so (default 'normal'). */
  reply?: 'normal' | 'none' | 'unavailable';
  /** The answer is sent a second time, this long after the first. */
  twiceMs?: number;
}

export interface Script {
  /** Whether the service declines step `step` of `saga` (decided once per key). */
  declines?: (saga: string, step: number) => boolean;
  /** The plan for the `attempt`-th request (from 1) of this type with this key. */
  plan?: (request: Request, attempt: number) => Plan;
}

interface StepState {
  /** Keys of the `do` requests sent for this step, first first. */
  keys: string[];
  doSent: boolean;
  /** Answers delivered to the orchestrator, ever (in any life). */
  done: boolean;
  declined: boolean;
  undone: boolean;
  /** Answers delivered in the orchestrator's current life. */
  doneLife: number;
  declinedLife: number;
  undoneLife: number;
  /** Effects at the service: keys under which it took effect, and whether it was compensated. */
  appliedKeys: string[];
  appliedAt: number[];
  compensatedAt: number | undefined;
}

export interface SagaState {
  id: string;
  steps: NodeId[];
  client: NodeId;
  startedAt: number;
  step: StepState[];
  /** Highest position of a request sent: do i → i, undo i → 2n - i. -1 before any. */
  position: number;
  outcome: Outcome | undefined;
  finishedAt: number | undefined;
  /** When the client heard `finished`. */
  heardAt: number | undefined;
}

export interface World {
  sim: Sim;
  orch: NodeId;
  services: NodeId[];
  sagas: Map<string, SagaState>;
  /** Starts a saga from `client` (which sends `start` again until it hears `finished`). */
  start(saga: string, steps: readonly NodeId[], client?: NodeId): SagaState;
  /** Every saga started has been heard finished by its client. */
  allFinished(): boolean;
  /** Sagas not finished yet, described. */
  unfinished(): string;
  /** What is wrong with the finished sagas' effects at the services, if anything. */
  finalProblem(): string | undefined;
  /** Every request the orchestrator sent, in order. */
  requests: Array<Request & { t: number; to: NodeId }>;
  /** How many times the orchestrator's factory ran (1 + restarts). */
  lives(): number;
  describe(message: unknown): string;
}

const at = (t: number) => `${t.toFixed(1)} ms`;

export function stepName(s: SagaState, i: number): string {
  return `step ${i} (${s.steps[i] ?? '?'})`;
}

export function world(opts: {
  seed: number;
  script?: (service: NodeId) => Script;
  network?: Partial<NetworkOptions>;
}): World {
  const orch = ORCH;
  const services = [...SERVICES];
  const sagas = new Map<string, SagaState>();
  const keyOwner = new Map<string, { saga: string; step: number }>();
  const attempts = new Map<string, number>();
  const requests: World['requests'] = [];
  const clients = new Set<NodeId>();
  const problems: string[] = [];
  let life = 0;
  let sim!: Sim;

  const problem = (text: string, lane: NodeId, note: string) => {
    if (problems.length > 0) return;
    problems.push(text);
    sim.note(lane, `✗ ${note}`);
  };

  const describe = describeMessage;

  // ── the services ───────────────────────────────────────────────────────────────────────────

  const serviceReceive = (service: NodeId, script: Script) => (from: NodeId, message: Message) => {
    const m = message as Partial<Request>;
    if ((m.type !== 'do' && m.type !== 'undo') || typeof m.saga !== 'string' || typeof m.step !== 'number' || typeof m.key !== 'string') return;
    const request: Request = { type: m.type, saga: m.saga, step: m.step, key: m.key };
    const count = `${request.type}\u0000${request.key}`;
    const attempt = (attempts.get(count) ?? 0) + 1;
    attempts.set(count, attempt);
    const plan = script.plan?.(request, attempt) ?? {};
    const act = () => {
      const s = sagas.get(request.saga);
      const st = s?.step[request.step];
      if (s === undefined || st === undefined) return;
      if (plan.reply === 'unavailable') return answer('unavailable');
      if (request.type === 'do') {
        const owner = keyOwner.get(request.key);
        if (!decisions.has(request.key) && (owner === undefined || (owner.saga === request.saga && owner.step === request.step))) {
          const declined = script.declines?.(request.saga, request.step) ?? false;
          decisions.set(request.key, declined ? 'declined' : 'done');
          if (!declined) {
            st.appliedKeys.push(request.key);
            st.appliedAt.push(sim.now);
            sim.note(service, `${s.id}: ${service} booked`);
            if (st.appliedKeys.length > 1) {
              problem(`${stepName(s, request.step)} of saga ${show(s.id)} took effect twice at ${service}: under key ${show(st.appliedKeys[0])} at ${at(st.appliedAt[0]!)} and under key ${show(request.key)} at ${at(sim.now)}. ` +
                `A service recognises a retry only by its key: every attempt at a step, in every life of the orchestrator, must carry the same key`, service, `${s.id} step ${request.step} applied twice`);
            }
            if (st.compensatedAt !== undefined) {
              problem(`a late success: ${stepName(s, request.step)} of saga ${show(s.id)} took effect at ${at(sim.now)}, after its compensation had already run at ${at(st.compensatedAt)} (the request was still in flight when the orchestrator compensated it). ` +
                `Compensate a step only once it is done: while its request may still be in flight, keep retrying it (same key) until a definite answer`, service, `${s.id} step ${request.step} booked after its compensation`);
            } else if (s.outcome !== undefined) {
              problem(`${stepName(s, request.step)} of saga ${show(s.id)} took effect at ${at(sim.now)}, after the saga had finished ${s.outcome} at ${at(s.finishedAt!)}: a request of the saga was still in flight when the orchestrator decided`, service, `${s.id} step ${request.step} booked after the end`);
            }
          }
        }
        return answer(decisions.get(request.key) ?? 'declined');
      }
      if (st.appliedKeys.includes(request.key) && st.compensatedAt === undefined) {
        st.compensatedAt = sim.now;
        sim.note(service, `${s.id}: ${service} cancelled`);
      } else if (st.appliedKeys.length === 0 && st.compensatedAt === undefined) {
        st.compensatedAt = sim.now; // nothing to undo; a late `do` would now land after it
      }
      return answer('undone');
    };
    const answer = (type: 'done' | 'declined' | 'undone' | 'unavailable') => {
      if (plan.reply === 'none') return;
      const reply = { type, saga: request.saga, step: request.step, key: request.key } as Message;
      sim.sendFrom(service, from, reply);
      if (plan.twiceMs !== undefined) sim.after(plan.twiceMs, () => sim.sendFrom(service, from, reply));
    };
    if (plan.holdMs) sim.after(plan.holdMs, act);
    else act();
  };
  const decisions = new Map<string, 'done' | 'declined'>();

  // ── what the orchestrator sends ────────────────────────────────────────────────────────────

  const onRequest = (to: NodeId, r: Request) => {
    requests.push({ ...r, t: sim.now, to });
    const s = sagas.get(r.saga);
    if (s === undefined) return problem(`the orchestrator sent ${describe(r)} to ${to}, but no client ever started a saga ${show(r.saga)}`, orchestrator(), `unknown saga ${show(r.saga)}`);
    const n = s.steps.length;
    const st = s.step[r.step];
    if (!Number.isInteger(r.step) || st === undefined) {
      return problem(`the orchestrator sent ${describe(r)}, but saga ${show(s.id)} has steps 0 to ${n - 1}`, orchestrator(), `no step ${r.step}`);
    }
    const name = `${stepName(s, r.step)} of saga ${show(s.id)}`;
    if (to !== s.steps[r.step]) {
      return problem(`the orchestrator sent ${r.type} for ${name} to ${to}; step ${r.step}'s service is ${s.steps[r.step]}`, orchestrator(), `${r.type} to the wrong service`);
    }
    // Keys: one per step, the same for every request of the step, never shared by two steps.
    const owner = keyOwner.get(r.key);
    if (owner !== undefined && (owner.saga !== r.saga || owner.step !== r.step)) {
      return problem(`the orchestrator sent ${r.type} for ${name} with key ${show(r.key)}, the key it had already used for ${stepName(sagas.get(owner.saga)!, owner.step)} of saga ${show(owner.saga)}: ` +
        `a service takes a known key for a retry and answers as before without doing anything; a key must be unique to its saga and step`, orchestrator(), `key ${show(r.key)} reused`);
    }
    if (st.keys.length > 0 && st.keys[0] !== r.key) {
      return problem(`the orchestrator sent ${r.type} for ${name} with key ${show(r.key)}, but it had sent this step's first request with key ${show(st.keys[0])}: ` +
        `every request of a step (each retry, its compensation, and in every life of the orchestrator) carries the same idempotency key, or a service that did the first cannot tell the retry is the same request`, orchestrator(), `a new key for ${s.id} step ${r.step}`);
    }
    if (st.keys.length === 0) {
      if (r.type === 'do') {
        st.keys.push(r.key);
        keyOwner.set(r.key, { saga: r.saga, step: r.step });
      }
    }
    // A saga never goes back.
    const position = r.type === 'do' ? r.step : 2 * n - r.step;
    if (s.outcome !== undefined) {
      return problem(`the orchestrator sent ${r.type} for ${name} at ${at(sim.now)}, after it had told the client the saga finished ${s.outcome}`, orchestrator(), `${r.type} after the end`);
    }
    if (position < s.position) {
      const last = s.position < n ? `do for step ${s.position}` : `undo for step ${2 * n - s.position}`;
      const why = r.type === 'do' && s.position >= n
        ? `it began ${name} again after compensation had begun (it had sent ${last}): once a step is declined, no step runs any more`
        : r.type === 'do'
          ? `it sent do for ${name} after it had already sent ${last}: the saga went back and ran an earlier step again`
          : `it sent undo for ${name} after it had already sent ${last}: that step's compensation was already confirmed, so the saga compensated it twice`;
      return problem(`${why}. After a crash the orchestrator resumes from its durable log at the request it had reached (log each answer before sending the next request); duplicated answers are ignored`,
        orchestrator(), `${s.id} went back to ${r.type} step ${r.step}`);
    }
    s.position = position;
    if (r.type === 'do') {
      if (r.step > 0 && !s.step[r.step - 1]!.done) {
        return problem(`the orchestrator began ${name} before step ${r.step - 1} had succeeded (no 'done' for it had reached the orchestrator): steps run one at a time, each after the previous one is done`, orchestrator(), `${s.id} step ${r.step} too early`);
      }
      const declined = s.step.findIndex((x) => x.declined);
      if (declined >= 0 && r.step > declined) {
        return problem(`the orchestrator began ${name} after ${stepName(s, declined)} had been declined: once a step is declined the saga compensates, it runs no further step`, orchestrator(), `${s.id} step ${r.step} after a decline`);
      }
      // Asking again after the answer arrived is a mistake within one life; after a crash, a
      // request whose answer was not logged yet is rightly sent again.
      if (st.doneLife === life || st.declinedLife === life) {
        return problem(`the orchestrator sent do for ${name} again after its '${st.doneLife === life ? 'done' : 'declined'}' had reached it: ` +
          `an answer moves the saga on (the next step, or the compensation), it never asks the same question again`, orchestrator(), `${s.id} step ${r.step} asked again`);
      }
      st.doSent = true;
      return;
    }
    // An undo.
    if (!st.done) {
      const inFlight = st.doSent && !st.declined;
      const text = st.declined
        ? `the orchestrator compensated ${name}, which had been declined: a declined step did nothing, so there is nothing to compensate (compensate only the steps that succeeded)`
        : inFlight
          ? `the orchestrator compensated ${name} while its request may still have been in flight (it had sent do and no definite answer, 'done' or 'declined', had reached it): ` +
            `a timeout is not an answer; the request may still take effect after the compensation. Keep retrying it with the same key until the service answers`
          : `the orchestrator compensated ${name}, a step it never ran (no do was ever sent for it): compensate only the steps that succeeded`;
      return problem(text, orchestrator(), `undo of ${s.id} step ${r.step}, which is not done`);
    }
    for (let j = s.steps.length - 1; j > r.step; j--) {
      const later = s.step[j]!;
      if (later.done && !later.undone) {
        return problem(`the orchestrator compensated ${name} before ${stepName(s, j)}, which had succeeded after it, was compensated (no 'undone' for it yet): ` +
          `compensations run in reverse order of the steps, each once the compensation of the step after it is confirmed`, orchestrator(), `undo of ${s.id} step ${r.step} before step ${j}`);
      }
    }
    if (st.undoneLife === life) {
      return problem(`the orchestrator sent undo for ${name} again after its 'undone' had reached it: the step was compensated twice`, orchestrator(), `${s.id} step ${r.step} undone twice`);
    }
  };

  const onFinished = (to: NodeId, saga: unknown, outcome: unknown) => {
    const s = typeof saga === 'string' ? sagas.get(saga) : undefined;
    if (s === undefined) return problem(`the orchestrator sent finished for ${show(saga)} to ${to}, but no client started that saga`, orchestrator(), `finished ${show(saga)}?`);
    if (outcome !== 'completed' && outcome !== 'compensated') {
      return problem(`the orchestrator sent finished for saga ${show(s.id)} with outcome ${show(outcome)}; expected 'completed' or 'compensated'`, orchestrator(), `outcome ${show(outcome)}`);
    }
    if (to !== s.client) {
      return problem(`the orchestrator sent finished for saga ${show(s.id)} to ${to}, but ${s.client} started it: the outcome goes to the client that sent 'start'`, orchestrator(), `finished to ${to}`);
    }
    if (s.outcome !== undefined && s.outcome !== outcome) {
      return problem(`the orchestrator told the client saga ${show(s.id)} finished ${outcome}, after it had said ${s.outcome}`, orchestrator(), `${s.id} both outcomes`);
    }
    const declined = s.step.findIndex((x) => x.declined);
    if (outcome === 'completed') {
      const missing = s.step.findIndex((x) => !x.done);
      if (missing >= 0) {
        return problem(`half a saga: the orchestrator said saga ${show(s.id)} completed, but ${stepName(s, missing)} ${s.step[missing]!.declined ? 'was declined' : "never succeeded (no 'done' for it reached the orchestrator)"}: ` +
          `a saga completes only when every step is done`, orchestrator(), `${s.id} completed without step ${missing}`);
      }
    } else {
      if (declined < 0) {
        const pending = s.step.findIndex((x) => x.doSent && !x.done);
        return problem(`the orchestrator said saga ${show(s.id)} was compensated, but no step was declined` +
          (pending >= 0 ? `: ${stepName(s, pending)} had only gone unanswered (or answered 'unavailable'). A timeout is not a failure: the request may have taken effect, or may yet; retry it with the same key until a definite answer` : '') +
          `. A saga is compensated only when a service declines a step`, orchestrator(), `${s.id} compensated, nothing declined`);
      }
      const left = s.step.findIndex((x) => x.done && !x.undone);
      if (left >= 0) {
        return problem(`half a saga: the orchestrator said saga ${show(s.id)} was compensated, but ${stepName(s, left)}, which had succeeded, was never compensated ('undone' had not reached the orchestrator): ` +
          `every step that succeeded is compensated, and retried until the service confirms it`, orchestrator(), `${s.id} compensated, step ${left} left booked`);
      }
    }
    if (s.outcome === undefined) {
      s.outcome = outcome;
      s.finishedAt = sim.now;
    }
  };

  const orchestrator = () => orch;

  // ── the world ─────────────────────────────────────────────────────────────────────────────

  sim = simulate<Message, SimNode<Message>>({
    seed: opts.seed,
    nodes: [orch],
    network: { latency: () => 5, loss: 0, duplicate: 0, ...opts.network },
    factory: (ctx) => {
      life++;
      const myLife = life;
      const node = createOrchestrator(ctx);
      return {
        receive(from, message) {
          const m = message as Partial<Omit<Request, 'type'>> & { type?: unknown };
          const s = typeof m.saga === 'string' ? sagas.get(m.saga) : undefined;
          const st = s && typeof m.step === 'number' ? s.step[m.step] : undefined;
          if (st && services.includes(from) && st.keys[0] === m.key) {
            if (m.type === 'done') { st.done = true; st.doneLife = myLife; }
            if (m.type === 'declined') { st.declined = true; st.declinedLife = myLife; }
            if (m.type === 'undone') { st.undone = true; st.undoneLife = myLife; }
          }
          node.receive(from, message);
        },
      };
    },
  });
  sim.onSend((from, to, message) => {
    if (from !== orch) return;
    const m = message as Partial<Omit<Request, 'type'>> & { type?: unknown; outcome?: unknown };
    if (m.type === 'do' || m.type === 'undo') {
      if (typeof m.saga !== 'string' || typeof m.step !== 'number' || typeof m.key !== 'string') {
        return problem(`the orchestrator sent ${show(message)}; a ${m.type} carries { saga: string, step: number, key: string }`, orch, `malformed ${m.type}`);
      }
      return onRequest(to, { type: m.type, saga: m.saga, step: m.step, key: m.key });
    }
    if (m.type === 'finished') return onFinished(to, m.saga, m.outcome);
    return problem(`the orchestrator sent ${show(message)} to ${to}; it sends only do, undo (to services) and finished (to clients)`, orch, `sent ${show(m.type)}`);
  });
  for (const service of services) sim.addClient(service, serviceReceive(service, opts.script?.(service) ?? {}));
  sim.invariant("the saga's rules", () => problems[0]);

  const addClient = (client: NodeId) => {
    if (clients.has(client)) return;
    clients.add(client);
    sim.addClient(client, (_from, message) => {
      const m = message as { type?: unknown; saga?: unknown };
      const s = typeof m.saga === 'string' ? sagas.get(m.saga) : undefined;
      if (m.type === 'finished' && s && s.heardAt === undefined) s.heardAt = sim.now;
    });
  };

  const w: World = {
    sim, orch, services, sagas, requests, describe,
    lives: () => life,
    start(saga, steps, client = 'client') {
      addClient(client);
      const s: SagaState = {
        id: saga, steps: [...steps], client, startedAt: sim.now, position: -1, outcome: undefined, finishedAt: undefined, heardAt: undefined,
        step: steps.map(() => ({ keys: [], doSent: false, done: false, declined: false, undone: false, doneLife: 0, declinedLife: 0, undoneLife: 0, appliedKeys: [], appliedAt: [], compensatedAt: undefined })),
      };
      sagas.set(saga, s);
      const ask = () => {
        if (s.heardAt !== undefined) return;
        sim.sendFrom(client, orch, { type: 'start', saga, steps: [...steps] });
        sim.after(CLIENT_RETRY_MS, ask);
      };
      ask();
      return s;
    },
    allFinished: () => [...sagas.values()].every((s) => s.heardAt !== undefined),
    unfinished: () => [...sagas.values()].filter((s) => s.heardAt === undefined).map((s) => {
      const last = [...requests].reverse().find((r) => r.saga === s.id);
      return `${show(s.id)} (${s.steps.join(' → ') || 'no steps'}; last request: ${last ? `${last.type} step ${last.step} at ${at(last.t)}` : 'none'})`;
    }).join(', '),
    finalProblem() {
      for (const s of sagas.values()) {
        if (s.outcome === undefined) continue;
        for (let i = 0; i < s.steps.length; i++) {
          const st = s.step[i]!;
          const booked = st.appliedKeys.length > 0 && st.compensatedAt === undefined;
          if (s.outcome === 'completed' && !booked) return `saga ${show(s.id)} finished completed, but at the end ${stepName(s, i)} is ${st.appliedKeys.length === 0 ? 'not in effect at its service' : 'compensated'}`;
          if (s.outcome === 'compensated' && booked) return `half a saga: saga ${show(s.id)} finished compensated, but at the end ${stepName(s, i)} is still in effect at ${s.steps[i]} (booked at ${at(st.appliedAt[0]!)}, never compensated)`;
        }
      }
      return undefined;
    },
  };
  return w;
}

/** `do 'trip-1' step 2 key="…"`: a message as the timeline writes it. */
export function describeMessage(message: unknown): string {
  const m = message as Partial<Omit<Request, 'type'>> & { type?: unknown; outcome?: unknown; steps?: unknown };
  if (m.type === 'start') return `start ${show(m.saga)} ${Array.isArray(m.steps) ? m.steps.join('→') : ''}`;
  if (m.type === 'finished') return `finished ${show(m.saga)} ${String(m.outcome)}`;
  if (typeof m.saga === 'string' && typeof m.step === 'number') return `${String(m.type)} ${show(m.saga)} step ${m.step} key=${show(m.key)}`;
  return show(message);
}

/** How every check draws its timeline. */
export const TIMELINE = { lanes: LANES, describe: describeMessage, rows: 30 } as const;

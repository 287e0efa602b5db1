/**
 * Helpers for the failure-detector suite: a small cluster of the learner's detectors (and, if a
 * check wants them, scripted "stub" peers), with the statement's rules checked after every event:
 *
 * - heartbeats: every detector sends one to every peer every heartbeatIntervalMs of its own clock,
 *   the first within one interval of its start, never two closer than that;
 * - suspicion: a peer heard from within timeoutMs (by the detector's clock) is never suspected, and
 *   a peer silent for more than timeoutMs is suspected (at most heartbeatIntervalMs late);
 * - suspects() returns peers only, each once, never the node itself.
 *
 * The facts come from wrappers around each node's context and node object, so they are exactly what
 * the learner's code saw: the ctx.now() at which each message arrived and each heartbeat left.
 * Changes of suspicion are written into the timeline as notes ("n1: now suspects n3").
 */
import { show, simulate } from 'learn-ds/harness';
import {
  streamOf, uniformLatency,
  type ClockSpec, type NetworkOptions, type NodeContext, type NodeId, type SimNode, type Simulation,
} from 'learn-ds/sim';
import type { DetectorOptions, FailureDetector, Message } from 'learn-ds/subject/failure-detector';
import { createFailureDetector } from 'learn-ds/subject/failure-detector';

export type { DetectorOptions, Message };

/** What the suite's simulation holds: the learner's detectors (wrapped) and stubs. */
export interface Probe extends SimNode<Message> {
  readonly stub: boolean;
  /** The learner's suspects(), as it returned it (stubs: always []). */
  suspects(): unknown;
}

export type Sim = Simulation<Message, Probe>;

/** Slack for the statement's exact boundaries (rounding, `>=` instead of `>`): 1 ms of the node's clock. */
export const SLACK_MS = 1;
/** Drift of the simulated clocks: up to ±1 %. */
export const MAX_DRIFT = 0.01;

/** One scenario's settings, drawn from its seed so that no number can be hard-coded. */
export interface Settings {
  options: DetectorOptions;
  /** Network latency is uniform in [1, maxLatencyMs]. */
  maxLatencyMs: number;
}

export function settingsFor(seed: number): Settings {
  const r = streamOf(seed, 'failure-detector settings');
  const heartbeatIntervalMs = 40 + Math.floor(r() * 81);
  const timeoutMs = Math.round(heartbeatIntervalMs * (2.5 + 1.5 * r()));
  const maxLatencyMs = Math.max(4, Math.round(heartbeatIntervalMs * (0.1 + 0.3 * r())));
  return { options: { heartbeatIntervalMs, timeoutMs }, maxLatencyMs };
}

export function optionsText(s: Settings): string {
  return `heartbeatIntervalMs = ${s.options.heartbeatIntervalMs}, timeoutMs = ${s.options.timeoutMs}`;
}

/** Clocks that read like Date.now() (not 0 at the start) and drift by up to ±1 %. */
function clocksFor(seed: number, ids: readonly NodeId[]): Record<NodeId, ClockSpec> {
  const r = streamOf(seed, 'failure-detector clocks');
  const clocks: Record<NodeId, ClockSpec> = {};
  for (const id of ids) {
    clocks[id] = { offsetMs: 1_700_000_000_000 + Math.floor(r() * 100_000_000), drift: (2 * r() - 1) * MAX_DRIFT };
  }
  return clocks;
}

export const ms = (t: number): string => `${t.toFixed(1)} ms`;

/** What the world knows about one running node (reset when it restarts). */
interface NodeState {
  stub: boolean;
  ctx: NodeContext<Message>;
  startLocal: number;
  startTrue: number;
  /** Last message received from each peer: ctx.now() then, true time then, and its type. */
  heard: Map<NodeId, { local: number; t: number; type: string }>;
  /** Last heartbeat sent to each peer: ctx.now() then, true time then, and how many so far. */
  sent: Map<NodeId, { local: number; t: number; count: number }>;
  /** The last suspects() seen, as a sorted list (for the timeline notes). */
  shown: string;
  /** The last suspects() seen, sorted. */
  current: NodeId[];
  /** Since when (true time) each currently suspected peer has been suspected without a break. */
  suspectedSince: Map<NodeId, number>;
}

export type Stub = 'silent' | 'data';

export interface WorldOptions {
  seed: number;
  nodes: number;
  settings: Settings;
  network?: Partial<NetworkOptions>;
  /** Nodes played by the test instead of the learner's code: 'silent' never sends, 'data' sends only data messages. */
  stubs?: Readonly<Record<NodeId, Stub>>;
}

export interface World {
  sim: Sim;
  ids: readonly NodeId[];
  settings: Settings;
  /** The learner's detectors (not the stubs). */
  detectors: readonly NodeId[];
  /** `id`'s suspects() now, sorted; undefined while it is down. Checked by the rules. */
  suspects(id: NodeId): NodeId[] | undefined;
  /** Why `to` may rightly have stopped hearing from `from`: `from` is a detector whose heartbeats to `to` are late. */
  lateSender(from: NodeId, to: NodeId): string | undefined;
  /** `id`'s suspects() as read when the rules were last checked (after the last event), sorted. */
  lastSeen(id: NodeId): readonly NodeId[];
  /** Checks the rules now (they are also checked after every event). */
  checkRules(): void;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** 'a heartbeat', 'a data message'. */
function what(type: string): string {
  return type === 'heartbeat' ? 'a heartbeat' : `a ${type} message`;
}

function list(ids: readonly NodeId[]): string {
  return ids.length === 0 ? 'no one' : ids.join(', ');
}

export function world(opts: WorldOptions): World {
  const { settings } = opts;
  const { heartbeatIntervalMs: interval, timeoutMs: timeout } = settings.options;
  const stubs = opts.stubs ?? {};
  const ids = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
  const states = new Map<NodeId, NodeState>();
  let sim: Sim | undefined;
  const trueNow = () => sim?.now ?? 0;
  /** A problem found while the learner's code ran (a send); reported by the invariant right after. */
  let pending: string | undefined;
  /** Marks a violation in the timeline, on the lane of the node at fault. */
  const flag = (id: NodeId, note: string): void => states.get(id)?.ctx.log(`✗ ${note}`);

  const watchContext = (ctx: NodeContext<Message>, state: () => NodeState): NodeContext<Message> => ({
    ...ctx,
    send: (to, message) => {
      const s = state();
      if (!s.stub && pending === undefined) {
        const local = ctx.now();
        const t = trueNow();
        const before = s.sent.get(to);
        const gap = local - (before?.local ?? s.startLocal);
        if (to === ctx.id) {
          pending = `rule 1 (Heartbeats) broken: ${ctx.id} sent a message to itself; heartbeats go to the peers in ctx.peers only`;
          ctx.log('✗ sent a message to itself');
        } else if (before !== undefined && gap < interval - SLACK_MS) {
          pending =
            `rule 1 (Heartbeats) broken: ${ctx.id} sent two heartbeats to ${to} only ${ms(gap)} apart (at ${ms(before.t)} and ${ms(t)}); ` +
            `expected one every heartbeatIntervalMs = ${interval} ms of its clock, no more: is more than one heartbeat timer running?`;
          ctx.log(`✗ second heartbeat to ${to} within one interval`);
        } else if (gap > interval + SLACK_MS) {
          pending = before === undefined
            ? `rule 1 (Heartbeats) broken: ${ctx.id} sent its first heartbeat to ${to} only ${ms(gap)} (of its clock) after it started at ${ms(s.startTrue)}; ` +
              `the first one must leave within heartbeatIntervalMs = ${interval} ms`
            : `rule 1 (Heartbeats) broken: ${ctx.id} sent two consecutive heartbeats to ${to} ${ms(gap)} apart by its clock (at ${ms(before.t)} and ${ms(t)}); ` +
              `expected one every heartbeatIntervalMs = ${interval} ms`;
          ctx.log(`✗ heartbeat to ${to} ${ms(gap - interval)} late`);
        }
        s.sent.set(to, { local, t, count: (before?.count ?? 0) + 1 });
      }
      ctx.send(to, message);
    },
  });

  const stubNode = (ctx: NodeContext<Message>, kind: Stub): Probe => {
    if (kind === 'data') {
      let n = 0;
      const chat = () => {
        n++;
        for (const peer of ctx.peers) ctx.send(peer, { type: 'data', body: `update ${n}` });
        ctx.setTimer(interval, chat);
      };
      ctx.setTimer(interval * ctx.random(), chat);
    }
    return { stub: true, receive: () => {}, suspects: () => [] };
  };

  const factory = (ctx: NodeContext<Message>): Probe => {
    const kind = stubs[ctx.id];
    const state: NodeState = {
      stub: kind !== undefined,
      ctx,
      startLocal: ctx.now(),
      startTrue: trueNow(),
      heard: new Map(),
      sent: new Map(),
      shown: '',
      current: [],
      suspectedSince: new Map(),
    };
    states.set(ctx.id, state);
    if (kind !== undefined) return stubNode(ctx, kind);
    const detector: FailureDetector = createFailureDetector(watchContext(ctx, () => state), { ...settings.options });
    return {
      stub: false,
      receive(from, message) {
        state.heard.set(from, { local: ctx.now(), t: trueNow(), type: typeof message?.type === 'string' ? message.type : 'message' });
        detector.receive(from, message);
      },
      suspects: () => detector.suspects(),
    };
  };

  const theSim: Sim = simulate<Message, Probe>({
    seed: opts.seed,
    nodes: ids,
    factory,
    clocks: clocksFor(opts.seed, ids),
    network: { latency: uniformLatency(1, settings.maxLatencyMs), loss: 0, duplicate: 0, ...opts.network },
  });
  sim = theSim;
  const detectors = ids.filter((id) => stubs[id] === undefined);

  /** Reads and validates a detector's suspects(); returns a problem or the sorted list. */
  const read = (id: NodeId): { problem: string } | { list: NodeId[] } => {
    const node = theSim.node(id)!;
    let value: unknown;
    try {
      value = node.suspects();
    } catch (error) {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : show(error);
      return { problem: `${id}.suspects() threw ${what}` };
    }
    if (!isStringArray(value)) return { problem: `${id}.suspects() returned ${show(value)}; expected an array of peer ids, like ['n2']` };
    if (value.length === 0) return { list: [] };
    const sorted = [...value].sort();
    if (sorted.includes(id)) {
      return { problem: `${id} suspects itself: suspects() returned ${show(value)}; a node never suspects itself, only peers from ctx.peers` };
    }
    const unknown = sorted.find((p) => !ids.includes(p));
    if (unknown !== undefined) return { problem: `${id}.suspects() returned ${show(value)}, but ${show(unknown)} is not one of its peers (${ids.filter((x) => x !== id).join(', ')})` };
    const twice = sorted.find((p, i) => sorted[i + 1] === p);
    if (twice !== undefined) return { problem: `${id}.suspects() returned ${show(value)}: ${twice} is listed twice; list each suspected peer once` };
    return { list: sorted };
  };

  /** The first rule `id` breaks now, flagged in the timeline. */
  const rulesOf = (id: NodeId): string | undefined => {
    const s = states.get(id)!;
    const now = s.ctx.now();
    const peers = ids.filter((p) => p !== id);
    // Heartbeats: one to every peer at least every interval. A late one is reported when it leaves
    // (see send, so that "every timeoutMs instead of every interval" is named as such); one that
    // does not come at all, once it is later than any legitimate reason could explain.
    for (const peer of peers) {
      const last = s.sent.get(peer);
      const since = now - (last?.local ?? s.startLocal);
      if (since > timeout + interval + SLACK_MS) {
        flag(id, `no heartbeat to ${peer} for ${ms(since)}`);
        if (last === undefined) {
          return `rule 1 (Heartbeats) broken: ${id} has sent no heartbeat to ${peer} in the ${ms(since)} (of its clock) since it started at ${ms(s.startTrue)}; ` +
            `the first one must leave within heartbeatIntervalMs = ${interval} ms, then one every ${interval} ms`;
        }
        const only = last.count === 1 ? ` It sent only one heartbeat to ${peer} so far: is the timer set again after each heartbeat?` : '';
        return `rule 1 (Heartbeats) broken: ${id} sent no heartbeat to ${peer} for ${ms(since)} of its clock (the last one at ${ms(last.t)}); ` +
          `expected one every heartbeatIntervalMs = ${interval} ms.${only}`;
      }
    }
    // Suspicion.
    const got = read(id);
    if ('problem' in got) {
      flag(id, 'suspects() is wrong');
      return `rule 3 (Suspicion) broken: ${got.problem}`;
    }
    s.current = got.list;
    const text = list(got.list);
    if (text !== s.shown) {
      if (s.shown !== '' || got.list.length > 0) s.ctx.log(`now suspects ${text}`);
      s.shown = text;
    }
    for (const peer of peers) {
      const heard = s.heard.get(peer);
      const silent = now - (heard?.local ?? s.startLocal);
      const suspected = got.list.includes(peer);
      if (!suspected) {
        s.suspectedSince.delete(peer);
      } else if (!s.suspectedSince.has(peer)) {
        s.suspectedSince.set(peer, trueNow());
      }
      if (suspected && silent < timeout - SLACK_MS) {
        if (heard === undefined) {
          flag(id, `suspects ${peer} too early`);
          return `rule 3 (Suspicion) broken: ${id} suspects ${peer} only ${ms(silent)} (of its clock) after ${id} started, before hearing anything from it (timeoutMs = ${timeout}); ` +
            `a node trusts every peer for the first timeoutMs after it starts`;
        }
        if (silent === 0) {
          flag(id, `still suspects ${peer}`);
          const since = s.suspectedSince.get(peer)!;
          return `rule 4 (trusted again at once) broken: ${id} still suspects ${peer} right after ${what(heard.type)} from ${peer} arrived (it has suspected ${peer} since ${ms(since)}); ` +
            `any message from a suspected peer makes it trusted again at once`;
        }
        flag(id, `suspects ${peer} too early`);
        return `rule 3 (Suspicion) broken: ${id} suspects ${peer} although ${what(heard.type)} from ${peer} arrived only ${ms(silent)} ago (at ${ms(heard.t)}; timeoutMs = ${timeout}); ` +
          `a peer is suspected only after more than timeoutMs without any message from it`;
      }
      if (!suspected && silent > timeout + interval + SLACK_MS) {
        flag(id, `still trusts ${peer}`);
        const since = heard === undefined ? `since ${id} started at ${ms(s.startTrue)}` : `since ${ms(heard.t)}`;
        return `rule 3 (Suspicion) broken: ${id} still trusts ${peer} although it has heard nothing from ${peer} for ${ms(silent)} of its clock (${since}; timeoutMs = ${timeout}); ` +
          `a peer silent for more than timeoutMs must be suspected`;
      }
    }
    return undefined;
  };

  const rules = (): string | undefined => {
    if (pending !== undefined) return pending;
    for (const id of detectors) {
      if (!theSim.isUp(id)) continue;
      const problem = rulesOf(id);
      if (problem !== undefined) return problem;
    }
    return undefined;
  };

  // Named for the rule, not the check: a rule may break first in a check about another one.
  theSim.invariant('checked after every event', rules);
  // Rules are checked after every event; this tick makes sure there are events to check after,
  // even in a world where every detector has gone quiet.
  const tick = () => theSim.after(interval / 2, tick);
  tick();

  return {
    sim: theSim,
    ids,
    settings,
    detectors,
    suspects: (id) => {
      if (!theSim.isUp(id) || stubs[id] !== undefined) return undefined;
      const got = read(id);
      if ('problem' in got) theSim.violation(got.problem, [id]);
      return got.list;
    },
    lateSender: (from, to) => {
      const s = states.get(from);
      if (s === undefined || s.stub || !theSim.isUp(from)) return undefined;
      const last = s.sent.get(to);
      const since = s.ctx.now() - (last?.local ?? s.startLocal);
      if (since <= interval + SLACK_MS) return undefined;
      return `${from} has sent no heartbeat to ${to} for ${ms(since)} of its clock (${last === undefined ? 'none since it started' : `the last one at ${ms(last.t)}`}); ` +
        `expected one every heartbeatIntervalMs = ${interval} ms`;
    },
    lastSeen: (id) => states.get(id)?.current ?? [],
    checkRules: () => {
      const problem = rules();
      if (problem !== undefined) theSim.violation(`${problem} (at ${ms(theSim.now)})`);
    },
  };
}

import { test } from 'vitest';
import { checkScenario, fail, simulate, type ScenarioOptions } from 'learn-ds/harness';
import {
  spikyLatency, startNemesis, streamOf, summarize, watchSends,
  type NodeContext, type NodeId, type SimNode, type Simulation,
} from 'learn-ds/sim';
import { createFailureDetector, type Message } from 'learn-ds/subject/failure-detector';
import { MAX_DRIFT, ms, optionsText, settingsFor, world, type World } from './helpers.ts';

/** Seeds per check: enough to meet the rare interleavings, few enough to stay fast. */
const SEEDS = 40;
const scenario: ScenarioOptions = { seeds: SEEDS, rows: 28, describe: (m) => summarize(m) };

/** A bound in true time for `localMs` of a node's clock (clocks drift by up to ±1 %), plus 1 ms. */
const trueBound = (localMs: number) => localMs / (1 - MAX_DRIFT) + 1;

function suspectsOf(w: World, id: NodeId): NodeId[] {
  return w.suspects(id) ?? [];
}

function live(w: World): NodeId[] {
  return w.detectors.filter((id) => w.sim.isUp(id));
}

/** Fails unless `id` suspects exactly `expected` now. */
function expectSuspects(w: World, id: NodeId, expected: readonly NodeId[], why: string): void {
  const got = suspectsOf(w, id);
  const want = [...expected].sort();
  if (got.join() !== want.join()) {
    for (const peer of got.filter((p) => !want.includes(p))) {
      const late = w.lateSender(peer, id);
      if (late !== undefined) fail(`at ${ms(w.sim.now)}, ${id} suspects ${peer}, which is up, but ${late}`);
    }
    const show = (l: readonly NodeId[]) => (l.length === 0 ? 'no one' : l.join(', '));
    fail(`at ${ms(w.sim.now)}, ${id} suspects ${show(got)}; expected ${show(want)}: ${why} (${optionsText(w.settings)})`);
  }
}

test('sends a heartbeat to every peer every heartbeatIntervalMs of its clock, the first within one interval of its start', () => {
  checkScenario(scenario, (seed) => {
    const settings = settingsFor(seed);
    const w = world({ seed, nodes: 4, settings });
    w.sim.runFor(4 * settings.options.timeoutMs);
    w.checkRules();
  });
});

test('never sends two heartbeats to the same peer within one interval, restarts included', () => {
  checkScenario(scenario, (seed) => {
    const settings = settingsFor(seed);
    const { timeoutMs } = settings.options;
    const w = world({ seed, nodes: 4, settings, network: { loss: 0.05 } });
    const r = streamOf(seed, 'restarts');
    w.sim.runFor(2 * timeoutMs);
    for (let round = 0; round < 2; round++) {
      const victim = w.ids[Math.floor(r() * w.ids.length)]!;
      w.sim.crash(victim);
      w.sim.runFor(timeoutMs * (0.5 + r()));
      w.sim.restart(victim);
      w.sim.runFor(timeoutMs);
    }
    w.checkRules();
  });
});

test('trusts every peer for timeoutMs after it starts, then suspects the peers it never hears from', () => {
  checkScenario(scenario, (seed) => {
    const settings = settingsFor(seed);
    const { heartbeatIntervalMs, timeoutMs } = settings.options;
    const w = world({ seed, nodes: 4, settings, stubs: { n3: 'silent', n4: 'silent' } });
    // n3 and n4 never send anything: trusted for timeoutMs, then suspected.
    w.sim.runFor(trueBound(timeoutMs + heartbeatIntervalMs + 2));
    const never = 'n3 and n4 never sent anything, n1 and n2 hear each other';
    expectSuspects(w, 'n1', ['n3', 'n4'], never);
    expectSuspects(w, 'n2', ['n3', 'n4'], never);
    // A restarted detector starts afresh: it trusts everyone again for timeoutMs.
    w.sim.crash('n1');
    w.sim.runFor(heartbeatIntervalMs);
    w.sim.restart('n1');
    w.sim.runFor(timeoutMs / 2);
    expectSuspects(w, 'n1', [], `n1 restarted ${ms(timeoutMs / 2)} ago, and a detector trusts every peer for timeoutMs after it starts`);
    w.sim.runFor(trueBound(timeoutMs + heartbeatIntervalMs));
    expectSuspects(w, 'n1', ['n3', 'n4'], never);
  });
});

test('suspects a peer only after more than timeoutMs without any message from it, by its own clock (20 % loss)', () => {
  checkScenario(scenario, (seed) => {
    const settings = settingsFor(seed);
    const w = world({ seed, nodes: 4, settings, network: { loss: 0.2, duplicate: 0.05 } });
    w.sim.runFor(8 * settings.options.timeoutMs);
    w.checkRules();
  });
});

test('counts any message from a peer as a sign of life, not only heartbeats', () => {
  checkScenario(scenario, (seed) => {
    const settings = settingsFor(seed);
    const w = world({ seed, nodes: 4, settings, stubs: { n3: 'data' } });
    // n3 sends no heartbeat, only the application's data messages, every heartbeatIntervalMs.
    w.sim.runFor(4 * settings.options.timeoutMs);
    for (const id of live(w)) {
      expectSuspects(w, id, [], 'n3 sends a data message to every peer every heartbeatIntervalMs, and the others send heartbeats');
    }
  });
});

test('suspects a crashed peer within timeoutMs + heartbeatIntervalMs + max latency, and keeps suspecting it while it is down', () => {
  checkScenario(scenario, (seed) => {
    const settings = settingsFor(seed);
    const { heartbeatIntervalMs, timeoutMs } = settings.options;
    const w = world({ seed, nodes: 4, settings, network: { duplicate: 0.05 } });
    const r = streamOf(seed, 'crash');
    w.sim.runFor(timeoutMs + r() * 2 * heartbeatIntervalMs);
    const victim = w.ids[Math.floor(r() * w.ids.length)]!;
    const crashedAt = w.sim.now;
    w.sim.crash(victim);
    const others = live(w);
    const limit = trueBound(timeoutMs + heartbeatIntervalMs + settings.maxLatencyMs);
    const at = w.sim.runUntilTrue(() => others.every((id) => suspectsOf(w, id).includes(victim)), limit);
    if (at === undefined) {
      const late = others.filter((id) => !suspectsOf(w, id).includes(victim));
      fail(
        `${late.join(' and ')} still did not suspect ${victim} ${ms(w.sim.now - crashedAt)} after ${victim} crashed at ${ms(crashedAt)}; ` +
          `expected within timeoutMs + heartbeatIntervalMs + max latency = ${timeoutMs} + ${heartbeatIntervalMs} + ${settings.maxLatencyMs} ms ` +
          `(plus 1 % for clock drift)`,
      );
    }
    w.sim.runFor(4 * timeoutMs);
    for (const id of others) expectSuspects(w, id, [victim], `${victim} crashed at ${ms(crashedAt)} and is still down; the other peers are fine`);
  });
});

test('never suspects a live, connected peer when no heartbeat is lost (latency jitter, drifting clocks)', () => {
  checkScenario(scenario, (seed) => {
    const settings = settingsFor(seed);
    const w = world({ seed, nodes: 5, settings });
    w.sim.invariant('suspicion of a live peer', () => {
      for (const id of w.detectors) {
        const wrong = w.lastSeen(id);
        for (const peer of wrong) {
          const late = w.lateSender(peer, id);
          if (late !== undefined) return `${id} suspects ${peer}, which is up, but ${late}`;
        }
        if (wrong.length > 0) {
          return `${id} suspects ${wrong.join(', ')}, although every node is up, no message is lost and latency is at most ` +
            `${settings.maxLatencyMs} ms (${optionsText(settings)})`;
        }
      }
      return undefined;
    });
    w.sim.runFor(5 * settings.options.timeoutMs);
  });
});

test('trusts a suspected peer again as soon as any message from it arrives (latency spikes, a partition)', () => {
  checkScenario(scenario, (seed) => {
    const settings = settingsFor(seed);
    const { heartbeatIntervalMs, timeoutMs } = settings.options;
    const w = world({
      seed, nodes: 4, settings,
      network: { latency: spikyLatency(settings.maxLatencyMs / 2, 2 * timeoutMs, 0.05) },
    });
    w.sim.runFor(3 * timeoutMs);
    // A partition makes sure that some peers get suspected, then heard from again.
    w.sim.isolate('n2');
    w.sim.runFor(timeoutMs + 2 * heartbeatIntervalMs + settings.maxLatencyMs);
    w.sim.heal();
    w.sim.runFor(3 * timeoutMs);
    w.checkRules();
  });
});

test('trusts a restarted peer again within heartbeatIntervalMs + max latency of its restart', () => {
  checkScenario(scenario, (seed) => {
    const settings = settingsFor(seed);
    const { heartbeatIntervalMs, timeoutMs } = settings.options;
    const w = world({ seed, nodes: 4, settings });
    const r = streamOf(seed, 'restart');
    w.sim.runFor(timeoutMs + r() * heartbeatIntervalMs);
    const victim = w.ids[Math.floor(r() * w.ids.length)]!;
    w.sim.crash(victim);
    w.sim.runFor(trueBound(timeoutMs + heartbeatIntervalMs + settings.maxLatencyMs) + r() * timeoutMs);
    const others = live(w);
    for (const id of others) expectSuspects(w, id, [victim], `${victim} is down`);
    const restartedAt = w.sim.now;
    w.sim.restart(victim);
    const limit = trueBound(heartbeatIntervalMs + settings.maxLatencyMs);
    const at = w.sim.runUntilTrue(() => others.every((id) => !suspectsOf(w, id).includes(victim)), limit);
    if (at === undefined) {
      const late = others.filter((id) => suspectsOf(w, id).includes(victim));
      fail(
        `${late.join(' and ')} still suspected ${victim} ${ms(w.sim.now - restartedAt)} after it restarted at ${ms(restartedAt)}; ` +
          `its first heartbeat should have arrived within heartbeatIntervalMs + max latency = ${heartbeatIntervalMs} + ${settings.maxLatencyMs} ms`,
      );
    }
    w.sim.runFor(3 * timeoutMs);
    for (const id of live(w)) expectSuspects(w, id, [], 'every node is up again and no message is lost');
  });
});

test('suspects a partitioned peer, and trusts it again within heartbeatIntervalMs + max latency once the partition heals', () => {
  checkScenario(scenario, (seed) => {
    const settings = settingsFor(seed);
    const { heartbeatIntervalMs, timeoutMs } = settings.options;
    const w = world({ seed, nodes: 4, settings });
    const r = streamOf(seed, 'partition');
    w.sim.runFor(timeoutMs + r() * heartbeatIntervalMs);
    const cut = w.ids[Math.floor(r() * w.ids.length)]!;
    const others = w.ids.filter((id) => id !== cut);
    const isolatedAt = w.sim.now;
    w.sim.isolate(cut);
    w.sim.runFor(trueBound(timeoutMs + heartbeatIntervalMs + settings.maxLatencyMs) + r() * timeoutMs);
    const why = `${cut} has been cut off from the others by a partition since ${ms(isolatedAt)}`;
    for (const id of others) expectSuspects(w, id, [cut], why);
    expectSuspects(w, cut, others, why);
    const healedAt = w.sim.now;
    w.sim.heal();
    const limit = trueBound(heartbeatIntervalMs + settings.maxLatencyMs);
    const at = w.sim.runUntilTrue(() => w.ids.every((id) => suspectsOf(w, id).length === 0), limit);
    if (at === undefined) {
      const late = w.ids.filter((id) => suspectsOf(w, id).length > 0).map((id) => `${id} suspects ${suspectsOf(w, id).join(', ')}`);
      fail(
        `${ms(w.sim.now - healedAt)} after the partition healed at ${ms(healedAt)}, ${late.join('; ')}; ` +
          `every peer's next heartbeat should have arrived within heartbeatIntervalMs + max latency = ${heartbeatIntervalMs} + ${settings.maxLatencyMs} ms`,
      );
    }
  });
});

test('when only one direction of a link fails, the node that hears nothing suspects, the other keeps trusting', () => {
  checkScenario(scenario, (seed) => {
    const settings = settingsFor(seed);
    const { heartbeatIntervalMs, timeoutMs } = settings.options;
    const w = world({ seed, nodes: 3, settings });
    w.sim.runFor(timeoutMs);
    w.sim.blockOneWay('n2', 'n1');
    const since = w.sim.now;
    w.sim.runFor(trueBound(timeoutMs + heartbeatIntervalMs + settings.maxLatencyMs) + heartbeatIntervalMs);
    const why = `since ${ms(since)}, nothing from n2 reaches n1, but everything else gets through (n1 → n2 included)`;
    expectSuspects(w, 'n1', ['n2'], why);
    expectSuspects(w, 'n2', [], why);
    expectSuspects(w, 'n3', [], why);
  });
});

test('keeps every rule under random partitions, one-way link failures, crashes and bursts of loss', () => {
  checkScenario({ ...scenario, seeds: 25 }, (seed) => {
    const settings = settingsFor(seed);
    const { timeoutMs } = settings.options;
    const w = world({ seed, nodes: 5, settings, network: { loss: 0.02, duplicate: 0.02 } });
    startNemesis(w.sim, {
      faults: ['partition', 'isolate', 'one-way', 'crash', 'loss'],
      gapMs: [timeoutMs / 2, 2 * timeoutMs],
      durationMs: [timeoutMs, 3 * timeoutMs],
      until: 10 * timeoutMs,
    });
    w.sim.runFor(12 * timeoutMs);
    w.checkRules();
  });
});

// ── One detector at the exact edges of its rules, its peers scripted ─────────────────────────
// No drift and clocks, latency and options in quarters of a millisecond, so that every time is exact:
// the rules hold here without the 1 ms of rounding the scenarios above allow.

const EDGE = { heartbeatIntervalMs: 40.25, timeoutMs: 120.5 };
const EDGE_TEXT = `heartbeatIntervalMs = ${EDGE.heartbeatIntervalMs}, timeoutMs = ${EDGE.timeoutMs}`;
/** The learner's node and three scripted peers, ids in several shapes (the learner's is non-ASCII). */
const EDGE_IDS = ['ñ3', 'Node-B', 'n10', 'node-1000'] as const;
const EDGE_LATENCY = 2.5;
const EDGE_EPS = 1e-6;

interface EdgeWorld {
  sim: Simulation<Message, SimNode<Message> & { suspects(): unknown }>;
  /** Heartbeats the learner's node sent, by peer: its ctx.now() at each. */
  beats: Map<NodeId, number[]>;
  startLocal: number;
  /** The learner's node's clock now. */
  local(): number;
  suspects(): NodeId[];
}

function edgeWorld(seed: number): EdgeWorld {
  const me = EDGE_IDS[0];
  const offset = 1_700_000_000_000 + 250 * (seed % 1000);
  const beats = new Map<NodeId, number[]>();
  let ctxOfMe: NodeContext<Message> | undefined;
  const sim = simulate<Message, SimNode<Message> & { suspects(): unknown }>({
    seed,
    nodes: [...EDGE_IDS],
    clocks: { [me]: { offsetMs: offset, drift: 0 } },
    network: { latency: () => EDGE_LATENCY, loss: 0, duplicate: 0 },
    factory: (ctx) => {
      if (ctx.id !== me) return { receive() {}, suspects: () => [] };
      ctxOfMe = ctx;
      const watched = watchSends(ctx, (to, message) => {
        if ((message as { type?: unknown }).type === 'heartbeat') beats.set(to, [...(beats.get(to) ?? []), ctx.now()]);
      });
      return createFailureDetector(watched, EDGE);
    },
  });
  sim.runFor(0);
  const local = () => ctxOfMe!.now();
  const startLocal = offset;
  const suspects = (): NodeId[] => {
    const got = sim.node(me)!.suspects();
    if (!Array.isArray(got)) fail(`${me}.suspects() returned ${String(got)}; expected an array of peer ids`);
    return [...(got as NodeId[])].sort();
  };
  return { sim, beats, startLocal, local, suspects };
}

test(`keeps every rule at its exact edge, fractional options included (${EDGE_TEXT}; ids ${EDGE_IDS.join(', ')})`, () => {
  checkScenario({ seeds: 3, rows: 28, describe: (m) => summarize(m) }, (seed) => {
    const [me, quiet, talker, dataOnly] = EDGE_IDS;
    const w = edgeWorld(seed);
    // Heartbeats: exactly one interval apart, to the fraction of a millisecond.
    w.sim.runFor(10 * EDGE.heartbeatIntervalMs + 1);
    for (const peer of [quiet, talker, dataOnly]) {
      const times = w.beats.get(peer) ?? [];
      const rel = times.map((t) => (t - w.startLocal).toFixed(2)).join(', ') || 'none';
      const first = times[0];
      if (first === undefined || first - w.startLocal > EDGE.heartbeatIntervalMs + EDGE_EPS) {
        fail(`${me} started at ${ms(0)} of its clock (${EDGE_TEXT}) and sent heartbeats to ${peer} at (ms after its start): ${rel}; expected the first within ${EDGE.heartbeatIntervalMs} ms`);
      }
      for (let i = 1; i < times.length; i++) {
        const gap = times[i]! - times[i - 1]!;
        if (Math.abs(gap - EDGE.heartbeatIntervalMs) > EDGE_EPS) {
          fail(
            `${me} sent heartbeats to ${peer} at (ms after its start): ${rel}; two consecutive ones are ${gap.toFixed(2)} ms apart; ` +
              `expected exactly heartbeatIntervalMs = ${EDGE.heartbeatIntervalMs} ms: one heartbeat per interval, never two closer together, never a longer gap (do not round the interval)`,
          );
        }
      }
    }
    // The first timeoutMs after the start: every peer trusted, up to and including exactly timeoutMs
    // (a fresh world, to reach the start + timeoutMs instant exactly).
    const v = edgeWorld(seed);
    v.sim.runFor(EDGE.timeoutMs);
    const atStart = v.suspects();
    if (atStart.length > 0) {
      fail(`${me} started at ${ms(0)} and heard from no one; exactly ${EDGE.timeoutMs} ms later (timeoutMs = ${EDGE.timeoutMs}) it suspects ${atStart.join(', ')}; expected no one: a peer is suspected only after MORE than timeoutMs of silence, and a new detector counts from its start`);
    }
    // A peer heard at L is trusted at exactly L + timeoutMs, and suspected at most heartbeatIntervalMs later.
    v.sim.sendFrom(talker, me, { type: 'heartbeat' });
    v.sim.sendFrom(dataOnly, me, { type: 'data', body: 'hello' });
    v.sim.runFor(EDGE_LATENCY);
    const heardAt = v.local();
    v.sim.runFor(EDGE.timeoutMs);
    const atEdge = v.suspects();
    for (const peer of [talker, dataOnly]) {
      if (atEdge.includes(peer)) {
        fail(`${me} heard from ${peer} ${(heardAt - v.startLocal).toFixed(2)} ms after its start; exactly timeoutMs = ${EDGE.timeoutMs} ms later it suspects ${atEdge.join(', ')}; expected ${peer} trusted: a peer is suspected only after MORE than timeoutMs without a message from it`);
      }
    }
    if (!atEdge.includes(quiet)) {
      fail(`${me} has heard nothing from ${quiet} for ${(v.local() - v.startLocal).toFixed(2)} ms since it started (timeoutMs = ${EDGE.timeoutMs}, so a suspicion may be up to ${EDGE.heartbeatIntervalMs} ms late); it suspects ${atEdge.join(', ') || 'no one'}; expected ${quiet} among them`);
    }
    v.sim.runFor(EDGE.heartbeatIntervalMs + 0.25);
    const late = v.suspects();
    const want = [quiet, talker, dataOnly].sort();
    if (late.join() !== want.join()) {
      fail(
        `${me} last heard from ${talker} and ${dataOnly} ${(v.local() - heardAt).toFixed(2)} ms ago (timeoutMs = ${EDGE.timeoutMs}, heartbeatIntervalMs = ${EDGE.heartbeatIntervalMs}), from ${quiet} never; ` +
          `it suspects ${late.join(', ') || 'no one'}; expected exactly ${want.join(', ')} (the peers' ids as given, never itself): a suspicion may come up to heartbeatIntervalMs late, no later`,
      );
    }
  });
});

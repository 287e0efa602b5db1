import { test } from 'vitest';
import { checkScenario, show, sometimes } from 'learn-ds/harness';
import { startNemesis, uniformLatency, type NodeId } from 'learn-ds/sim';
import {
  CLIENT_TIMEOUT_MS, CONVERGE_MS, GOSSIP_MS,
  cluster, counterRange, describeInput, describeMessage, setRules,
  type Cluster, type Input, type Read,
} from './replicas.ts';

const TIMELINE = { rows: 30, describe: describeMessage };

const showSet = (elements: readonly string[]) => `{${elements.map((e) => show(e)).join(', ')}}`;
const showReads = (reads: ReadonlyMap<NodeId, Read>) =>
  [...reads].map(([id, r]) => `${id} reads ${r.value} and ${showSet(r.elements)}`).join('; ');

/** Runs one acknowledged operation, or fails: the scripted scenarios need each step to happen. */
function done(c: Cluster, client: string, node: NodeId, input: Input): void {
  const op = c.callAndWait(client, node, input);
  if (op.output === undefined) {
    c.sim.violation(`${node} did not answer ${describeInput(input)} within ${CLIENT_TIMEOUT_MS} ms; a replica applies an update to its own state and answers at once, without waiting for the others`, [node]);
  }
}

/** Lets `CONVERGE_MS` pass, then every replica must read exactly `value` and `elements`. */
function expectEveryReplica(c: Cluster, value: number, elements: readonly string[], story: string, advice: string): void {
  c.sim.runFor(CONVERGE_MS);
  const reads = c.readAll();
  const want = [...elements].sort();
  const wrong = [...reads].filter(([, r]) => r.value !== value || r.elements.join('\u0000') !== want.join('\u0000'));
  if (wrong.length > 0) {
    c.sim.violation(
      `${story}; ${CONVERGE_MS} ms later (${CONVERGE_MS / GOSSIP_MS} gossip intervals), ${showReads(reads)}; ` +
        `expected every replica to read ${value} and ${showSet(want)}: ${advice}`,
      wrong.map(([id]) => id),
    );
  }
}

test('replicas cut apart by a partition converge once it heals, each counting every acknowledged update', () => {
  checkScenario({ seeds: 5, ...TIMELINE }, (seed) => {
    const c = cluster({ seed, nodes: 3 });
    c.sim.runFor(50);
    c.sim.partition(['n1'], ['n2', 'n3']);
    done(c, 'c1', 'n1', { op: 'add', delta: 5 });
    done(c, 'c1', 'n1', { op: 'set_add', element: 'apple' });
    done(c, 'c2', 'n2', { op: 'add', delta: -2 });
    done(c, 'c2', 'n2', { op: 'set_add', element: 'Apple' });
    done(c, 'c2', 'n3', { op: 'add', delta: 1 });
    c.sim.runFor(10 * GOSSIP_MS);
    c.sim.heal();
    expectEveryReplica(
      c, 4, ['apple', 'Apple'],
      "during a partition {n1} | {n2, n3}, n1 acknowledged add +5 and set_add 'apple', n2 add -2 and set_add 'Apple', n3 add +1; then the partition healed",
      'keep gossiping your state every gossipIntervalMs, forever (anti-entropy): what was sent during the partition was lost, and only a later gossip can repair it',
    );
  });
});

test('add wins across replicas: an element re-added on one side of a partition while the other side removes it is there after the heal', () => {
  checkScenario({ seeds: 5, ...TIMELINE }, (seed) => {
    const c = cluster({ seed, nodes: 3 });
    done(c, 'c1', 'n1', { op: 'set_add', element: 'x' });
    done(c, 'c1', 'n1', { op: 'set_add', element: 'ß' });
    c.sim.runFor(CONVERGE_MS);
    const before = c.readAll();
    for (const [id, r] of before) {
      if (!r.elements.includes('x') || !r.elements.includes('ß')) {
        c.sim.violation(`n1 acknowledged set_add 'x' and set_add 'ß'; ${CONVERGE_MS} ms later ${id} reads ${showSet(r.elements)}; expected both elements at every replica: gossip your state to your peers every gossipIntervalMs and merge what you receive`, [id]);
      }
    }
    c.sim.partition(['n1'], ['n2', 'n3']);
    done(c, 'c2', 'n2', { op: 'set_remove', element: 'x' });
    done(c, 'c1', 'n1', { op: 'set_add', element: 'x' });
    done(c, 'c2', 'n3', { op: 'set_remove', element: 'ß' });
    c.sim.runFor(5 * GOSSIP_MS);
    c.sim.heal();
    expectEveryReplica(
      c, 0, ['x'],
      "every replica had {'x', 'ß'} (added at n1); during a partition {n1} | {n2, n3}, n2 removed 'x' while n1 added 'x' again, and n3 removed 'ß'; then the partition healed",
      "add wins: n2's remove removed only the adds of 'x' it had seen, not n1's new one, so 'x' stays (a set where the remove wins loses an add nobody removed); 'ß' had no new add, so its remove holds",
    );
  });
});

test('an acknowledged update survives the crash of its replica, even a crash right after the answer, before any gossip left it', () => {
  checkScenario({ seeds: 5, ...TIMELINE }, (seed) => {
    const c = cluster({ seed, nodes: 3 });
    c.sim.runFor(50);
    c.sim.isolate('n1');
    // The crash comes right after the answer is sent, in the same handler: whatever comes after it never runs.
    c.sim.crashAfter('n1', { sends: 1, matching: (_to, m) => m.type === 'add_ok', restartAfterMs: 200 });
    done(c, 'c1', 'n1', { op: 'add', delta: 5 });
    c.sim.runFor(300);
    c.sim.crashAfter('n1', { sends: 1, matching: (_to, m) => m.type === 'set_add_ok', restartAfterMs: 200 });
    done(c, 'c1', 'n1', { op: 'set_add', element: 'kiwi' });
    c.sim.runFor(300);
    c.sim.heal();
    expectEveryReplica(
      c, 5, ['kiwi'],
      "n1, cut off from the others, acknowledged add +5 and crashed right after sending the answer, restarted 200 ms later, then did the same with set_add 'kiwi'; then the partition healed",
      'an acknowledged update must survive a crash: save your state in ctx.storage before you answer the client (a crash can come right after the answer), and load it when your factory runs again after a restart (everything else is lost)',
    );
  });
});

test("a restarted replica's new updates count: they are not hidden behind what the others learned of it before the crash", () => {
  checkScenario({ seeds: 5, ...TIMELINE }, (seed) => {
    const c = cluster({ seed, nodes: 3 });
    done(c, 'c1', 'n1', { op: 'add', delta: 5 });
    done(c, 'c1', 'n1', { op: 'set_add', element: 'fig' });
    c.sim.runFor(CONVERGE_MS);
    c.sim.crash('n1');
    c.sim.runFor(100);
    c.sim.restart('n1');
    c.sim.runFor(50);
    done(c, 'c1', 'n1', { op: 'add', delta: 2 });
    done(c, 'c1', 'n1', { op: 'set_add', element: 'plum' });
    expectEveryReplica(
      c, 7, ['fig', 'plum'],
      "n1 acknowledged add +5 and set_add 'fig', which reached every replica; n1 crashed, restarted, then acknowledged add +2 and set_add 'plum'",
      "a replica that restarts from an empty state under its old id counts from 0 again and reuses the tags of its first adds: the others, which know its entry is already 5, ignore its new +2, and take 'plum' for an add they have already seen. " +
        'Save your state in ctx.storage before answering, and load it on restart, so that the replica carries on where it was',
    );
  });
});

test('under partitions, crashes and message loss, replicas converge after the heal and read only what the acknowledged operations allow', () => {
  const ELEMENTS = ['apple', 'Apple', '🍐', 'ß', 'kiwi', ''];
  checkScenario({ seeds: 15, ...TIMELINE }, (seed) => {
    const c = cluster({ seed, nodes: 5, network: { latency: uniformLatency(1, 20), loss: 0.05, duplicate: 0.1 } });
    const until = 4_000;
    startNemesis(c.sim, { faults: ['partition', 'isolate', 'crash', 'loss'], gapMs: [100, 400], durationMs: [200, 800], until });
    const random = c.sim.random;
    for (const [i, client] of ['c1', 'c2', 'c3'].entries()) {
      const next = () => {
        if (c.sim.now >= until) return;
        let node = c.sim.ids[Math.floor(random() * c.sim.ids.length)]!;
        const roll = random();
        let element = ELEMENTS[Math.floor(random() * ELEMENTS.length)]!;
        if (roll >= 0.45 && random() < 0.3) {
          // Each client also has an element of its own that it only adds and removes at one replica:
          // when all goes through, the final read must follow that replica's last word on it.
          element = `only-${client}`;
          node = c.sim.ids[i]!;
        }
        const input: Input = roll < 0.45
          ? { op: 'add', delta: Math.floor(random() * 11) - 4 }
          : roll < 0.75 ? { op: 'set_add', element } : { op: 'set_remove', element };
        c.call(client, node, input, () => c.sim.after(random() * 50, next));
      };
      c.sim.after(random() * 50, next);
    }
    c.sim.runUntil(until);
    c.sim.network = { ...c.sim.network, loss: 0 };
    c.sim.heal();
    for (const id of c.sim.ids) c.sim.restart(id);
    c.sim.runFor(CONVERGE_MS);
    const reads = c.readAll();
    const values = new Set([...reads.values()].map((r) => `${r.value} ${showSet(r.elements)}`));
    if (values.size > 1) {
      c.sim.violation(`${CONVERGE_MS} ms after the faults stopped (network healed, loss 0, every replica up), the replicas disagree: ${showReads(reads)}; expected them all to read the same: keep gossiping your whole state and merge every state you receive`);
    }
    const read = reads.get('n1')!;
    const range = counterRange(c.history);
    if (read.value < range.low || read.value > range.high) {
      const unknown = range.unknown.length === 0 ? 'none' : range.unknown.map((d) => (d >= 0 ? `+${d}` : `${d}`)).join(', ');
      c.sim.violation(
        `after the faults, every replica reads the counter as ${read.value}; the acknowledged adds sum to ${range.acked}, and the adds whose outcome is unknown (no answer: lost, or the replica crashed) are ${unknown}, ` +
          `so the value must lie between ${range.low} and ${range.high}: ${read.value < range.low ? 'acknowledged updates were lost (save before answering? merge with the larger entry, not the last one received?)' : 'some update counts more than once (a merge that adds entries instead of taking the larger?)'}`,
      );
    }
    const rules = setRules(c.history);
    // What makes this scenario worth running; over all seeds, each must happen at least once.
    sometimes('a replica crashed and restarted', [...c.boots.values()].some((n) => n > 1));
    sometimes("an add's outcome was unknown", range.unknown.length > 0);
    sometimes('an element had to be there', rules.mustHave.size > 0);
    sometimes('an element had to stay removed', rules.mustLack.size > 0);
    for (const e of read.elements) {
      if (!rules.everAdded.has(e)) c.sim.violation(`after the faults, every replica's set holds ${show(e)}, which no client ever added`);
    }
    for (const [e, op] of rules.mustHave) {
      if (!read.elements.includes(e)) {
        c.sim.violation(
          `after the faults, the replicas read ${showSet(read.elements)}, without ${show(e)}; but ${op.input.node} acknowledged set_add ${show(e)} (sent at ${op.callTime.toFixed(1)} ms) after every remove of it had been acknowledged, ` +
            'so no remove can have seen that add: it must survive (add wins; and save before answering, so that a crash loses nothing acknowledged)',
          [op.input.node],
        );
      }
    }
    for (const [e, op] of rules.mustLack) {
      if (read.elements.includes(e)) {
        c.sim.violation(
          `after the faults, the replicas read ${showSet(read.elements)}, with ${show(e)}; but every add of ${show(e)} was acknowledged by ${op.input.node}, which then acknowledged set_remove ${show(e)} (sent at ${op.callTime.toFixed(1)} ms): ` +
            'that remove saw every add, so the element must stay removed (a merge must not bring back what was removed)',
          [op.input.node],
        );
      }
    }
  });
});

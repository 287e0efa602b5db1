// `learn-ds explain`'s stepper as pure logic (src/report/explain/stepper.ts) and its screen (view.ts).
import { beforeAll, describe, expect, test } from 'vitest';
import { Simulation, SimulationViolation } from '../src/sim/index.ts';
import { disableColor } from '../src/report/style.ts';
import { buildRecord } from '../src/verify/harness/record.ts';
import { initialState, parseKeys, update, type StepCommand, type StepperState } from '../src/report/explain/stepper.ts';
import { renderScreen, renderSummary } from '../src/report/explain/view.ts';
import { inFlightAt } from '../src/report/explain/moment.ts';
import type { RunRecord } from '../src/report/explain/run-record.ts';
import { failingRun } from './explain-fixture.ts';

beforeAll(() => disableColor());

// The fixture's events, by index: 0 partition (10 ms) · 1 c1→n1 write (17) · 2 n1 note (17) · 3 gossip n1→n3 blocked (17) ·
// 4 n2 paused (20) · 5 n1→c1 write_ok (22) · 6 n2 resumed (35) · 7 gossip n1→n2, held (35) · 8 heal (40) · 9 n2 crashed (45) ·
// 10 c2→n3 read (55) · 11 n2 restarted (60) · 12 n3→c2 read_ok null (60), the last before the violation at 80 ms.
let record: RunRecord;
beforeAll(() => {
  record = failingRun();
});

function run(commands: StepCommand[], from: StepperState = initialState(record)): StepperState {
  return commands.reduce((s, c) => update(record, s, c), from);
}

const at = (pos: number): StepperState => ({ ...initialState(record), pos });

describe('stepping', () => {
  test('opens at the violation, every node shown, timers hidden', () => {
    expect(initialState(record)).toEqual({ pos: 12, node: undefined, timers: false, notice: undefined, quit: false });
  });

  test('steps back and forward event by event, ten at a time, to the first and the last; says so at either end', () => {
    expect(run([{ type: 'step', by: -1 }]).pos).toBe(11);
    expect(run([{ type: 'step', by: -1 }, { type: 'step', by: -1 }, { type: 'step', by: 1 }]).pos).toBe(11);
    const end = run([{ type: 'step', by: 1 }]);
    expect(end).toMatchObject({ pos: 12, notice: 'This is the last event of the run.' });
    expect(run([{ type: 'step', by: -10 }]).pos).toBe(2);
    expect(run([{ type: 'step', by: -100 }])).toMatchObject({ pos: 0, notice: undefined });
    expect(run([{ type: 'first' }, { type: 'step', by: -1 }])).toMatchObject({ pos: 0, notice: 'This is the first event recorded.' });
    expect(run([{ type: 'first' }, { type: 'last' }]).pos).toBe(12);
    // The notice lasts until the next key.
    expect(run([{ type: 'step', by: 1 }, { type: 'step', by: -1 }]).notice).toBeUndefined();
  });

  test('jumps to the previous and next fault (partition, pause, resume, heal, crash, restart) and back to the violation', () => {
    const back: number[] = [];
    let s = initialState(record);
    for (let k = 0; k < 7; k++) {
      s = update(record, s, { type: 'fault', direction: -1 });
      back.push(s.pos);
    }
    expect(back).toEqual([11, 9, 8, 6, 4, 0, 0]);
    expect(s.notice).toBe('No earlier fault.');
    expect(run([{ type: 'fault', direction: 1 }], at(1)).pos).toBe(4);
    expect(run([{ type: 'fault', direction: 1 }], at(11))).toMatchObject({ pos: 11, notice: 'No later fault.' });
    expect(run([{ type: 'violation' }], at(3)).pos).toBe(12);
  });

  test('filters by node: only its events (partitions and heals concern everyone), from the nearest one at or before the current event', () => {
    const n3 = run([{ type: 'node', node: 'n3' }], at(9));
    expect(n3.pos).toBe(8);
    const seen: number[] = [n3.pos];
    let s = n3;
    for (let k = 0; k < 5; k++) {
      s = update(record, s, { type: 'step', by: 1 });
      seen.push(s.pos);
    }
    expect(seen).toEqual([8, 10, 12, 12, 12, 12]);
    const back = run([{ type: 'first' }], n3);
    expect(back.pos).toBe(0);
    expect(run([{ type: 'step', by: 1 }], back).pos).toBe(3);
    // n cycles every node, then the clients, then all again.
    const cycle: Array<string | undefined> = [];
    s = initialState(record);
    for (let k = 0; k < 6; k++) {
      s = update(record, s, { type: 'cycle-node' });
      cycle.push(s.node);
    }
    expect(cycle).toEqual(['n1', 'n2', 'n3', 'c1', 'c2', undefined]);
    // A fault jump under a filter skips the faults of other nodes.
    expect(run([{ type: 'fault', direction: -1 }], run([{ type: 'node', node: 'n3' }])).pos).toBe(8);
  });

  test("x jumps to the answer of the operation the linearizability checker could not place (even under another node's filter)", () => {
    expect(run([{ type: 'stuck' }], at(2)).pos).toBe(12);
    expect(run([{ type: 'node', node: 'n1' }, { type: 'stuck' }], at(2))).toMatchObject({ pos: 12, node: undefined });
    const linearizable = { ...record, history: { ...record.history!, linearizability: { ...record.history!.linearizability!, verdict: 'linearizable' as const, stuck: [] } } };
    expect(update(linearizable, at(2), { type: 'stuck' })).toMatchObject({ pos: 2, notice: "No operation of the clients' history is marked as impossible to place in this run." });
    expect(renderScreen(record, at(2), { rows: 40, columns: 200 }).join('\n')).toContain('history: c2 x: read → null cannot follow the longest valid order found (1 of 2 operations) · x jumps to its answer');
  });

  test('timers are shown on demand, and a node with no event says so', () => {
    const sim = new Simulation({
      seed: 1, nodes: 2, network: { latency: () => 1 },
      factory: (ctx) => {
        if (ctx.id === 'n1') ctx.setTimer(5, () => ctx.send('n2', { type: 'tick' }));
        return { receive() {} };
      },
    });
    sim.runFor(10);
    const error = new SimulationViolation('n2 did not answer', sim.now, 1);
    const r = buildRecord({ error, message: error.message, seed: 1, sim }, 'timers');
    expect(r.events.map((e) => e.kind)).toEqual(['timer', 'deliver']);
    const start = initialState(r);
    expect(start.pos).toBe(1);
    expect(update(r, start, { type: 'step', by: -1 })).toMatchObject({ pos: 1, notice: 'This is the first event recorded.' });
    const timers = update(r, start, { type: 'timers' });
    expect(update(r, timers, { type: 'step', by: -1 }).pos).toBe(0);
    expect(update(r, update(r, timers, { type: 'node', node: 'n2' }), { type: 'first' }).pos).toBe(1);
    const quiet = new Simulation({ seed: 1, nodes: 3, network: { latency: () => 1 }, factory: () => ({ receive() {} }) });
    quiet.sendFrom('n1', 'n2', { type: 'x' });
    quiet.runFor(2);
    const q = buildRecord({ error: new SimulationViolation('v', 2, 1), message: 'v', seed: 1, sim: quiet }, 'quiet');
    expect(update(q, initialState(q), { type: 'node', node: 'n3' }).notice).toBe('n3 has no event in this run.');
    expect(update(q, initialState(q), { type: 'fault', direction: -1 }).notice).toBe('No fault in this run: no partition, pause or crash.');
  });
});

describe('keys', () => {
  test('arrows, vi keys, pages, home/end, the fault and violation keys, node numbers; several in one chunk', () => {
    expect(parseKeys('\x1b[C\x1b[Dlhjk ', record)).toEqual([
      { type: 'step', by: 1 }, { type: 'step', by: -1 }, { type: 'step', by: 1 }, { type: 'step', by: -1 }, { type: 'step', by: 1 }, { type: 'step', by: -1 }, { type: 'step', by: 1 },
    ]);
    expect(parseKeys('\x1b[6~\x1b[5~\x1b[H\x1b[F\x1bOH\x1bOF', record)).toEqual([
      { type: 'step', by: 10 }, { type: 'step', by: -10 }, { type: 'first' }, { type: 'last' }, { type: 'first' }, { type: 'last' },
    ]);
    expect(parseKeys('vf]F[gG', record)).toEqual([
      { type: 'violation' }, { type: 'fault', direction: 1 }, { type: 'fault', direction: 1 }, { type: 'fault', direction: -1 }, { type: 'fault', direction: -1 }, { type: 'first' }, { type: 'last' },
    ]);
    // 1–5 name n1, n2, n3, c1, c2; 6 names nobody here; 0 and a show all again.
    expect(parseKeys('1356', record)).toEqual([{ type: 'node', node: 'n1' }, { type: 'node', node: 'n3' }, { type: 'node', node: 'c2' }]);
    expect(parseKeys('0antx', record)).toEqual([{ type: 'node', node: undefined }, { type: 'node', node: undefined }, { type: 'cycle-node' }, { type: 'timers' }, { type: 'stuck' }]);
  });

  test('q, Ctrl-C, Ctrl-D and a lone Escape quit; other escape sequences (F-keys, mouse) and unknown keys do nothing', () => {
    for (const key of ['q', 'Q', '\x03', '\x04', '\x1b']) expect(parseKeys(key, record)).toEqual([{ type: 'quit' }]);
    expect(parseKeys('\x1b[15~\x1bOPyzw\x1b[<0;10;5M', record)).toEqual([]);
    expect(run([{ type: 'quit' }]).quit).toBe(true);
  });
});

describe('the screen', () => {
  test('the run, the current event marked in the timeline, the faults in force, the messages in flight, the notes, the keys; fitted to the terminal', () => {
    const lines = renderScreen(record, at(5), { rows: 30, columns: 100 });
    expect(lines.length).toBeLessThanOrEqual(30);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(100);
    const text = lines.join('\n');
    expect(text).toContain('learn-ds explain fixture · scenario seed 42');
    expect(text).toContain("the clients' gets and puts are not linearizable");
    expect(text).toContain('event 6 of 13 at 22.0 ms · violation at 80.0 ms');
    expect(lines.filter((l) => l.startsWith('▶'))).toEqual([expect.stringContaining('write_ok inReplyTo=1 (sent 17.0 ms)')]);
    expect(text).toContain('now: n1 → c1: write_ok inReplyTo=1 (sent 17.0 ms)');
    expect(text).toContain('faults in force: partition {n3} | {n1,n2}; n2 paused');
    expect(text).toContain('in flight (1): n1→n2 gossip key=x value=v1 (sent 17.0 ms, arrives 35.0 ms)');
    expect(text).toContain('notes: n1 "stored x=v1" (17.0 ms)');
    expect(text).toContain('shading:');
    expect(lines.slice(-2).join(' · ')).toMatch(/^←\/→ step · .*\(0 all\).* q quit$/);
    expect(lines.at(-1)).toBe('n/1-5 node: all (0 all) · t timers: off · q quit');
    expect(renderScreen(record, run([{ type: 'step', by: 1 }]), { rows: 30, columns: 200 }).join('\n')).toContain('This is the last event of the run.');
    expect(renderScreen(record, initialState(record), { rows: 30, columns: 200 }).join('\n')).toContain('event 13 of 13 at 60.0 ms · the violation');
  });

  test('messages in flight: sent at or before the moment, landing after it (lost at the send: never in flight)', () => {
    expect(inFlightAt(record, 1).map((m) => `${m.from}→${m.to} ${m.at}`)).toEqual(['n1→c1 22', 'n1→n2 35']);
    expect(inFlightAt(record, 8)).toEqual([]);
  });

  test('a small terminal still gets the current event, the keys, and no line too long', () => {
    const lines = renderScreen(record, at(3), { rows: 14, columns: 60 });
    expect(lines.length).toBeLessThanOrEqual(14);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(60);
    expect(lines.some((l) => l.startsWith('▶'))).toBe(true);
    expect(lines.at(-1)).toContain('q quit');
    expect(renderScreen(record, at(3), { rows: 6, columns: 60 }).slice(-2)[0]).toMatch(/^←\/→ step/);
  });

  test('the summary without a terminal: message, schedule, faults, the last events, the history, and how to see more', () => {
    const text = renderSummary(record, 'npx learn-ds');
    expect(text).toContain(`recorded ${new Date(record.recordedAt).toLocaleString()} by a verify of fixture`);
    expect(text).toContain('what happened (shrunk):\n  1. n3 is cut off from n1 and n2 at 10.0 ms.');
    expect(text).toContain('faults (3):\n  10.0 ms – 40.0 ms  partition {n3} | {n1,n2}\n  20.0 ms – 35.0 ms  n2 paused\n  45.0 ms – 60.0 ms  n2 down');
    expect(text).toContain('the last events before the violation at 80.0 ms:');
    expect(text).toContain('read_ok inReplyTo=1 value=null');
    expect(text).toContain('linearizability: not-linearizable; longest valid order found: 1 of 2 operations; cannot follow it: c2 x: read → null');
    expect(text).toContain('`npx learn-ds explain fixture` steps through the 13 events; `npx learn-ds explain fixture --html`');
    expect(text.split('\n').length).toBeLessThan(45);
  });
});

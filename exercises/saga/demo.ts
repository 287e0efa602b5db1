// `learn-ds run saga`: your orchestrator books a trip (flight, hotel, car); the car is declined, so
// the hotel and the flight are cancelled, in reverse order. Then the same trip with the hotel's
// first answer lost, and the orchestrator crashing while it compensates.
import { demo } from 'learn-ds/harness';
import { Simulation, renderTimeline, type NodeId, type SimNode } from 'learn-ds/sim';
import type { Message } from 'learn-ds/subject/saga';
import { createOrchestrator } from 'learn-ds/subject/saga';

const ORCH = 'orch';
const LANES = ['client', ORCH, 'flight', 'hotel', 'car'];
const STEPS = ['flight', 'hotel', 'car'];

function describe(message: unknown): string {
  const m = message as Message;
  switch (m.type) {
    case 'start': return `start ${m.saga}: ${m.steps.join(' → ')}`;
    case 'finished': return `finished ${m.saga}: ${m.outcome}`;
    default: return `${m.type} ${m.saga} step ${m.step} (${STEPS[m.step] ?? '?'}) key=${m.key}`;
  }
}

interface Faults {
  /** Requests whose answer is lost, by type and step (first attempt only). */
  loseFirstAnswer?: { type: 'do' | 'undo'; step: number };
  /** The orchestrator crashes right after its first undo, and restarts this much later. */
  crashAfterFirstUndoMs?: number;
}

function trip(faults: Faults) {
  const sim = new Simulation<Message, SimNode<Message>>({
    seed: 13, nodes: [ORCH], network: { latency: () => 5 }, factory: (ctx) => createOrchestrator(ctx),
  });
  const answered = new Set<string>();
  const lines: string[] = [];
  for (const service of ['flight', 'hotel', 'car']) {
    const booked = new Set<string>();
    sim.addClient(service, (from, message) => {
      if (message.type !== 'do' && message.type !== 'undo') return;
      const { saga, step, key } = message;
      let type: Message['type'];
      if (message.type === 'do') {
        type = service === 'car' ? 'declined' : 'done';
        if (type === 'done' && !booked.has(key)) {
          booked.add(key);
          sim.note(service, `${service} booked`);
        }
      } else {
        type = 'undone';
        if (booked.delete(key)) sim.note(service, `${service} cancelled`);
      }
      const lose = faults.loseFirstAnswer;
      const id = `${message.type}/${step}`;
      if (lose && lose.type === message.type && lose.step === step && !answered.has(id)) {
        answered.add(id);
        sim.note(service, `(its answer is lost)`);
        return;
      }
      sim.sendFrom(service, from, { type, saga, step, key } as Message);
    });
  }
  sim.addClient('client', (_from, message) => {
    if (message.type === 'finished') lines.push(`the client hears at ${sim.now.toFixed(0)} ms: trip ${message.saga} ${message.outcome}`);
  });
  if (faults.crashAfterFirstUndoMs !== undefined) {
    sim.crashAfter(ORCH, { sends: 1, matching: (_to, m: Message) => m.type === 'undo', restartAfterMs: faults.crashAfterFirstUndoMs });
  }
  sim.sendFrom('client', ORCH, { type: 'start', saga: 'trip-7', steps: STEPS as NodeId[] });
  sim.runFor(600);
  return { sim, lines };
}

demo('the car is declined: the hotel, then the flight, are cancelled', () => {
  const { sim, lines } = trip({});
  return [
    'Your orchestrator runs trip-7: flight, hotel, car, one at a time (every message 5 ms). The car service',
    'declines; the steps that succeeded are compensated in reverse order, each once the one after it is confirmed:',
    '',
    renderTimeline(sim.trace, { lanes: LANES, rows: 40, describe }),
    '',
    ...lines,
  ].join('\n');
});

demo('a lost answer, then a crash while compensating', () => {
  const { sim, lines } = trip({ loseFirstAnswer: { type: 'do', step: 1 }, crashAfterFirstUndoMs: 30 });
  return [
    "The hotel's first answer is lost: the orchestrator asks again with the same key, and the hotel, which had",
    'booked it already, answers without booking twice. Then the orchestrator crashes right after sending its',
    'first compensation; restarted, it reads its log and resumes where it was:',
    '',
    renderTimeline(sim.trace, { lanes: LANES, rows: 40, describe }),
    '',
    ...lines,
  ].join('\n');
});

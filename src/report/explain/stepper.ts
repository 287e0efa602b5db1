/**
 * `learn-ds explain`'s stepper, as pure logic: which event of a recorded run is current, which are
 * shown (a node's only, timers or not), and what each key does. No terminal here: keys come in
 * as commands, the screen goes out as lines (view.ts).
 */
import type { RecordedEvent, RunRecord } from './run-record.ts';

export interface StepperState {
  /** Index into record.events of the current event. */
  pos: number;
  /** Show only the events that involve this node (undefined: all). */
  node: string | undefined;
  /** Show timer firings (hidden at first: mostly heartbeats). */
  timers: boolean;
  /** A line saying why a key did nothing, until the next key. */
  notice: string | undefined;
  quit: boolean;
}

export type StepCommand =
  | { type: 'step'; by: number }
  | { type: 'first' }
  | { type: 'last' }
  | { type: 'violation' }
  | { type: 'fault'; direction: 1 | -1 }
  | { type: 'cycle-node' }
  | { type: 'node'; node: string | undefined }
  | { type: 'timers' }
  /** To the answer of the operation the linearizability checker could not place. */
  | { type: 'stuck' }
  | { type: 'quit' };

const FAULT_KINDS = new Set<RecordedEvent['kind']>(['partition', 'heal', 'pause', 'resume', 'crash', 'restart']);

export function isFaultEvent(e: RecordedEvent): boolean {
  return FAULT_KINDS.has(e.kind);
}

/** Does `e` concern `node`? Partitions and heals concern everyone. */
export function involves(e: RecordedEvent, node: string): boolean {
  switch (e.kind) {
    case 'deliver':
    case 'drop':
      return e.from === node || e.to === node;
    case 'partition':
    case 'heal':
      return true;
    default:
      return e.node === node;
  }
}

export function isVisible(e: RecordedEvent, state: Pick<StepperState, 'node' | 'timers'>): boolean {
  return (state.timers || e.kind !== 'timer') && (state.node === undefined || involves(e, state.node));
}

/** The event at the violation: the last one at or before its time. */
export function violationIndex(record: RunRecord): number {
  let index = record.events.length - 1;
  while (index > 0 && record.events[index]!.t > record.violation.t) index--;
  return Math.max(0, index);
}

/** The stepper as it opens: at the violation, every node, no timers. */
export function initialState(record: RunRecord): StepperState {
  const state: StepperState = { pos: violationIndex(record), node: undefined, timers: false, notice: undefined, quit: false };
  return { ...state, pos: nearestVisible(record, state, state.pos) };
}

/** The visible event at or before `pos` (else the first after it; `pos` when none is visible). */
function nearestVisible(record: RunRecord, state: Pick<StepperState, 'node' | 'timers'>, pos: number): number {
  for (let i = Math.min(pos, record.events.length - 1); i >= 0; i--) if (isVisible(record.events[i]!, state)) return i;
  for (let i = pos + 1; i < record.events.length; i++) if (isVisible(record.events[i]!, state)) return i;
  return pos;
}

/** `count` visible events from `pos` in `direction`, stopping at the ends. */
function moveBy(record: RunRecord, state: StepperState, count: number): number {
  const direction = Math.sign(count);
  let pos = state.pos;
  for (let left = Math.abs(count), i = pos + direction; left > 0 && i >= 0 && i < record.events.length; i += direction) {
    if (isVisible(record.events[i]!, state)) {
      pos = i;
      left--;
    }
  }
  return pos;
}

function findFrom(record: RunRecord, state: StepperState, direction: 1 | -1, accept: (e: RecordedEvent) => boolean): number | undefined {
  for (let i = state.pos + direction; i >= 0 && i < record.events.length; i += direction) {
    const e = record.events[i]!;
    if (accept(e) && isVisible(e, { ...state, timers: true })) return i;
  }
  return undefined;
}

/**
 * The event where the client got the answer of the first operation that cannot be placed after the
 * longest valid order (its reply delivered at its return time); undefined when there is none.
 */
export function stuckAnswerIndex(record: RunRecord): number | undefined {
  const id = record.history?.linearizability?.stuck[0];
  const op = id === undefined ? undefined : record.history!.ops.find((o) => o.id === id);
  if (!op || op.returnTime === null) return undefined;
  const index = record.events.findIndex((e) => e.kind === 'deliver' && e.to === op.client && e.t === op.returnTime);
  return index < 0 ? undefined : index;
}

/** The ids a node filter cycles through: every node, then the clients. */
export function filterIds(record: RunRecord): string[] {
  return [...record.nodes, ...record.clients];
}

export function update(record: RunRecord, state: StepperState, command: StepCommand): StepperState {
  const next: StepperState = { ...state, notice: undefined };
  switch (command.type) {
    case 'step': {
      const pos = moveBy(record, state, command.by);
      if (pos === state.pos) next.notice = command.by > 0 ? 'This is the last event of the run.' : 'This is the first event recorded.';
      next.pos = pos;
      return next;
    }
    case 'first': {
      const first = record.events.findIndex((e) => isVisible(e, state));
      if (first >= 0) next.pos = first;
      return next;
    }
    case 'last':
      next.pos = nearestVisible(record, state, record.events.length - 1);
      return next;
    case 'violation':
      next.pos = nearestVisible(record, state, violationIndex(record));
      return next;
    case 'fault': {
      const found = findFrom(record, state, command.direction, isFaultEvent);
      if (found === undefined) {
        next.notice = record.faults.length === 0
          ? 'No fault in this run: no partition, pause or crash.'
          : `No ${command.direction > 0 ? 'later' : 'earlier'} fault${state.node ? ` involving ${state.node}` : ''}.`;
      } else {
        next.pos = found;
      }
      return next;
    }
    case 'cycle-node': {
      const ids = filterIds(record);
      const at = state.node === undefined ? -1 : ids.indexOf(state.node);
      return withNode(record, next, at + 1 < ids.length ? ids[at + 1] : undefined);
    }
    case 'node':
      return withNode(record, next, command.node);
    case 'timers':
      next.timers = !state.timers;
      next.pos = nearestVisible(record, next, state.pos);
      return next;
    case 'stuck': {
      const index = stuckAnswerIndex(record);
      if (index === undefined) {
        next.notice = record.history?.linearizability?.stuck.length
          ? 'The operation that cannot be placed got no answer in the recorded events.'
          : 'No operation of the clients\' history is marked as impossible to place in this run.';
      } else {
        next.pos = index;
        if (!isVisible(record.events[index]!, next)) next.node = undefined;
      }
      return next;
    }
    case 'quit':
      next.quit = true;
      return next;
  }
}

function withNode(record: RunRecord, next: StepperState, node: string | undefined): StepperState {
  next.node = node;
  next.pos = nearestVisible(record, next, next.pos);
  if (node !== undefined && !record.events.some((e) => isVisible(e, next))) next.notice = `${node} has no event in this run.`;
  return next;
}

/** Raw terminal input → commands (several keys may arrive in one chunk). */
export function parseKeys(chunk: string, record: RunRecord): StepCommand[] {
  const commands: StepCommand[] = [];
  const ids = filterIds(record);
  const sequences: Array<[string, StepCommand]> = [
    ['\x1b[C', { type: 'step', by: 1 }], ['\x1bOC', { type: 'step', by: 1 }],
    ['\x1b[D', { type: 'step', by: -1 }], ['\x1bOD', { type: 'step', by: -1 }],
    ['\x1b[B', { type: 'step', by: 1 }], ['\x1bOB', { type: 'step', by: 1 }],
    ['\x1b[A', { type: 'step', by: -1 }], ['\x1bOA', { type: 'step', by: -1 }],
    ['\x1b[6~', { type: 'step', by: 10 }], ['\x1b[5~', { type: 'step', by: -10 }],
    ['\x1b[H', { type: 'first' }], ['\x1b[1~', { type: 'first' }], ['\x1bOH', { type: 'first' }],
    ['\x1b[F', { type: 'last' }], ['\x1b[4~', { type: 'last' }], ['\x1bOF', { type: 'last' }],
  ];
  const single: Record<string, StepCommand> = {
    l: { type: 'step', by: 1 }, j: { type: 'step', by: 1 }, ' ': { type: 'step', by: 1 },
    h: { type: 'step', by: -1 }, k: { type: 'step', by: -1 },
    J: { type: 'step', by: 10 }, K: { type: 'step', by: -10 },
    g: { type: 'first' }, G: { type: 'last' }, v: { type: 'violation' },
    f: { type: 'fault', direction: 1 }, ']': { type: 'fault', direction: 1 },
    F: { type: 'fault', direction: -1 }, '[': { type: 'fault', direction: -1 },
    n: { type: 'cycle-node' }, a: { type: 'node', node: undefined }, '0': { type: 'node', node: undefined },
    t: { type: 'timers' }, x: { type: 'stuck' }, q: { type: 'quit' }, Q: { type: 'quit' }, '\x03': { type: 'quit' }, '\x04': { type: 'quit' },
  };
  let rest = chunk;
  while (rest.length > 0) {
    const seq = sequences.find(([s]) => rest.startsWith(s));
    if (seq) {
      commands.push(seq[1]);
      rest = rest.slice(seq[0].length);
      continue;
    }
    if (rest === '\x1b') {
      commands.push({ type: 'quit' });
      break;
    }
    if (rest.startsWith('\x1b')) {
      // An escape sequence of a key with no meaning here (F-keys, mouse): skipped whole.
      const m = /^\x1b(\[[0-?]*[ -\/]*[@-~]|O.|.)/.exec(rest);
      rest = rest.slice(m ? m[0].length : 1);
      continue;
    }
    const ch = rest[0]!;
    rest = rest.slice(1);
    if (/[1-9]/.test(ch)) {
      const id = ids[Number(ch) - 1];
      if (id !== undefined) commands.push({ type: 'node', node: id });
      continue;
    }
    const command = single[ch];
    if (command) commands.push(command);
  }
  return commands;
}

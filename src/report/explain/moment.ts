/**
 * What a recorded run looked like at one event: the event said in words, the faults in force, the
 * messages in flight, each node's latest note. Shared by the terminal stepper and the HTML page.
 */
import { ms, summarize } from '../../sim/format.ts';
import type { TraceEvent } from '../../sim/types.ts';
import type { RecordedEvent, RecordedFault, RunRecord } from './run-record.ts';

/** The event as a trace event again (for the simulator's timeline). */
export function toTraceEvent(e: RecordedEvent): TraceEvent {
  const { i: _i, ...rest } = e;
  if (rest.kind === 'pause') return { ...rest, until: rest.until ?? Infinity };
  return rest as TraceEvent;
}

export function describeEvent(e: RecordedEvent): string {
  switch (e.kind) {
    case 'deliver':
      return `${e.from} → ${e.to}: ${summarize(e.message, 80)} (sent ${ms(e.sentAt)}${e.duplicate ? ', a duplicate' : ''}${e.held ? `, held while ${e.to} was paused` : ''})`;
    case 'drop': {
      const why = e.reason === 'loss' ? 'lost by the network' : e.reason === 'partition' ? 'blocked by the partition' : `not delivered: ${e.to} is down`;
      return `${e.from} → ${e.to}: ${summarize(e.message, 80)} ${why} (sent ${ms(e.sentAt)})`;
    }
    case 'timer':
      return `${e.node}: a timer fired`;
    case 'crash':
      return `${e.node} crashed${e.cause ? ` ${e.cause}` : ''} (volatile state lost)`;
    case 'restart':
      return `${e.node} restarted`;
    case 'pause':
      return `${e.node} paused until ${e.until === null ? 'the end' : ms(e.until)}`;
    case 'resume':
      return `${e.node} resumed after ${ms(e.t - e.since)} (${e.messages} message${e.messages === 1 ? '' : 's'} and ${e.timers} timer${e.timers === 1 ? '' : 's'} waited)`;
    case 'partition':
      return `partition ${e.description}`;
    case 'heal':
      return 'partition healed';
    case 'log':
      return `${e.node} notes: ${e.text}`;
  }
}

/** Faults in force at time `t`. */
export function faultsAt(record: RunRecord, t: number): RecordedFault[] {
  return record.faults.filter((f) => t >= f.from && (f.to === null || t < f.to));
}

export interface InFlight {
  from: string;
  to: string;
  text: string;
  sentAt: number;
  /** When it arrives (or is dropped), and whether it is dropped then. */
  at: number;
  dropped: boolean;
}

/**
 * Messages sent at or before event `pos` that arrive (or are dropped) after it: the trace records a
 * message when it lands, so those that never landed before the run ended are not known.
 */
export function inFlightAt(record: RunRecord, pos: number): InFlight[] {
  const now = record.events[pos];
  if (!now) return [];
  const flying: InFlight[] = [];
  for (let i = pos + 1; i < record.events.length; i++) {
    const e = record.events[i]!;
    if ((e.kind === 'deliver' || e.kind === 'drop') && e.sentAt <= now.t && !(e.kind === 'drop' && e.t === e.sentAt)) {
      flying.push({ from: e.from, to: e.to, text: summarize(e.message, 60), sentAt: e.sentAt, at: e.t, dropped: e.kind === 'drop' });
    }
  }
  return flying;
}

/** Each node's latest note at or before event `pos`. */
export function notesAt(record: RunRecord, pos: number): Array<{ node: string; t: number; text: string }> {
  const t = record.events[pos]?.t ?? 0;
  const latest: Array<{ node: string; t: number; text: string }> = [];
  for (const node of Object.keys(record.notes)) {
    const notes = record.notes[node]!.filter((n) => n.t <= t);
    const last = notes.at(-1);
    if (last) latest.push({ node, ...last });
  }
  return latest;
}

/**
 * The last failing simulated run of an exercise, as the hidden run saved it
 * (src/verify/harness/record.ts) and as `learn-ds explain` reads it: JSON in the learner's
 * workspace, `.learn-ds/failures/<exercise>.json`. Times are true (simulated) ms; a time that never
 * came (no reply, a pause without end) is null.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const RECORD_VERSION = 1;
/** The folder, inside the workspace's state folder. */
export const FAILURES_DIR = 'failures';

/** A trace event made JSON-safe: its index in the whole trace, and the message as data. */
export type RecordedEvent =
  | { i: number; t: number; kind: 'deliver'; from: string; to: string; message: unknown; sentAt: number; duplicate: boolean; held?: true }
  | { i: number; t: number; kind: 'drop'; from: string; to: string; message: unknown; sentAt: number; reason: 'loss' | 'partition' | 'crashed'; duplicate: boolean }
  | { i: number; t: number; kind: 'timer'; node: string }
  | { i: number; t: number; kind: 'crash'; node: string; cause?: string }
  | { i: number; t: number; kind: 'restart'; node: string }
  | { i: number; t: number; kind: 'pause'; node: string; until: number | null }
  | { i: number; t: number; kind: 'resume'; node: string; since: number; messages: number; timers: number }
  | { i: number; t: number; kind: 'partition'; description: string }
  | { i: number; t: number; kind: 'heal' }
  | { i: number; t: number; kind: 'log'; node: string; text: string };

export interface RecordedFault {
  /** 'loss': a burst of message loss (from the simulation's fault schedule; the trace has no event for it). */
  kind: 'partition' | 'pause' | 'down' | 'loss';
  nodes: string[];
  from: number;
  /** null: it lasted to the end of the run. */
  to: number | null;
  label: string;
}

export interface RecordedOp {
  id: number;
  client: string;
  /** How the test's model writes it, e.g. `x: read → "v1"`. */
  text: string;
  input: unknown;
  output: unknown;
  callTime: number;
  /** null: no reply came (unknown outcome). */
  returnTime: number | null;
}

export interface RecordedLinearizability {
  verdict: 'linearizable' | 'not-linearizable' | 'unknown';
  /** Ids of the failing partition's operations (e.g. one key's), of the longest valid order found, and of those that cannot follow it. */
  ops: number[];
  longest: number[];
  stuck: number[];
  /** How the model was chosen: the test's own, or inferred when the test failed before checking. */
  model: 'the check' | 'inferred';
}

export interface RunRecord {
  version: typeof RECORD_VERSION;
  exercise: string;
  /** The check (test title) that failed, and its enclosing describe blocks. */
  check: string;
  checkPath: string[];
  /** The scenario's seed, and the suite's (`verify --seed`) that replays it. */
  seed: number;
  suiteSeed: number | null;
  message: string;
  /** ISO time of the recording (real time: when verify ran). */
  recordedAt: string;
  nodes: string[];
  /** Other endpoints of the trace (clients). */
  clients: string[];
  /** When the violation happened (true ms), and the nodes it names. */
  violation: { t: number; nodes: string[] };
  /** The trace up to the violation; the first `omittedEvents` were left out to keep the file small. */
  events: RecordedEvent[];
  omittedEvents: number;
  faults: RecordedFault[];
  /** Each node's ctx.log notes (and the test's notes on its lane), in time order. */
  notes: Record<string, Array<{ t: number; text: string }>>;
  /** The shrunk schedule, as a numbered story, when the failure was shrunk. */
  schedule?: string[];
  history?: { ops: RecordedOp[]; linearizability?: RecordedLinearizability };
}

/** Where an exercise's last failing run is kept, in a workspace's state folder (`.learn-ds`). */
export function failuresDir(stateDir: string): string {
  return join(stateDir, FAILURES_DIR);
}

export function recordFile(dir: string, exercise: string): string {
  return join(dir, `${exercise}.json`);
}

/**
 * A folder a run may be recorded in: `<workspace>/.learn-ds/failures`, never anything else (so a
 * stray variable can never make a hidden run write into learn-ds's own folders).
 */
export function isFailuresDir(dir: string): boolean {
  return basename(dir) === FAILURES_DIR && basename(dirname(dir)) === '.learn-ds';
}

/**
 * The record file's stamp (modification time and size), undefined when there is none: a run recorded
 * a failing run when the stamp after it differs from the one before. (Comparing its time with the
 * run's start needed slack for coarse file times, and a record written just before the run then
 * passed for the run's own.)
 */
export function recordStamp(file: string): string | undefined {
  try {
    const s = statSync(file);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return undefined;
  }
}

export type ReadResult = { ok: true; record: RunRecord } | { ok: false; reason: 'missing' | 'unreadable'; detail: string };

export async function readRecord(file: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { ok: false, reason: 'missing', detail: file } : { ok: false, reason: 'unreadable', detail: String(error) };
  }
  try {
    const record = JSON.parse(text) as RunRecord;
    if (record?.version !== RECORD_VERSION || !Array.isArray(record.events) || !Array.isArray(record.nodes)) {
      return { ok: false, reason: 'unreadable', detail: 'it was written by another version of learn-ds' };
    }
    return { ok: true, record };
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: (error as Error).message };
  }
}

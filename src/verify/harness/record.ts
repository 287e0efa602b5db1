/**
 * Saves the failing simulated run of a hidden run for `learn-ds explain`: the trace, the fault
 * periods, each node's notes, and for checks over client histories the history and what the
 * linearizability checker makes of it. Runs in the vitest child, only when `verify` named a
 * workspace folder for it ($LEARN_DS_FAILURES_DIR); anything that goes wrong here is swallowed:
 * a recording never changes a verdict.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { expect } from 'vitest';
import { faultPeriods } from '../../sim/fault-periods.ts';
import { recentHistories, type History, type Operation } from '../../sim/history.ts';
import { checkLinearizable, kvModel, recentChecks, type Model } from '../../sim/checkers/linearizability.ts';
import { SimulationViolation, type Simulation } from '../../sim/simulation.ts';
import type { TraceEvent } from '../../sim/types.ts';
import { ENV } from '../protocol.ts';
import {
  RECORD_VERSION, isFailuresDir, recordFile,
  type RecordedEvent, type RecordedLinearizability, type RecordedOp, type RunRecord,
} from '../../report/explain/run-record.ts';

/** The trace kept: the last events before the violation (a file of 1–2 MB at most, written in tens of ms). */
export const MAX_EVENTS = 10_000;
/** Search steps for the history's check when recording (the check itself already ran): tens of ms at most. */
const RECORD_STEPS = 200_000;

export interface FailedRun {
  error: unknown;
  /** The failure's message as the learner reads it. */
  message: string;
  seed: number;
  sim: Simulation<any, any> | undefined;
  /** The shrunk schedule's story, when the failure was shrunk. */
  schedule?: readonly string[];
}

/** This run (one verify): the first failing check of a run is the one kept. */
function runKey(): string {
  return createHash('sha256').update(`${process.env[ENV.report] ?? ''}`).digest('hex').slice(0, 16);
}

/** Saves `run` if verify asked for it; never throws. */
export function recordFailedRun(run: FailedRun): void {
  const dir = process.env[ENV.failures];
  const exerciseDir = process.env[ENV.exerciseDir];
  if (!dir || !exerciseDir || !run.sim || !isFailuresDir(dir) || !existsSync(dirname(dir))) return;
  try {
    const file = recordFile(dir, basename(exerciseDir));
    const key = runKey();
    if (existsSync(file) && sameRun(file, key)) return;
    const record = { ...buildRecord(run, basename(exerciseDir)), run: key };
    mkdirSync(dir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, toJson(record));
    renameSync(temp, file);
  } catch {
    // A record lost costs `learn-ds explain` its data, never the verdict.
  }
}

function sameRun(file: string, key: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { run?: string }).run === key;
  } catch {
    return false;
  }
}

/** JSON with what JSON cannot say made readable: bigints as text, Infinity as null. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : v));
}

const finite = (t: number): number | null => (Number.isFinite(t) ? t : null);

function recordEvent(e: TraceEvent, i: number): RecordedEvent {
  if (e.kind === 'pause') return { ...e, i, until: finite(e.until) };
  return { ...e, i } as RecordedEvent;
}

export function buildRecord(run: FailedRun, exercise: string): RunRecord {
  const sim = run.sim!;
  const violation = run.error instanceof SimulationViolation ? { t: run.error.time, nodes: [...run.error.nodes] } : { t: sim.now, nodes: [] };
  const trace = sim.trace;
  const start = Math.max(0, trace.length - MAX_EVENTS);
  const nodes = [...sim.ids];
  const endpoints = new Set<string>();
  for (const e of trace) if (e.kind === 'deliver' || e.kind === 'drop') endpoints.add(e.from).add(e.to);
  const clients = [...endpoints].filter((id) => !nodes.includes(id)).sort();
  const notes: RunRecord['notes'] = {};
  for (const e of trace) if (e.kind === 'log') (notes[e.node] ??= []).push({ t: e.t, text: e.text });
  const name = (expect.getState().currentTestName ?? '').split(' > ');
  const suiteSeed = Number(process.env[ENV.seed]);
  const history = historyOf(trace, violation.t);
  return {
    version: RECORD_VERSION,
    exercise,
    check: name.at(-1) ?? '',
    checkPath: name.slice(0, -1),
    seed: run.seed,
    suiteSeed: Number.isSafeInteger(suiteSeed) ? suiteSeed : null,
    message: run.message,
    recordedAt: new Date().toISOString(),
    nodes,
    clients,
    violation,
    events: trace.slice(start).map((e, k) => recordEvent(e, start + k)),
    omittedEvents: start,
    faults: [...faultPeriods(trace, nodes).map((f) => ({ ...f, to: f.to ?? null })), ...lossBursts(sim, nodes)].sort((a, b) => a.from - b.from),
    notes,
    ...(run.schedule ? { schedule: [...run.schedule] } : {}),
    ...(history ? { history: recordHistory(history) } : {}),
  };
}

/** Bursts of message loss, which leave no event in the trace: from the simulation's fault schedule (src/sim/schedule.ts). */
function lossBursts(sim: Simulation<any, any>, nodes: string[]): RunRecord['faults'] {
  return sim.faults.steps.flatMap((step) => step.suppressed ? [] : step.parts.flatMap((p) =>
    p.kind === 'loss' && p.to > p.inEffectBefore
      ? [{ kind: 'loss' as const, nodes: [...nodes], from: step.at, to: p.end ?? null, label: `${Math.round(p.to * 100)}% of messages lost` }]
      : []));
}

/**
 * The failing run's client history, among the last ones made (a shrinking makes one per run): the
 * newest whose operations all began by the violation, whose every answered operation was answered
 * in this trace (a reply delivered to its client at its return time), and of which at least one
 * operation is in this trace (answered, or its request seen leaving at its call time).
 */
function historyOf(trace: readonly TraceEvent[], until: number): History<any, any> | undefined {
  const answers = new Set<string>();
  const requests = new Set<string>();
  for (const e of trace) {
    if (e.kind === 'deliver') answers.add(`${e.to}\u0000${e.t}`);
    if (e.kind === 'deliver' || e.kind === 'drop') requests.add(`${e.from}\u0000${e.sentAt}`);
  }
  const answered = (op: Operation<any, any>) => answers.has(`${op.client}\u0000${op.returnTime}`);
  for (let i = recentHistories.length - 1; i >= 0; i--) {
    const ops = recentHistories[i]!.ops;
    if (!ops.every((op) => op.callTime <= until && (!Number.isFinite(op.returnTime) || answered(op)))) continue;
    if (ops.some((op) => Number.isFinite(op.returnTime) || requests.has(`${op.client}\u0000${op.callTime}`))) return recentHistories[i];
  }
  return undefined;
}

function isKvInput(input: unknown): boolean {
  const i = input as { key?: unknown; kind?: unknown } | null;
  return typeof i?.key === 'string' && (i.kind === 'read' || i.kind === 'write' || i.kind === 'cas');
}

/** The model the check used on this history, else a key-value model when the operations fit one. */
function modelFor(history: History<any, any>): { ops: readonly Operation<any, any>[]; model: Model<any, any, any>; from: RecordedLinearizability['model'] } | undefined {
  const mine = new Set(history.ops);
  for (let i = recentChecks.length - 1; i >= 0; i--) {
    const checked = recentChecks[i]!;
    if (checked.history.length > 0 && checked.history.every((op) => mine.has(op))) return { ops: checked.history, model: checked.model, from: 'the check' };
  }
  const plain = (o: unknown) => o === undefined || o === null || typeof o === 'boolean' || (typeof o === 'string' && !o.startsWith('\u0000'));
  if (history.ops.every((op) => isKvInput(op.input) && plain(op.output))) return { ops: history.ops, model: kvModel<unknown>(null), from: 'inferred' };
  return undefined;
}

function recordHistory(history: History<any, any>): NonNullable<RunRecord['history']> {
  const chosen = modelFor(history);
  const describe = chosen?.model.describe ?? ((op: Operation<any, any>) => `${JSON.stringify(op.input)} → ${JSON.stringify(op.output) ?? '?'}`);
  const ops: RecordedOp[] = history.ops.map((op) => ({
    id: op.id, client: op.client, text: describe(op), input: op.input, output: op.output, callTime: op.callTime, returnTime: finite(op.returnTime),
  }));
  if (!chosen) return { ops };
  const result = checkLinearizable(chosen.ops, chosen.model, { maxSteps: RECORD_STEPS });
  const ids = (list: readonly Operation<any, any>[]) => list.map((op) => op.id);
  const linearizability: RecordedLinearizability = result.ok
    ? { verdict: 'linearizable', ops: [], longest: [], stuck: [], model: chosen.from }
    : { verdict: result.verdict, ops: ids(result.ops), longest: ids(result.longest), stuck: ids(result.stuck), model: chosen.from };
  return { ops, linearizability };
}

/**
 * Time limits that measure the learner's code, not the machine: a hidden run may use `cpuMs` of CPU
 * time (all processes of the child's group, their threads included, read from /proc a few times a
 * second), and a much larger wall-clock backstop ends a run that barely gets the processor. On a
 * machine whose other work keeps every core busy a correct solution still passes; an infinite loop
 * is cut once it has burnt the limit, however slowly it got there.
 * Where /proc is missing (not Linux), the limit is wall-clock time, as it always was.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';

export interface TimeLimits {
  /** CPU time the run's processes may use, in ms (Infinity where it cannot be measured). */
  cpuMs: number;
  /** Real time after which the run is ended whatever it used, in ms. */
  wallMs: number;
}

/** How a run that was ended by a limit had used its time. */
export interface LimitHit {
  by: 'cpu' | 'wall';
  cpuMs: number;
  wallMs: number;
  /** Time the run's threads spent ready to run but waiting for a core (undefined if unknown). */
  waitingMs?: number;
}

/** Linux's clock tick (USER_HZ), the unit of /proc/<pid>/stat's times: 100 on every common build. */
const TICK_MS = 10;

export const cpuMeasurable = existsSync('/proc/self/stat');

/** The wall-clock backstop of a run whose CPU limit is `timeoutMs`: generous, it is not the real limit. */
export function backstopMs(timeoutMs: number): number {
  return Math.max(6 * timeoutMs, timeoutMs + 60_000);
}

/** The limits of a run whose exercise (or --timeout) allows `timeoutMs`. */
export function limitsFor(timeoutMs: number, measurable = cpuMeasurable): TimeLimits {
  return measurable ? { cpuMs: timeoutMs, wallMs: backstopMs(timeoutMs) } : { cpuMs: Infinity, wallMs: timeoutMs };
}

/**
 * vitest's own per-test and per-hook limits (wall clock): above what a correct solution needs on a
 * busy machine, below the backstop, so that a test stuck on a promise fails alone, with its name.
 */
export function testTimeoutMs(timeoutMs: number, measurable = cpuMeasurable): number {
  return Math.ceil(limitsFor(timeoutMs, measurable).wallMs / 2);
}

/** Process group and CPU ticks (own + reaped children) from the text of /proc/<pid>/stat. */
export function parseStat(text: string): { pgrp: number; ticks: number } | undefined {
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(fields[2]);
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return Number.isFinite(pgrp) && Number.isFinite(ticks) ? { pgrp, ticks } : undefined;
}

/** The processes of group `pgid` (a scan of /proc). */
export function pidsOf(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (parseStat(readFileSync(`/proc/${entry}/stat`, 'utf8'))?.pgrp === pgid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** CPU time used so far by every process of group `pgid` (threads included), in ms. */
export function groupCpuMs(pgid: number, pids = pidsOf(pgid)): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      // A pid of the last scan may since belong to another process.
      if (stat?.pgrp === pgid) ticks += stat.ticks;
    } catch {
      // gone meanwhile
    }
  }
  return ticks * TICK_MS;
}

/** Time the live threads of group `pgid` spent waiting for a core (schedstat), in ms; undefined if unknown. */
export function groupWaitingMs(pgid: number): number | undefined {
  let ns = 0;
  let known = false;
  for (const pid of pidsOf(pgid)) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const waited = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
        if (Number.isFinite(waited)) {
          ns += waited;
          known = true;
        }
      } catch {
        // gone meanwhile, or no schedstat on this kernel
      }
    }
  }
  return known ? ns / 1e6 : undefined;
}

/**
 * Watches one run: polls the CPU time of the group it follows and calls `onHit` once, when the CPU
 * limit or the backstop is reached. The group may change (the warm runner's child is replaced);
 * `follow` says which group to count and what it had used before the run began.
 */
export class RunLimit {
  private readonly started = performance.now();
  private readonly poller: NodeJS.Timeout;
  private readonly backstop: NodeJS.Timeout;
  private pgid: number | undefined;
  private baselineMs = 0;
  /** CPU time of earlier groups of this run, and of the current one when last read. */
  private earlierMs = 0;
  private currentMs = 0;
  private hit: LimitHit | undefined;
  /** The group's processes as last scanned: /proc is scanned again every 8th poll (2 s). */
  private pids: number[] = [];
  private polls = 0;

  constructor(
    private readonly limits: TimeLimits,
    private readonly onHit: (hit: LimitHit) => void,
    pollMs = 250,
  ) {
    this.poller = setInterval(() => this.poll(), pollMs);
    this.backstop = setTimeout(() => this.end('wall'), limits.wallMs);
  }

  /** Counts group `pgid` from now on, less the `baselineMs` of CPU it had used before this run. */
  follow(pgid: number | undefined, baselineMs = 0): void {
    if (pgid === this.pgid) return;
    this.earlierMs += this.currentMs;
    this.currentMs = 0;
    this.pgid = pgid;
    this.baselineMs = baselineMs;
    this.pids = [];
  }

  /** CPU time this run has used so far, in ms. */
  get cpuMs(): number {
    return this.earlierMs + this.currentMs;
  }

  /** What ended the run, if a limit did. */
  get reached(): LimitHit | undefined {
    return this.hit;
  }

  private poll(): void {
    if (this.pgid === undefined || !Number.isFinite(this.limits.cpuMs)) return;
    // Processes the learner's code starts join the group: a rescan now and then finds them.
    if (this.pids.length === 0 || this.polls++ % 8 === 0) this.pids = pidsOf(this.pgid);
    const total = groupCpuMs(this.pgid, this.pids);
    // A group that has ended reads as nothing: keep what it had used.
    if (total > 0) this.currentMs = Math.max(this.currentMs, total - this.baselineMs);
    if (this.cpuMs >= this.limits.cpuMs) this.end('cpu');
  }

  private end(by: LimitHit['by']): void {
    if (this.hit) return;
    if (this.pgid !== undefined && Number.isFinite(this.limits.cpuMs)) {
      const total = groupCpuMs(this.pgid);
      if (total > 0) this.currentMs = Math.max(this.currentMs, total - this.baselineMs);
    }
    const waitingMs = by === 'wall' && this.pgid !== undefined ? groupWaitingMs(this.pgid) : undefined;
    this.hit = { by, cpuMs: this.cpuMs, wallMs: performance.now() - this.started, ...(waitingMs === undefined ? {} : { waitingMs }) };
    this.stop();
    this.onHit(this.hit);
  }

  stop(): void {
    clearInterval(this.poller);
    clearTimeout(this.backstop);
  }
}

/**
 * The verifier daemon's socket and messages. One daemon per user and learn-ds install, listening
 * on a Unix socket in a folder only that user can open (a request names a file to import and run,
 * so nobody else may send one). Messages are JSON, one per line.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../package-paths.ts';
import type { SuiteOutcome, SuiteRequest } from '../run-suite.ts';
import type { PreflightProblem } from '../preflight.ts';
import type { RunProgress } from '../progress.ts';
import type { TypeProblems } from '../typecheck.ts';

/** LEARN_DS_DAEMON=0 turns the daemon off (as `verify --no-daemon` does), =1 on even where CI is set. */
export const DAEMON_ENV = 'LEARN_DS_DAEMON';
/** How long the daemon waits, idle, before it exits (seconds; default 10 minutes). */
export const IDLE_ENV = 'LEARN_DS_DAEMON_IDLE_SECONDS';
export const DEFAULT_IDLE_SECONDS = 600;

/** Whether `verify` goes through the daemon: on, except when turned off or in CI (one-shot runs). */
export function daemonEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const setting = env[DAEMON_ENV];
  if (setting === '0' || setting === 'false' || setting === 'off') return false;
  if (setting === '1' || setting === 'true' || setting === 'on') return true;
  return !env.CI;
}

export function idleMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env[IDLE_ENV]);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_IDLE_SECONDS) * 1000;
}

/** The folder of the daemon's socket: private to this user (created 0700, checked). */
export function socketDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_RUNTIME_DIR || tmpdir();
  const dir = join(base, `learn-ds-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const s = statSync(dir);
  if ((process.getuid && s.uid !== process.getuid()) || (s.mode & 0o077) !== 0) throw new Error(`${dir} is not private to this user`);
  return dir;
}

/** This install's socket (paths of Unix sockets are short: a hash names the install). */
export function socketPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(socketDir(env), `${createHash('sha256').update(packageRoot).digest('hex').slice(0, 12)}.sock`);
}

/** The part of a SuiteRequest that travels (no AbortSignal). */
export type RunRequest = Omit<SuiteRequest, 'signal' | 'demo' | 'onProgress'>;

export type ClientMessage =
  /**
   * Run one hidden suite; `version` and `exercise` are fingerprints (fingerprint.ts). With
   * `shownFile`, the learner's file is first checked as verify's preflight would (preflight.ts,
   * its messages naming the file so), and a problem is the answer instead of a run.
   */
  | { type: 'run'; version: string; exercise: string; request: RunRequest; shownFile?: string }
  /** Type-check the learner's file (absolute path) as typecheck.ts's cold check would, but warm. */
  | { type: 'typecheck'; version: string; file: string }
  /** Exit now (learn-ds stop). */
  | { type: 'stop' };

export type DaemonMessage =
  /** The daemon serves another learn-ds (changed code, Node or environment): it exits; start a new one. */
  | { type: 'stale' }
  /** The run is queued; `warm` when a started vitest awaits it (no start-up to pay). */
  | { type: 'accepted'; warm: boolean; pid: number }
  /** How far the run has got (progress.ts), each time it changes. */
  | { type: 'progress'; progress: RunProgress }
  | { type: 'outcome'; outcome: SuiteOutcome }
  /** The preflight found a problem in the learner's file: no run. */
  | { type: 'preflight'; problem: PreflightProblem }
  /** A typecheck's answer; null when the check could not run (the client then checks cold). */
  | { type: 'types'; types: TypeProblems | null }
  | { type: 'stopped'; pid: number };

/** Splits a stream into JSON messages, one per line. */
export function lineReader(onMessage: (message: unknown) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.trim()) continue;
      try {
        onMessage(JSON.parse(line));
      } catch {
        // not a message: ignored
      }
    }
  };
}

/**
 * A vitest reporter that runs inside the verifier's child process and writes one RawReport as JSON.
 * It writes only at the end of a normal run, so a child that dies early (process.exit, a kill
 * after a timeout) leaves no report, which the parent reads as a failure, never a pass.
 */
import { writeFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import type { UserConsoleLog } from 'vitest';
import type { Reporter, TestModule, TestCase, TestSpecification, SerializedError } from 'vitest/node';
import { ENV, type RawError, type RawReport, type RawTest } from './protocol.ts';
import { refusedImports } from './import-guard.ts';
import { PrintedLog } from './printed.ts';
import { writeProgress } from './progress.ts';

function toRawError(error: SerializedError | undefined): RawError {
  if (!error) return { name: 'Error', message: 'unknown error' };
  const e = error as SerializedError & { learnerDetail?: unknown; nonError?: boolean };
  const raw: RawError = {
    name: typeof e.name === 'string' && e.name ? e.name : 'Error',
    message: stripVTControlCharacters(typeof e.message === 'string' ? e.message : String(e.message)),
  };
  if (typeof e.stack === 'string') raw.stack = e.stack;
  if (typeof e.learnerDetail === 'string') raw.detail = e.learnerDetail;
  return raw;
}

function suitePath(test: TestCase): string[] {
  const path: string[] = [];
  for (let p = test.parent; p.type === 'suite'; p = p.parent) path.unshift(p.name);
  return path;
}

function toRawTest(test: TestCase): RawTest {
  const path = suitePath(test);
  const result = test.result();
  const raw: RawTest = {
    name: test.name,
    path,
    state: result.state,
    errors: (result.errors ?? []).map(toRawError),
    durationMs: test.diagnostic()?.duration ?? 0,
  };
  const { picture, figures, sometimes } = test.meta() as { picture?: unknown; figures?: RawTest['figures']; sometimes?: RawTest['sometimes'] };
  if (typeof picture === 'string') raw.picture = picture;
  if (Array.isArray(figures) && figures.length > 0) raw.figures = figures;
  if (Array.isArray(sometimes) && sometimes.length > 0) raw.sometimes = sometimes;
  return raw;
}

export default class LearnDsReporter implements Reporter {
  private readonly printed = new PrintedLog();

  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    refusedImports().length = 0;
    this.printed.reset();
    // The run's progress starts here, before any worker: how many test files it has (progress.ts).
    const out = process.env[ENV.report];
    if (out) writeProgress(out, { files: specifications.length, filesDone: 0, checks: 0, checksDone: 0 });
  }

  onUserConsoleLog(log: UserConsoleLog): void {
    this.printed.add(log.content, log.type, log.taskId);
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>): void {
    const out = process.env[ENV.report];
    if (!out) return;
    const report: RawReport = {
      version: 1,
      complete: true,
      tests: modules.flatMap((m) => [...m.children.allTests()].map(toRawTest)),
      moduleErrors: modules.flatMap((m) => m.errors().map(toRawError)),
      unhandledErrors: unhandled.map(toRawError),
    };
    const names = new Map<string, string>();
    for (const m of modules) for (const t of m.children.allTests()) names.set(t.id, [...suitePath(t), t.name].join(' › '));
    const printed = this.printed.take((id) => names.get(id));
    if (printed.lines.length > 0) report.printed = printed;
    this.printed.reset();
    const refused = refusedImports().splice(0);
    if (refused.length > 0) report.refusedImports = refused;
    writeFileSync(out, JSON.stringify(report));
  }
}

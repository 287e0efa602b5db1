/**
 * Turns what happened in a verification (preflight, the child's report, how the child ended) into
 * the verdict a learner reads. Pure: no I/O, so every bad-input case is tested without a process.
 * A pass needs positive evidence: a complete report, at least one test, every check passed and a
 * clean exit. Anything else (a crash, process.exit, a timeout, a missing report) is a failure.
 */
import { stripVTControlCharacters } from 'node:util';
import type { PreflightProblem } from './preflight.ts';
import type { RawError, RawFigure, RawTest } from './protocol.ts';
import type { SuiteOutcome } from './run-suite.ts';
import type { Printed } from './printed.ts';

export interface Check {
  name: string;
  passed: boolean;
  /** For a failed check: what was expected and what the code did. */
  message: string | null;
  /** Extra lines under the message: a timeline, a counterexample, a code frame. */
  detail?: string;
  /** Performance figures the check measured, shown under it whether it passed or not. */
  figures?: RawFigure[];
}

export interface Verdict {
  exercise: string;
  passed: boolean;
  checks: Check[];
  seed: number;
  /** Set when the run was cut short by the user (Ctrl-C); such a verdict is never recorded. */
  interrupted?: boolean;
  /** What the learner's code printed (console.*), the first lines with their checks. */
  printed?: Printed;
}

export interface JudgeInput {
  exercise: string;
  /** The learner's file as shown in messages (relative where possible). */
  shownFile: string;
  /** The learner's file's absolute path, to find its frames in stack traces. */
  subjectFile: string;
  exports: readonly string[];
  seed: number;
  timeoutMs: number;
  preflight: PreflightProblem | null;
  outcome?: SuiteOutcome;
}

const PROCESS_EXIT = /process\.exit unexpectedly called with "?([^"]*)"?/;

function loadsCheckName(exports: readonly string[]): string {
  return `your file loads and exports ${exports.map((e) => `\`${e}\``).join(', ')}`;
}

/** The first place in the learner's file that a stack trace passes through, as "file:line:col". */
export function learnerFrame(stack: string | undefined, subjectFile: string, shownFile: string): string | undefined {
  if (!stack) return undefined;
  for (const line of stack.split('\n')) {
    const at = line.indexOf(subjectFile);
    if (at === -1) continue;
    const m = /^:(\d+):(\d+)/.exec(line.slice(at + subjectFile.length));
    if (m) return `${shownFile}:${m[1]}:${m[2]}`;
  }
  return undefined;
}

function explainError(error: RawError, input: JudgeInput): { message: string; detail?: string } {
  const message = stripVTControlCharacters(error.message).trim();
  const exit = PROCESS_EXIT.exec(message);
  if (exit) {
    return { message: `your code called process.exit(${exit[1] ?? ''}); code under test must return or throw, never end the process` };
  }
  const detail = error.detail === undefined ? undefined : stripVTControlCharacters(error.detail);
  // Written for the learner by the hidden suite or the simulator: shown as it is.
  if (error.name === 'LearnerFailure' || error.name === 'SubjectError' || error.name === 'SimulationViolation') {
    return detail === undefined ? { message } : { message, detail };
  }
  // Anything else was thrown by the learner's code or by a plain assertion: say where.
  const where = learnerFrame(error.stack, input.subjectFile, input.shownFile);
  const text = `${error.name === 'non-Error' ? '' : `${error.name}: `}${message}${where ? ` (at ${where})` : ''}`;
  return detail === undefined ? { message: text } : { message: text, detail };
}

/** The error that best explains a failed test: a process.exit call beats whatever it caused. */
function mainError(errors: readonly RawError[]): RawError | undefined {
  return errors.find((e) => PROCESS_EXIT.test(e.message)) ?? errors[0];
}

function testCheck(test: RawTest, input: JudgeInput): Check {
  const check = testOutcome(test, input);
  return test.figures?.length ? { ...check, figures: test.figures } : check;
}

function testOutcome(test: RawTest, input: JudgeInput): Check {
  const name = [...test.path, test.name].join(' › ');
  if (test.state === 'passed') return { name, passed: true, message: null };
  const error = mainError(test.errors);
  if (!error) {
    return { name, passed: false, message: test.state === 'skipped' ? 'this check was skipped' : 'this check did not finish' };
  }
  return { name, passed: false, ...explainError(error, input) };
}

function failed(input: JudgeInput, name: string, message: string, detail?: string): Verdict {
  const check: Check = detail === undefined ? { name, passed: false, message } : { name, passed: false, message, detail };
  return { exercise: input.exercise, passed: false, checks: [check], seed: input.seed };
}

const secondsOf = (ms: number) => Math.round(ms / 100) / 10;

/**
 * A run ended by a limit. The CPU limit means the code itself kept the processor busy; the
 * wall-clock backstop, with the CPU limit not reached, means the run barely got the processor
 * (a busy machine) or waited for something that never came: the threads' time spent waiting for a
 * core tells which, where the kernel says.
 */
function timedOut(input: JudgeInput, outcome: SuiteOutcome): Verdict {
  const seconds = secondsOf(input.timeoutMs);
  const during = outcome.runningTest ? ` while checking "${outcome.runningTest}"` : '';
  const hit = outcome.limit;
  if (!hit || hit.by === 'cpu') {
    const what = hit ? `used ${seconds} s of CPU time` : `timed out after ${seconds} s`;
    return failed(input, `finishes within ${seconds} s`, `${what}${during}: is there an infinite loop, or a wait that never ends?`);
  }
  const wall = secondsOf(hit.wallMs);
  const cpu = secondsOf(hit.cpuMs);
  const more = `allow more time with \`--timeout ${Math.min(600, Math.ceil(seconds * 3))}\` (seconds of CPU time; the default is the exercise's ${seconds})`;
  const waitedForCore = hit.waitingMs === undefined || hit.waitingMs >= Math.max(hit.cpuMs, hit.wallMs / 10);
  if (waitedForCore) {
    return failed(
      input,
      `finishes within ${secondsOf(hit.wallMs)} s of real time`,
      `the machine is busy: in ${wall} s the checks got only ${cpu} s of CPU time${during}, which says nothing against your code. ` +
        `Close some busy programs and verify again, or ${more}`,
    );
  }
  return failed(
    input,
    `finishes within ${secondsOf(hit.wallMs)} s of real time`,
    `stopped after ${wall} s of waiting${during}, having used only ${cpu} s of CPU time: is your code waiting for something that ` +
      `never comes (a real timer, a promise nothing resolves)? If the machine is only slow, ${more}`,
  );
}

export function judge(input: JudgeInput): Verdict {
  const verdict = judgeChecks(input);
  const printed = input.outcome?.report?.printed;
  return printed && printed.lines.length > 0 ? { ...verdict, printed } : verdict;
}

function judgeChecks(input: JudgeInput): Verdict {
  const loads = loadsCheckName(input.exports);
  if (input.preflight) {
    const p = input.preflight;
    const detail = p.kind === 'syntax' ? `  ${p.line} | ${p.lineText}\n  ${' '.repeat(String(p.line).length)} | ${' '.repeat(Math.max(0, p.column - 1))}^` : undefined;
    return failed(input, loads, p.message, detail);
  }
  const outcome = input.outcome;
  if (!outcome) return failed(input, loads, 'the hidden tests did not run');
  if (outcome.interrupted) {
    return { ...failed(input, 'verification finished', 'interrupted before the tests finished'), interrupted: true };
  }
  if (outcome.timedOut) return timedOut(input, outcome);
  const report = outcome.report;
  if (!report) {
    const exit = PROCESS_EXIT.exec(outcome.outputTail);
    const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.exitCode ?? 'unknown'}`;
    const message = exit
      ? `your code called process.exit(${exit[1] ?? ''}) and ended the test run`
      : `the test process ${how} before the tests finished; does your code end the process or crash Node?`;
    const tail = stripVTControlCharacters(outcome.outputTail).trim().split('\n').slice(-8).join('\n');
    return failed(input, 'the hidden tests ran to the end', message, tail || undefined);
  }
  // Borrowing learn-ds's own answers explains every other failure: it is the one to show.
  if (report.refusedImports?.length) return failed(input, loads, report.refusedImports[0]!);
  if (report.moduleErrors.length > 0) {
    return failed(input, loads, explainError(mainError(report.moduleErrors)!, input).message);
  }
  if (report.tests.length === 0) {
    return failed(input, 'the hidden tests ran', 'no check ran: the hidden suite is empty or broken (a learn-ds bug, not yours)');
  }
  const checks: Check[] = [{ name: loads, passed: true, message: null }, ...report.tests.map((t) => testCheck(t, input))];
  if (report.unhandledErrors.length > 0) {
    const { message, detail } = explainError(report.unhandledErrors[0]!, input);
    const more = report.unhandledErrors.length > 1 ? ` (and ${report.unhandledErrors.length - 1} more)` : '';
    checks.push({
      name: 'no unhandled errors or rejections',
      passed: false,
      message: `your code left an error that nothing handled${more}: ${message}`,
      ...(detail === undefined ? {} : { detail }),
    });
  }
  const allPassed = checks.every((c) => c.passed);
  if (allPassed && outcome.exitCode !== 0) {
    checks.push({
      name: 'the hidden tests ran to the end',
      passed: false,
      message: `the test process exited with code ${outcome.exitCode ?? 'unknown'} although every check passed`,
    });
  }
  return { exercise: input.exercise, passed: checks.every((c) => c.passed), checks, seed: input.seed };
}

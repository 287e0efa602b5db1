/** Renders a verdict for the terminal: one line per check, and for a failure what to do next. */
import type { Verdict } from '../verify/verdict.ts';
import { FAIL, PASS, indent, style } from './style.ts';

export interface VerdictContext {
  /** The learner's file, as shown. */
  file: string;
  /** The command that replays this exact run. */
  replay: string;
}

/**
 * One mistake often fails several checks (a rule a simulation checks in every scenario), and a
 * detail can be a 30-row timeline: so a message already shown is not repeated, and only the first
 * detail is shown in full, to keep the verdict near one screen (`--json` has everything).
 */
export function renderVerdict(verdict: Verdict, ctx: VerdictContext): string {
  const lines: string[] = [style.bold(`Verifying ${verdict.exercise} (${ctx.file})`), ''];
  const shownMessages = new Set<string>();
  let detailShown = false;
  for (const check of verdict.checks) {
    if (check.passed) {
      lines.push(`  ${style.green(PASS)} ${check.name}`);
      continue;
    }
    lines.push(`  ${style.red(FAIL)} ${check.name}`);
    if (check.message && shownMessages.has(check.message)) {
      lines.push(style.dim('      (the same failure as above)'));
      continue;
    }
    if (check.message) {
      shownMessages.add(check.message);
      lines.push(style.yellow(indent(check.message, '      ')));
    }
    if (check.detail && !detailShown) {
      detailShown = true;
      lines.push(style.dim(indent(check.detail, '      ')));
    } else if (check.detail) {
      lines.push(style.dim('      (details left out: fix the first failure first, or see them all with --json)'));
    }
  }
  lines.push('');
  const failed = verdict.checks.filter((c) => !c.passed).length;
  if (verdict.passed) {
    lines.push(style.green.bold(`All ${verdict.checks.length} checks passed.`));
  } else if (verdict.interrupted) {
    lines.push(style.yellow('Interrupted: nothing was recorded.'));
  } else {
    lines.push(style.red.bold(`${failed} of ${verdict.checks.length} checks failed.`));
    lines.push(style.dim(`seed ${verdict.seed} · replay this exact run: ${ctx.replay}`));
  }
  return lines.join('\n');
}

/** The JSON shape of `verify --json`. */
export function verdictJson(verdict: Verdict): string {
  const { exercise, passed, checks, seed } = verdict;
  return JSON.stringify(
    {
      exercise,
      passed,
      checks: checks.map((c) => ({ name: c.name, passed: c.passed, message: c.detail ? `${c.message}\n${c.detail}` : c.message })),
      seed,
    },
    null,
    2,
  );
}

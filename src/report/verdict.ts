/** Renders a verdict for the terminal: one line per check, and for a failure what to do next. */
import type { Verdict } from '../verify/verdict.ts';
import type { Printed } from '../verify/printed.ts';
import type { TypeProblems } from '../verify/typecheck.ts';
import wrapAnsi from 'wrap-ansi';
import { FAIL, PASS, indent, style } from './style.ts';
import { figureWithin, formatFigure } from './figures.ts';

export interface VerdictContext {
  /** The learner's file, as shown. */
  file: string;
  /** The command that replays this exact run. */
  replay: string;
  /** The terminal's width: names and messages are wrapped at word boundaries to fit (details, e.g. timelines, are not). */
  width?: number;
}

/**
 * `text` wrapped at word boundaries to `width` (if known), after `prefix`; a wrapped line's
 * continuation rows keep that line's own indentation, so listings in a message stay aligned.
 */
function wrapped(text: string, prefix: string, width: number | undefined): string {
  if (width === undefined || width <= prefix.length + 20) return indent(text, prefix);
  const rows = text.split('\n').flatMap((line) => {
    const own = /^ */.exec(line)![0];
    const room = Math.max(10, width - prefix.length - own.length);
    return wrapAnsi(line.slice(own.length), room, { hard: true }).split('\n').map((row) => own + row);
  });
  return indent(rows.join('\n'), prefix);
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
    const name = wrapped(check.name, '    ', ctx.width).slice(4);
    lines.push(check.passed ? `  ${style.green(PASS)} ${name}` : `  ${style.red(FAIL)} ${name}`);
    // Measured figures, under the check whether it passed or not: `messages per broadcast 18.2 (limit 30)`.
    for (const f of check.figures ?? []) lines.push((figureWithin(f) ? style.dim : style.yellow)(`      ${formatFigure(f)}`));
    if (check.passed) continue;
    if (check.message && shownMessages.has(check.message)) {
      lines.push(style.dim('      (the same failure as above)'));
      continue;
    }
    if (check.message) {
      shownMessages.add(check.message);
      lines.push(style.yellow(wrapped(check.message, '      ', ctx.width)));
    }
    if (check.detail && !detailShown) {
      detailShown = true;
      lines.push(style.dim(indent(check.detail, '      ')));
    } else if (check.detail) {
      lines.push(style.dim('      (details left out: fix the first failure first, or see them all with --json)'));
    }
  }
  // After the checks, before the summary: watch keeps a long verdict's summary on screen (fitVerdict).
  if (verdict.printed) lines.push('', renderPrinted(verdict.printed));
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

/**
 * What the learner's code printed, after the verdict: grouped by the check during which it was
 * printed, the first lines only, then how many more there were.
 */
export function renderPrinted(printed: Printed): string {
  const lines = [style.bold('Your code printed:')];
  let group: string | null | undefined;
  for (const line of printed.lines) {
    if (line.check !== group) {
      group = line.check;
      lines.push(style.dim(group === null ? '  while loading (outside any check):' : `  during "${group}":`));
    }
    const text = line.stream === 'stderr' ? style.yellow(line.text) : line.text;
    lines.push(`    ${style.dim('│')} ${text}`);
  }
  if (printed.leftOut > 0) {
    lines.push(style.dim(`  … and ${printed.leftOut} more line${printed.leftOut === 1 ? '' : 's'} (only the first ${printed.lines.length} are kept)`));
  }
  return lines.join('\n');
}

/** The JSON shape of `verify --json`. */
export function verdictJson(verdict: Verdict, typeErrors?: TypeProblems): string {
  const { exercise, passed, checks, seed } = verdict;
  return JSON.stringify(
    {
      exercise,
      passed,
      checks: checks.map((c) => ({
        name: c.name, passed: c.passed, message: c.detail ? `${c.message}\n${c.detail}` : c.message, ...(c.figures ? { figures: c.figures } : {}),
      })),
      seed,
      printed: { lines: verdict.printed?.lines ?? [], leftOut: verdict.printed?.leftOut ?? 0 },
      ...(typeErrors ? { typeErrors } : {}),
    },
    null,
    2,
  );
}

/** Type errors in the learner's files, after the verdict (the checks ran regardless). */
export function renderTypeProblems(types: TypeProblems): string {
  const lines = [style.bold(`TypeScript finds ${types.total} type error${types.total === 1 ? '' : 's'} in your code (your editor shows the same; the checks above ran regardless):`)];
  for (const p of types.problems) {
    const [first, ...rest] = p.message.split('\n');
    lines.push(`  ${style.cyan(`${p.file}:${p.line}:${p.column}`)} ${first}`);
    for (const more of rest.slice(0, 2)) lines.push(style.dim(`    ${more.trim()}`));
  }
  if (types.total > types.problems.length) lines.push(style.dim(`  … and ${types.total - types.problems.length} more`));
  return lines.join('\n');
}

/** Renders `doctor`'s checks: one ✓/✗ line each, and under each ✗ what to do. */
import type { CheckResult } from '../doctor/checks.ts';
import { FAIL, PASS, indent, style } from './style.ts';

export function renderChecks(results: readonly CheckResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    if (r.status === 'ok') lines.push(`${style.green(PASS)} ${r.name}: ${r.detail}`);
    else if (r.status === 'skip') lines.push(style.dim(`- ${r.name}: skipped (${r.detail})`));
    else {
      lines.push(`${style.red(FAIL)} ${r.name}: ${r.detail}`);
      if (r.fix) lines.push(style.yellow(indent(`fix: ${r.fix}`, '    ')));
    }
  }
  const failures = results.filter((r) => r.status === 'fail').length;
  lines.push('', failures === 0 ? style.green('Everything learn-ds needs is in place.') : style.red(`${failures} problem${failures > 1 ? 's' : ''} found.`));
  return lines.join('\n');
}

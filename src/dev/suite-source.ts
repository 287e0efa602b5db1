/**
 * Which checks of a hidden suite mention a text in their own source: where a mutant's `expect`
 * text is written in a check's failure message rather than in its name, this finds the check a
 * proof can run alone (prove.ts) instead of running the suite from the top until one names it.
 * A guess that only saves time: a proof whose targeted run does not name the mistake runs the
 * whole suite, so a wrong or missed guess costs a run, never a verdict.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A `test(…)`/`it(…)` whose title is a plain string (no `${…}`): its indent and its title. */
const DECLARATION = /^(\s*)(?:test|it)(?:\.(?:concurrent|sequential|only|fails))*\(\s*(['"`])((?:\\.|(?!\2)[^\\])*)\2/;

function unescape(title: string): string {
  return title.replace(/\\(.)/g, '$1');
}

/**
 * The titles of the checks in `source` whose body (from their declaration to the line that closes
 * it, found by indentation as the suites are formatted) contains `text`, case-insensitive.
 */
export function checksMentioning(source: string, text: string): string[] {
  const lines = source.split('\n');
  const wanted = text.toLowerCase();
  const found: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = DECLARATION.exec(lines[i]!);
    if (!m || (m[2] === '`' && m[3]!.includes('${'))) continue;
    const indent = m[1]!.length;
    let end = i + 1;
    // A check written on one line ends there; any other ends at the first line indented no deeper.
    while (!/\);\s*$/.test(lines[i]!) && end < lines.length) {
      const line = lines[end]!;
      end++;
      if (line.trim() !== '' && line.length - line.trimStart().length <= indent) break;
    }
    if (lines.slice(i, end).join('\n').toLowerCase().includes(wanted)) found.push(unescape(m[3]!));
  }
  return found;
}

/** The same over every module of a hidden suite folder (its test files and the checks they import). */
export function suiteChecksMentioning(testsDir: string, text: string): string[] {
  let files: string[];
  try {
    files = readdirSync(testsDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  } catch {
    return [];
  }
  return files.flatMap((f) => checksMentioning(readFileSync(join(testsDir, f), 'utf8'), text));
}

/** Whether a verdict's check name (describe titles, then its own, joined by ' › ') is that of a title. */
export function isCheckTitled(name: string, title: string): boolean {
  return name === title || name.endsWith(` › ${title}`);
}

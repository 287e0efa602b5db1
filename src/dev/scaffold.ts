/**
 * `npm run new`: the files of a new exercise, each with the parts the rules ask for and a
 * placeholder (marked SCAFFOLD) wherever the author has to write. Pure: answers in, files out.
 * Nothing here is rejected by the catalog, so the exercise shows in `learn-ds list` at once, and
 * `npm run check` lists every placeholder left as a rule still to satisfy.
 */
import { CHAPTERS, citableSections } from '../catalog/chapters.ts';
import type { Manifest } from '../catalog/manifest.ts';
import { createMutantPatch } from './mutants.ts';
import { PLACEHOLDER, VERIFY_LINE } from './rules.ts';

export interface NewExercise {
  id: string;
  title: string;
  chapter: number;
  /** One of the chapter's citable sections; undefined cites the chapter alone. */
  section: string | undefined;
  difficulty: Manifest['difficulty'];
  /** Runtime exports: functions the learner writes. */
  exports: string[];
  /** Position within the chapter. */
  order: number;
}

/** What is wrong with the answers, one line each (empty: they are fine). */
export function newExerciseProblems(answers: NewExercise, existingIds: readonly string[]): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(answers.id)) problems.push(`id "${answers.id}": lower-case words joined by hyphens, like "retry-backoff"`);
  if (existingIds.includes(answers.id)) problems.push(`id "${answers.id}": an exercise of that name exists`);
  if (!answers.title.trim()) problems.push('title: must not be empty');
  const chapter = CHAPTERS.get(answers.chapter);
  if (!chapter) problems.push(`chapter ${answers.chapter}: the book has chapters 1 to 34`);
  else if (!chapter.part) problems.push(`chapter ${answers.chapter} "${chapter.title}" belongs to no part of the book: exercises practise chapters 2 to 33`);
  else if (answers.section !== undefined && !citableSections(chapter).includes(answers.section)) {
    const sections = citableSections(chapter);
    problems.push(
      sections.length
        ? `section "${answers.section}": chapter ${chapter.number} has ${sections.map((s) => `"${s}"`).join(', ')} (or none, to cite the chapter alone)`
        : `section "${answers.section}": chapter ${chapter.number} has no sections; cite the chapter alone`,
    );
  }
  if (!['easy', 'medium', 'hard'].includes(answers.difficulty)) problems.push(`difficulty "${answers.difficulty}": easy, medium or hard`);
  if (answers.exports.length === 0) problems.push('exports: name at least one');
  for (const name of answers.exports) if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) problems.push(`export "${name}": must be an identifier`);
  return problems;
}

/** "quorum-kv" → "quorumKv": a first export's name when none is given. */
export function camelCase(id: string): string {
  return id.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The files of the exercise, by path from the package root. */
export function scaffoldFiles(a: NewExercise): Record<string, string> {
  const chapter = CHAPTERS.get(a.chapter)!;
  const manifest = {
    id: a.id,
    title: a.title,
    chapter: { number: chapter.number, title: chapter.title },
    part: chapter.part,
    ...(a.section === undefined ? {} : { section: a.section }),
    order: a.order,
    difficulty: a.difficulty,
    file: `${a.id}.ts`,
    exports: a.exports,
    timeoutSeconds: 10,
    hints: [
      `${PLACEHOLDER}: a first, gentle nudge (markdown)`,
      `${PLACEHOLDER}: a second, more precise hint`,
      `${PLACEHOLDER}: a third, nearly the answer`,
    ],
  };
  const citation = `*Understanding Distributed Systems*, chapter ${chapter.number} "${chapter.title}"${a.section ? `, section "${a.section}"` : ''}.`;
  const signatures = a.exports.map((name) => `export function ${name}(input: string): string;`).join('\n');
  const statement = [
    `# ${a.title}`,
    '',
    citation,
    '',
    `${PLACEHOLDER}: why this piece exists in a real system, in a short paragraph.`,
    '',
    '## The contract',
    '',
    '```ts',
    signatures,
    '```',
    '',
    `${PLACEHOLDER}: the rules, as numbered points. State every limit exactly ("less than", "at least",`,
    '"rounded down"): the checks test each one at its edge.',
    '',
    '## Example',
    '',
    `${PLACEHOLDER}: a short example, in code.`,
    '',
    '## What the checks look at',
    '',
    `${PLACEHOLDER}: what the hidden checks check, exactly as they check it.`,
    '',
    VERIFY_LINE,
    '',
  ].join('\n');
  const body = (what: (name: string) => string) =>
    a.exports.map((name) => [`/** ${PLACEHOLDER}: what \`${name}\` does, in the contract's words. */`, `export function ${name}(input: string): string {`, `  ${what(name)}`, '}'].join('\n')).join('\n\n');
  const starter = `${body((name) => `throw new Error('TODO: write ${name}');`)}\n`;
  const reference = `${body(() => `throw new Error('${PLACEHOLDER}: write the reference solution');`)}\n`;
  const first = a.exports[0]!;
  const suite = [
    `// The hidden suite of ${a.id}: one test per rule of the statement. A test's name is the check's name`,
    '// the learner reads: phrase it as the behaviour required. Failure messages say what was expected',
    '// and what the code did, with values (exercises/README.md, "The hidden suite").',
    "import { test } from 'vitest';",
    "import { check, show } from 'learn-ds/harness';",
    `import { ${a.exports.join(', ')} } from 'learn-ds/subject/${a.id}';`,
    '',
    `test('${PLACEHOLDER}: returns its input unchanged', () => {`,
    `  const result = ${first}('x');`,
    `  check(result === 'x', () => \`${first}('x') returned \${show(result)}; expected 'x'\`);`,
    '});',
    '',
  ].join('\n');
  const mutant = createMutantPatch(
    a.id,
    `// mistake: ${PLACEHOLDER}: the classic mistake this wrong solution makes, in a sentence\n// expect: ${PLACEHOLDER}: text the failing check's name or message contains\n`,
    reference,
    reference.replace(`throw new Error('${PLACEHOLDER}: write the reference solution');`, 'return input;'),
  );
  return {
    [`exercises/${a.id}/exercise.json`]: `${JSON.stringify(manifest, null, 2)}\n`,
    [`exercises/${a.id}/README.md`]: statement,
    [`exercises/${a.id}/starter.ts`]: starter,
    [`exercises/${a.id}/tests/${a.id}.test.ts`]: suite,
    [`exercises/${a.id}/mutants/example.patch`]: mutant,
    [`solutions/${a.id}.ts`]: reference,
  };
}

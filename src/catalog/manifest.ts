/**
 * The manifest of one exercise (`exercises/<id>/exercise.json`): what the catalog, the workspace
 * and the verifier need to know about it. Validated on load; a broken one is an error naming its file.
 * (valibot rather than zod: it loads in a few milliseconds, and `learn-ds list` must start fast.)
 */
import * as v from 'valibot';
import { CHAPTERS, PARTS, citableSections, type Chapter } from './chapters.ts';

const nonEmpty = v.pipe(v.string(), v.minLength(1, 'must not be empty'));

export const manifestSchema = v.strictObject({
  id: v.pipe(v.string(), v.regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case words joined by hyphens')),
  title: nonEmpty,
  chapter: v.strictObject({ number: v.pipe(v.number(), v.integer()), title: nonEmpty }),
  part: v.picklist(PARTS),
  /**
   * The book's section this exercise practises, exactly as src/catalog/chapters.ts lists it
   * ("Retry", or "Retry: Exponential backoff" for a sub-section); left out to cite the chapter alone.
   */
  section: v.optional(nonEmpty),
  /** Position within its chapter. */
  order: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
  difficulty: v.picklist(['easy', 'medium', 'hard']),
  file: v.pipe(v.string(), v.regex(/^[a-z0-9-]+\.ts$/, 'must be a file name like "retry-backoff.ts", without folders')),
  /** Runtime exports the hidden suite needs (not types). */
  exports: v.pipe(v.array(v.pipe(v.string(), v.regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, 'must be an identifier'))), v.minLength(1)),
  /** Hard limit of the whole hidden run. */
  timeoutSeconds: v.optional(v.pipe(v.number(), v.minValue(1), v.maxValue(120)), 10),
  /**
   * For the few exercises whose checks take longer than the usual few seconds (the capstone runs a
   * cluster under faults): about how long verify takes with a correct solution on the standard
   * machine, and what it is doing. verify says so before it starts and shows its progress.
   */
  longVerify: v.optional(
    v.strictObject({
      seconds: v.pipe(v.number(), v.integer(), v.minValue(5), v.maxValue(60)),
      what: nonEmpty,
    }),
  ),
  hints: v.pipe(v.array(nonEmpty), v.minLength(1, 'needs at least one hint')),
});

export type Manifest = v.InferOutput<typeof manifestSchema>;

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** What the schema cannot say: the chapter must be the book's, with its title and part. */
function bookProblems(m: Manifest): string[] {
  const chapter = CHAPTERS.get(m.chapter.number);
  if (!chapter) return [`chapter.number: there is no chapter ${m.chapter.number} in the book (1-34)`];
  const problems: string[] = [];
  if (chapter.title !== m.chapter.title) problems.push(`chapter.title: chapter ${chapter.number} is "${chapter.title}"`);
  if (chapter.part !== m.part) problems.push(`part: chapter ${chapter.number} belongs to part "${chapter.part ?? 'none'}"`);
  const section = sectionProblem(chapter, m.section);
  if (section) problems.push(section);
  return problems;
}

/** A cited section must be one of the chapter's headings, written exactly as the book writes it. */
function sectionProblem(chapter: Chapter, section: string | undefined): string | undefined {
  if (section === undefined) return undefined;
  const cite = `chapter ${chapter.number} "${chapter.title}"`;
  const known = citableSections(chapter);
  if (known.length === 0) {
    return `section: ${cite} has no sections: remove "section" to cite the chapter alone`;
  }
  if (known.includes(section)) return undefined;
  const sameWords = known.find((k) => k.toLowerCase() === section.toLowerCase());
  const fix = sameWords
    ? `write it "${sameWords}"`
    : `use one of ${known.map((k) => `"${k}"`).join(', ')}, or remove "section" to cite the chapter alone`;
  return `section: ${cite} has no section "${section}": ${fix}`;
}

/** Parses and validates a manifest's text; `file` is only used to name it in errors. */
export function parseManifest(text: string, file: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  const result = v.safeParse(manifestSchema, json);
  const problems = result.success
    ? bookProblems(result.output)
    : result.issues.map((issue) => `${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`);
  if (problems.length > 0) {
    throw new ManifestError(`${file}: invalid exercise manifest\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return result.output as Manifest;
}

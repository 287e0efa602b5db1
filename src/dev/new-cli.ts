/**
 * `npm run new -- <id> [--title T] [--chapter N] [--section S | --no-section] [--difficulty D] [--exports a,b]`
 * Scaffolds exercises/<id>/ and solutions/<id>.ts (scaffold.ts). On a terminal, what the flags
 * leave out is asked (the chapter and the section chosen from the book's list); elsewhere the flags
 * must say it all. Then `npm run check -- <id>` lists what remains to write.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { exerciseFolders, readExercise } from '../catalog/catalog.ts';
import { CHAPTERS, citableSections } from '../catalog/chapters.ts';
import { exercisesDir, packageRoot } from '../package-paths.ts';
import { camelCase, newExerciseProblems, scaffoldFiles, type NewExercise } from './scaffold.ts';

interface Flags {
  title?: string;
  chapter?: number;
  /** A string, or false for --no-section (the chapter alone). */
  section?: string | false;
  difficulty?: NewExercise['difficulty'];
  exports?: string[];
}

const CHAPTER_ALONE = '(the chapter alone)';

/** The next free position in a chapter: after every exercise it has. */
function nextOrder(chapter: number): number {
  let order = 0;
  for (const name of exerciseFolders(exercisesDir)) {
    try {
      const e = readExercise(exercisesDir, name);
      if (e.chapter.number === chapter) order = Math.max(order, e.order + 1);
    } catch {
      // a broken neighbour says nothing about the order
    }
  }
  return order;
}

/** Asks, on a terminal, for what the flags left out. */
async function ask(id: string, flags: Flags): Promise<Required<Omit<Flags, 'section'>> & { section: string | undefined }> {
  const { input, select, search } = await import('@inquirer/prompts');
  const title = flags.title ?? (await input({ message: 'Title (as the learner reads it):', validate: (t) => t.trim() !== '' || 'a title is needed' }));
  const chapters = [...CHAPTERS.values()].filter((c) => c.part);
  const chapter =
    flags.chapter ??
    (await search({
      message: 'Chapter of the book (type to filter):',
      source: (term) =>
        chapters
          .filter((c) => !term || `${c.number} ${c.title}`.toLowerCase().includes(term.toLowerCase()))
          .map((c) => ({ name: `${c.number} ${c.title} (${c.part})`, value: c.number })),
    }));
  const sections = citableSections(CHAPTERS.get(chapter)!);
  const section =
    flags.section === false
      ? undefined
      : flags.section ??
        (sections.length === 0
          ? undefined
          : await select({ message: 'Section it practises:', choices: [...sections, CHAPTER_ALONE].map((s) => ({ name: s, value: s })) }));
  const difficulty =
    flags.difficulty ??
    (await select({ message: 'Difficulty:', choices: (['easy', 'medium', 'hard'] as const).map((d) => ({ name: d, value: d })) }));
  const exports =
    flags.exports ??
    (await input({ message: 'Exports the learner writes (comma-separated):', default: camelCase(id) })).split(',').map((e) => e.trim()).filter(Boolean);
  return { title, chapter, section: section === CHAPTER_ALONE ? undefined : section, difficulty, exports };
}

const chapterNumber = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('a chapter number, 2 to 33');
  return n;
};

const program = new Command('new')
  .description('scaffold a new exercise: exercises/<id>/ and solutions/<id>.ts')
  .argument('<id>', 'the exercise id: lower-case words joined by hyphens')
  .option('--title <title>', "the title, as the learner reads it")
  .option('--chapter <n>', "the book's chapter (2-33)", chapterNumber)
  .option('--section <section>', 'a section of the chapter, exactly as src/catalog/chapters.ts lists it')
  .option('--no-section', 'cite the chapter alone')
  .option('--difficulty <level>', 'easy, medium or hard')
  .option('--exports <names>', 'runtime exports, comma-separated', (v: string) => v.split(',').map((e) => e.trim()).filter(Boolean))
  .action(async (id: string, flags: Flags) => {
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    if (!interactive) {
      const missing = (['title', 'chapter', 'difficulty'] as const).filter((k) => flags[k] === undefined);
      if (missing.length > 0) program.error(`not on a terminal: give ${missing.map((m) => `--${m}`).join(', ')} (and --section or --no-section)`, { exitCode: 2 });
    }
    const partial = interactive
      ? await ask(id, flags)
      : { title: flags.title!, chapter: flags.chapter!, section: flags.section || undefined, difficulty: flags.difficulty!, exports: flags.exports ?? [camelCase(id)] };
    const answers: NewExercise = { id, ...partial, order: nextOrder(partial.chapter) };
    const problems = newExerciseProblems(answers, exerciseFolders(exercisesDir));
    if (problems.length > 0) program.error(problems.join('\n'), { exitCode: 2 });
    const files = scaffoldFiles(answers);
    const existing = Object.keys(files).filter((f) => existsSync(join(packageRoot, f)));
    if (existing.length > 0) program.error(`${existing.join(', ')} exist already`, { exitCode: 2 });
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(packageRoot, path)), { recursive: true });
      writeFileSync(join(packageRoot, path), text);
      console.log(`  wrote ${path}`);
    }
    console.log(`\n${id} is in the catalog. Every SCAFFOLD placeholder is yours to write; see what remains with\n  npm run check -- ${id}`);
  });

await program.parseAsync();

/**
 * The rules every shipped exercise follows, in one place: `npm run check` reports them with the
 * fix, and the project's self-tests (test/exercises.test.ts, test/catalog.test.ts) assert them, so
 * the two cannot drift apart. exercises/README.md lists them from RULES.
 *
 * Rules come in three kinds, by what they need: the files alone (fileFindings, fast), the type
 * checker (typecheck.ts), and real runs of the hidden suite (proofFindings, on a Proof from prove.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { readExercise, type Exercise } from '../catalog/catalog.ts';
import { citableSections } from '../catalog/chapters.ts';
import { names, PROOF_TIMEOUT_SECONDS, proveExercise, type Proof, type ProofOptions } from './prove.ts';
import { isBroken, loadMutants } from './mutants.ts';
import type { Verdict } from '../verify/verdict.ts';
import type { SuiteRunner } from '../verify/verify.ts';
import { WarmSuiteRunner } from '../verify/warm/warm-runner.ts';

export const RULES = {
  manifest: 'exercise.json is valid: an id like its folder, the book\'s chapter with its title and part, a section the chapter has (or none, to cite the chapter alone)',
  files: 'the exercise has README.md, starter.ts, a hidden suite tests/*.test.ts and a reference solutions/<id>.ts',
  hints: 'at least 3 hints, from a nudge to nearly the answer',
  'statement-title': 'README.md starts with `# <title>`, the manifest\'s title',
  'statement-citation': 'its third line cites the book exactly as the manifest does: *Understanding Distributed Systems*, chapter N "Title", section "Section" (the section left out for a chapter cited alone), then a full stop or a bracket',
  'statement-parts': 'it has the sections `## The contract` (with a ```ts block naming every export), `## Example` and `## What the checks look at`, in that order',
  'statement-end': 'it ends with the line Run `npx learn-ds verify` when you are ready.',
  'imports-by-name': 'no file of the exercise imports through ../ out of its folder: the harness, the kit and the learner\'s exports are imported by name (learn-ds/harness, learn-ds/sim, learn-ds/subject/<id>)',
  'subject-exports': 'the runtime names the hidden suite and the demo import from learn-ds/subject/<id> are in the manifest\'s exports (types may come from the reference freely)',
  scaffold: 'nothing `npm run new` left to write remains: no SCAFFOLD placeholder in any file',
  mutants: 'at least 5 mutants, each headed `// mistake:` and `// expect:`; a patch applies to the reference',
  typecheck: 'the starter, the reference, the hidden suite, the demo and every mutant (patches applied) type-check under the project\'s strict tsconfig',
  'reference-passes': 'the reference passes on every seed, with more than 3 checks',
  'starter-fails': 'the starter loads (its first check, the exports, passes) and fails',
  'mutants-fail': 'every mutant loads, fails on every seed, and a failing check\'s name or message contains its `expect` text',
  demo: 'a demo (if any) draws its pictures (each more than two lines) with the reference; with the starter it draws what the starter does or names the TODO that stops it',
} as const;

export type RuleId = keyof typeof RULES;

export interface Finding {
  rule: RuleId;
  /** What is wrong, with values. */
  problem: string;
  /** What to do about it. */
  fix: string;
}

const MIN_HINTS = 3;
const MIN_MUTANTS = 5;
const MIN_CHECKS = 4;
export const VERIFY_LINE = 'Run `npx learn-ds verify` when you are ready.';
/** The word that marks, in a scaffolded exercise (scaffold.ts), what the author has still to write. */
export const PLACEHOLDER = 'SCAFFOLD';
export const STATEMENT_SECTIONS = ['## The contract', '## Example', '## What the checks look at'] as const;

/** The citation line a statement must start its third line with. */
export function citationOf(exercise: Pick<Exercise, 'chapter' | 'section'>): string {
  const { number, title } = exercise.chapter;
  return `*Understanding Distributed Systems*, chapter ${number} "${title}"${exercise.section ? `, section "${exercise.section}"` : ''}`;
}

function statementFindings(exercise: Exercise): Finding[] {
  const text = readFileSync(exercise.readmePath, 'utf8');
  const lines = text.split('\n');
  const found: Finding[] = [];
  if (lines[0] !== `# ${exercise.title}`) {
    found.push({ rule: 'statement-title', problem: `README.md starts with ${JSON.stringify(lines[0] ?? '')}`, fix: `make its first line "# ${exercise.title}" (the manifest's title)` });
  }
  const cited = citationOf(exercise);
  const line = lines[2] ?? '';
  const rest = line.slice(cited.length);
  // More may follow the citation after a full stop or in brackets.
  if (!line.startsWith(cited) || !/^[.(]| \(/.test(rest)) {
    const sections = citableSections(exercise.chapterInfo);
    found.push({
      rule: 'statement-citation',
      problem: `line 3 of README.md reads ${JSON.stringify(line)}`,
      fix: `start it with ${cited}. (after a blank line 2)${sections.length ? `; to cite another section, set the manifest's "section" to one of ${sections.map((s) => `"${s}"`).join(', ')}` : ''}`,
    });
  }
  let at = 0;
  for (const heading of STATEMENT_SECTIONS) {
    const isIt = (l: string) => l === heading || (heading === '## The contract' && l === '## Contract');
    const here = lines.findIndex((l, i) => i >= at && isIt(l));
    if (here >= 0) {
      at = here + 1;
      continue;
    }
    const order = `in the order ${STATEMENT_SECTIONS.join(', ')}`;
    found.push(
      lines.some(isIt)
        ? { rule: 'statement-parts', problem: `README.md has "${heading}" before the section it should follow`, fix: `put the sections ${order}` }
        : { rule: 'statement-parts', problem: `README.md has no "${heading}" section`, fix: `add "${heading}" (${order})` },
    );
  }
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const unnamed = exercise.exports.filter((name) => !blocks.some((b) => new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`).test(b)));
  if (unnamed.length > 0) {
    found.push({ rule: 'statement-parts', problem: `no \`\`\`ts block of README.md shows ${unnamed.map((n) => `\`${n}\``).join(', ')}`, fix: 'give the exact exported signatures in a ```ts block under "## The contract"' });
  }
  const last = lines.filter((l) => l.trim() !== '').at(-1) ?? '';
  if (last !== VERIFY_LINE) {
    found.push({ rule: 'statement-end', problem: `README.md ends with ${JSON.stringify(last)}`, fix: `end it with the line ${VERIFY_LINE}` });
  }
  return found;
}

/** The TypeScript files of an exercise that learn-ds's own code wrote: its suite, demo, starter, mutants. */
export function exerciseSources(exercise: Pick<Exercise, 'dir'>): string[] {
  const walk = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
      : [];
  return walk(exercise.dir);
}

export interface ImportedName {
  /** The module specifier, as written. */
  from: string;
  /** Runtime names imported (not `type` ones); '*' for a namespace import or a bare `import '…'`. */
  names: string[];
  line: number;
}

/**
 * The static imports and re-exports of a source file. A small scanner rather than a parser: the
 * files it reads are learn-ds's own, formatted by one hand, and it must load fast.
 */
export function importsOf(source: string): ImportedName[] {
  const out: ImportedName[] = [];
  // An import clause never holds a semicolon: the match cannot run on into the next statement.
  const re = /^(import|export)\s+(type\s+)?([^;]*?)\s*from\s*['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) {
    const line = source.slice(0, m.index).split('\n').length;
    if (m[5]) {
      out.push({ from: m[5], names: ['*'], line });
      continue;
    }
    if (m[2]) {
      out.push({ from: m[4]!, names: [], line });
      continue;
    }
    const clause = m[3]!;
    const names: string[] = [];
    const braces = /\{([\s\S]*)\}/.exec(clause);
    if (braces) {
      for (const part of braces[1]!.split(',').map((p) => p.trim()).filter(Boolean)) {
        if (part.startsWith('type ')) continue;
        names.push(part.split(/\s+as\s+/)[0]!.trim());
      }
    }
    const outside = clause.replace(/\{[\s\S]*\}/, '').replace(/,/g, ' ').trim();
    if (outside.includes('*')) names.push('*');
    else if (outside && m[1] === 'import') names.push('default');
    out.push({ from: m[4]!, names, line });
  }
  return out;
}

function importFindings(exercise: Exercise): Finding[] {
  const found: Finding[] = [];
  const subject = `learn-ds/subject/${exercise.id}`;
  for (const file of exerciseSources(exercise)) {
    const shown = relative(dirname(exercise.dir), file);
    const isMutantOrStarter = file === exercise.starterPath || file.includes(`${sep}mutants${sep}`);
    for (const imp of importsOf(readFileSync(file, 'utf8'))) {
      if (imp.from.startsWith('.') && !resolve(dirname(file), imp.from).startsWith(exercise.dir + sep)) {
        found.push({
          rule: 'imports-by-name',
          problem: `${shown}:${imp.line} imports ${JSON.stringify(imp.from)}, out of the exercise's folder`,
          fix: 'import by name: learn-ds/harness (checks, time, randomness), learn-ds/sim (the simulator), learn-ds/subject/' + exercise.id + ' (the learner\'s exports)',
        });
      }
      if (!imp.from.startsWith('learn-ds/subject/')) continue;
      if (isMutantOrStarter) {
        found.push({ rule: 'subject-exports', problem: `${shown}:${imp.line} imports ${imp.from}`, fix: 'a learner\'s file stands alone: it cannot import the subject' });
        continue;
      }
      if (imp.from !== subject) {
        found.push({ rule: 'subject-exports', problem: `${shown}:${imp.line} imports ${imp.from}`, fix: `a suite judges its own exercise: import from ${subject}` });
        continue;
      }
      const missing = imp.names.filter((n) => !exercise.exports.includes(n));
      if (missing.length > 0) {
        found.push({
          rule: 'subject-exports',
          problem: `${shown}:${imp.line} imports ${missing.map((n) => (n === '*' ? 'the whole module' : `\`${n}\``)).join(', ')} from ${subject}, not in the manifest's exports`,
          fix: missing.includes('*') || missing.includes('default')
            ? `import the names one by one (import { … } from '${subject}')`
            : `add ${missing.map((n) => `"${n}"`).join(', ')} to "exports" in exercise.json, or import ${missing.length > 1 ? 'them' : 'it'} with \`type\` if only the type is needed`,
        });
      }
    }
  }
  return found;
}

/** What to write where `npm run new` left a placeholder, by the file's place in the exercise. */
function placeholderFix(shown: string): string {
  if (shown.endsWith('exercise.json')) return 'write the hints (from a nudge to nearly the answer) and check the title';
  if (shown.endsWith('README.md')) return 'write the statement there: why it matters, the rules, an example, what the checks check';
  if (shown.includes('/tests/')) return 'write the hidden checks, one test per rule of the statement';
  if (shown.includes('/mutants/')) return 'make it a real mistake (edit `npm run mutants -- show` output and `save` it), with its header';
  if (shown.startsWith('solutions/')) return 'write the reference solution';
  return 'write the doc comments with the contract\'s words';
}

function placeholderFindings(exercise: Exercise): Finding[] {
  const files = [join(exercise.dir, 'exercise.json'), exercise.readmePath, exercise.solutionPath, ...exerciseSources(exercise), ...mutantFiles(exercise)];
  const found: Finding[] = [];
  for (const file of [...new Set(files)]) {
    if (!existsSync(file)) continue;
    const lines = readFileSync(file, 'utf8').split('\n').flatMap((l, i) => (l.includes(PLACEHOLDER) ? [i + 1] : []));
    if (lines.length === 0) continue;
    const shown = relative(dirname(dirname(exercise.dir)), file);
    found.push({ rule: 'scaffold', problem: `${shown} still has placeholders (line${lines.length > 1 ? 's' : ''} ${lines.join(', ')})`, fix: placeholderFix(shown) });
  }
  return found;
}

function mutantFiles(exercise: Exercise): string[] {
  const dir = join(exercise.dir, 'mutants');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.patch')).map((f) => join(dir, f)) : [];
}

/** The rules that need only the files: fast enough to run on every save. */
export function fileFindings(exercisesDir: string, name: string, solutionsDir?: string): { exercise?: Exercise; findings: Finding[] } {
  let exercise: Exercise;
  try {
    exercise = { ...readExercise(exercisesDir, name, solutionsDir), number: 0 };
  } catch (error) {
    const message = (error as Error).message;
    const missing = /the exercise has no (.+)$/.exec(message);
    return {
      findings: [
        missing
          ? { rule: 'files', problem: `${name} has no ${relative(dirname(exercisesDir), missing[1]!)}`, fix: 'create it (`npm run new` scaffolds every file an exercise needs)' }
          : { rule: 'manifest', problem: message.replace(/^[^:]*exercise\.json: /, 'exercise.json: '), fix: 'correct exercise.json as the message says (src/catalog/chapters.ts lists the chapters and their sections)' },
      ],
    };
  }
  const findings: Finding[] = [];
  const tests = join(exercise.dir, 'tests');
  if (!existsSync(tests) || !readdirSync(tests).some((f) => f.endsWith('.test.ts'))) {
    findings.push({ rule: 'files', problem: `${name} has no hidden suite (tests/*.test.ts)`, fix: `write tests/${name}.test.ts` });
  }
  if (exercise.hints.length < MIN_HINTS) {
    findings.push({ rule: 'hints', problem: `exercise.json has ${exercise.hints.length} hint${exercise.hints.length === 1 ? '' : 's'}`, fix: `give at least ${MIN_HINTS}, from a nudge to nearly the answer` });
  }
  findings.push(...placeholderFindings(exercise), ...statementFindings(exercise), ...importFindings(exercise));
  const mutants = loadMutants(exercise);
  for (const m of mutants) {
    if (!isBroken(m)) continue;
    const [problem, fix] = m.problem.split('. Fix: ');
    findings.push({ rule: 'mutants', problem: problem!, fix: fix ?? 'a mutant is its header, then a patch to the reference or a whole wrong solution (exercises/README.md, "Mutants")' });
  }
  if (mutants.length < MIN_MUTANTS) {
    findings.push({ rule: 'mutants', problem: `${name} has ${mutants.length} mutant${mutants.length === 1 ? '' : 's'}`, fix: `write at least ${MIN_MUTANTS}, one per classic mistake (exercises/README.md, "Mutants")` });
  }
  return { exercise, findings };
}

function seedsOf(verdicts: Verdict[]): string {
  return verdicts.map((v) => v.seed).join(', ');
}

function firstFailure(verdict: Verdict): string {
  const c = verdict.checks.find((x) => !x.passed);
  return c ? `"${c.name}": ${(c.message ?? '').split('\n')[0]}` : '';
}

/** The rules that need runs: what the reference, the starter and each mutant did (prove.ts). */
export function proofFindings(exercise: Exercise, proof: Proof): Finding[] {
  const found: Finding[] = [];
  const replay = (file: string, seed: number) => `node bin/learn-ds.js verify ${exercise.id} --file ${file} --seed ${seed}`;
  for (const v of proof.reference) {
    if (!v.passed) {
      found.push({ rule: 'reference-passes', problem: `the reference fails on seed ${v.seed}: ${firstFailure(v)}`, fix: `make the reference or the suite right; replay: ${replay(`solutions/${exercise.id}.ts`, v.seed)}` });
    } else if (v.checks.length < MIN_CHECKS) {
      found.push({ rule: 'reference-passes', problem: `the hidden suite has ${v.checks.length} checks`, fix: `write more than ${MIN_CHECKS - 1}: one per rule of the statement` });
      break;
    }
  }
  const s = proof.starter;
  if (s.passed) found.push({ rule: 'starter-fails', problem: 'the starter passes', fix: 'its bodies must throw (throw new Error(\'TODO: …\')), and the suite must check behaviour' });
  else if (s.checks[0]?.passed === false) found.push({ rule: 'starter-fails', problem: `the starter does not load: ${firstFailure(s)}`, fix: 'export every name of the manifest\'s "exports" from starter.ts, with the contract\'s signatures' });
  for (const m of proof.mutants) {
    if (isBroken(m)) continue; // reported by fileFindings
    const { mutant, verdicts } = m;
    const shown = relative(dirname(exercise.dir), mutant.source);
    const passed = verdicts.filter((v) => v.passed);
    const unloaded = verdicts.filter((v) => !v.passed && v.checks[0]?.passed === false);
    const unnamed = verdicts.filter((v) => !v.passed && v.checks[0]?.passed !== false && !names(v, mutant.expect));
    if (passed.length > 0) {
      found.push({ rule: 'mutants-fail', problem: `mutant ${mutant.name} passes on seed${passed.length > 1 ? 's' : ''} ${seedsOf(passed)}: the suite misses "${mutant.mistake}"`, fix: `add a check that this mistake fails under every seed (${shown})` });
    }
    if (unloaded.length > 0) {
      found.push({ rule: 'mutants-fail', problem: `mutant ${mutant.name} does not load (seed ${unloaded[0]!.seed}): ${firstFailure(unloaded[0]!)}`, fix: `a mutant is a whole wrong solution that loads: correct ${shown}` });
    }
    if (unnamed.length > 0) {
      const v = unnamed[0]!;
      found.push({
        rule: 'mutants-fail',
        problem: `mutant ${mutant.name} fails on seed${unnamed.length > 1 ? 's' : ''} ${seedsOf(unnamed)} but no failure mentions "${mutant.expect}"; it fails ${firstFailure(v)}`,
        fix: `make the check that catches "${mutant.mistake}" say so, or change the "// expect:" line of ${shown} to text of that check`,
      });
    }
  }
  return found;
}

/**
 * The demo rule: the exercise's demo (if any) draws its pictures with the reference, and with the
 * starter either draws what it does or fails naming its TODOs (what a learner who runs it before
 * writing anything sees). Through `runner`, the proof's warm one in a proof (cold by default).
 */
export async function demoFindings(exercise: Exercise, timeoutSeconds: number, runner?: SuiteRunner): Promise<Finding[]> {
  if (!exercise.demoPath) return [];
  const { runDemo } = await import('../verify/demo.ts');
  const draw = (file: string, shownFile: string) => runDemo({ exercise, file, shownFile, seed: 1, timeoutSeconds }, runner);
  const tryIt = (file: string) => `try: node bin/learn-ds.js run ${exercise.id} --file ${file}`;
  const found: Finding[] = [];
  const reference = await draw(exercise.solutionPath, 'reference');
  const failed = reference.verdict.checks.find((c) => !c.passed);
  const flat = reference.pictures.filter((p) => p.picture.split('\n').length <= 2);
  if (failed) found.push({ rule: 'demo', problem: `demo.ts fails with the reference: "${failed.name}": ${(failed.message ?? '').split('\n')[0]}`, fix: `make the demo run with the reference (${tryIt(`solutions/${exercise.id}.ts`)})` });
  else if (reference.pictures.length === 0) found.push({ rule: 'demo', problem: 'demo.ts draws nothing with the reference', fix: "return a picture from each demo('title', async () => picture)" });
  else if (flat.length > 0) found.push({ rule: 'demo', problem: `demo "${flat[0]!.title}" draws ${flat[0]!.picture.split('\n').length} line(s) with the reference`, fix: 'draw a picture of more than two lines (a chart, a timeline, a table)' });
  const starter = await draw(exercise.starterPath, 'starter');
  const stuck = starter.verdict.checks.filter((c) => !c.passed);
  const starterFile = `exercises/${exercise.id}/starter.ts`;
  if (stuck.length === 0 && starter.pictures.length === 0) {
    found.push({ rule: 'demo', problem: 'demo.ts draws nothing with the starter, and says nothing', fix: `return a picture from each demo, whatever the learner's code does (${tryIt(starterFile)})` });
  } else if (stuck.length > 0 && (starter.pictures.length >= starter.verdict.checks.length || !stuck.some((c) => (c.message ?? '').includes('TODO')))) {
    found.push({ rule: 'demo', problem: `demo.ts with the starter fails without naming its TODO: "${stuck[0]!.name}": ${(stuck[0]!.message ?? '').split('\n')[0]}`, fix: `let the starter's own error (throw new Error('TODO: …')) reach the learner (${tryIt(starterFile)})` });
  }
  return found;
}

/** The rules as a markdown list (`npm run check -- --rules`), as exercises/README.md shows them. */
export function rulesMarkdown(): string {
  return Object.entries(RULES)
    .map(([id, text]) => `- \`${id}\`: ${text}`)
    .join('\n');
}

/** The runs' rules for one exercise: its proof, then its demo, all through one warm runner. */
export async function runFindings(exercise: Exercise, options: ProofOptions): Promise<{ findings: Finding[]; ran: string }> {
  const own = options.runner ? undefined : new WarmSuiteRunner();
  const runner: SuiteRunner = options.runner ?? ((r) => own!.run(r));
  let findings: Finding[];
  let proof: Proof;
  try {
    proof = await proveExercise(exercise, { ...options, runner });
    findings = [...proofFindings(exercise, proof), ...(await demoFindings(exercise, PROOF_TIMEOUT_SECONDS, runner))];
  } finally {
    own?.close();
  }
  const mutants = proof.mutants.filter((m) => !isBroken(m)).length;
  const seeds = (n: number) => `${n} seed${n === 1 ? '' : 's'}`;
  const ran = `reference ${seeds(options.referenceSeeds.length)}, starter, ${mutants} mutant${mutants === 1 ? '' : 's'} × ${seeds(options.mutantSeeds.length)}${exercise.demoPath ? ', demo' : ''}`;
  return { findings, ran };
}

/** Findings as a test's failure message: each rule broken, what is wrong, the fix. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.rule}: ${f.problem}\n  fix: ${f.fix}`).join('\n');
}

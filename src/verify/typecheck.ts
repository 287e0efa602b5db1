/**
 * Type errors in the learner's file, reported after the verdict: a TypeScript workshop should say
 * when the code does not type-check, even where it runs. The check runs beside the hidden tests, in
 * a process of its own at low priority, so that the verdict never waits for it; with the options
 * of the workspace's tsconfig.json (what the learner's editor shows), only for the learner's files.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { packageRoot } from '../package-paths.ts';

export interface TypeProblem {
  /** As shown: the learner's file as they named it, other files of theirs relative to it. */
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface TypeProblems {
  /** The first few. */
  problems: TypeProblem[];
  /** How many there are in all. */
  total: number;
}

export const MAX_TYPE_PROBLEMS = 5;

/** The compiler options (in the child: `ts` and `root` are defined), shared by the cold and warm checks. */
export const OPTIONS_SCRIPT = `
const { options } = ts.convertCompilerOptionsFromJson({
  target: 'ES2023', lib: ['ES2023'], module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true,
  skipLibCheck: true, allowImportingTsExtensions: true, types: ['node'], typeRoots: [root + '/node_modules/@types'],
  paths: { 'learn-ds/sim': [root + '/src/sim/index.ts'], 'fast-check': [root + '/node_modules/fast-check'] },
}, root);
`;

/** Which diagnostics are the learner's, and how they travel (shared by the cold and warm checks). */
export const PROBLEMS_SCRIPT = `
const isTheirs = (fileName) => !fileName.startsWith(root + '/src/') && !fileName.includes('/node_modules/');
const problemsOf = (diagnostics, max) => {
  const theirs = diagnostics.filter((d) => d.file && isTheirs(d.file.fileName));
  const problems = theirs.slice(0, max).map((d) => {
    const at = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    return { file: d.file.fileName, line: at.line + 1, column: at.character + 1, message: ts.flattenDiagnosticMessageText(d.messageText, '\\n') };
  });
  return { problems, total: theirs.length };
};
`;

// Runs in the child (plain CommonJS, so that it needs no TypeScript loader of its own).
const SCRIPT = `
const [tsPath, file, root, max] = process.argv.slice(1);
const ts = require(tsPath);
${OPTIONS_SCRIPT}
${PROBLEMS_SCRIPT}
const program = ts.createProgram([file], options);
process.stdout.write(JSON.stringify(problemsOf(ts.getPreEmitDiagnostics(program), Number(max))));
`;

const requireHere = createRequire(join(packageRoot, 'package.json'));
export const typescript = requireHere.resolve('typescript');
const typescriptVersion = (requireHere('typescript/package.json') as { version: string }).version;

/** An import's file: as written, or the .ts file that a `.js` (or bare) specifier names. */
function existing(path: string): string {
  for (const candidate of [path, path.replace(/\.js$/, '.ts'), `${path}.ts`]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return path;
}

/**
 * What a check's result depends on: the file and its path (errors name it), the .ts files beside
 * it and those it imports by a relative path, followed from file to file (the capstone imports
 * earlier exercises from other chapters' folders), the simulation kit's types and TypeScript's
 * version. Re-verifying an unchanged file (a new seed, the project's own tests) then costs no
 * second check.
 */
export function cacheKey(file: string): string {
  const hash = createHash('sha256').update(resolve(file)).update('\0').update(readFileSync(file)).update(typescriptVersion);
  const stamped = new Set<string>([resolve(file)]);
  const stamp = (path: string) => {
    if (stamped.has(path)) return;
    stamped.add(path);
    try {
      const info = statSync(path);
      hash.update(`${path}:${info.size}:${info.mtimeMs}`);
    } catch {
      hash.update(`${path}:missing`); // an import that appears later changes the key
    }
  };
  const stamps = (dir: string) => {
    try {
      for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) stamp(join(dir, name));
    } catch {
      // unreadable: the key is only less specific
    }
  };
  stamps(dirname(file));
  stamps(join(packageRoot, 'src', 'sim'));
  // Relative imports, followed (bounded: a learner's file imports a few of theirs).
  const queue = [resolve(file)];
  const queued = new Set(queue);
  for (let i = 0; i < queue.length && i < 64; i++) {
    let text: string;
    try {
      text = readFileSync(queue[i]!, 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(/\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = existing(resolve(dirname(queue[i]!), (m[1] ?? m[2])!));
      stamp(target);
      if (!queued.has(target)) {
        queued.add(target);
        queue.push(target);
      }
    }
  }
  return hash.digest('hex').slice(0, 32);
}

const cacheDir = join(packageRoot, 'node_modules', '.cache', 'learn-ds', 'typecheck');

/**
 * Starts type-checking `file` and resolves with its problems, or undefined if the check could
 * not run or took longer than `limitMs` (it is a courtesy: it never fails a verdict). With
 * `viaDaemon`, a verifier daemon that is up checks it warm (daemon/type-checker.ts: the same
 * answers, a fraction of the CPU); without one, or if it fails, the check runs cold here.
 */
export async function startTypeCheck(file: string, shownFile: string, limitMs = 60_000, viaDaemon = false): Promise<TypeProblems | undefined> {
  // Off for the project's own tests of the CLI that do not look at it (a whole tsc program each).
  if (process.env.LEARN_DS_TYPECHECK === '0') return undefined;
  let cached: string | undefined;
  try {
    cached = join(cacheDir, `${cacheKey(file)}.json`);
    const hit = JSON.parse(readFileSync(cached, 'utf8')) as TypeProblems;
    return shownAs(hit, file, shownFile);
  } catch {
    // not checked yet
  }
  const warm = viaDaemon ? await (await import('./daemon/client.ts')).daemonTypeCheck(file, limitMs) : undefined;
  // null: interrupted (Ctrl-C), no check is wanted any more.
  if (warm === null) return undefined;
  const result = warm ?? (await runTypeCheck(file, limitMs));
  if (result && cached) {
    try {
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(cached, JSON.stringify(result));
    } catch {
      // a read-only install checks every time
    }
  }
  return result && shownAs(result, file, shownFile);
}

/** The learner's file as they named it, other files of theirs relative to the current directory. */
function shownAs(result: TypeProblems, file: string, shownFile: string): TypeProblems {
  const shown = (f: string) => (f === file ? shownFile : relative(process.cwd(), f));
  return { total: result.total, problems: result.problems.map((p) => ({ ...p, file: shown(p.file) })) };
}

export function runTypeCheck(file: string, limitMs: number): Promise<TypeProblems | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', SCRIPT, typescript, file, packageRoot, String(MAX_TYPE_PROBLEMS)], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      // Below the hidden tests, which the learner is waiting for.
      if (child.pid !== undefined) setPriority(child.pid, 10);
    } catch {
      // not allowed here: same priority, still in parallel
    }
    // Never keeps learn-ds running: a command that does not wait for it ends it as it exits.
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    const end = () => child.kill('SIGKILL');
    process.once('exit', end);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    // Resolved here, not on 'close': the child and its pipe are unref'd, so once this timer has
    // fired nothing may keep the process alive until 'close', and an awaiting verify would exit
    // without printing its verdict (seen with --json on a starved core).
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(undefined);
    }, limitMs);
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => {
      clearTimeout(timer);
      process.off('exit', end);
      if (code !== 0) return resolve(undefined);
      try {
        resolve(JSON.parse(out) as TypeProblems);
      } catch {
        resolve(undefined);
      }
    });
  });
}

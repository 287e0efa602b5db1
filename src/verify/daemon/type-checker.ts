/**
 * The daemon's warm type check: one long-lived helper process (plain CommonJS, at low priority like
 * the cold check) that keeps TypeScript loaded and the source files it parsed (the lib .d.ts files,
 * @types/node, learn-ds's kit), so that checking the learner's file after an edit costs a new
 * program over mostly parsed, already bound files instead of loading and parsing everything again.
 *
 * - Same answers as the cold check (typecheck.ts): same options, same filter, the learner's files'
 *   diagnostics sorted as getPreEmitDiagnostics sorts them (test/typecheck-warm.test.ts).
 * - Never stale: every file is read again on each check and its parsed form reused only when its
 *   text is unchanged; no old program is reused (its module resolutions could be).
 * - Bounded: one program at a time; parsed files the last program did not use are dropped.
 * - Dies with the daemon: killed on close(), and it exits by itself when its stdin closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { packageRoot } from '../../package-paths.ts';
import { MAX_TYPE_PROBLEMS, OPTIONS_SCRIPT, PROBLEMS_SCRIPT, typescript, type TypeProblems } from '../typecheck.ts';
import { lineReader } from './protocol.ts';

const SERVE_SCRIPT = `
const [tsPath, root, max] = process.argv.slice(1);
const ts = require(tsPath);
${OPTIONS_SCRIPT}
${PROBLEMS_SCRIPT}
const base = ts.createCompilerHost(options);
/** fileName + how it was parsed → its text and SourceFile. */
let parsed = new Map();
const keyOf = (fileName, how) => fileName + '|' + (typeof how === 'object' ? how.languageVersion + ':' + how.impliedNodeFormat : how);
const host = {
  ...base,
  getSourceFile(fileName, how, onError, shouldCreate) {
    const text = base.readFile(fileName);
    const key = keyOf(fileName, how);
    const known = parsed.get(key);
    if (text !== undefined && known && known.text === text) return known.file;
    const file = base.getSourceFile(fileName, how, onError, shouldCreate);
    if (file) parsed.set(key, { text: file.text, file });
    return file;
  },
};
const check = (file) => {
  const program = ts.createProgram([file], options, host);
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const source of program.getSourceFiles()) {
    if (!isTheirs(source.fileName)) continue;
    diagnostics.push(...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source));
  }
  const used = new Set(program.getSourceFiles());
  for (const [key, entry] of parsed) if (!used.has(entry.file)) parsed.delete(key);
  return problemsOf(ts.sortAndDeduplicateDiagnostics(diagnostics), Number(max));
};
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  for (let nl = buffer.indexOf('\\n'); nl >= 0; nl = buffer.indexOf('\\n')) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    let request;
    try {
      request = JSON.parse(line);
      process.stdout.write(JSON.stringify({ id: request.id, result: check(request.file) }) + '\\n');
    } catch {
      if (request) process.stdout.write(JSON.stringify({ id: request.id, result: null }) + '\\n');
    }
  }
});
process.stdin.on('end', () => process.exit(0));
`;

export class WarmTypeChecker {
  private child: ChildProcess | undefined;
  private next = 0;
  private readonly waiting = new Map<number, (result: TypeProblems | undefined) => void>();

  /** The learner's type problems in `file` (absolute), as the cold check finds them; undefined if the check failed. */
  check(file: string, limitMs = 60_000): Promise<TypeProblems | undefined> {
    const child = this.started();
    const id = this.next++;
    return new Promise((resolve) => {
      // A check that never answers (a pathological file) costs the helper: the next check starts a new one.
      const timer = setTimeout(() => this.close(), limitMs);
      this.waiting.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      child.stdin!.write(`${JSON.stringify({ id, file })}\n`);
    });
  }

  /** Ends the helper; checks still waiting get no answer (undefined). */
  close(): void {
    const child = this.child;
    this.child = undefined;
    child?.kill('SIGKILL');
    for (const resolve of this.waiting.values()) resolve(undefined);
    this.waiting.clear();
  }

  private started(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn(process.execPath, ['-e', SERVE_SCRIPT, typescript, packageRoot, String(MAX_TYPE_PROBLEMS)], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    try {
      // Below the hidden tests, which the learner is waiting for.
      if (child.pid !== undefined) setPriority(child.pid, 10);
    } catch {
      // not allowed here: same priority
    }
    child.on('error', () => undefined);
    child.stdin!.on('error', () => undefined);
    child.on('exit', () => {
      if (this.child === child) this.close();
    });
    child.stdout!.setEncoding('utf8').on(
      'data',
      lineReader((raw) => {
        const { id, result } = raw as { id: number; result: TypeProblems | null };
        const resolve = this.waiting.get(id);
        this.waiting.delete(id);
        resolve?.(result ?? undefined);
      }),
    );
    this.child = child;
    return child;
  }
}

/**
 * A `learn-ds watch` session: verifies the exercise's file on every save with the warm verifier,
 * records each verdict in the progress file as `verify` does, redraws the screen, and carries out
 * the single-key commands. Terminal set-up (raw mode, signals) is terminal.ts's job; this class
 * only gets key bytes and writes text, so it runs the same in a test, a benchmark or a terminal.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { Catalog, Exercise } from '../catalog/catalog.ts';
import type { Saved } from '../cli/save.ts';
import { renderList } from '../report/catalog.ts';
import { style } from '../report/style.ts';
import type { Verdict } from '../verify/verdict.ts';
import { preflight } from '../verify/preflight.ts';
import { verify, type PreflightingRunner } from '../verify/verify.ts';
import { WarmSuiteRunner, type WarmTimings } from '../verify/warm/warm-runner.ts';
import { loadProgress, updateProgress } from '../workspace/progress-store.ts';
import { isPassed, markStarted, nextExerciseId, recordAttempt, recordHintSeen, type Progress } from '../workspace/progress.ts';
import { learnerFile, scaffoldExercise, type Workspace } from '../workspace/workspace.ts';
import { watchFile, type FileWatch, type FileWatchOptions } from './file-watch.ts';
import { commandOf, decide, splitKeys, type KeyEffect } from './keys.ts';
import { clampPanelOffset, renderWatchScreen, type WatchBody, type WatchView } from './screen.ts';
import { CMD } from '../command.ts';
import { progressFraction, type RunProgress } from '../verify/progress.ts';

/** A run's progress bar shows once it has gone on this long (at once for an exercise with longVerify). */
const BAR_AFTER_MS = 1_000;

/** How long a run may go on once a newer save waits for it, before it is killed (see cancelSoon). */
export const CANCEL_AFTER_MS = 1_000;

export interface WatchOutput {
  write(text: string): void;
  /** stdout is a terminal: the screen is cleared and redrawn rather than appended to. */
  tty: boolean;
  /** stdin is a terminal in raw mode: keys are read. */
  keys: boolean;
  /** The terminal's size, when it has one: a long verdict is cut to fit. */
  size?: () => { rows: number; columns: number } | undefined;
}

/** Where the time of one save went, for the benchmark. */
export interface VerdictTimings {
  /** performance.now() when the watcher reported the save (after its debounce). */
  startedAt: number;
  /** Preflight, the run and judging. */
  verifyMs: number;
  /** The warm run's own figures (absent when preflight stopped the file). */
  run: WarmTimings | undefined;
  /** Recording the attempt in the progress file. */
  recordMs: number;
}

export interface WatchSessionOptions {
  ws: Workspace;
  catalog: Catalog;
  exercise: Exercise;
  /** Shows a path as the learner would type it. */
  shown: (path: string) => string;
  output: WatchOutput;
  timeoutSeconds?: number;
  fileWatch?: FileWatchOptions;
  /** Called after each verdict is recorded and drawn (benchmark, tests). */
  onVerdict?: (verdict: Verdict, timings: VerdictTimings) => void;
  /** What the CLI does the same way for every command, so that watch says it the same way. */
  cli: WatchCli;
}


export interface WatchCli {
  /** Renders hints as `hint` does. */
  renderHints(hints: readonly string[], from: number, to: number): string;
  /** An exercise's statement as `show` prints it. */
  statement(exercise: Exercise): Promise<string>;
  /** Writes a change of progress as `verify` and `hint` do. */
  save(change: (p: Progress) => Progress): Promise<Saved>;
}

export class WatchSession {
  private exercise: Exercise;
  private file: string;
  private body: WatchBody = { kind: 'starting' };
  /** A verify loop is running (at most one at a time). */
  private running = false;
  /** Shown as "verifying…": a run is under way or about to follow. */
  private verifying = false;
  /** The run under way's progress, drawn as a bar on a terminal (never in a log: one screen per change). */
  private runProgress: { fraction: number; progress: RunProgress } | undefined;
  private panel: { text: string; offset: number } | null = null;
  private notice: string | null = null;
  /** Counts what the learner asked to see (panels, notices): a verdict replaces only older ones. */
  private asked = 0;
  /** The notice stays through the next verdict (it introduces the exercise that verdict is about). */
  private noticeSticks = false;
  private progress: Progress | undefined;
  private watcher: FileWatch | undefined;
  private runner = new WarmSuiteRunner();
  private rerun = false;
  /** When the run under way started, and the timer that cancels it once a newer save waits. */
  private runStartedAt = 0;
  private cancelTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private keys: Promise<void> = Promise.resolve();
  private lastDrawn = '';
  private resolveDone!: () => void;
  /** Resolves once the session has quit and released everything it held. */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(private readonly options: WatchSessionOptions) {
    this.exercise = options.exercise;
    this.file = learnerFile(options.ws, options.exercise);
  }

  async start(): Promise<void> {
    this.progress = await loadProgress(this.options.ws.progressFile);
    this.watchCurrentFile();
    this.draw();
    this.requestVerify();
  }

  /** The terminal was resized: draw again for its new size. */
  resized(): void {
    this.lastDrawn = '';
    this.draw();
  }

  /** Bytes read from the terminal in raw mode. */
  input(chunk: string): void {
    for (const key of splitKeys(chunk)) {
      const command = commandOf(key);
      if (!command || this.closed) continue;
      // Quitting never waits; other keys are carried out one after another, each on the state the
      // previous one left (two quick h presses show two hints, not the same one twice).
      if (command === 'quit') return this.quit();
      this.keys = this.keys.then(async () => {
        if (this.closed) return;
        const passed = this.progress ? isPassed(this.progress, this.exercise.id) : false;
        await this.apply(decide(command, { exerciseId: this.exercise.id, passed, nextId: this.nextId() })).catch((error: unknown) => {
          this.notice = `That did not work: ${error instanceof Error ? error.message : String(error)}`;
          this.draw();
        });
      });
    }
  }

  /** Stops watching, kills the warm verifier and resolves `done`. Safe to call more than once. */
  quit(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.cancelTimer);
    this.watcher?.close();
    this.runner.close();
    this.resolveDone();
  }

  private nextId(): string | null {
    if (!this.progress) return null;
    const ids = this.options.catalog.exercises.map((e) => e.id);
    // From the watched exercise, which `watch <id>` may have chosen, not from the current one.
    return nextExerciseId({ ...this.progress, current: this.exercise.id }, ids);
  }

  private async apply(effect: KeyEffect): Promise<void> {
    this.notice = null;
    this.noticeSticks = false;
    this.asked++;
    switch (effect.kind) {
      case 'quit':
        return this.quit();
      case 'refuse':
        this.notice = effect.notice;
        break;
      case 'back':
        this.panel = null;
        break;
      case 'up':
      case 'down':
      case 'pageUp':
      case 'pageDown':
        this.scroll(effect.kind);
        break;
      case 'hint':
        this.show(await this.nextHint());
        break;
      case 'list':
        this.progress = await loadProgress(this.options.ws.progressFile);
        this.show(renderList(this.options.catalog.exercises, this.progress, this.options.output.size?.()?.columns ?? 80, (id) => {
          const exercise = this.options.catalog.exercises.find((e) => e.id === id);
          return exercise !== undefined && existsSync(learnerFile(this.options.ws, exercise));
        }));
        break;
      case 'statement':
        this.show((await this.options.cli.statement(this.exercise)).trimEnd());
        break;
      case 'solution': {
        const code = await readFile(this.exercise.solutionPath, 'utf8');
        this.show(`${style.bold(`Reference solution of ${this.exercise.id}`)} ${style.dim('(one correct way among many)')}\n\n${code.trimEnd()}`);
        break;
      }
      case 'next':
        await this.moveTo(effect.id);
        break;
    }
    this.draw();
  }

  private show(text: string): void {
    this.panel = { text, offset: 0 };
  }

  private scroll(how: 'up' | 'down' | 'pageUp' | 'pageDown'): void {
    if (!this.panel) return;
    const size = this.options.output.size?.();
    const page = Math.max(1, (size?.rows ?? 24) - 12);
    const by = { up: -1, down: 1, pageUp: -page, pageDown: page }[how];
    this.panel = { ...this.panel, offset: Math.max(0, this.panel.offset + by) };
    this.panel.offset = clampPanelOffset(this.view(), this.options.output.tty ? size : undefined);
  }

  /** The next hint, recorded as seen as `hint` does; once all are seen, all of them. */
  private async nextHint(): Promise<string> {
    const { hints, id } = this.exercise;
    const progress = await loadProgress(this.options.ws.progressFile);
    const seen = progress.exercises[id]?.hintsSeen ?? 0;
    this.progress = progress;
    if (seen >= hints.length) {
      return `${this.options.cli.renderHints(hints, 0, hints.length)}\n\n${style.dim('Those are all the hints.')}`;
    }
    const saved = await this.options.cli.save((p) => recordHintSeen(p, id, seen + 1));
    if (saved.ok) this.progress = saved.progress;
    else this.notice = `Which hints you have seen was not saved: learn-ds ${saved.problem}.`;
    const left = hints.length - seen - 1;
    const more = left > 0 ? `${left} more: press h again.` : 'That was the last hint.';
    return `${this.options.cli.renderHints(hints, seen, seen + 1)}\n\n${style.dim(more)}`;
  }

  /** `n`: scaffold the next exercise, make it current (as `next` does), and watch it instead. */
  private async moveTo(id: string): Promise<void> {
    const next = this.options.catalog.byId.get(id);
    if (!next) return;
    const { file, created } = await scaffoldExercise(this.options.ws, next);
    // Made current as `next` does; scaffolding has written already, so this write fails rarely.
    this.progress = await updateProgress(this.options.ws.progressFile, (p) => markStarted(p, next.id));
    this.exercise = next;
    this.file = file;
    this.body = { kind: 'starting' };
    this.panel = null;
    this.notice = `Now on ${next.id}: your file is ${this.options.shown(file)}${created ? ' (new, from the starter)' : ''}. Press s for its statement.`;
    this.noticeSticks = true;
    this.watchCurrentFile();
    this.requestVerify();
  }

  private watchCurrentFile(): void {
    this.watcher?.close();
    this.watcher = watchFile(this.file, () => this.requestVerify(), this.options.fileWatch);
  }

  /** Verifies now, or right after the run under way (a save during a run is never lost). */
  private requestVerify(): void {
    if (this.closed) return;
    if (this.running) {
      this.rerun = true;
      this.cancelSoon();
      return;
    }
    void this.verifyLoop();
  }

  /**
   * A newer save waits: the run under way judges a file that is gone, so its verdict is never
   * shown, and once it has run CANCEL_AFTER_MS (an infinite loop, a slow suite) it is killed with
   * its child, and the new save is judged by a fresh one. A quick run is left to finish: a new
   * child costs vitest's start-up, more than the rest of a normal run.
   */
  private cancelSoon(): void {
    if (this.cancelTimer) return;
    const wait = Math.max(0, this.runStartedAt + CANCEL_AFTER_MS - performance.now());
    this.cancelTimer = setTimeout(() => {
      this.cancelTimer = undefined;
      if (!this.running || !this.rerun || this.closed) return;
      const old = this.runner;
      this.runner = new WarmSuiteRunner();
      old.close();
    }, wait);
  }

  private async verifyLoop(): Promise<void> {
    this.running = true;
    try {
      do {
        this.rerun = false;
        await this.verifyOnce();
      } while (this.rerun && !this.closed);
    } finally {
      this.running = false;
      this.verifying = false;
      this.draw();
    }
  }

  /**
   * The preflight (a syntax check) made while the run starts rather than before it: a save's
   * verdict comes ~10 ms sooner. A file the preflight stops is judged by the preflight, as verify
   * would judge it; its run, which fails fast on such a file, is awaited and its outcome dropped.
   */
  private preflightBesideRun(): PreflightingRunner {
    const runner = this.runner;
    return {
      async checkAndRun(request, shownFile) {
        const run = runner.run(request);
        const problem = await preflight(request.subjectFile, shownFile);
        const outcome = await run;
        return problem ? { preflight: problem } : { outcome };
      },
    };
  }

  private async verifyOnce(): Promise<void> {
    const started = performance.now();
    const exercise = this.exercise;
    const file = this.file;
    if (!existsSync(file)) {
      this.body = { kind: 'missing' };
      this.panel = null;
      return;
    }
    const asked = this.asked;
    this.runStartedAt = performance.now();
    this.verifying = true;
    this.runProgress = undefined;
    this.draw();
    const runStartedAt = this.runStartedAt;
    const barAfterMs = exercise.longVerify ? 0 : BAR_AFTER_MS;
    const onProgress = (progress: RunProgress) => {
      if (!this.options.output.tty || this.closed || this.runStartedAt !== runStartedAt) return;
      if (performance.now() - runStartedAt < barAfterMs) return;
      this.runProgress = { fraction: Math.max(this.runProgress?.fraction ?? 0, progressFraction(progress)), progress };
      this.draw();
    };
    const shownFile = this.options.shown(file);
    const runsBefore = this.runner.lastTimings;
    let verdict: Verdict;
    try {
      verdict = await verify(
        {
          exercise,
          file,
          shownFile,
          ...(this.options.timeoutSeconds === undefined ? {} : { timeoutSeconds: this.options.timeoutSeconds }),
          onProgress,
        },
        this.preflightBesideRun(),
      );
      this.runProgress = undefined;
      clearTimeout(this.cancelTimer);
      this.cancelTimer = undefined;
    } catch (error) {
      this.body = { kind: 'error', message: error instanceof Error ? error.message : String(error) };
      return;
    }
    const verifyMs = performance.now() - started;
    // Quit, moved to another exercise, saved again, or the file went away meanwhile: this verdict is stale.
    if (this.closed || verdict.interrupted || exercise !== this.exercise || this.rerun) return;
    if (!existsSync(file)) {
      this.body = { kind: 'missing' };
      this.panel = null;
      return;
    }
    const recordStart = performance.now();
    let saved: Saved;
    try {
      saved = await this.options.cli.save((p) => recordAttempt(p, exercise.id, verdict.passed));
    } catch (error) {
      this.body = { kind: 'error', message: error instanceof Error ? error.message : String(error) };
      return;
    }
    const recordMs = performance.now() - recordStart;
    const replay = `${CMD} verify ${exercise.id} --seed ${verdict.seed}`;
    this.body = { kind: 'verdict', verdict, replay };
    // The new verdict is what the learner saved for: it replaces a panel or notice from before
    // the save, but not one asked for while the run was under way.
    if (this.asked === asked) {
      this.panel = null;
      if (!this.noticeSticks) this.notice = null;
    }
    this.noticeSticks = false;
    if (saved.ok) this.progress = saved.progress;
    else this.notice = `Your result was not recorded in your progress: learn-ds ${saved.problem}.`;
    this.verifying = this.rerun;
    this.draw();
    const run = this.runner.lastTimings === runsBefore ? undefined : this.runner.lastTimings;
    this.options.onVerdict?.(verdict, { startedAt: started, verifyMs, run, recordMs });
  }

  private view(): WatchView {
    const passed = this.progress ? isPassed(this.progress, this.exercise.id) : false;
    const nextId = this.nextId();
    const next = nextId ? this.options.catalog.byId.get(nextId) : undefined;
    return {
      exercise: this.exercise,
      total: this.options.catalog.exercises.length,
      shownFile: this.options.shown(this.file),
      body: this.body,
      verifying: this.verifying,
      progress: this.verifying ? this.runProgress : undefined,
      passed,
      next: next ? { id: next.id, title: next.title } : null,
      panel: this.panel,
      notice: this.notice,
      keys: this.options.output.keys,
    };
  }

  private draw(): void {
    if (this.closed) return;
    const { output } = this.options;
    const screen = renderWatchScreen(this.view(), output.tty ? output.size?.() : undefined);
    if (screen === this.lastDrawn) return;
    if (output.tty) {
      // Home, clear the screen: redrawn in place, as rustlings' watch does.
      output.write(`\x1b[H\x1b[2J${screen}\n`);
    } else {
      // A log (a pipe, a file, a test): each new state once, one after another.
      output.write(`${this.lastDrawn ? `${'─'.repeat(40)}\n` : ''}${screen}\n`);
    }
    this.lastDrawn = screen;
  }
}

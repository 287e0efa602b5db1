// Drives a real terminal: a tmux session on a private server, keys sent with send-keys, the screen
// read with capture-pane. Waits poll the screen until what is expected shows, with a deadline.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export function hasTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

let sessions = 0;

export class TmuxSession {
  /** A server of our own, so that tests never touch the learner's (or each other's) tmux. */
  private readonly socket = `learn-ds-test-${process.pid}-${++sessions}`;
  readonly name = 'learn-ds';

  /**
   * Opens a 120×40 terminal running a plain bash in `cwd`, with `env` set and CI unset; verify's
   * type check (a whole TypeScript program) off unless `env` turns it on: no test here looks at it.
   */
  constructor(cwd: string, env: Record<string, string> = {}) {
    const vars = Object.entries({ PS1: 'tmux$ ', LEARN_DS_WORKSPACE: '', LEARN_DS_TYPECHECK: '0', ...env }).map(([k, v]) => `${k}=${v}`);
    this.tmux('new-session', '-d', '-s', this.name, '-x', '120', '-y', '40', '-c', cwd, 'env', '-u', 'CI', '-u', 'NO_COLOR', ...vars, 'bash', '--norc', '--noprofile');
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Types `text` and presses Enter. */
  run(text: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', text);
    this.tmux('send-keys', '-t', this.name, 'Enter');
  }

  /** Sends keys by tmux's names (`q`, `C-c`, `Down`, `Enter`). */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  /** The visible screen as text (`escapes`: with colour codes). */
  screen(escapes = false): string {
    return this.tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', this.name);
  }

  /** The screen with lines that wrapped at the pane's edge joined again (the text as printed, whatever the width). */
  unwrapped(): string {
    return this.tmux('capture-pane', '-p', '-J', '-t', this.name);
  }

  /** Polls the screen until `expected` shows on it; fails with the screen after `ms`. */
  async waitFor(expected: string | RegExp, ms = 30_000): Promise<string> {
    const deadline = Date.now() + ms;
    const matches = (s: string) => (typeof expected === 'string' ? s.includes(expected) : expected.test(s));
    for (;;) {
      const screen = this.screen();
      if (matches(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${String(expected)}; the screen is:\n${screen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The process id of the shell in the pane. */
  shellPid(): number {
    return Number(this.tmux('display-message', '-p', '-t', this.name, '#{pane_pid}').trim());
  }

  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

/** Every live process below `pid` (Linux /proc), children first found first. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name is in parentheses and may hold spaces: fields start after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parents.set(Number(entry), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const queue = [pid];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    for (const [child, parent] of parents) {
      if (parent === p) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

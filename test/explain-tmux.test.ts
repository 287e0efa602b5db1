/**
 * `learn-ds explain` in a real terminal (tmux), as a learner uses it: keys step through a recorded
 * failing run, and the terminal is given back in cooked mode with echo however the stepper ends
 * (q, Ctrl-C, a signal). The screen is polled until what is expected shows, never after a fixed sleep.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { learnDs, repoRoot, tempDir } from './support/cli.ts';
import { descendants, hasTmux, TmuxSession } from './support/tmux.ts';
import { failingRun } from './explain-fixture.ts';

const tmuxHere = hasTmux();
// Skipped only on a developer's machine without tmux; in CI, .ci/run installs it and a missing one fails.
const skip = !tmuxHere && !process.env.CI;
const title = skip ? 'explain in a real terminal: SKIPPED, tmux is not installed here (apt-get install tmux; CI installs it)' : 'explain in a real terminal (tmux)';
const launcher = `${process.execPath} ${join(repoRoot, 'bin', 'learn-ds.js')}`;

/** A workspace with quorum-kv started and the fixture's failing run recorded for it. */
async function workspaceWithRecord(): Promise<string> {
  const dir = tempDir();
  const r = await learnDs(dir, ['start', 'quorum-kv']);
  if (r.exitCode !== 0) throw new Error(r.stderr);
  const failures = join(dir, 'learn-ds', '.learn-ds', 'failures');
  mkdirSync(failures);
  writeFileSync(join(failures, 'quorum-kv.json'), JSON.stringify({ ...failingRun(), exercise: 'quorum-kv' }));
  return dir;
}

/** The terminal is back in cooked mode with echo, and out of the alternate screen. */
async function terminalRestored(term: TmuxSession): Promise<void> {
  // Typed once explain has exited: on a busy machine keys typed while it still read the terminal
  // were its own, and lost (the shell never saw the stty line).
  const deadline = Date.now() + 60_000;
  while (descendants(term.shellPid()).length > 0) {
    if (Date.now() > deadline) throw new Error(`explain is still running 60 s later; the screen is:\n${term.screen()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  term.run(`stty -a | grep -o -- '-\\?icanon\\|-\\?echo ' | tr '\\n' ' '; echo '<stty'`);
  const screen = await term.waitFor(/(\S.*) <stty/);
  const modes = /\n([^\n]*) <stty/.exec(screen)![1]!.trim().split(/\s+/);
  expect(modes).toEqual(['icanon', 'echo']);
  // The shell's own lines are back: the stepper drew on the alternate screen only.
  expect(screen).toContain('tmux$ ');
  expect(screen).not.toContain('q quit');
}

describe.skipIf(skip)(title, () => {
  let term: TmuxSession | undefined;
  beforeAll(() => {
    if (!tmuxHere) throw new Error('tmux is required here (CI): .ci/run installs it with apt-get');
  });
  afterEach(() => term?.close());

  test('opens at the violation; keys step back, jump to a fault, filter a node, return to the violation; q restores the terminal', async () => {
    const dir = await workspaceWithRecord();
    term = new TmuxSession(dir);
    term.run(`${launcher} explain quorum-kv`);
    await term.waitFor('event 13 of 13 at 60.0 ms · the violation', 60_000);
    // The whole screen, down to its key line: on a busy machine a capture can catch it half drawn.
    const first = await term.waitFor(/event 13 of 13 at 60\.0 ms · the violation[\s\S]*q quit/);
    expect(first).toContain('learn-ds explain quorum-kv · scenario seed 42');
    expect(first).toContain('now: n3 → c2: read_ok inReplyTo=1 value=null');
    expect(first).toMatch(/←\/→ step .* v violation .* x unplaced op/);
    expect(first).toMatch(/n\/1-5 node: all .* q quit/);
    expect(first).toMatch(/^▶ +60\.0 ms .*read_ok inReplyTo=1 value=null/m);

    term.keys('Left');
    await term.waitFor('event 12 of 13 at 60.0 ms');
    term.keys('[');
    const fault = await term.waitFor('event 10 of 13 at 45.0 ms');
    expect(fault).toContain('now: n2 crashed');
    term.keys('[', '[');
    const paused = await term.waitFor('event 7 of 13 at 35.0 ms');
    expect(paused).toContain('now: n2 resumed after 15.0 ms');
    term.keys('Left', 'Left');
    const during = await term.waitFor('event 5 of 13 at 20.0 ms');
    expect(during).toContain('faults in force: partition {n3} | {n1,n2}; n2 paused');
    expect(during).toContain('in flight (2): n1→c1 write_ok inReplyTo=1 (sent 17.0 ms, arrives 22.0 ms) · n1→n2 gossip');
    expect(during).toContain('notes: n1 "stored x=v1" (17.0 ms)');
    term.keys('3');
    await term.waitFor('only n3');
    term.keys('Right');
    await term.waitFor(/event 9 of 13 at 40\.0 ms .*only n3/);
    term.keys('Right');
    await term.waitFor(/event 11 of 13 at 55\.0 ms .*only n3/);
    term.keys('0', 'v');
    await term.waitFor('event 13 of 13 at 60.0 ms · the violation');

    term.keys('q');
    await terminalRestored(term);
  }, 120_000);

  test('Ctrl-C ends it and restores the terminal; so does a SIGTERM from outside', async () => {
    const dir = await workspaceWithRecord();
    term = new TmuxSession(dir);
    term.run(`${launcher} explain quorum-kv`);
    await term.waitFor('the violation', 60_000);
    term.keys('C-c');
    await terminalRestored(term);

    term.run('clear');
    term.run(`${launcher} explain quorum-kv`);
    await term.waitFor('the violation', 60_000);
    const [explain] = descendants(term.shellPid());
    expect(explain).toBeDefined();
    process.kill(explain!, 'SIGTERM');
    await terminalRestored(term);
  }, 120_000);

  test('without a recorded run it says how to get one, and leaves the terminal as it was', async () => {
    const dir = tempDir();
    expect((await learnDs(dir, ['start', 'quorum-kv'])).exitCode).toBe(0);
    term = new TmuxSession(dir);
    term.run(`${launcher} explain quorum-kv; echo "exit=$?"`);
    await term.waitFor('exit=1', 60_000);
    // Joined as printed: a long path (wherever the clone is) wraps the line at the pane's edge.
    expect(term.unwrapped().replace(/\n/g, ' ')).toMatch(/No failing simulated run of quorum-kv is recorded yet\. +Run `.*verify quorum-kv` in this workspace/);
    await terminalRestored(term);
  }, 120_000);
});

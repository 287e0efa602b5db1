/**
 * A verifier child must not outlive the learn-ds process that started it. Ctrl-C and timeouts are
 * handled by that process, but a SIGKILL (or a crash, or a closed terminal) leaves it no chance:
 * the child, detached in its own process group, would run on, and a learner's infinite loop would
 * spin forever. So the child watches its parent itself: a few lines preloaded with `--import`
 * into vitest's main process (whose event loop stays free while tests run in a worker thread)
 * check every 200 ms that the parent is still its parent, and otherwise kill the whole group.
 * No extra process, no start-up cost; a parent gone before the check starts is caught too, since
 * the expected parent's pid comes through the environment.
 */

/** The pid of the process the child must not outlive. */
export const PARENT_PID_ENV = 'LEARN_DS_PARENT_PID';

const GUARD = `
const parent = Number(process.env.${PARENT_PID_ENV});
// Forks and threads started later inherit the environment: only this process watches.
delete process.env.${PARENT_PID_ENV};
if (parent > 0) {
  const check = () => {
    if (process.ppid === parent) return;
    try { process.kill(-process.pid, 'SIGKILL'); } catch {}
    process.kill(process.pid, 'SIGKILL');
  };
  check();
  setInterval(check, 200).unref();
}
`;

/** Node options and environment that make a (detached) child kill its group once `parentPid` is gone. */
export function orphanGuard(parentPid: number = process.pid): { nodeArgs: string[]; env: Record<string, string> } {
  return {
    nodeArgs: ['--import', `data:text/javascript,${encodeURIComponent(GUARD)}`],
    env: { [PARENT_PID_ENV]: String(parentPid) },
  };
}

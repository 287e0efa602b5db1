/** `stop`: ends the verifier daemon that `verify` keeps warm (it also ends by itself when idle). */
import type { Command } from 'commander';
import { CMD, print } from './context.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export async function runStop(): Promise<void> {
  const { stopDaemon } = await import('../verify/daemon/client.ts');
  const pid = await stopDaemon();
  if (pid === undefined) {
    print('No verifier was running.');
    return;
  }
  // Gone, with its vitest children, before we say so.
  for (let waited = 0; alive(pid) && waited < 3_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  print(`Stopped the warm verifier (pid ${pid}). The next \`${CMD} verify\` starts a new one.`);
}

export function register(program: Command): void {
  program
    .command('stop')
    .description('stop the warm verifier that `verify` reuses (it stops by itself after 10 idle minutes)')
    .addHelpText('after', `\nExample:\n  $ ${CMD} stop\n\nTo verify without it: \`${CMD} verify --no-daemon\`, or set LEARN_DS_DAEMON=0.`)
    .action(runStop);
}

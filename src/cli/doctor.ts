/** `doctor`: checks what learn-ds needs (Node, workspace, progress file, editor types, start-up cache). */
import type { Command } from 'commander';
import { failed } from '../doctor/checks.ts';
import { runChecks } from '../doctor/probe.ts';
import { renderChecks } from '../report/doctor.ts';
import { CMD, print, type GlobalOptions } from './context.ts';

/** Exit code 1 when any check fails. */
export async function runDoctor(globals: GlobalOptions): Promise<number> {
  const results = await runChecks(process.cwd(), globals.workspace);
  print(renderChecks(results));
  return failed(results) ? 1 : 0;
}

export function register(program: Command, globals: () => GlobalOptions): void {
  program
    .command('doctor')
    .description('check that learn-ds can work here: Node.js, your workspace, progress file, editor types, start-up cache. Exit code 1 if anything is wrong')
    .addHelpText('after', `\nExample:\n  $ ${CMD} doctor`)
    .action(async () => {
      process.exitCode = await runDoctor(globals());
    });
}

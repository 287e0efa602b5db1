// Builds the launcher's bundle once, before test files run in parallel and spawn the CLI.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../../bin/learn-ds.js', import.meta.url)), '--version'], { stdio: 'ignore' });
}

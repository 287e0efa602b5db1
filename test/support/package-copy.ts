// A copy of the learn-ds package whose catalog is fixture exercises, for running the real launcher
// on an exercise the catalog does not ship (e.g. test/fixtures/long-verify). Its sources are the
// repository's as they are now; its dependencies are the repository's (linked); its caches
// (the launcher's bundle, Vite's) are its own.
import { cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempDir } from './cli.ts';

/** A package whose exercises/ and solutions/ are those of `fixture` (a folder holding both). */
export function packageCopy(fixture: string): string {
  const root = tempDir('learn-ds-package-');
  for (const f of ['package.json', 'tsconfig.json', 'bin', 'src']) cpSync(join(repoRoot, f), join(root, f), { recursive: true });
  for (const f of ['exercises', 'solutions']) cpSync(join(fixture, f), join(root, f), { recursive: true });
  mkdirSync(join(root, 'node_modules'));
  for (const entry of readdirSync(join(repoRoot, 'node_modules'))) {
    if (!entry.startsWith('.') || entry === '.bin') symlinkSync(join(repoRoot, 'node_modules', entry), join(root, 'node_modules', entry));
  }
  return root;
}

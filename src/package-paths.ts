/**
 * Where learn-ds's own files are. The CLI may run from source (through tsx) or from the bundle the
 * launcher caches under node_modules/.cache, so paths are found from the package root, not from
 * this module's location.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'learn-ds') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    if (dirname(dir) === dir) throw new Error(`learn-ds: cannot find its own package.json above ${from}`);
  }
}

export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
export const exercisesDir = join(packageRoot, 'exercises');
export const solutionsDir = join(packageRoot, 'solutions');
export const srcDir = join(packageRoot, 'src');

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Hidden suites import the learner's exports as `learn-ds/subject/<id>`. The type checker resolves
 * that name to the reference solution (tsconfig paths), so suites are typed by it; a hidden run
 * resolves it to this virtual module instead, which loads the learner's file through
 * loadSubject() (exports checked and named, load errors explained). The reference is never loaded.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';

export const SUBJECT_PREFIX = 'learn-ds/subject/';
const VIRTUAL = '\0learn-ds-subject';

/** The runtime names the exercise's manifest says the learner exports. */
function manifestExports(exerciseDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(exerciseDir, 'exercise.json'), 'utf8')) as { exports?: unknown };
  return Array.isArray(manifest.exports) ? manifest.exports.filter((e): e is string => typeof e === 'string') : [];
}

export function subjectPlugin(exerciseDir: string, loaderFile: string): Plugin {
  const id = exerciseDir.split(/[\\/]/).filter(Boolean).pop() ?? '';
  return {
    name: 'learn-ds-subject',
    enforce: 'pre',
    resolveId(source) {
      if (!source.startsWith(SUBJECT_PREFIX)) return null;
      const wanted = source.slice(SUBJECT_PREFIX.length);
      if (wanted !== id) throw new Error(`the hidden suite of ${id} imports ${source}: a suite judges its own exercise's subject only`);
      return VIRTUAL;
    },
    load(resolved) {
      if (resolved !== VIRTUAL) return null;
      const names = manifestExports(exerciseDir);
      return [
        `import { loadSubject } from ${JSON.stringify(loaderFile)};`,
        'const subject = await loadSubject();',
        ...names.map((n) => `export const ${n} = subject[${JSON.stringify(n)}];`),
      ].join('\n');
    },
  };
}

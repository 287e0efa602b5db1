/**
 * The catalog: every exercise, validated and in book order (chapter, then order within it).
 * Like rustlings' single manifest, but one file per exercise, next to its statement and tests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHAPTERS, type Chapter } from './chapters.ts';
import { ManifestError, parseManifest, type Manifest } from './manifest.ts';
import { exercisesDir as defaultExercisesDir, solutionsDir as defaultSolutionsDir } from '../package-paths.ts';

export interface Exercise extends Manifest {
  /** 1-based position in the catalog. */
  number: number;
  chapterInfo: Chapter;
  dir: string;
  readmePath: string;
  starterPath: string;
  solutionPath: string;
  /** The exercise's demo for `learn-ds run`, when it has one. */
  demoPath: string | undefined;
}

export interface Catalog {
  exercises: readonly Exercise[];
  byId: ReadonlyMap<string, Exercise>;
}

/** One exercise folder, validated alone (`exercises/<name>`); throws a ManifestError naming what is wrong. */
export function readExercise(exercisesDir: string, name: string, solutionsDir = defaultSolutionsDir): Omit<Exercise, 'number'> {
  const dir = join(exercisesDir, name);
  const file = join(dir, 'exercise.json');
  if (!existsSync(file)) throw new ManifestError(`${file}: missing (every folder in exercises/ is an exercise)`);
  const manifest = parseManifest(readFileSync(file, 'utf8'), file);
  if (manifest.id !== name) {
    throw new ManifestError(`${file}: id "${manifest.id}" differs from its folder name "${name}"`);
  }
  const exercise = {
    ...manifest,
    chapterInfo: CHAPTERS.get(manifest.chapter.number)!,
    dir,
    readmePath: join(dir, 'README.md'),
    starterPath: join(dir, 'starter.ts'),
    solutionPath: join(solutionsDir, `${manifest.id}.ts`),
    demoPath: existsSync(join(dir, 'demo.ts')) ? join(dir, 'demo.ts') : undefined,
  };
  for (const needed of [exercise.readmePath, exercise.starterPath, exercise.solutionPath]) {
    if (!existsSync(needed)) throw new ManifestError(`${file}: the exercise has no ${needed}`);
  }
  return exercise;
}

/** The names of the folders in exercises/, each of which is an exercise. */
export function exerciseFolders(exercisesDir = defaultExercisesDir): string[] {
  return readdirSync(exercisesDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
}

export function loadCatalog(exercisesDir = defaultExercisesDir, solutionsDir = defaultSolutionsDir): Catalog {
  const manifests = exerciseFolders(exercisesDir).map((name) => readExercise(exercisesDir, name, solutionsDir));
  const files = new Map<string, string>();
  for (const m of manifests) {
    const key = `${m.chapter.number}/${m.file}`;
    const other = files.get(key);
    if (other) throw new ManifestError(`${join(m.dir, 'exercise.json')}: file "${m.file}" is also used by "${other}" in chapter ${m.chapter.number}`);
    files.set(key, m.id);
  }
  manifests.sort((a, b) => a.chapter.number - b.chapter.number || a.order - b.order || a.id.localeCompare(b.id));
  const exercises = manifests.map((m, i) => ({ ...m, number: i + 1 }));
  return { exercises, byId: new Map(exercises.map((e) => [e.id, e])) };
}

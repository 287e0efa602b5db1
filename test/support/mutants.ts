// Reads the header of a mutant: what mistake it makes and what its failure must mention.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Mutant {
  name: string;
  file: string;
  mistake: string;
  expect: string;
}

export function parseMutantHeader(source: string, file: string): { mistake: string; expect: string } {
  const mistake = /^\/\/ mistake: (.+)$/m.exec(source)?.[1]?.trim();
  const expect = /^\/\/ expect: (.+)$/m.exec(source)?.[1]?.trim();
  if (!mistake || !expect) throw new Error(`${file}: a mutant starts with "// mistake: …" and "// expect: …" lines`);
  return { mistake, expect };
}

export function mutantsOf(exerciseDir: string): Mutant[] {
  const dir = join(exerciseDir, 'mutants');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      return { name: f.replace(/\.ts$/, ''), file, ...parseMutantHeader(readFileSync(file, 'utf8'), file) };
    });
}

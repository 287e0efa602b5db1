import { spawnSync } from 'node:child_process';
// Finding, creating and laying out a workspace; scaffolding and resetting exercise files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadCatalog } from '../src/catalog/catalog.ts';
import { packageRoot } from '../src/package-paths.ts';
import {
  createWorkspace, findWorkspace, learnerFile, newWorkspaceRoot, resetExercise, scaffoldExercise, workspaceTsconfig,
} from '../src/workspace/workspace.ts';
import { backupFile } from '../src/workspace/fs-safe.ts';
import { tempDir } from './support/cli.ts';

const exercise = loadCatalog().byId.get('retry-backoff')!;

describe('workspace', () => {
  test('is found from inside it, from the folder holding ./learn-ds, by option and by environment', async () => {
    const top = tempDir();
    const ws = await createWorkspace(join(top, 'learn-ds'));
    const deep = join(ws.root, '27-downstream-resiliency');
    mkdirSync(deep);
    expect(findWorkspace(deep, undefined, {})?.root).toBe(ws.root);
    expect(findWorkspace(top, undefined, {})?.root).toBe(ws.root);
    expect(findWorkspace('/', join(top, 'learn-ds'), {})?.root).toBe(ws.root);
    expect(findWorkspace('/', undefined, { LEARN_DS_WORKSPACE: ws.root })?.root).toBe(ws.root);
    expect(findWorkspace(tempDir(), undefined, {})).toBeUndefined();
  });

  test('a new workspace goes to ./learn-ds unless a folder is named', () => {
    expect(newWorkspaceRoot('/home/me', undefined, {})).toBe('/home/me/learn-ds');
    expect(newWorkspaceRoot('/home/me', 'ws', {})).toBe('/home/me/ws');
    expect(newWorkspaceRoot('/home/me', undefined, { LEARN_DS_WORKSPACE: '/tmp/w' })).toBe('/tmp/w');
  });

  test('lays learner files out by chapter', async () => {
    const ws = await createWorkspace(tempDir());
    expect(learnerFile(ws, exercise)).toBe(join(ws.root, '27-downstream-resiliency', 'retry-backoff.ts'));
  });

  test('carries a strict tsconfig that resolves Node types and learn-ds modules from the package', async () => {
    const ws = await createWorkspace(tempDir());
    const config = JSON.parse(readFileSync(join(ws.root, 'tsconfig.json'), 'utf8'));
    expect(config.compilerOptions.strict).toBe(true);
    const typeRoot = join(ws.root, config.compilerOptions.typeRoots[0]);
    expect(existsSync(join(typeRoot, 'node', 'package.json'))).toBe(true);
    expect(JSON.parse(workspaceTsconfig(join(packageRoot, 'learn-ds'))).compilerOptions.typeRoots).toEqual(['../node_modules/@types']);
  });

  test('maps learn-ds/sim to the simulation kit, also in a workspace made before the kit existed', async () => {
    const ws = await createWorkspace(tempDir());
    const config = JSON.parse(readFileSync(join(ws.root, 'tsconfig.json'), 'utf8'));
    const target = join(ws.root, config.compilerOptions.paths['learn-ds/sim'][0]);
    expect(target).toBe(join(packageRoot, 'src', 'sim', 'index.ts'));
    // An older workspace: its tsconfig gains the mapping and keeps the learner's own settings.
    delete config.compilerOptions.paths;
    config.compilerOptions.noUnusedLocals = true;
    writeFileSync(join(ws.root, 'tsconfig.json'), JSON.stringify(config));
    await createWorkspace(ws.root);
    const upgraded = JSON.parse(readFileSync(join(ws.root, 'tsconfig.json'), 'utf8'));
    expect(upgraded.compilerOptions.noUnusedLocals).toBe(true);
    expect(upgraded.compilerOptions.paths['learn-ds/sim']).toEqual(config.compilerOptions.typeRoots.map((r: string) => r.replace('node_modules/@types', 'src/sim/index.ts')));
  });

  // One tsc run (a whole program, Node's types and all) for both learner files.
  test('learner files importing the simulation kit and fast-check type-check in a new workspace, as in the editor', async () => {
    const ws = await createWorkspace(tempDir());
    writeFileSync(join(ws.root, 'node.ts'), [
      "import type { NodeContext, SimNode } from 'learn-ds/sim';",
      'export function createNode(ctx: NodeContext<{ type: string }>): SimNode<{ type: string }> {',
      '  return { receive: (from, message) => ctx.send(from, { type: `${message.type}_ok` }) };',
      '}',
      '',
    ].join('\n'));
    // For exercises where the learner writes fast-check properties (test/run-property.test.ts).
    writeFileSync(join(ws.root, 'props.ts'), [
      "import fc from 'fast-check';",
      'export const prop: fc.IRawProperty<[number]> = fc.property(fc.integer(), (n) => n === n);',
      '',
    ].join('\n'));
    const tsc = join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', ws.root], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 120_000); // a whole tsc: ~5 s quiet, past 30 s on a starved machine (CI once)

  test('scaffolding never overwrites the learner file; reset restores the starter and backs theirs up', async () => {
    const ws = await createWorkspace(tempDir());
    const { file, created } = await scaffoldExercise(ws, exercise);
    expect(created).toBe(true);
    writeFileSync(file, '// my work\n');
    expect((await scaffoldExercise(ws, exercise)).created).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('// my work\n');
    const { backup } = await resetExercise(ws, exercise);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(exercise.starterPath, 'utf8'));
    expect(readFileSync(backup!, 'utf8')).toBe('// my work\n');
    expect((await resetExercise(ws, exercise)).backup).toBeNull();
  });
});

describe('backups', () => {
  test('never overwrite one another, even within one millisecond', async () => {
    const dir = tempDir();
    const file = join(dir, 'mine.ts');
    const targets = new Set<string>();
    for (let i = 0; i < 5; i++) {
      writeFileSync(file, `version ${i}`);
      targets.add(await backupFile(file, join(dir, 'backups')));
    }
    expect(targets.size).toBe(5);
    expect([...targets].map((t) => readFileSync(t, 'utf8')).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `version ${i}`));
  });
});

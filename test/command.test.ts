/**
 * The command learners are told to type matches how they started learn-ds: npx, npm run, a bin on
 * the PATH (the README's way, a global or linked install), or node with the launcher's path.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { detectCommand, learnDsCommand, withCommand } from '../src/command.ts';
import { repoRoot, tempDir } from './support/cli.ts';

describe('detectCommand', () => {
  const bin = '/home/ada/learn-ds/bin';
  test('npx and npm exec', () => {
    expect(detectCommand({ env: { npm_command: 'exec', npm_lifecycle_event: 'npx' }, script: '/root/.npm/_npx/1/node_modules/.bin/learn-ds', cwd: '/x' })).toBe('npx learn-ds');
  });
  test('npm run, with the script name the learner typed', () => {
    const env = { npm_command: 'run', npm_lifecycle_event: 'learn-ds', npm_lifecycle_script: 'node bin/learn-ds.js' };
    expect(detectCommand({ env, script: `${bin}/learn-ds.js`, cwd: '/x' })).toBe('npm run learn-ds --');
    expect(detectCommand({ env: { ...env, npm_command: 'run-script', npm_lifecycle_event: 'ds' }, script: `${bin}/learn-ds.js`, cwd: '/x' })).toBe('npm run ds --');
  });
  test('another npm script that happens to start learn-ds (npm test) is not taken for `npm run learn-ds`', () => {
    const env = { npm_command: 'test', npm_lifecycle_event: 'test', npm_lifecycle_script: 'vitest run' };
    expect(detectCommand({ env, script: `${bin}/learn-ds.js`, cwd: '/home/ada/learn-ds' })).toBe('node bin/learn-ds.js');
  });
  test('a bin found on the PATH (the README\'s way, a global or linked install) is typed by its name', () => {
    expect(detectCommand({ env: { PATH: `/usr/bin:${bin}` }, script: `${bin}/learn-ds`, cwd: '/anywhere' })).toBe('learn-ds');
    expect(detectCommand({ env: { PATH: '/usr/local/bin' }, script: '/usr/local/bin/learn-ds', cwd: '/tmp' })).toBe('learn-ds');
  });
  test('a bin run by its path, or node with the launcher, is shown as typed from here', () => {
    expect(detectCommand({ env: { PATH: '/usr/bin' }, script: `${bin}/learn-ds`, cwd: '/home/ada/learn-ds' })).toBe('bin/learn-ds');
    expect(detectCommand({ env: {}, script: `${bin}/learn-ds.js`, cwd: '/home/ada/learn-ds/learn-ds' })).toBe(`node ${bin}/learn-ds.js`);
    expect(detectCommand({ env: {}, script: `${bin}/learn-ds.js`, cwd: bin })).toBe('node ./learn-ds.js');
    expect(detectCommand({ env: {}, script: '/home/ada/my code/bin/learn-ds.js', cwd: '/tmp' })).toBe("node '/home/ada/my code/bin/learn-ds.js'");
  });
  test('something else (vitest running the harness) is unknown; the README\'s form is the fallback', () => {
    expect(detectCommand({ env: {}, script: '/x/node_modules/vitest/vitest.mjs', cwd: '/x' })).toBeUndefined();
    expect(learnDsCommand({ env: {}, argv: ['node', '/x/vitest.mjs'], cwd: () => '/x' })).toBe('npx learn-ds');
    expect(learnDsCommand({ env: { LEARN_DS_COMMAND: 'learn-ds' }, argv: ['node', '/x/vitest.mjs'], cwd: () => '/x' })).toBe('learn-ds');
  });
  test('texts written in the README\'s form (statements, hints) are rewritten to the learner\'s', () => {
    expect(withCommand('run `npx learn-ds verify` or `npx learn-ds hint`', 'learn-ds')).toBe('run `learn-ds verify` or `learn-ds hint`');
    expect(withCommand('run `npx learn-ds verify`', 'npx learn-ds')).toBe('run `npx learn-ds verify`');
  });
});

describe('the CLI prints the form it was started with', () => {
  const bin = join(repoRoot, 'bin');
  const clean = { NO_COLOR: '1', CI: 'true', LEARN_DS_WORKSPACE: '', LEARN_DS_COMMAND: '', npm_command: '', npm_lifecycle_event: '', npm_lifecycle_script: '' };
  const advice = (stderr: string) => /Run `(.+) next` to start one/.exec(stderr)?.[1];

  test('learn-ds on the PATH (the README\'s way)', async () => {
    const r = await execa('learn-ds', ['hint'], { cwd: tempDir(), reject: false, env: { ...clean, PATH: `${bin}:${process.env.PATH}` } });
    expect(advice(r.stderr)).toBe('learn-ds');
  });

  test('node and the launcher\'s path', async () => {
    const r = await execa(process.execPath, [join(bin, 'learn-ds.js'), 'hint'], { cwd: tempDir(), reject: false, env: clean });
    expect(advice(r.stderr)).toBe(`node ${join(bin, 'learn-ds.js')}`);
  });

  test('npm run learn-ds', async () => {
    const r = await execa('npm', ['run', '--silent', 'learn-ds', '--', 'hint', '--workspace', tempDir()], { cwd: repoRoot, reject: false, env: clean });
    expect(r.stderr).toMatch(/Run `npm run learn-ds -- next --workspace /);
  });
});

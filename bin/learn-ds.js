#!/usr/bin/env node
// The learn-ds launcher. It runs the TypeScript sources without a build step the learner has to
// remember: the CLI is bundled once by esbuild into node_modules/.cache/learn-ds/ and rebuilt
// whenever a source file changes; if that cache cannot be written, the sources run through tsx.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`learn-ds needs Node.js 20.19 or newer; this is ${process.version}. See https://nodejs.org/.\n`);
  process.exit(2);
}

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(root, 'src', 'cli', 'main.ts');
const cacheDir = join(root, 'node_modules', '.cache', 'learn-ds');
const bundle = join(cacheDir, 'main.mjs');
const meta = join(cacheDir, 'inputs.json');

/** The bundle is fresh when every source file it was built from is unchanged. */
function isFresh() {
  try {
    const inputs = JSON.parse(readFileSync(meta, 'utf8'));
    return existsSync(bundle) && Object.entries(inputs).every(([file, mtime]) => statSync(join(root, file)).mtimeMs === mtime);
  } catch {
    return false;
  }
}

async function build() {
  const { build } = await import('esbuild');
  mkdirSync(cacheDir, { recursive: true });
  const result = await build({
    entryPoints: { main: entry },
    outdir: cacheDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true, // commands' heavy modules stay in chunks loaded only when used
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[file] = statSync(join(root, file)).mtimeMs;
  writeFileSync(meta, JSON.stringify(inputs));
}

async function load() {
  if (process.env.LEARN_DS_NO_BUNDLE !== '1') {
    try {
      if (!isFresh()) await build();
      return await import(pathToFileURL(bundle).href);
    } catch {
      // read-only install or a build problem: run the sources directly
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(entry).href);
}

const { main } = await load();
await main(process.argv);

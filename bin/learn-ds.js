#!/usr/bin/env node
// The learn-ds launcher. It runs the TypeScript sources without a build step the learner has to
// remember: the CLI is bundled once by esbuild into node_modules/.cache/learn-ds/ and rebuilt
// whenever a source file changes; if that cache cannot be written, the sources run through tsx.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHECKED_SOURCES, sourceStamps, stampsHold } from './lib/sources.js';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`learn-ds needs Node.js 20.19 or newer; this is ${process.version}. See https://nodejs.org/.\n`);
  process.exit(2);
}

const launcher = fileURLToPath(import.meta.url);
const root = dirname(dirname(launcher));
const entry = join(root, 'src', 'cli', 'main.ts');
const cacheDir = join(root, 'node_modules', '.cache', 'learn-ds');
const bundle = join(cacheDir, 'main.mjs');
const meta = join(cacheDir, 'inputs.json');
const installLock = join(root, 'node_modules', '.package-lock.json');
const EXTERNAL = ['esbuild', 'vitest', 'vite', 'typescript', 'tsx', 'sql.js', 'fast-check', 'playwright-core'];

/** What the last build recorded: the bundle's inputs (by modification time) and the sources' stamps (lib/sources.js). */
function readMeta() {
  try {
    const recorded = JSON.parse(readFileSync(meta, 'utf8'));
    return recorded && typeof recorded.bundle === 'object' && typeof recorded.sources === 'object' ? recorded : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bundle is fresh when every source file it was built from is unchanged (npm's lock file and
 * the launcher, which is always among them: its build options shape the bundle, included). When the
 * sources' stamps all hold, those among them need no second look.
 */
function isFresh(recorded, sourcesHold) {
  if (!recorded || !existsSync(bundle) || !(relative(root, launcher) in recorded.bundle)) return false;
  try {
    return Object.entries(recorded.bundle).every(([file, mtime]) => (sourcesHold && file in recorded.sources) || statSync(join(root, file)).mtimeMs === mtime);
  } catch {
    return false;
  }
}

/** Builds the bundle; returns the sources' stamps it was built from (taken before: a change during the build is seen next time). */
async function build() {
  const sources = sourceStamps(root);
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
    // The CLI's packages are bundled in: Node resolving and loading hundreds of small files cost
    // more CPU than the command itself (0.4 s of a warm verify, 0.5 s of a hint). Left out: native
    // binaries, packages that start workers or load files beside themselves, and what only the
    // hidden runs and the authors' tools use.
    external: [...EXTERNAL, ...EXTERNAL.map((name) => `${name}/*`)],
    // Statements' and hints' code highlighting, loaded at the first code block, not at start;
    // marked-terminal's emoji table, never used (markdown.ts renders without emoji codes).
    alias: { 'cli-highlight': join(root, 'src', 'report', 'lazy-highlight.ts'), 'node-emoji': join(root, 'src', 'report', 'lazy-emoji.ts') },
    // Bundled CommonJS packages call require() for Node's own modules.
    banner: { js: "import { createRequire as __learnDsRequire } from 'node:module'; const require = __learnDsRequire(import.meta.url);" },
    metafile: true,
    write: false,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  // Each file written beside and renamed into place, main.mjs last: another learn-ds started at
  // the same moment may be importing the bundle (chunks are named by their content, so one that
  // is already there is the same file).
  const files = [...result.outputFiles].sort((a, b) => Number(a.path === bundle) - Number(b.path === bundle));
  for (const file of files) writeAtomically(file.path, file.contents);
  // Bundled packages change only with an install, which rewrites npm's own lock file in node_modules.
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    if (!file.startsWith('node_modules/')) inputs[file] = statSync(join(root, file)).mtimeMs;
  }
  if (existsSync(installLock)) inputs[relative(root, installLock)] = statSync(installLock).mtimeMs;
  inputs[relative(root, launcher)] = statSync(launcher).mtimeMs;
  writeAtomically(meta, JSON.stringify({ bundle: inputs, sources }));
  return sources;
}

function writeAtomically(file, contents) {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, contents);
  renameSync(temp, file);
}

async function load() {
  if (process.env.LEARN_DS_NO_BUNDLE !== '1') {
    try {
      const recorded = readMeta();
      const sourcesHold = recorded !== undefined && stampsHold(root, recorded.sources);
      let sources = sourcesHold ? recorded.sources : undefined;
      if (!isFresh(recorded, sourcesHold)) sources = await build();
      else if (!sources) {
        // A file under src/ that the bundle does not contain changed (the hidden runs' code): no
        // build, new stamps.
        sources = sourceStamps(root);
        try {
          writeAtomically(meta, JSON.stringify({ ...recorded, sources }));
        } catch {
          // a read-only install: walked again next time
        }
      }
      // What was just checked stands for this process's code: its daemon fingerprint needs no walk of src/.
      globalThis[CHECKED_SOURCES] = { stamps: sources, at: Date.now() };
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

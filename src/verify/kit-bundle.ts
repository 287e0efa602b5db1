/**
 * The kit of hidden runs (the harness, the simulator, the setup's internals) as one bundle of plain
 * JavaScript, built by esbuild into node_modules/.cache/learn-ds-kit/ and rebuilt when a source of
 * it changes. Hidden runs load it natively, as they load fast-check, instead of fetching and
 * evaluating its fifty TypeScript modules one by one through Vite's module runner on every run
 * (most of a small suite's import time); and the warm child's next thread imports it before its
 * run is asked for (prestarted-pool.ts). The suites and the learner's file are still transformed
 * by Vite and imported afresh on every run. Without a writable cache (or with
 * LEARN_DS_NO_BUNDLE=1), hidden runs use the sources, as before.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Plugin } from 'vite';
import { packageRoot } from '../package-paths.ts';

/** The bundle's entries: what suites, learners and the setup import, by source file. */
const ENTRIES = {
  harness: 'src/verify/harness/index.ts',
  sim: 'src/sim/index.ts',
  internal: 'src/verify/harness/internal.ts',
} as const;

export interface KitBundle {
  /** Source entry file (absolute) → its bundled module (absolute). */
  redirects: Map<string, string>;
  /** What a thread may import ahead of its run: the bundle's entries (one module). */
  preload: string;
  /** The same and fast-check, for exercises whose suites use it (importing it costs ~25 ms of CPU). */
  preloadWithFastCheck: string;
  /** Which build this is (its folder's name, from its content). */
  build: string;
}

/** What this builder writes besides the bundle (the preload modules): a build of another format is rebuilt. */
const FORMAT = 3;

interface Current {
  format: number;
  /** The folder of the build in use, under the cache folder. */
  dir: string;
  /** Every source file it was built from (relative to the package root) → its mtime. */
  inputs: Record<string, number>;
}

const cacheDir = (root: string) => join(root, 'node_modules', '.cache', 'learn-ds-kit');

function bundleOf(root: string, dir: string): KitBundle {
  const redirects = new Map<string, string>();
  for (const [name, source] of Object.entries(ENTRIES)) redirects.set(join(root, source), join(cacheDir(root), dir, `${name}.mjs`));
  return { redirects, preload: join(cacheDir(root), dir, 'preload.mjs'), preloadWithFastCheck: join(cacheDir(root), dir, 'preload-fast-check.mjs'), build: dir };
}

function fresh(root: string): Current | undefined {
  try {
    const current = JSON.parse(readFileSync(join(cacheDir(root), 'current.json'), 'utf8')) as Current;
    if (current.format !== FORMAT || !existsSync(join(cacheDir(root), current.dir))) return undefined;
    for (const [file, mtime] of Object.entries(current.inputs)) if (statSync(join(root, file)).mtimeMs !== mtime) return undefined;
    return current;
  } catch {
    return undefined;
  }
}

async function build(root: string): Promise<Current> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(root, file)])),
    bundle: true,
    splitting: true, // the entries share their modules: one instance of each
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external', // vitest and fast-check stay the ones the suites import
    outdir: '/', // only names the files: nothing is written by esbuild
    outExtension: { '.js': '.mjs' },
    write: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  // A build has a folder of its own, named by its content, moved into place whole: a run that
  // started with an earlier build keeps importing a consistent set of files.
  const hash = createHash('sha256').update(String(FORMAT));
  for (const file of result.outputFiles) hash.update(file.path).update(file.contents);
  const dir = hash.digest('hex').slice(0, 16);
  const target = join(cacheDir(root), dir);
  if (!existsSync(target)) {
    const temp = join(cacheDir(root), `.${dir}.${process.pid}.tmp`);
    mkdirSync(temp, { recursive: true });
    for (const file of result.outputFiles) {
      const out = join(temp, relative('/', file.path));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, file.contents);
    }
    const entries = Object.keys(ENTRIES).map((name) => `import './${name}.mjs';`);
    writeFileSync(join(temp, 'preload.mjs'), entries.join('\n'));
    // fast-check by its bare name, resolved from here as from the suites and learner code: the
    // same module. Its global configuration's functions are exported for the thread, which puts
    // the configuration back before each run (prestarted-pool.ts).
    writeFileSync(
      join(temp, 'preload-fast-check.mjs'),
      ["export { configureGlobal as fastCheckConfigure, readConfigureGlobal as fastCheckConfig } from 'fast-check';", ...entries].join('\n'),
    );
    try {
      renameSync(temp, target);
    } catch {
      rmSync(temp, { recursive: true, force: true }); // another process put the same build there first
    }
  }
  // The build this one replaces is marked with the time it was replaced: a run (a watch session,
  // a proof) may still be importing it, so it is kept an hour from now, however old it is.
  const replaced = currentBuild(root);
  if (replaced && replaced !== dir) {
    try {
      utimesSync(join(cacheDir(root), replaced), new Date(), new Date());
    } catch {
      // gone already
    }
  }
  removeOldBuilds(root, dir);
  const inputs: Record<string, number> = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[file] = statSync(join(root, file)).mtimeMs;
  const current: Current = { format: FORMAT, dir, inputs };
  const temp = join(cacheDir(root), `current.json.${process.pid}.tmp`);
  writeFileSync(temp, JSON.stringify(current));
  renameSync(temp, join(cacheDir(root), 'current.json'));
  return current;
}

/** The folder of the build in use (current.json's), without checking it. */
export function currentBuild(root = packageRoot): string | undefined {
  try {
    const { dir } = JSON.parse(readFileSync(join(cacheDir(root), 'current.json'), 'utf8')) as Partial<Current>;
    return typeof dir === 'string' ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Builds replaced more than an hour ago (their folder's time is when; a run still importing one was replaced since). */
function removeOldBuilds(root: string, keep: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(cacheDir(root))) {
    const path = join(cacheDir(root), name);
    try {
      if (name !== keep && name !== 'current.json' && statSync(path).mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
}

/** The bundle, built first if a source changed; undefined when it cannot be (the sources are used). */
export async function kitBundle(root = packageRoot): Promise<KitBundle | undefined> {
  if (process.env.LEARN_DS_NO_BUNDLE === '1') return undefined;
  try {
    const current = fresh(root) ?? (await build(root));
    return bundleOf(root, current.dir);
  } catch {
    return undefined;
  }
}

/** Whether an exercise's suites or demo use fast-check (directly, or through the harness's holds() or runProperty()). */
export function usesFastCheck(exerciseDir: string): boolean {
  const files = [join(exerciseDir, 'demo.ts'), ...readdirRecursive(join(exerciseDir, 'tests'))];
  return files.some((file) => {
    try {
      return /fast-check|\bholds\(|\brunProperty\(/.test(readFileSync(file, 'utf8'));
    } catch {
      return false;
    }
  });
}

function readdirRecursive(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** A Vite plugin of hidden runs: imports of the kit's entries load the bundle, natively. */
export function kitPlugin(kit: KitBundle): Plugin {
  return {
    name: 'learn-ds-kit',
    enforce: 'pre',
    resolveId(source, importer) {
      const file = source.split('?')[0]!;
      const path = isAbsolute(file) ? file : importer && file.startsWith('.') ? resolve(dirname(importer.split('?')[0]!), file) : undefined;
      const bundled = path ? kit.redirects.get(path) : undefined;
      return bundled ? { id: bundled, external: true } : null;
    },
  };
}

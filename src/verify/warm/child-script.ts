/**
 * The warm child (child.ts) as a script Node can run. Node 20 cannot run TypeScript, and loading
 * tsx into the child would put its loader hooks under vitest's own module loading; so, as the
 * launcher does for the CLI, the child is bundled once with esbuild (dependencies stay external)
 * and rebuilt only when one of its sources changes.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import { packageRoot, srcDir } from '../../package-paths.ts';

const entry = join(srcDir, 'verify', 'warm', 'child.ts');
const requireFromRoot = createRequire(join(packageRoot, 'package.json'));

/** Packages (vitest) stay external but are imported by absolute path, so the script runs from anywhere. */
const externalByPath: Plugin = {
  name: 'external-by-path',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('node:') ? { path: args.path, external: true } : { path: requireFromRoot.resolve(args.path), external: true },
    );
  },
};

function isFresh(script: string, meta: string): boolean {
  try {
    const inputs = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, number>;
    statSync(script);
    return Object.entries(inputs).every(([file, mtime]) => statSync(join(packageRoot, file)).mtimeMs === mtime);
  } catch {
    return false;
  }
}

async function buildInto(dir: string): Promise<string> {
  const script = join(dir, 'warm-child.mjs');
  const meta = join(dir, 'warm-child.inputs.json');
  if (isFresh(script, meta)) return script;
  const { build } = await import('esbuild');
  mkdirSync(dir, { recursive: true });
  // Built beside and renamed into place: several learn-ds processes may build at once.
  const temp = join(dir, `warm-child.${process.pid}.${Date.now()}.mjs`);
  const result = await build({
    entryPoints: [entry],
    outfile: temp,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    plugins: [externalByPath],
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: packageRoot,
  });
  const inputs: Record<string, number> = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[file] = statSync(join(packageRoot, file)).mtimeMs;
  renameSync(temp, script);
  writeFileSync(meta, JSON.stringify(inputs));
  return script;
}

/** The path of the child's runnable script, building it when missing or stale. */
export async function warmChildScript(): Promise<string> {
  try {
    return await buildInto(join(packageRoot, 'node_modules', '.cache', 'learn-ds'));
  } catch {
    // A read-only install: build where we can write.
    return buildInto(join(tmpdir(), `learn-ds-${process.getuid?.() ?? 'user'}`));
  }
}

/**
 * The kit of hidden runs bundled (src/verify/kit-bundle.ts): built once, shared by its entries,
 * rebuilt when a source changes, left alone otherwise, and the sources used when it cannot be built.
 * (Hidden runs through it, their verdicts equal to the sources': every exercise's proof and
 * test/warm-verifier.test.ts.)
 */
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { currentBuild, kitBundle, kitPlugin, usesFastCheck } from '../src/verify/kit-bundle.ts';
import { packageRoot } from '../src/package-paths.ts';
import { tempDir } from './support/cli.ts';

function write(root: string, file: string, text: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

/** A package with the kit's three entries, sharing one module (shared.ts). */
function fakePackage(): string {
  const root = tempDir('learn-ds-kit-');
  write(root, 'package.json', '{"name":"learn-ds-kit-test","type":"module"}');
  write(root, 'src/verify/harness/shared.ts', 'export const shared = { built: 1 };\n');
  write(root, 'src/verify/harness/index.ts', "export { shared } from './shared.ts';\n");
  write(root, 'src/verify/harness/internal.ts', "export { shared } from './shared.ts';\n");
  write(root, 'src/sim/index.ts', "export { shared } from '../verify/harness/shared.ts';\nexport const sim = 'sim';\n");
  mkdirSync(join(root, 'node_modules'));
  return root;
}

const bundled = (kit: NonNullable<Awaited<ReturnType<typeof kitBundle>>>, root: string, source: string) => kit.redirects.get(join(root, source))!;
const load = async (file: string) => (await import(/* @vite-ignore */ `${pathToFileURL(file).href}?t=${Date.now()}`)) as Record<string, unknown>;

describe('the kit bundle', () => {
  const saved = process.env.LEARN_DS_NO_BUNDLE;
  afterEach(() => {
    if (saved === undefined) delete process.env.LEARN_DS_NO_BUNDLE;
    else process.env.LEARN_DS_NO_BUNDLE = saved;
  });

  test('its entries share one instance of each module; it is built once and rebuilt when a source changes', async () => {
    delete process.env.LEARN_DS_NO_BUNDLE;
    const root = fakePackage();
    const kit = (await kitBundle(root))!;
    expect([...kit.redirects.keys()].sort()).toEqual(['src/sim/index.ts', 'src/verify/harness/index.ts', 'src/verify/harness/internal.ts'].map((f) => join(root, f)));
    const harness = bundled(kit, root, 'src/verify/harness/index.ts');
    const sim = bundled(kit, root, 'src/sim/index.ts');
    // One import of each entry, without query strings: the same shared chunk behind both.
    const [h, s] = [(await import(pathToFileURL(harness).href)) as Record<string, unknown>, (await import(pathToFileURL(sim).href)) as Record<string, unknown>];
    expect(h.shared).toBe(s.shared);
    expect(s.sim).toBe('sim');
    expect(readFileSync(kit.preloadWithFastCheck, 'utf8')).toContain("from 'fast-check';");
    expect(readFileSync(kit.preload, 'utf8')).not.toContain('fast-check');

    // Unchanged sources: the same build, not rebuilt.
    const current = join(root, 'node_modules/.cache/learn-ds-kit/current.json');
    const before = statSync(current).mtimeMs;
    expect(bundled((await kitBundle(root))!, root, 'src/sim/index.ts')).toBe(sim);
    expect(statSync(current).mtimeMs).toBe(before);

    // A changed source (a newer mtime): a new build in a folder of its own; the last one stays
    // whole (a run may be importing it), builds replaced more than an hour ago are removed.
    const ancient = join(root, 'node_modules/.cache/learn-ds-kit/0123456789abcdef');
    mkdirSync(ancient);
    utimesSync(ancient, new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
    // The build in use was made two hours ago: replaced now, it stays (a watch session may import it).
    const first = currentBuild(root)!;
    expect(harness).toContain(first);
    utimesSync(join(root, 'node_modules/.cache/learn-ds-kit', first), new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
    write(root, 'src/verify/harness/shared.ts', 'export const shared = { built: 2 };\n');
    utimesSync(join(root, 'src/verify/harness/shared.ts'), new Date(), new Date(Date.now() + 5_000));
    const rebuilt = (await kitBundle(root))!;
    const newHarness = bundled(rebuilt, root, 'src/verify/harness/index.ts');
    expect(newHarness).not.toBe(harness);
    expect(((await load(newHarness)).shared as { built: number }).built).toBe(2);
    expect(((await load(harness)).shared as { built: number }).built).toBe(1);
    expect(existsSync(ancient)).toBe(false);
    expect(existsSync(join(root, 'node_modules/.cache/learn-ds-kit', first))).toBe(true);
    expect(currentBuild(root)).not.toBe(first);
    expect(newHarness).toContain(currentBuild(root)!);
    expect(rebuilt.build).toBe(currentBuild(root));
    expect(kit.build).toBe(first);
  });

  test('without a writable cache, or with LEARN_DS_NO_BUNDLE=1, there is none: hidden runs use the sources', async () => {
    delete process.env.LEARN_DS_NO_BUNDLE;
    const root = fakePackage();
    writeFileSync(join(root, 'node_modules/.cache'), 'a file where the cache folder would be');
    expect(await kitBundle(root)).toBeUndefined();
    process.env.LEARN_DS_NO_BUNDLE = '1';
    expect(await kitBundle(fakePackage())).toBeUndefined();
  });

  test('threads import fast-check ahead only for exercises whose suites use it', () => {
    const exercises = join(packageRoot, 'exercises');
    expect(usesFastCheck(join(exercises, 'congestion-window'))).toBe(true); // holds()
    expect(usesFastCheck(join(exercises, 'property-tests'))).toBe(true);
    expect(usesFastCheck(join(exercises, 'retry-backoff'))).toBe(false);
  });

  test("a hidden run's imports of the entries (by alias or relative path) load the bundle, natively; other imports are left alone", async () => {
    delete process.env.LEARN_DS_NO_BUNDLE;
    const kit = (await kitBundle(packageRoot))!;
    const resolveId = kitPlugin(kit).resolveId as (source: string, importer?: string) => { id: string; external: boolean } | null;
    const setup = join(packageRoot, 'src/verify/harness/setup.ts');
    expect(resolveId(join(packageRoot, 'src/sim/index.ts'), '/somewhere/learner.ts')).toEqual({ id: bundled(kit, packageRoot, 'src/sim/index.ts'), external: true });
    expect(resolveId('./internal.ts', setup)).toEqual({ id: bundled(kit, packageRoot, 'src/verify/harness/internal.ts'), external: true });
    expect(resolveId('./failure.ts', join(packageRoot, 'src/verify/harness/subject.ts'))).toBeNull();
    expect(resolveId('fast-check', setup)).toBeNull();
    // The bundle as built from this package's sources: the harness's own exports.
    const harness = await import(pathToFileURL(bundled(kit, packageRoot, 'src/verify/harness/index.ts')).href);
    expect(typeof harness.checkScenario).toBe('function');
  });
});

// Renderings kept on disk (src/report/rendered-markdown.ts): read back only for the same markdown,
// width, colour and learn-ds; rendered afresh otherwise; never a reason for a command to fail.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CHECKED_SOURCES } from '../bin/lib/sources.js';
import { renderMarkdown } from '../src/report/markdown.ts';
import { MAX_KEPT, hashText, renderedMarkdown, type RenderTarget } from '../src/report/rendered-markdown.ts';

const plain: RenderTarget = { width: 60, colorLevel: 0 };
const markdown = 'Call `op` again, waiting **longer** each time:\n\n- first\n- second\n';
const rendered = (text: string, target = plain) => renderMarkdown(text, { width: target.width, color: target.colorLevel > 0 });
const checked = globalThis as { [CHECKED_SOURCES]?: { stamps: Record<string, string>; at: number } };

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'learn-ds-rendered-'));
  checked[CHECKED_SOURCES] = { stamps: { 'src/report/markdown.ts': '100:1' }, at: Date.now() };
});
afterEach(() => {
  delete checked[CHECKED_SOURCES];
  rmSync(root, { recursive: true, force: true });
});

/** Every entry kept, by file name, under the one folder of this learn-ds. */
function entries(): Map<string, { markdown: string; rendered: string }> {
  const [folder, ...others] = readdirSync(root);
  expect(others).toEqual([]);
  return new Map(readdirSync(join(root, folder!)).map((name) => [name, JSON.parse(readFileSync(join(root, folder!, name), 'utf8'))]));
}

/** Replaces the one entry's rendering, so that a read-back is told from a new rendering. */
function tamper(text: string): void {
  const [folder] = readdirSync(root);
  const [name] = readdirSync(join(root, folder!));
  const file = join(root, folder!, name!);
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), rendered: text }));
}

describe('renderings kept on disk', () => {
  test('the first rendering is kept with its markdown; the next one at the same width and colour is read back', async () => {
    expect(await renderedMarkdown(markdown, plain, [], root)).toBe(rendered(markdown));
    expect([...entries().values()]).toEqual([{ markdown, rendered: rendered(markdown) }]);
    tamper('kept');
    expect(await renderedMarkdown(markdown, plain, [], root)).toBe('kept');
  });

  test('another width, colour level or markdown is rendered afresh', async () => {
    await renderedMarkdown(markdown, plain, [], root);
    tamper('kept');
    const wider = { width: 90, colorLevel: 0 };
    const coloured = { width: 60, colorLevel: 3 };
    expect(await renderedMarkdown(markdown, wider, [], root)).toBe(rendered(markdown, wider));
    expect(await renderedMarkdown(markdown, coloured, [], root)).toBe(rendered(markdown, coloured));
    expect(await renderedMarkdown(`${markdown}\nMore.`, plain, [], root)).toBe(rendered(`${markdown}\nMore.`));
    expect(entries().size).toBe(4);
  });

  test('an entry whose markdown differs (a name shared by two texts), or unreadable, is rendered afresh and replaced', async () => {
    await renderedMarkdown(markdown, plain, [], root);
    const [folder] = readdirSync(root);
    const [name] = readdirSync(join(root, folder!));
    const file = join(root, folder!, name!);
    writeFileSync(file, JSON.stringify({ markdown: 'another text', rendered: 'theirs' }));
    expect(await renderedMarkdown(markdown, plain, [], root)).toBe(rendered(markdown));
    writeFileSync(file, '{"markdown": "Call');
    expect(await renderedMarkdown(markdown, plain, [], root)).toBe(rendered(markdown));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ markdown, rendered: rendered(markdown) });
  });

  test('a changed learn-ds keeps its renderings apart and removes the older ones', async () => {
    await renderedMarkdown(markdown, plain, [], root);
    tamper('old renderer');
    const [before] = readdirSync(root);
    checked[CHECKED_SOURCES] = { stamps: { 'src/report/markdown.ts': '104:2' }, at: Date.now() };
    expect(await renderedMarkdown(markdown, plain, [], root)).toBe(rendered(markdown));
    expect(readdirSync(root)).not.toContain(before);
    expect(readdirSync(root)).toHaveLength(1);
  });

  test('once MAX_KEPT renderings are kept, the next one starts the folder again', async () => {
    await renderedMarkdown(markdown, plain, [], root);
    const [folder] = readdirSync(root);
    for (let i = 1; i < MAX_KEPT; i++) writeFileSync(join(root, folder!, `filler-${i}.json`), '{}');
    expect(readdirSync(join(root, folder!))).toHaveLength(MAX_KEPT);
    await renderedMarkdown('Another text.', plain, [], root);
    expect(entries().size).toBe(1);
  });

  test('the texts given beside it (a statement\'s hints) are rendered and kept too, for the next command to read', async () => {
    const hints = ['Loop over `attempt = 1, 2, …`.', 'Wait between attempts:\n```ts\nawait sleep(ms);\n```'];
    expect(await renderedMarkdown(markdown, plain, hints, root)).toBe(rendered(markdown));
    const kept = [...entries().values()];
    expect(kept.map((e) => e.markdown).sort()).toEqual([markdown, ...hints].sort());
    for (const entry of kept) expect(entry.rendered).toBe(rendered(entry.markdown));
  });

  test('without the launcher\'s stamps (sources run through tsx) nothing is kept', async () => {
    delete checked[CHECKED_SOURCES];
    expect(await renderedMarkdown(markdown, plain, ['a hint'], root)).toBe(rendered(markdown));
    expect(readdirSync(root)).toEqual([]);
  });

  test.skipIf(process.getuid?.() === 0)('an unwritable cache folder only means rendering each time', async () => {
    chmodSync(root, 0o500);
    try {
      expect(await renderedMarkdown(markdown, plain, [], root)).toBe(rendered(markdown));
      expect(await renderedMarkdown(markdown, plain, [], root)).toBe(rendered(markdown));
    } finally {
      chmodSync(root, 0o700);
    }
  });

  test('a cache folder that is a file only means rendering each time', async () => {
    const file = join(root, 'not-a-folder');
    writeFileSync(file, 'x');
    expect(await renderedMarkdown(markdown, plain, [], file)).toBe(rendered(markdown));
    expect(existsSync(file)).toBe(true);
  });

  test('entry names: the same text the same name, one changed character another', () => {
    expect(hashText(markdown)).toBe(hashText(`${markdown}`));
    expect(hashText(markdown)).toMatch(/^[0-9a-f]{16}$/);
    const names = new Set(['', 'a', 'b', 'ab', 'ba', markdown, markdown.replace('op', 'oq'), 'é', 'e\u0301'].map(hashText));
    expect(names.size).toBe(9);
  });
});

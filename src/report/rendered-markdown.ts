/**
 * Markdown rendered for the terminal, kept on disk beside the CLI's bundle. Loading the renderer
 * (marked, marked-terminal) and its first render (marked compiles its rules' regular expressions)
 * are ~30 ms of a ~200 ms `hint`; a hint shown at the same width and colour again is read back
 * instead. The statement's rendering stores the exercise's hints too (the renderer is warm then),
 * so even the first `hint` reads them.
 *
 * Entries are keyed by the launcher's stamps of learn-ds's sources and dependencies
 * (bin/lib/sources.js), so a changed renderer never serves an old rendering; without them (the
 * sources run through tsx) nothing is cached. Each entry holds its markdown, compared on reading.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKED_SOURCES, type CheckedSources } from '../../bin/lib/sources.js';
import { packageRoot } from '../package-paths.ts';
import { style } from './style.ts';

/** What a rendering depends on besides its markdown. */
export interface RenderTarget {
  /** Columns to fit (markdown.ts's textWidth). */
  width: number;
  /** chalk's colour level: 0 is none; 1–3 differ in their escape sequences. */
  colorLevel: number;
}

/** Prose wider than this is hard to read, however wide the terminal. */
export const MAX_WIDTH = 100;
const MIN_WIDTH = 40;
/** When output is not a terminal (a pipe, a file) there is no width to fit: the usual 80. */
export const DEFAULT_WIDTH = 80;

/** The width to fit: the terminal's (within bounds), or the default when not a terminal. */
export function textWidth(stream: { isTTY?: boolean; columns?: number }): number {
  if (!stream.isTTY || !stream.columns) return DEFAULT_WIDTH;
  return Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, stream.columns - 1));
}

/** Where this process's output goes: standard output's width, learn-ds's colour level. */
export function stdoutTarget(): RenderTarget {
  return { width: textWidth(process.stdout), colorLevel: style.level };
}

/** Two FNV-1a hashes of a string, as 16 hex digits: a file name, not a check (entries hold their text). */
export function hashText(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** The folder of this learn-ds's renderings, or undefined when there is no launcher's check to key them by. */
function cacheFolder(root: string): string | undefined {
  const checked = (globalThis as { [CHECKED_SOURCES]?: CheckedSources })[CHECKED_SOURCES];
  if (!checked) return undefined;
  const stamps = Object.keys(checked.stamps)
    .sort()
    .map((path) => `${path}=${checked.stamps[path]}`)
    .join('\n');
  return join(root, hashText(stamps));
}

const entryName = (markdown: string, target: RenderTarget) => `${target.width}-${target.colorLevel}-${hashText(markdown)}.json`;

interface Entry {
  markdown: string;
  rendered: string;
}

function read(folder: string, markdown: string, target: RenderTarget): string | undefined {
  try {
    const entry = JSON.parse(readFileSync(join(folder, entryName(markdown, target)), 'utf8')) as Partial<Entry>;
    return entry.markdown === markdown && typeof entry.rendered === 'string' ? entry.rendered : undefined;
  } catch {
    return undefined; // none yet, or unreadable: rendered again
  }
}

/** Renderings kept at most (every width a terminal was resized to counts): then they start again. */
export const MAX_KEPT = 2_000;

function write(folder: string, markdown: string, target: RenderTarget, rendered: string): void {
  try {
    // A new folder means learn-ds changed: the older ones' renderings will never be read again.
    const root = join(folder, '..');
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      const path = join(root, entry.name);
      if (entry.isDirectory() && (path !== folder || readdirSync(path).length >= MAX_KEPT)) rmSync(path, { recursive: true, force: true });
    }
  } catch {
    // no cache folder yet
  }
  try {
    mkdirSync(folder, { recursive: true });
    const file = join(folder, entryName(markdown, target));
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ markdown, rendered } satisfies Entry));
    renameSync(temp, file);
  } catch {
    // a read-only install: rendered each time
  }
}

/** Where renderings are kept: beside the CLI's bundle. */
export const RENDERED_CACHE = join(packageRoot, 'node_modules', '.cache', 'learn-ds', 'rendered');

/**
 * `markdown` rendered for `target`: read back when this learn-ds rendered it before at this width
 * and colour, else rendered (the renderer loaded now) and kept. Then `also` (for example the hints
 * of a statement just shown) are rendered and kept too, while the renderer is loaded.
 */
export async function renderedMarkdown(markdown: string, target: RenderTarget, also: readonly string[] = [], root = RENDERED_CACHE): Promise<string> {
  const folder = cacheFolder(root);
  const kept = folder === undefined ? undefined : read(folder, markdown, target);
  if (kept !== undefined && also.length === 0) return kept;
  const { renderMarkdown } = await import('./markdown.ts');
  const render = (text: string) => renderMarkdown(text, { width: target.width, color: target.colorLevel > 0 });
  const rendered = kept ?? render(markdown);
  if (folder !== undefined) {
    if (kept === undefined) write(folder, markdown, target, rendered);
    for (const text of also) if (read(folder, text, target) === undefined) write(folder, text, target, render(text));
  }
  return rendered;
}

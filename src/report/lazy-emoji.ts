/**
 * What the CLI's bundle gives marked-terminal for `node-emoji` (bin/learn-ds.js, esbuild's alias):
 * the real one loaded at its first use. learn-ds renders with `emoji: false` (markdown.ts), so it is
 * never used, yet importing it parsed emojilib's table (~340 KB of JSON) on every hint and statement.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export function get(name: string): string | undefined {
  return (load('node-emoji') as typeof import('node-emoji')).get(name);
}

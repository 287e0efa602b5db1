// marked-terminal ships no types; this declares the part learn-ds uses (src/report/markdown.ts).
declare module 'marked-terminal' {
  import type { MarkedExtension } from 'marked';

  export interface TerminalRendererOptions {
    /** Reflow width, used when `reflowText` is on. */
    width?: number;
    reflowText?: boolean;
    /** Keep "## " before headings. */
    showSectionPrefix?: boolean;
    /** Indentation of code blocks and lists, in spaces. */
    tab?: number;
    /** Replace :emoji: codes. */
    emoji?: boolean;
    /** Options passed to cli-table3 for tables. */
    tableOptions?: Record<string, unknown>;
    /** Style functions (code, heading, strong, …). */
    [style: string]: unknown;
  }

  export function markedTerminal(options?: TerminalRendererOptions, highlightOptions?: Record<string, unknown>): MarkedExtension;
}

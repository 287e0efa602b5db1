/**
 * Markdown for the terminal (statements, hints): marked + marked-terminal, which highlights code
 * through cli-highlight (loaded at the first code block), and reflows prose to a width. Loaded
 * only through rendered-markdown.ts, which keeps renderings and imports this module on a miss.
 */
import { stripVTControlCharacters } from 'node:util';
import { Marked, type MarkedExtension, type RendererThis, type Tokens } from 'marked';
import { markedTerminal } from 'marked-terminal';

export interface MarkdownOptions {
  /** Columns to fit. */
  width: number;
  color: boolean;
}

// marked-terminal indents each list level by `tab`; an item starts with a marker ("• " or "N. ").
const TAB = 2;
// A line starting like this would be read as a new item: never wrap onto one.
const LOOKS_LIKE_ITEM = /^(?:\*|\d+\.)/;

interface OpenList {
  ordered: boolean;
  start: number;
  /** Width of the widest marker, e.g. "10. ". */
  marker: number;
}

/**
 * Puts markers on a rendered list body. Items arrive as lines starting with "* " (marked-terminal's
 * placeholder); other lines continue an item (nested lists and code are indented already). Replaces
 * marked-terminal's own, which also renumbers a nested bullet list's items inside an ordered list.
 */
export function markList(body: string, list: OpenList): string {
  let n = list.start - 1;
  return body
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      if (!line.startsWith('* ')) return ' '.repeat(list.marker) + line;
      const marker = list.ordered ? `${++n}.` : '•';
      return marker.padEnd(list.marker) + line.slice(2);
    })
    .join('\n');
}

/** Wraps words to `width` visible columns (escape sequences take none). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const fits = stripVTControlCharacters(`${line} ${word}`).length <= width;
    if (line === '' || fits || LOOKS_LIKE_ITEM.test(stripVTControlCharacters(word))) line = line ? `${line} ${word}` : word;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Reflows a rendered list item's own prose; lines marked-terminal indented (a nested list, a code
 * block) and blank lines are kept as they are.
 */
export function reflowItem(text: string, width: number): string {
  const out: string[] = [];
  let prose: string[] = [];
  const flush = () => {
    if (prose.length) out.push(...wrapWords(prose.join(' '), width));
    prose = [];
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '' || /^\s/.test(line)) {
      flush();
      out.push(line);
    } else prose.push(line);
  }
  flush();
  return out.join('\n');
}

/** Column widths that fit `width` (borders included), shrinking the widest columns first. */
export function fitColumns(natural: readonly number[], width: number): number[] | undefined {
  const border = natural.length * 3 + 1; // "│ " before each cell, " " after, the last "│"
  const cols = natural.map((n) => n + 2); // cli-table3 counts its padding in colWidths
  if (cols.reduce((a, b) => a + b, 0) + natural.length + 1 <= width) return undefined;
  let room = width - border + natural.length * 2;
  const result = [...cols];
  // Give each column what it needs, the smallest first, capped at an even share of what is left.
  const order = cols.map((c, i) => [c, i] as const).sort((a, b) => a[0] - b[0]);
  order.forEach(([need, i], k) => {
    const share = Math.floor(room / (order.length - k));
    result[i] = Math.max(5, Math.min(need, share));
    room -= result[i]!;
  });
  return result;
}

export function renderMarkdown(markdown: string, { width, color }: MarkdownOptions): string {
  // The lists being rendered, innermost last: an item is reflowed to the room its indentation leaves.
  const open: OpenList[] = [];
  const room = () => width - open.reduce((sum, l) => sum + TAB + l.marker, 0);
  const tableOptions: Record<string, unknown> = { style: { head: color ? ['bold'] : [], border: [] } };
  const terminal = markedTerminal({
    width,
    reflowText: true,
    tab: TAB,
    // ":" sequences in code and prose are not emoji codes here.
    emoji: false,
    // Without colour, a code span keeps its backticks so that it still reads as code.
    ...(color ? {} : { codespan: (s: string) => `\`${s}\`` }),
    listitem: (text: string) => reflowItem(text, room()),
    list: (body: string) => markList(body, open.at(-1)!),
    tableOptions,
  });
  const base = terminal.renderer as Record<string, (this: RendererThis, token: never) => string>;
  const fixes: MarkedExtension = {
    renderer: {
      // marked-terminal renders a tight list item's text raw; its inline tokens (code, bold) are parsed here.
      text(this: RendererThis, token: Tokens.Text | Tokens.Escape) {
        return 'tokens' in token && token.tokens ? this.parser.parseInline(token.tokens) : base.text!.call(this, token as never);
      },
      list(this: RendererThis, token: Tokens.List) {
        const start = typeof token.start === 'number' ? token.start : 1;
        const marker = token.ordered ? `${start + token.items.length - 1}. `.length : 2;
        open.push({ ordered: token.ordered, start, marker });
        try {
          // A nested list starts on its own line (marked-terminal glues it to the item's text).
          return (open.length > 1 ? '\n' : '') + base.list!.call(this, token as never);
        } finally {
          open.pop();
        }
      },
      // Fits a wide table to the width; marked-terminal hands this same options object to cli-table3.
      table(this: RendererThis, token: Tokens.Table) {
        const rows = [token.header, ...token.rows];
        const natural = token.header.map((_, c) => Math.max(...rows.map((r) => (r[c]?.text ?? '').length)));
        const colWidths = fitColumns(natural, width);
        if (colWidths) Object.assign(tableOptions, { colWidths, wordWrap: true, wrapOnWordBoundary: true });
        else delete tableOptions.colWidths;
        return base.table!.call(this, token as never);
      },
    },
  };
  const marked = new Marked(terminal, fixes);
  const out = marked.parse(markdown, { async: false });
  // marked-terminal, cli-table3 and cli-highlight each decide on colour by themselves; when learn-ds
  // has none (NO_COLOR, --no-color, not a terminal), no escape sequence may get through.
  return (color ? out : stripVTControlCharacters(out)).replace(/\n{3,}/g, '\n\n').trimEnd();
}

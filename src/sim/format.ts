/** Short, readable renderings of messages and values for timelines and histories. */

function short(value: unknown): string {
  if (typeof value === 'string') return /^[\w.:-]{1,24}$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'object' && value !== null) {
    const json = JSON.stringify(value) ?? String(value);
    return json.length > 30 ? `${json.slice(0, 29)}…` : json;
  }
  return String(value);
}

/** `{ type: 'vote', term: 3, granted: true }` → `vote term=3 granted=true`. */
export function summarize(message: unknown, max = 60): string {
  let text: string;
  if (typeof message === 'object' && message !== null && !Array.isArray(message)) {
    const entries = Object.entries(message as Record<string, unknown>);
    const type = (message as { type?: unknown }).type;
    const rest = entries.filter(([k]) => k !== 'type').map(([k, v]) => `${k}=${short(v)}`);
    text = typeof type === 'string' ? [type, ...rest].join(' ') : rest.join(' ') || '{}';
  } else {
    text = short(message);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function ms(t: number): string {
  return Number.isFinite(t) ? `${t.toFixed(1)} ms` : '∞';
}

// The flag service the suite and the demo hand to FeatureFlags, and the user ids they ask about.
import { describeThrown, streamFor, virtualNow } from 'learn-ds/harness';
import type { FlagSource } from 'learn-ds/subject/feature-flags';

/** What the service answers to a call: a value, or a rejection with any value (the service is down). */
export type Reply<T> = { ok: T } | { fail: unknown };

/** One flag as the configuration's JSON has it. */
export interface FlagJson {
  key: string;
  enabled: boolean;
  rolloutPercent: number;
}

export function configText(flags: readonly FlagJson[]): string {
  return JSON.stringify({ flags });
}

/**
 * A flag service in virtual time. Each call takes what the service holds at that moment and answers
 * it `delayMs` later (always sooner than the client's intervals, so polls never overlap). It records
 * when each call was made, and counts its own timers so that the client's can be told apart.
 */
export class FakeSource {
  config: Reply<string>;
  killed: Reply<string[]> = { ok: [] };
  readonly configCalls: number[] = [];
  readonly killCalls: number[] = [];
  #timers = 0;
  /** When the service was made: call times are counted from here. */
  readonly #t0 = virtualNow();

  constructor(readonly delayMs: number, config: Reply<string> = { fail: new Error('the flag service is not set up') }) {
    this.config = config;
  }

  readonly source: FlagSource = {
    fetchConfig: () => {
      this.configCalls.push(virtualNow() - this.#t0);
      return this.#answer(this.config);
    },
    fetchKilled: () => {
      this.killCalls.push(virtualNow() - this.#t0);
      const reply = this.killed;
      return this.#answer('ok' in reply ? { ok: [...reply.ok] } : reply);
    },
  };

  setFlags(flags: readonly FlagJson[]): void {
    this.config = { ok: configText(flags) };
  }

  #answer<T>(reply: Reply<T>): Promise<T> {
    this.#timers++;
    return new Promise<T>((resolve, reject) => {
      setTimeout(() => {
        this.#timers--;
        if ('ok' in reply) resolve(reply.ok);
        else reject(reply.fail);
      }, this.delayMs);
    });
  }

  /** The service's own timers still scheduled (answers still to come). */
  get timers(): number {
    return this.#timers;
  }
}

/** A logger that keeps what it is given. */
export class FakeLogger {
  readonly lines: string[] = [];
  readonly logger = {
    warn: (message: unknown) => {
      this.lines.push(typeof message === 'string' ? message : describeThrown(message));
    },
  };
}

/** The shapes of user id every rollout check uses. */
export const SHAPES = ['sequential', 'random', 'mixed-case', 'non-ASCII'] as const;
export type Shape = (typeof SHAPES)[number];

const NON_ASCII = ['é', 'ß', 'ł', 'Ω', 'ж', '中', '文', 'ü', 'ñ', '😀', '🚀', 'ø', 'ç', 'ą', 'ğ', 'ه'];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

/** `count` distinct user ids of one shape, drawn from a seeded stream. */
export function userIds(label: string, shape: Shape, count: number): string[] {
  const random = streamFor(`${label}/${shape}`);
  if (shape === 'sequential') {
    const first = Math.floor(random() * 1000);
    return Array.from({ length: count }, (_, i) => `user-${first + i}`);
  }
  const ids = new Set<string>();
  while (ids.size < count) {
    const length = 4 + Math.floor(random() * 20);
    let id = '';
    for (let i = 0; i < length; i++) {
      if (shape === 'random') id += Math.floor(random() * 16).toString(16);
      else if (shape === 'mixed-case') {
        const letter = pick([...LETTERS], random);
        id += random() < 0.5 ? letter.toUpperCase() : random() < 0.2 ? String(Math.floor(random() * 10)) : letter;
      } else id += random() < 0.4 ? pick(NON_ASCII, random) : pick([...LETTERS], random);
    }
    if (shape === 'non-ASCII' && !/[^\x00-\x7f]/.test(id)) id += pick(NON_ASCII, random);
    ids.add(id);
  }
  return [...ids];
}

/** Ids of every shape, `perShape` of each, then the empty string. */
export function mixedUserIds(label: string, perShape: number): string[] {
  return [...SHAPES.flatMap((shape) => userIds(label, shape, perShape)), ''];
}

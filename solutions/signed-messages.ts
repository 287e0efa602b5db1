import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A message and the proof that someone holding the key wrote it, at `timestamp`, once. */
export interface SignedMessage {
  body: string;
  /** Date.now() when signed, whole milliseconds. */
  timestamp: number;
  /** 32 lower-case hex characters, random (crypto.randomBytes(16)). */
  nonce: string;
  /** 64 lower-case hex characters: HMAC-SHA256(key, `${timestamp}.${nonce}.${body}`). */
  signature: string;
}

export type Verdict = { ok: true } | { ok: false; reason: 'malformed' | 'bad-signature' | 'stale' | 'replayed' };

const NONCE = /^[0-9a-f]{32}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

/** The signature of the fields: the dots keep characters from moving between fields unnoticed. */
function hmac(key: string, timestamp: number, nonce: string, body: string): string {
  return createHmac('sha256', key).update(`${timestamp}.${nonce}.${body}`).digest('hex');
}

export function sign(key: string, body: string): SignedMessage {
  const timestamp = Date.now();
  const nonce = randomBytes(16).toString('hex');
  return { body, timestamp, nonce, signature: hmac(key, timestamp, nonce, body) };
}

function isWellFormed(value: unknown): value is SignedMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    typeof m.body === 'string' &&
    Number.isSafeInteger(m.timestamp) &&
    typeof m.nonce === 'string' && NONCE.test(m.nonce) &&
    typeof m.signature === 'string' && SIGNATURE.test(m.signature)
  );
}

export class Verifier {
  readonly #key: string;
  readonly #maxAgeMs: number;
  /** Nonces of accepted messages, with their timestamps; forgotten once their messages are stale. */
  readonly #seen = new Map<string, number>();

  constructor(options: { key: string; maxAgeMs: number }) {
    this.#key = options.key;
    this.#maxAgeMs = options.maxAgeMs;
  }

  verify(message: SignedMessage): Verdict {
    if (!isWellFormed(message)) return { ok: false, reason: 'malformed' };
    const { body, timestamp, nonce, signature } = message;
    // Both are 32 bytes: the format check above guarantees it, so timingSafeEqual cannot throw.
    const expected = Buffer.from(hmac(this.#key, timestamp, nonce, body), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return { ok: false, reason: 'bad-signature' };
    const now = Date.now();
    if (Math.abs(now - timestamp) > this.#maxAgeMs) return { ok: false, reason: 'stale' };
    for (const [seen, at] of this.#seen) {
      if (Math.abs(now - at) > this.#maxAgeMs) this.#seen.delete(seen);
    }
    if (this.#seen.has(nonce)) return { ok: false, reason: 'replayed' };
    this.#seen.set(nonce, timestamp);
    return { ok: true };
  }

  /** How many nonces this verifier holds right now. */
  get remembered(): number {
    return this.#seen.size;
  }
}

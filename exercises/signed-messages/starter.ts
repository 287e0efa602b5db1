// Use node:crypto (createHmac, randomBytes, timingSafeEqual); no hand-made crypto.

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

/** What `verify` decides: accepted, or rejected with the first rule the message breaks. */
export type Verdict = { ok: true } | { ok: false; reason: 'malformed' | 'bad-signature' | 'stale' | 'replayed' };

/**
 * Signs `body` with `key`: timestamp `Date.now()`, a random nonce (`randomBytes(16)` in hex) and
 * the signature HMAC-SHA256(key, `${timestamp}.${nonce}.${body}`) in lower-case hex.
 */
export function sign(key: string, body: string): SignedMessage {
  void key;
  void body;
  throw new Error('TODO: draw a nonce, take the time, and sign the text "timestamp.nonce.body"');
}

/**
 * Checks messages signed with `key`, accepting each one at most once, and only while
 * |Date.now() − timestamp| ≤ maxAgeMs.
 */
export class Verifier {
  /** `key`: the shared secret. `maxAgeMs`: how far a message's timestamp may be from now, either way. */
  constructor(options: { key: string; maxAgeMs: number }) {
    void options;
    throw new Error('TODO: remember the key and maxAgeMs, and start with no nonces seen');
  }

  /**
   * The verdict on `message`, from the first rule it breaks, checked in this order:
   * 1. 'malformed': not an object with a string body, a safe-integer timestamp, a nonce of 32
   *    lower-case hex characters and a signature of 64;
   * 2. 'bad-signature': the signature is not the HMAC of the message's own fields under the key
   *    (compared with crypto.timingSafeEqual);
   * 3. 'stale': |now − timestamp| > maxAgeMs;
   * 4. 'replayed': a message with this nonce was already accepted and is still valid.
   * Otherwise `{ ok: true }`, and the nonce is remembered until the message is stale. Never throws.
   */
  verify(message: SignedMessage): Verdict {
    void message;
    throw new Error('TODO: check the format, the signature, the age and the nonce, in this order');
  }

  /** How many nonces this verifier holds right now (none of a message that was stale when it last accepted one). */
  get remembered(): number {
    throw new Error('TODO: the number of nonces remembered');
  }
}

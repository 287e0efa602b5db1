/**
 * Leases with fencing tokens: a lock service that grants time-limited leases numbered by a token
 * that only grows, holders that act only while their lease is surely valid on their own clock, and
 * a storage service that refuses a token lower than the highest it has seen.
 * Reference solution for learn-ds's leases-fencing exercise.
 */
import type { NodeContext, NodeId, SimNode } from 'learn-ds/sim';

export type Message =
  // holder → lock service
  | { type: 'acquire'; request: number }
  | { type: 'renew'; request: number; token: number }
  // lock service → holder: the answer to an acquire or a renew
  | { type: 'granted'; request: number; token: number }
  | { type: 'busy'; request: number }
  // a client → holder
  | { type: 'submit'; key: string; value: unknown }
  // holder → storage, and its answers
  | { type: 'write'; token: number; key: string; value: unknown }
  | { type: 'write-ok'; token: number; key: string }
  | { type: 'write-rejected'; token: number; key: string; highest: number };

export interface LockServiceOptions {
  /** How long a lease lasts, ms of the lock service's clock, from the moment it grants or renews it. */
  leaseMs: number;
}

export interface HolderOptions {
  lockService: NodeId;
  storage: NodeId;
  /** The lease's length, as the lock service counts it. */
  leaseMs: number;
  /** Stop this long before the lease could end: covers the drift between the two clocks. */
  marginMs: number;
  /** While holding no lease, ask again this often; while holding one, check this often whether to renew. */
  retryMs: number;
}

export interface StorageNode extends SimNode<Message> {
  /** The value last accepted for `key` (undefined if none). */
  read(key: string): unknown;
}

// ── lock service ──────────────────────────────────────────────────────────────────────────────

const LAST_TOKEN = 'lastToken';

export function createLockService(ctx: NodeContext<Message>, options: LockServiceOptions): SimNode<Message> {
  // Durable: a token is never handed out twice, crashes included.
  let lastToken = ctx.storage.get<number>(LAST_TOKEN) ?? 0;
  // Volatile: the lease in force. After a (re)start it is unknown, so nothing is granted until any
  // lease granted before the crash has surely ended.
  let lease: { holder: NodeId; token: number; expires: number } | undefined;
  const grantsFrom = ctx.now() + options.leaseMs;

  const inForce = () => lease !== undefined && ctx.now() < lease.expires;

  return {
    receive(from, message) {
      const now = ctx.now();
      switch (message.type) {
        case 'acquire': {
          if (inForce() || now < grantsFrom) {
            ctx.send(from, { type: 'busy', request: message.request });
            return;
          }
          const token = lastToken + 1;
          ctx.storage.set(LAST_TOKEN, token); // saved before anyone can see it
          lastToken = token;
          lease = { holder: from, token, expires: now + options.leaseMs };
          ctx.send(from, { type: 'granted', request: message.request, token });
          return;
        }
        case 'renew': {
          if (!inForce() || lease!.holder !== from || lease!.token !== message.token) {
            ctx.send(from, { type: 'busy', request: message.request });
            return;
          }
          lease!.expires = now + options.leaseMs;
          ctx.send(from, { type: 'granted', request: message.request, token: message.token });
          return;
        }
        default:
          return;
      }
    },
  };
}

// ── holder ────────────────────────────────────────────────────────────────────────────────────

export function createHolder(ctx: NodeContext<Message>, options: HolderOptions): SimNode<Message> {
  const { lockService, storage, leaseMs, marginMs, retryMs } = options;
  let nextRequest = 1;
  /** Requests in flight: what was asked, and when (on this clock). */
  const asked = new Map<number, { sentAt: number; renewal: boolean }>();
  let token = 0;
  /** This node's clock: the lease is surely valid strictly before this. */
  let validUntil = -Infinity;
  let lastAskedAt = -Infinity;

  const holding = () => ctx.now() < validUntil;

  const ask = (message: { type: 'acquire' } | { type: 'renew'; token: number }) => {
    const request = nextRequest++;
    const sentAt = ctx.now();
    asked.set(request, { sentAt, renewal: message.type === 'renew' });
    lastAskedAt = sentAt;
    ctx.send(lockService, { ...message, request });
  };

  const tick = () => {
    const now = ctx.now();
    if (!holding()) {
      ask({ type: 'acquire' });
    } else if (validUntil - now < leaseMs / 2 && now - lastAskedAt >= retryMs) {
      // Past half of the lease: renew, early enough for a lost renewal to be retried.
      ask({ type: 'renew', token });
    }
    ctx.setTimer(retryMs, tick);
  };
  tick();

  return {
    receive(_from, message) {
      switch (message.type) {
        case 'granted': {
          const request = asked.get(message.request);
          if (request === undefined) return; // a duplicate, or an answer we no longer wait for
          asked.delete(message.request);
          // The lease began at the lock service somewhere after the request left: count from then.
          const until = request.sentAt + leaseMs - marginMs;
          if (request.renewal && message.token !== token) return;
          if (until > validUntil || message.token !== token) {
            token = message.token;
            validUntil = until;
          }
          return;
        }
        case 'busy':
          asked.delete(message.request);
          return;
        case 'submit':
          // Checked at the moment of acting: a pause may have outlived the lease since anything else.
          if (holding()) ctx.send(storage, { type: 'write', token, key: message.key, value: message.value });
          return;
        default:
          return;
      }
    },
  };
}

// ── storage ───────────────────────────────────────────────────────────────────────────────────

const HIGHEST = 'highestToken';
const DATA = 'data:';

export function createStorage(ctx: NodeContext<Message>): StorageNode {
  return {
    receive(from, message) {
      if (message.type !== 'write') return;
      const highest = ctx.storage.get<number>(HIGHEST) ?? 0;
      if (message.token < highest) {
        ctx.send(from, { type: 'write-rejected', token: message.token, key: message.key, highest });
        return;
      }
      ctx.storage.set(HIGHEST, message.token);
      ctx.storage.set(DATA + message.key, { value: message.value });
      ctx.send(from, { type: 'write-ok', token: message.token, key: message.key });
    },
    read(key) {
      return ctx.storage.get<{ value: unknown }>(DATA + key)?.value;
    },
  };
}

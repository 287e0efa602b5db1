/**
 * A client of a simulated key-value store, as Maelstrom's lin-kv workload speaks to one: `get` and
 * `put` messages answered by `get-ok` (a string or null) and `put-ok`, one request in flight,
 * every operation recorded in the history for the linearizability checker. Any other answer is a
 * violation named for the node that sent it. Stores that may refuse a request (`error`) give the
 * output to record for a refusal.
 */
import { SimClient, type History, type Operation, type Reply } from './history.ts';
import { summarize } from './format.ts';
import type { KvInput, RegisterOutput } from './checkers/linearizability.ts';
import type { Simulation } from './simulation.ts';
import type { NodeId } from './types.ts';

export interface KvClient<O> {
  id: NodeId;
  readonly busy: boolean;
  get(node: NodeId, key: string, done?: (op: Operation<KvInput<string | null>, O>) => void): void;
  put(node: NodeId, key: string, value: string, done?: (op: Operation<KvInput<string | null>, O>) => void): void;
}

export interface KvClientOptions<O> {
  timeoutMs: number;
  /** Told which node each operation (by its index in the history) was sent to. */
  sentTo?: (opIndex: number, node: NodeId) => void;
  /** An `error` answer is a refusal recorded as this output; without it, an `error` is a violation. */
  refused?: O;
  /** Its operations are steps that shrinking may drop (a random workload's; see SimClient). */
  droppable?: boolean;
}

export function kvClient<O = RegisterOutput<string | null>>(
  sim: Simulation<any, any>,
  id: NodeId,
  history: History<KvInput<string | null>, O>,
  options: KvClientOptions<O>,
): KvClient<O> {
  const client = new SimClient<KvInput<string | null>, O>(sim, id, history, options.timeoutMs, options.droppable ?? false);
  const refusable = 'refused' in options;
  const reply = (want: 'get-ok' | 'put-ok', node: NodeId) => (r: Reply): O => {
    if (refusable && r.type === 'error') return options.refused as O;
    if (r.type !== want || (want === 'get-ok' && r.value !== null && typeof r.value !== 'string')) {
      const expected = want === 'get-ok' ? "{ type: 'get-ok', inReplyTo, value: a string or null }" : "{ type: 'put-ok', inReplyTo }";
      return sim.violation(`${node} answered a ${want === 'get-ok' ? 'get' : 'put'} of client ${id} with ${summarize(r)}; expected ${expected}${refusable ? " or { type: 'error', inReplyTo, text }" : ''}`, [node]);
    }
    return (want === 'get-ok' ? r.value : undefined) as O;
  };
  // Told only of an operation the call recorded (a dropped one records none).
  const sent = (node: NodeId, before: number) => {
    if (history.ops.length > before) options.sentTo?.(history.ops.length - 1, node);
  };
  return {
    id,
    get busy() {
      return client.busy;
    },
    get(node, key, done) {
      const before = history.ops.length;
      client.call(node, { type: 'get', key }, { kind: 'read', key }, reply('get-ok', node), done, `${id} reads ${key} at ${node}`);
      sent(node, before);
    },
    put(node, key, value, done) {
      const before = history.ops.length;
      client.call(node, { type: 'put', key, value }, { kind: 'write', key, value }, reply('put-ok', node), done, `${id} writes ${key}=${value} at ${node}`);
      sent(node, before);
    },
  };
}

/**
 * Replicas of the learner's on the simulator, driven by clients as in Maelstrom's pn-counter and
 * g-set workloads: each client has one request in flight, a request unanswered within its timeout
 * has an unknown outcome (it may or may not have been applied), and at the end every replica is
 * read and judged against what the acknowledged operations allow.
 */
import { show, simulate } from 'learn-ds/harness';
import { History, uniformLatency, type NetworkOptions, type NodeId, type Operation, type SimNode, type Simulation } from 'learn-ds/sim';
import type { Message } from 'learn-ds/subject/crdts';
import { createReplica } from 'learn-ds/subject/crdts';

export type Sim = Simulation<Message, SimNode<Message>>;

export const GOSSIP_MS = 100;
/** How long replicas that can talk again may take to agree: 20 gossip intervals. */
export const CONVERGE_MS = 20 * GOSSIP_MS;
/** A client gives up on a request after this long; its outcome is then unknown. */
export const CLIENT_TIMEOUT_MS = 300;

export type Input =
  | { op: 'add'; delta: number }
  | { op: 'set_add'; element: string }
  | { op: 'set_remove'; element: string }
  | { op: 'read' };
export type Output = { ok: true } | { value: number; elements: string[] };
export type Op = Operation<Input & { node: NodeId }, Output>;

export interface Read {
  value: number;
  elements: string[];
}

export interface Cluster {
  sim: Sim;
  history: History<Input & { node: NodeId }, Output>;
  /** Sends `input` from `client` to `node`; `done` runs when it is answered or times out. */
  call(client: string, node: NodeId, input: Input, done?: (op: Op) => void): Op;
  /** Calls, then runs the simulation until the answer (or the timeout). */
  callAndWait(client: string, node: NodeId, input: Input): Op;
  /** Reads every replica (or fails saying which did not answer). */
  readAll(): Map<NodeId, Read>;
  /** How many times each replica has started. */
  boots: Map<NodeId, number>;
}

const REPLY: Record<Input['op'], string> = { add: 'add_ok', set_add: 'set_add_ok', set_remove: 'set_remove_ok', read: 'read_ok' };

export function describeInput(input: Input): string {
  switch (input.op) {
    case 'add':
      return `add ${input.delta >= 0 ? '+' : ''}${input.delta}`;
    case 'set_add':
      return `set_add ${show(input.element)}`;
    case 'set_remove':
      return `set_remove ${show(input.element)}`;
    case 'read':
      return 'read';
  }
}

/** Messages in timelines: gossip as the value it carries is the learner's, so only its type. */
export function describeMessage(message: unknown): string {
  const m = message as Record<string, unknown>;
  if (typeof m !== 'object' || m === null) return show(message);
  switch (m.type) {
    case 'add':
      return `add ${Number(m.delta) >= 0 ? '+' : ''}${show(m.delta)}`;
    case 'set_add':
    case 'set_remove':
      return `${String(m.type)} ${show(m.element)}`;
    case 'read_ok':
      return `read_ok ${show(m.value)} ${Array.isArray(m.elements) ? `{${m.elements.map((e) => show(e)).join(', ')}}` : show(m.elements)}`;
    default:
      return String(m.type ?? show(message));
  }
}

export interface ClusterOptions {
  seed: number;
  nodes: number;
  network?: Partial<NetworkOptions>;
}

export function cluster(opts: ClusterOptions): Cluster {
  const history = new History<Input & { node: NodeId }, Output>();
  const boots = new Map<NodeId, number>();
  const clients = new Map<string, { nextId: number; pending: Map<number, { op: Op; input: Input; done: (op: Op) => void }> }>();
  const sim: Sim = simulate<Message, SimNode<Message>>({
    seed: opts.seed,
    nodes: opts.nodes,
    network: { latency: uniformLatency(1, 10), loss: 0, duplicate: 0, ...opts.network },
    factory: (ctx) => {
      boots.set(ctx.id, (boots.get(ctx.id) ?? 0) + 1);
      return createReplica(ctx, { gossipIntervalMs: GOSSIP_MS });
    },
  });

  const client = (id: string) => {
    let c = clients.get(id);
    if (c) return c;
    const created = { nextId: 1, pending: new Map<number, { op: Op; input: Input; done: (op: Op) => void }>() };
    clients.set(id, created);
    sim.addClient(id, (from, message) => {
      const reply = message as unknown as Record<string, unknown>;
      const msgId = reply?.inReplyTo;
      const waiting = typeof msgId === 'number' ? created.pending.get(msgId) : undefined;
      if (!waiting) return;
      created.pending.delete(msgId as number);
      const want = REPLY[waiting.input.op];
      if (reply.type !== want) {
        sim.violation(`${from} answered ${id}'s ${describeInput(waiting.input)} with ${show(reply)}; expected { type: '${want}', inReplyTo: ${String(msgId)}${want === 'read_ok' ? ', value, elements' : ''} }`, [from]);
      }
      let output: Output = { ok: true };
      if (want === 'read_ok') {
        const { value, elements } = reply;
        if (typeof value !== 'number' || !Array.isArray(elements) || elements.some((e) => typeof e !== 'string')) {
          sim.violation(`${from} answered a read with ${show(reply)}; expected { type: 'read_ok', inReplyTo, value: the counter's value, elements: an array of the set's elements }`, [from]);
        }
        output = { value, elements: [...(elements as string[])].sort() };
      }
      history.complete(waiting.op, output, sim.now);
      waiting.done(waiting.op);
    });
    return created;
  };

  const call = (clientId: string, node: NodeId, input: Input, done: (op: Op) => void = () => {}): Op => {
    const c = client(clientId);
    const msgId = c.nextId++;
    const op = history.invoke(clientId, { ...input, node }, sim.now) as Op;
    c.pending.set(msgId, { op, input, done });
    const { op: type, ...fields } = input;
    // Requests are never duplicated by the network (as in Maelstrom): applying one twice is not
    // the mistake this exercise is about. Replies and gossip may be.
    const network = sim.network;
    sim.network = { ...network, duplicate: 0 };
    try {
      sim.sendFrom(clientId, node, { type, msgId, ...fields } as unknown as Message);
    } finally {
      sim.network = network;
    }
    sim.after(CLIENT_TIMEOUT_MS, () => {
      if (!c.pending.delete(msgId)) return;
      done(op);
    });
    return op;
  };

  const callAndWait = (clientId: string, node: NodeId, input: Input): Op => {
    let finished = false;
    const op = call(clientId, node, input, () => (finished = true));
    sim.runUntilTrue(() => finished, CLIENT_TIMEOUT_MS + 1);
    return op;
  };

  const readAll = (): Map<NodeId, Read> => {
    const reads = new Map<NodeId, Read>();
    for (const id of sim.ids) {
      const op = callAndWait('reader', id, { op: 'read' });
      if (op.output === undefined || !('value' in op.output)) {
        sim.violation(`${id} did not answer a read within ${CLIENT_TIMEOUT_MS} ms, on a network that had healed (every replica up, nothing lost); a replica answers { type: 'read', msgId } with { type: 'read_ok', inReplyTo: msgId, value, elements } at once, from its own state`, [id]);
      }
      reads.set(id, op.output);
    }
    return reads;
  };

  sim.start();
  return { sim, history, call, callAndWait, readAll, boots };
}

/** The range of counter values the history allows: acknowledged adds count, unknown ones may or may not. */
export function counterRange(history: History<Input & { node: NodeId }, Output>): { low: number; high: number; acked: number; unknown: number[] } {
  let low = 0;
  let high = 0;
  let acked = 0;
  const unknown: number[] = [];
  for (const op of history.ops) {
    if (op.input.op !== 'add') continue;
    const d = op.input.delta;
    if (op.output !== undefined) {
      low += d;
      high += d;
      acked += d;
    } else {
      unknown.push(d);
      if (d < 0) low += d;
      else high += d;
    }
  }
  return { low, high, acked, unknown };
}

export interface SetRules {
  /** Elements some acknowledged add put there after every remove of it had been acknowledged. */
  mustHave: Map<string, Op>;
  /** Elements whose every add was acknowledged at one replica, then removed there (acknowledged). */
  mustLack: Map<string, Op>;
  /** Every element any add was sent for. */
  everAdded: Set<string>;
}

/**
 * What the set must show at the end, whatever the gossip did: an element must be there if an
 * acknowledged add of it started after every remove of it had been acknowledged (no remove can
 * have seen that add); it must be gone if all its adds were acknowledged by one replica and a
 * remove there, acknowledged, started after the last of them (that remove saw every add).
 */
export function setRules(history: History<Input & { node: NodeId }, Output>): SetRules {
  const adds = new Map<string, Op[]>();
  const removes = new Map<string, Op[]>();
  for (const op of history.ops as Op[]) {
    if (op.input.op === 'set_add') adds.set(op.input.element, [...(adds.get(op.input.element) ?? []), op]);
    if (op.input.op === 'set_remove') removes.set(op.input.element, [...(removes.get(op.input.element) ?? []), op]);
  }
  const mustHave = new Map<string, Op>();
  const mustLack = new Map<string, Op>();
  for (const [element, list] of adds) {
    const rs = removes.get(element) ?? [];
    const lastRemoveDone = Math.max(-Infinity, ...rs.map((r) => r.returnTime));
    const forced = list.find((a) => a.output !== undefined && a.callTime > lastRemoveDone);
    if (forced) mustHave.set(element, forced);
    if (list.every((a) => a.output !== undefined && a.input.node === list[0]!.input.node)) {
      const lastAddDone = Math.max(...list.map((a) => a.returnTime));
      const remover = rs.find((r) => r.output !== undefined && r.input.node === list[0]!.input.node && r.callTime > lastAddDone);
      if (remover) mustLack.set(element, remover);
    }
  }
  return { mustHave, mustLack, everAdded: new Set(adds.keys()) };
}

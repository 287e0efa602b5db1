// `learn-ds run deadline-propagation`: a gateway → orders → inventory chain, hop by hop, with the
// deadline passed along (your Deadline and callWithDeadline), and with a timeout per hop instead.
import { demo, formatMs, labelled, settle, timeAxis, useVirtualTime, virtualNow } from 'learn-ds/harness';
import { Deadline, callWithDeadline } from 'learn-ds/subject/deadline-propagation';

type DeadlineOf = ReturnType<typeof Deadline.after>;
/** A hop's request handler: the grpc-timeout header it receives, and the caller's signal (the connection). */
type Handler = (header: string, caller: AbortSignal) => Promise<unknown>;

interface Trace {
  name: string;
  received: string;
  start: number;
  /** When its own work finished, if it did. */
  workEnd?: number;
  /** When its handler settled. */
  end?: number;
  cut?: boolean;
}

const SPAN = 2_000;
const WIDTH = 80;
const CLIENT_TIMEOUT_MS = 1_000;

/** Waits `ms` of work, stopping (rejecting) as soon as `signal` aborts. */
function work(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs the chain: the client calls the gateway with a 1 s deadline; the gateway works 100 ms and
 * calls orders; orders works 200 ms and calls inventory; inventory needs 1.5 s. `deadlineFor` is how
 * each hop makes its own deadline from what it receives.
 */
async function chain(deadlineFor: (header: string, caller: AbortSignal) => DeadlineOf): Promise<{ client: Trace; hops: Trace[] }> {
  useVirtualTime();
  const hops: Trace[] = [];
  const running: Promise<unknown>[] = [];
  const hop = (name: string, workMs: number, next?: Handler): Handler => (header, caller) => {
    const trace: Trace = { name, received: header, start: virtualNow() };
    hops.push(trace);
    const deadline = deadlineFor(header, caller);
    const handled = callWithDeadline(deadline, async (signal) => {
      await work(workMs, signal);
      trace.workEnd = virtualNow();
      if (!next) return 'reserved';
      const downstream = deadline.child();
      return callWithDeadline(downstream, (s) => next(downstream.toHeader(), s));
    }).then(
      () => { trace.end = virtualNow(); },
      () => { trace.end = virtualNow(); trace.cut = true; },
    );
    running.push(handled);
    return handled;
  };
  const gateway = hop('gateway', 100, hop('orders', 200, hop('inventory', 1_500)));
  const client: Trace = { name: 'client', received: '', start: 0 };
  const deadline = Deadline.after(CLIENT_TIMEOUT_MS);
  const outcome = await settle(callWithDeadline(deadline, (signal) => gateway(deadline.toHeader(), signal)), SPAN);
  client.end = outcome.atMs;
  client.cut = outcome.status !== 'fulfilled';
  await settle(Promise.all(running), SPAN);
  return { client, hops };
}

/** One row per hop: █ its own work, ─ waiting for the next hop, ✗ where it stopped without an answer. */
function draw(client: Trace, hops: readonly Trace[], received: (t: Trace) => string): string {
  const row = (t: Trace): string => {
    const end = t.end ?? SPAN;
    const cells = Array.from({ length: WIDTH }, (_, c): string => {
      const at = (c * SPAN) / WIDTH;
      if (at < t.start || at >= end) return ' ';
      return t !== client && at < (t.workEnd ?? end) ? '█' : '─';
    });
    if (t.end !== undefined) cells[Math.min(WIDTH - 1, Math.round((t.end * WIDTH) / SPAN))] = t.cut ? '✗' : '✓';
    return cells.join('').trimEnd();
  };
  return labelled([
    ['client', row(client)],
    ...hops.map((t): [string, string] => [`${t.name.padEnd(9)} ${received(t).padStart(7)}`, row(t)]),
    ['', timeAxis(SPAN, WIDTH)],
  ]);
}

demo('the deadline travels with the request (grpc-timeout header)', async () => {
  // Each hop: Deadline.fromHeader(header, caller), and deadline.child() for the next call.
  const { client, hops } = await chain((header, caller) => Deadline.fromHeader(header, caller));
  const inventory = hops.find((t) => t.name === 'inventory');
  return [
    'The client allows 1 s. Each hop reads the time left from its header; look at where each row ends:',
    '',
    draw(client, hops, (t) => `'${t.received}'`),
    '',
    '█ the hop\'s own work   ─ waiting for the next hop   ✗ stopped: deadline exceeded   ✓ answered',
    `Each hop's bar is its remaining budget. The client gave up at ${formatMs(client.end ?? SPAN)}, and every hop with it:`,
    inventory
      ? `inventory, which needed 1.5 s, was cut ${formatMs((inventory.end ?? SPAN) - inventory.start)} into its work, instead of working for nobody.`
      : 'inventory was never called.',
  ].join('\n');
});

demo('for comparison: a 1 s timeout per hop, no deadline passed along', async () => {
  // Each hop ignores the header and its caller, and gives itself Deadline.after(1000).
  const { client, hops } = await chain(() => Deadline.after(CLIENT_TIMEOUT_MS));
  const clientEnd = client.end ?? SPAN;
  const wasted = hops.filter((t) => (t.end ?? SPAN) > clientEnd);
  return [
    'Same chain, but every hop has its own 1 s timeout; look at what still runs after the client\'s ✗:',
    '',
    draw(client, hops, () => 'own 1 s'),
    '',
    '█ the hop\'s own work   ─ waiting for the next hop   ✗ stopped: its own timeout   ✓ answered',
    `The client gave up at ${formatMs(clientEnd)}; ${wasted.length === 0 ? 'no hop kept working after that.' : wasted
      .map((t) => `${t.name} kept ${t.workEnd === undefined ? 'working' : 'waiting'} until ${formatMs(t.end ?? SPAN)}`)
      .join(', ') + ','}`,
    'holding connections and threads for an answer that nobody will read.',
  ].join('\n');
});

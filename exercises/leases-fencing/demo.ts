// `learn-ds run leases-fencing`: your lock service, holders and storage while a holder is paused
// for longer than its lease, and a write of the old lease that the network delivers late.
import { demo } from 'learn-ds/harness';
import { Simulation, renderTimeline, uniformLatency, type SimNode, type TraceEvent } from 'learn-ds/sim';
import type { Message, StorageNode } from 'learn-ds/subject/leases-fencing';
import { createHolder, createLockService, createStorage } from 'learn-ds/subject/leases-fencing';

const LEASE = 300;
const HOLDERS = ['h1', 'h2'];

function world() {
  const sim = new Simulation<Message, SimNode<Message>>({
    seed: 5,
    nodes: [...HOLDERS, 'lock', 'storage'],
    network: { latency: uniformLatency(2, 8) },
    factory: (ctx) => {
      if (ctx.id === 'lock') return createLockService(ctx, { leaseMs: LEASE });
      if (ctx.id === 'storage') return createStorage(ctx);
      return createHolder(ctx, { lockService: 'lock', storage: 'storage', leaseMs: LEASE, marginMs: 30, retryMs: 25 });
    },
  });
  sim.addClient('client', () => {});
  // Who holds which token, noted on the lock service's lane as it is granted.
  const grants: Array<{ t: number; holder: string; token: number }> = [];
  const writes: Array<{ t: number; from: string; message: Extract<Message, { type: 'write' }> }> = [];
  sim.onSend((from, to, m) => {
    if (from === 'lock' && m.type === 'granted' && !grants.some((g) => g.token === m.token)) {
      grants.push({ t: sim.now, holder: to, token: m.token });
      sim.note('lock', `lease with token ${m.token} → ${to}`);
    }
    if (m.type === 'write') writes.push({ t: sim.now, from, message: m });
  });
  // A client submits x = 1, 2, 3, … to both holders every 60 ms, from 350 ms on (once leases can be granted).
  let n = 1;
  const submit = () => {
    for (const h of HOLDERS) sim.sendFrom('client', h, { type: 'submit', key: 'x', value: n });
    n++;
    sim.after(60, submit);
  };
  sim.at(350, submit);
  return { sim, grants, writes };
}

// The grants (noted on the lock's lane), pauses and writes tell the story; submits, requests and
// their answers are the background.
const story = (e: TraceEvent) => {
  if (e.kind === 'log' || e.kind === 'pause' || e.kind === 'resume' || e.kind === 'partition' || e.kind === 'heal') return true;
  if (e.kind !== 'deliver' && e.kind !== 'drop') return false;
  const m = e.message as Message;
  return m.type === 'write' || m.type === 'write-ok' || m.type === 'write-rejected';
};

demo('a holder paused for longer than its lease', () => {
  const { sim, grants } = world();
  sim.runUntilTrue(() => grants.length > 0, 2_000);
  const first = grants[0];
  if (!first) return `No lease was granted within 2 s: see \`learn-ds verify\` for why.\n\n${renderTimeline(sim.trace, { lanes: sim.ids, rows: 30 })}`;
  sim.runUntil(first.t + 150);
  const pausedAt = sim.now;
  sim.pause(first.holder, 2 * LEASE);
  sim.runFor(2 * LEASE + 150);
  return [
    `${first.holder} holds the lease (token ${first.token}); at ${pausedAt.toFixed(0)} ms it is paused for ${2 * LEASE} ms, twice the lease (leaseMs ${LEASE}, marginMs 30).`,
    'Submits keep reaching it and wait for it; the other holder takes over once the lease has ended:',
    '',
    renderTimeline(sim.trace, { lanes: [...sim.ids], rows: 36, since: first.t - 1, filter: story }),
    '',
    `When ${first.holder} resumes, its clock says the lease is over: the submits that waited are dropped, not written with token ${first.token}.`,
  ].join('\n');
});

demo('a write of the old lease, delivered late, is fenced off', () => {
  const { sim, grants, writes } = world();
  sim.runUntilTrue(() => grants.length > 0 && writes.some((w) => w.message.token === grants[0]!.token), 2_000);
  const first = grants[0];
  const old = writes.find((w) => first && w.message.token === first.token);
  if (!first || !old) return `No write within 2 s: see \`learn-ds verify\` for why.\n\n${renderTimeline(sim.trace, { lanes: sim.ids, rows: 30 })}`;
  sim.runFor(20);
  // The first holder is cut off from the lock service: it cannot renew, its lease ends, the other
  // holder takes over and writes.
  sim.partition([first.holder], ['lock']);
  const cutAt = sim.now;
  sim.runUntilTrue(() => writes.some((w) => w.message.token > first.token), 3_000);
  sim.runFor(20);
  // Now the network delivers, at last, a copy of a write sent long ago under the old lease.
  sim.sendFrom(first.holder, 'storage', old.message);
  sim.runFor(30);
  const storage = sim.node('storage') as StorageNode | undefined;
  return [
    `${first.holder} wrote x = ${String(old.message.value)} with token ${first.token} at ${old.t.toFixed(0)} ms; at ${cutAt.toFixed(0)} ms it is cut off from the lock service.`,
    `It stops writing when its lease may be over, the other holder takes over; then a copy of that old write, held by the network all along, arrives:`,
    '',
    renderTimeline(sim.trace, { lanes: [...sim.ids], rows: 24, since: cutAt, filter: story }),
    '',
    `The storage refused the lower token: x is still ${JSON.stringify(storage?.read('x'))}.`,
  ].join('\n');
});

/**
 * A sender over a link with a bottleneck, one round trip at a time (used by the hidden suite and by
 * the demo). Each round trip the sender sends floor(cwnd) segments (at least 1). If they fit the
 * bottleneck (`capacity` segments per round trip: its bandwidth × delay plus its queue), each one
 * is acknowledged: floor(cwnd) new ACKs. If they do not, the queue overflows and one segment is
 * lost (the first of the round, say): each of the others brings a duplicate ACK, then the fast
 * retransmission repairs the hole and a new ACK acknowledges everything. A round trip can also be
 * an outage: everything is lost, no ACK comes back, and the retransmission timer fires.
 */

/** The most segments a round trip sends, whatever the window says. */
const MAX_SENT = 10_000;

/** What the round trips need of the learner's class. */
export interface Window {
  readonly cwnd: number;
  readonly ssthresh: number;
  readonly phase: string;
  onAck(): void;
  onDuplicateAck(): void;
  onTimeout(): void;
}

export type RoundKind = 'acked' | 'loss' | 'timeout';

export interface Round {
  /** Segments sent: floor(cwnd) at the start of the round trip (at least 1). */
  sent: number;
  kind: RoundKind;
  /** The window and the threshold at the start of the round trip. */
  cwnd: number;
  ssthresh: number;
  /** The phase at the start of the round trip, as the sender reports it. */
  phase: string;
  /** Whether the sender reported 'fast-recovery' at some point during the round trip. */
  recovered: boolean;
}

/** Runs `rounds` round trips; `outage(r)` says whether round trip r (from 0) is an outage. */
export function runRounds(sender: Window, capacity: number, rounds: number, outage: (round: number) => boolean = () => false): Round[] {
  const trace: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    const { cwnd, ssthresh, phase } = sender;
    let recovered = false;
    // Capped, so that a window that ran away (a bug) cannot make the loop run for ever.
    const sent = Math.min(MAX_SENT, Math.max(1, Math.floor(cwnd)));
    if (outage(r)) {
      sender.onTimeout();
      trace.push({ sent, kind: 'timeout', cwnd, ssthresh, phase, recovered });
    } else if (sent <= capacity) {
      for (let i = 0; i < sent; i++) sender.onAck();
      trace.push({ sent, kind: 'acked', cwnd, ssthresh, phase, recovered });
    } else {
      for (let i = 1; i < sent; i++) {
        sender.onDuplicateAck();
        if (!recovered && sender.phase === 'fast-recovery') recovered = true;
      }
      sender.onAck();
      trace.push({ sent, kind: 'loss', cwnd, ssthresh, phase, recovered });
    }
  }
  return trace;
}

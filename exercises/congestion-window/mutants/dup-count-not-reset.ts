// mistake: the duplicate ACK count is not reset by a new ACK: 2 duplicates, a new ACK, then 1 duplicate triggers fast recovery
// expect: restarts at 0
/** Where the sender is in TCP Reno's congestion control. */
export type Phase = 'slow-start' | 'congestion-avoidance' | 'fast-recovery';

export interface CongestionOptions {
  /** The congestion window a new connection starts with, in segments (a whole number ≥ 1). */
  initialWindow: number;
  /** The slow start threshold a new connection starts with, in segments (≥ 2, or Infinity). */
  initialSsthresh: number;
}

/**
 * TCP Reno's congestion window, in segments: slow start, congestion avoidance (AIMD), fast
 * retransmit / fast recovery on the third duplicate ACK, and back to one segment on a timeout.
 */
export class CongestionControl {
  #cwnd: number;
  #ssthresh: number;
  #inFastRecovery = false;
  /** Consecutive duplicate ACKs seen outside fast recovery. */
  #duplicates = 0;

  constructor(options: CongestionOptions) {
    this.#cwnd = options.initialWindow;
    this.#ssthresh = options.initialSsthresh;
  }

  /** The congestion window, in segments (fractional in congestion avoidance). */
  get cwnd(): number {
    return this.#cwnd;
  }

  /** The slow start threshold, in segments. */
  get ssthresh(): number {
    return this.#ssthresh;
  }

  /** Fast recovery while in it; otherwise slow start while cwnd < ssthresh, else congestion avoidance. */
  get phase(): Phase {
    if (this.#inFastRecovery) return 'fast-recovery';
    return this.#cwnd < this.#ssthresh ? 'slow-start' : 'congestion-avoidance';
  }

  /** An ACK that acknowledges new data. */
  onAck(): void {
    if (this.#inFastRecovery) {
      // The lost segment was repaired: deflate the window to the new threshold.
      this.#inFastRecovery = false;
      this.#cwnd = this.#ssthresh;
    } else if (this.#cwnd < this.#ssthresh) {
      this.#cwnd += 1; // slow start: doubles every round trip
    } else {
      this.#cwnd += 1 / this.#cwnd; // congestion avoidance: about +1 per round trip
    }
  }

  /** An ACK that acknowledges nothing new (the receiver is missing a segment). */
  onDuplicateAck(): void {
    if (this.#inFastRecovery) {
      this.#cwnd += 1; // one more segment left the network: inflate
      return;
    }
    this.#duplicates += 1;
    if (this.#duplicates === 3) {
      this.#ssthresh = Math.max(this.#cwnd / 2, 2);
      this.#cwnd = this.#ssthresh + 3;
      this.#inFastRecovery = true;
      this.#duplicates = 0;
    }
  }

  /** The retransmission timer expired. */
  onTimeout(): void {
    this.#ssthresh = Math.max(this.#cwnd / 2, 2);
    this.#cwnd = 1;
    this.#inFastRecovery = false;
    this.#duplicates = 0;
  }
}

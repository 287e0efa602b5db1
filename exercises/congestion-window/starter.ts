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
  /** Starts with cwnd = initialWindow and ssthresh = initialSsthresh, outside fast recovery. */
  constructor(options: CongestionOptions) {
    void options;
    throw new Error('TODO: remember the window, the threshold, and count duplicate ACKs');
  }

  /** The congestion window, in segments (fractional in congestion avoidance). */
  get cwnd(): number {
    throw new Error('TODO: return the congestion window');
  }

  /** The slow start threshold, in segments. */
  get ssthresh(): number {
    throw new Error('TODO: return the slow start threshold');
  }

  /** 'fast-recovery' while in it; otherwise 'slow-start' while cwnd < ssthresh, else 'congestion-avoidance'. */
  get phase(): Phase {
    throw new Error('TODO: return the phase');
  }

  /** An ACK that acknowledges new data. */
  onAck(): void {
    throw new Error('TODO: grow the window (or leave fast recovery)');
  }

  /** A duplicate ACK: it acknowledges nothing new (the receiver is missing a segment). */
  onDuplicateAck(): void {
    throw new Error('TODO: count duplicate ACKs; on the third, enter fast recovery');
  }

  /** The retransmission timer expired. */
  onTimeout(): void {
    throw new Error('TODO: halve the threshold and start again from one segment');
  }
}

// mistake: a call let through while closed that succeeds after the circuit opened closes it (only the trial may), and its timer flip is never cleared
// expect: only the trial
export type CircuitState = 'closed' | 'open' | 'half-open';
export class CircuitOpenError extends Error {}
export class CircuitBreaker {
  state: CircuitState = 'closed';
  private failures = 0;
  private trial = false;
  constructor(private readonly options: { failureThreshold: number; resetTimeoutMs: number }) {}
  private trip(): void {
    this.state = 'open';
    setTimeout(() => { this.state = 'half-open'; }, this.options.resetTimeoutMs);
  }
  async call<T>(op: () => Promise<T>): Promise<T> {
    if (this.state === 'open') throw new CircuitOpenError('open');
    if (this.state === 'half-open') {
      if (this.trial) throw new CircuitOpenError('trial in flight');
      this.trial = true;
    }
    try {
      const v = await op();
      this.failures = 0;
      this.state = 'closed';
      return v;
    } catch (e) {
      this.failures++;
      if (this.state === 'half-open' || this.failures >= this.options.failureThreshold) this.trip();
      throw e;
    } finally {
      this.trial = false;
    }
  }
}

// `learn-ds run circuit-breaker`: the breaker's state over time as the service fails and recovers.
import { advance, demo, labelled, stateStrip, timeAxis, useVirtualTime, virtualNow, type Segment } from 'learn-ds/harness';
import { CircuitBreaker } from 'learn-ds/subject/circuit-breaker';

type State = 'closed' | 'open' | 'half-open';

demo('a service that fails for two seconds, then recovers', async () => {
  useVirtualTime();
  const breaker = new CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 1_000 });
  const span = 6_000;
  const step = 100;
  const down = (t: number) => t >= 1_000 && t < 3_000;
  const calls: string[] = [];
  const segments: Segment<State>[] = [];
  for (let t = 0; t < span; t += step) {
    const state = breaker.state as State;
    const last = segments.at(-1);
    if (last && last.state === state) last.to = t + step;
    else segments.push({ from: t, to: t + step, state });
    let outcome = '?';
    await breaker
      .call(async () => {
        if (down(virtualNow())) throw new Error('503');
        return 'ok';
      })
      .then(() => (outcome = '✓'), (e: unknown) => (outcome = e instanceof Error && e.name === 'CircuitOpenError' ? '·' : '✗'));
    calls.push(outcome);
    await advance(step);
  }
  const width = span / step;
  return [
    'CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 1000 }), one call every 100 ms;',
    'the service fails from 1 s to 3 s:',
    '',
    labelled([
      ['state', stateStrip(segments, span, width, { closed: '▁', open: '█', 'half-open': '▄' })],
      ['calls', calls.join('')],
      ['', timeAxis(span, width)],
    ]),
    '',
    'state: ▁ closed  █ open  ▄ half-open',
    'calls: ✓ succeeded  ✗ failed  · refused by the breaker (not sent)',
  ].join('\n');
});

import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/circuit-breaker.ts';

export const { CircuitBreaker, CircuitOpenError } = await loadSubject<typeof Reference>();

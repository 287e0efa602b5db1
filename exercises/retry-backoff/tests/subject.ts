import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/retry-backoff.ts';

export const { retry } = await loadSubject<typeof Reference>();

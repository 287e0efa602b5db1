import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/sliding-window-limiter.ts';

export const { SlidingWindowLimiter } = await loadSubject<typeof Reference>();

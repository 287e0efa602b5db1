import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/lamport-clock.ts';

export const { LamportClock, compareStamps } = await loadSubject<typeof Reference>();

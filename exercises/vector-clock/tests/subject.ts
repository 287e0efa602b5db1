import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/vector-clock.ts';

export const { increment, merge, compare } = await loadSubject<typeof Reference>();

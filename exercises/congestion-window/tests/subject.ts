import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/congestion-window.ts';

export const { CongestionControl } = await loadSubject<typeof Reference>();

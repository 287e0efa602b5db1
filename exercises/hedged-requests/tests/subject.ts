import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/hedged-requests.ts';

export const { Hedger } = await loadSubject<typeof Reference>();

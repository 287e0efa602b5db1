import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/token-bucket.ts';

export const { TokenBucket } = await loadSubject<typeof Reference>();

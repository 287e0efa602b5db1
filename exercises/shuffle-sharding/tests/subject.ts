import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/shuffle-sharding.ts';

export const { shardFor } = await loadSubject<typeof Reference>();

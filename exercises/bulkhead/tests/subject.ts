import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/bulkhead.ts';

export const { Bulkhead, BulkheadFullError } = await loadSubject<typeof Reference>();

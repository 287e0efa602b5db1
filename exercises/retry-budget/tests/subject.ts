import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/retry-budget.ts';

export const { RetryBudget, parseRetryAfter, callWithBudget } = await loadSubject<typeof Reference>();

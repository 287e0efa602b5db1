import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/idempotency-keys.ts';

export const { createPaymentServer } = await loadSubject<typeof Reference>();

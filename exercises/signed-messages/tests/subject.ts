import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/signed-messages.ts';

export const { sign, Verifier } = await loadSubject<typeof Reference>();

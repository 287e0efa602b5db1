import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/consistent-hashing.ts';

export const { HashRing } = await loadSubject<typeof Reference>();

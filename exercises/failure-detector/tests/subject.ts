import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/failure-detector.ts';

export const { createFailureDetector } = await loadSubject<typeof Reference>();

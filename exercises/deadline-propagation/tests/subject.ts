import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/deadline-propagation.ts';

export const { Deadline, DeadlineExceededError, callWithDeadline } = await loadSubject<typeof Reference>();

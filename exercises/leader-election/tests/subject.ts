import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/leader-election.ts';

export const { createRaftNode } = await loadSubject<typeof Reference>();

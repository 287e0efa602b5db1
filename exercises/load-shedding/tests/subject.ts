import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/load-shedding.ts';

export const { LoadShedder } = await loadSubject<typeof Reference>();

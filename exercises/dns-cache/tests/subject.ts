import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/dns-cache.ts';

export const { CachingResolver, NameNotFoundError } = await loadSubject<typeof Reference>();

import { loadSubject } from '../../../src/verify/harness/index.ts';
import type * as Reference from '../../../solutions/reliable-delivery.ts';

export const { createSender, createReceiver } = await loadSubject<typeof Reference>();

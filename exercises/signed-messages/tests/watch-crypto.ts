/**
 * Counts the calls to node:crypto's timingSafeEqual, whatever way the learner's file imports it.
 *
 * Imported by the suite BEFORE learn-ds/subject/signed-messages, so the counting wrapper is in place before the learner's
 * file loads. It replaces the function on the CommonJS exports object (what `import crypto from`
 * gives) and then syncBuiltinESMExports() updates the ES named exports (what `import {
 * timingSafeEqual }` and `import * as crypto` see). Because the wrapper is there before the
 * learner's file runs, even a copy taken at load time (`const { timingSafeEqual } = crypto`) is
 * the wrapper. Not a vi.spyOn: the harness restores every mock after each test, which would undo
 * it for a learner who copied the function once at load time.
 *
 * Put back once the suite has run (afterAll): node:crypto left patched kept the run's worker
 * thread from serving the next run (a new thread each save in watch). The learner's file has run
 * all its checks by then; its module is loaded afresh, with the wrapper, in the next run.
 */
import * as nodeCrypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { afterAll } from 'vitest';

type TimingSafeEqual = typeof nodeCrypto.timingSafeEqual;

const exportsObject = ((nodeCrypto as unknown as { default?: typeof nodeCrypto }).default ?? nodeCrypto) as {
  timingSafeEqual: TimingSafeEqual;
};
const original = exportsObject.timingSafeEqual;
let calls = 0;

exportsObject.timingSafeEqual = function timingSafeEqual(a, b) {
  calls++;
  return original(a, b);
};
syncBuiltinESMExports();

afterAll(() => {
  exportsObject.timingSafeEqual = original;
  syncBuiltinESMExports();
});

/** How many times timingSafeEqual has been called so far (by anyone in this worker). */
export function timingSafeEqualCalls(): number {
  return calls;
}

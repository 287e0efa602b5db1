// What the hidden setup (setup.ts) takes from the harness, as one entry: in a hidden run it comes
// from the same bundle as the suites' `learn-ds/harness` (kit-bundle.ts), so that both share one
// instance of each module (the ambient traps' misuses, the timers' bookkeeping, the progress file).
export { ENV, runningFile } from '../protocol.ts';
export { LearnerFailure } from './failure.ts';
export { isLearnDsCode } from '../own-files.ts';
export { takeMisuses, trapAmbientGlobals } from './ambient.ts';
export { nodeTimerDelay } from './time.ts';
export { checkEnded, checkStarted, fileEnded, fileStarted } from './progress-writer.ts';
export { forgetTimeouts } from './http.ts';
export { resetShrinkBudget } from './simulate.ts';

// The toolkit hidden suites are written with.
export { LearnerFailure, fail, check, describeThrown, stacklessError } from './failure.ts';
export { loadSubject, SubjectError } from './subject.ts';
export { suiteSeed, streamFor, prng, controlMathRandom } from './random.ts';
export { useVirtualTime, freshVirtualTime, nextTimerAt, canReadTimers, virtualNow, advance, settle, flushMicrotasks, pendingTimers, describeSettled, type Settled } from './time.ts';
export { holds, type HoldsOptions } from './property.ts';
export { runProperty, isProperty, processCpuMs, type AnyProperty, type PropertyOutcome, type PropertyRunOptions } from './run-property.ts';
export { show } from './show.ts';
export { simulate, checkScenario, explainScenarioFailure, SCENARIOS_ENV, type ScenarioOptions } from './simulate.ts';
export { demo } from './demo.ts';
export { costLine, isWasteful, type CostOptions } from './cost.ts';
export { figure, withinLimit, type FigureOptions } from './figures.ts';
export { sometimes, SuiteBug } from './sometimes.ts';
export { expectProgress, ProgressFailure, type ProgressOptions } from './progress.ts';
export { sparkline, bucket, bar, timeAxis, stateStrip, labelled, formatMs, type Segment } from '../../report/charts.ts';
export {
  startServer,
  listenOnLoopback,
  closeServers,
  send,
  within,
  deadPort,
  requestTimeoutMs,
  describeTimeout,
  REQUEST_TIMEOUT_MS,
  type Reply,
  type Outcome,
  type RequestSpec,
} from './http.ts';

/**
 * learn-ds's simulation kit: a deterministic world for distributed code (virtual clock, seeded
 * network faults, partitions, crashes), clients with histories, checkers and timelines.
 * Learners import its types: `import type { NodeContext } from 'learn-ds/sim'`.
 */
export type { NodeId, TimerId, DurableStorage, NodeContext, SimNode, NodeFactory, DropReason, TraceEvent } from './types.ts';
export {
  Simulation, SimulationViolation, nodeIds,
  type SimulationOptions, type ClockSpec, type Invariant, type CrashTrigger, type CrashAfterSends, type CrashAfterWrites, type SendWatcher,
} from './simulation.ts';
export { uniformLatency, spikyLatency, DEFAULT_NETWORK, type NetworkOptions } from './network.ts';
export { startNemesis, type Nemesis, type NemesisOptions, type Fault } from './nemesis.ts';
export { History, SimClient, type Operation, type Reply } from './history.ts';
export { kvClient, type KvClient, type KvClientOptions } from './kv-client.ts';
export {
  checkLinearizable, registerModel, kvModel, describeNonLinearizable, kvLinearizabilityProblem,
  type Model, type LinearizabilityResult, type RegisterInput, type RegisterOutput, type KvInput,
} from './checkers/linearizability.ts';
export { checkConvergence, describeDivergence, type ConvergenceResult } from './checkers/convergence.ts';
export {
  checkTransactions, ANOMALY_NAMES, showTxnValue, txnName,
  type Transaction, type TransactionHistory, type TxnOp, type TxnId, type TxnValue, type Isolation, type TransactionAnomaly,
  type DependencyKind, type DependencyEdge, type TransactionCheckResult,
} from './checkers/transactions.ts';
export { renderTimeline, type TimelineOptions } from './timeline.ts';
export { summarize } from './format.ts';
export { prng, streamOf, hashString, uniform, randomInt, shuffled } from './random.ts';
export { firstFailure, seedsFrom, type SeedFailure } from './seeds.ts';
export { watchSends } from './context.ts';

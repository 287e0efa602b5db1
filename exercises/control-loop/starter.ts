// A reconciler (the control plane's loop) and a data plane that keeps serving its last good
// configuration whatever the control plane does. The statement (`learn-ds show`) has every rule.

/** One instance as the API lists it. */
export interface Instance {
  name: string;
  version: string;
}

/** The API the reconciler drives. Every call may reject; a mutation that rejects may still have been applied. */
export interface InstanceApi {
  /** The instances as they were at some moment no more than lagMs before the call. */
  list(): Promise<Instance[]>;
  /** Creates `name` at `version`; does nothing if `name` exists. */
  create(name: string, version: string): Promise<void>;
  /** Sets the version of `name`; does nothing if `name` does not exist. */
  update(name: string, version: string): Promise<void>;
  /** Deletes `name`; does nothing if `name` does not exist. */
  delete(name: string): Promise<void>;
}

export interface ReconcilerOptions {
  api: InstanceApi;
  /** The desired state now: name → version. Read it afresh in every pass. */
  desired: () => ReadonlyMap<string, string>;
  intervalMs: number;
  maxChangesPerInterval: number;
  lagMs: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export interface Reconciler {
  start(): void;
  notify(): void;
  stop(): void;
}

/**
 * A level-triggered control loop: each pass lists the actual state, reads `desired()` and makes the
 * changes that close the gap, at most `maxChangesPerInterval` per `intervalMs`, never changing a
 * name again before `lagMs` after its last change answered, backing off after failed passes.
 */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  void options;
  throw new Error('TODO: schedule passes (start, every intervalMs, notify, backoff) and reconcile in each');
}

/** A routing configuration: which backend serves each key. */
export interface Config {
  version: number;
  routes: { key: string; backend: string }[];
}

export interface DataPlaneOptions {
  /** Asks the control plane for the current configuration; may reject or answer anything. */
  fetchConfig: () => Promise<unknown>;
  refreshMs: number;
}

export interface DataPlane {
  lookup(key: string): string | undefined;
  version(): number | null;
  stop(): void;
}

/**
 * Fetches the configuration at once and `refreshMs` after each answer, and serves lookups from the
 * last valid one, whether the control plane is up, down or answering nonsense.
 */
export function createDataPlane(options: DataPlaneOptions): DataPlane {
  void options;
  throw new Error('TODO: fetch, validate, keep the last valid configuration and serve lookups from it');
}

// A reconciler (the control plane's loop) and a data plane that keeps serving its last good
// configuration whatever the control plane does.

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

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { api, intervalMs, maxChangesPerInterval, lagMs, baseBackoffMs, maxBackoffMs } = options;
  /** Per name, when this loop's last change of it settled (Infinity while it is in flight). */
  const settledAt = new Map<string, number>();
  /** When each recent change was issued, oldest first (for the sliding window). */
  const issued: number[] = [];
  let failures = 0;
  let running = false;
  let again = false;
  let stopped = true;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function schedule(ms: number): void {
    clearTimeout(timer);
    timer = setTimeout(() => void pass(), ms);
  }

  function mayChange(now: number): boolean {
    while (issued.length > 0 && issued[0]! <= now - intervalMs) issued.shift();
    return issued.length < maxChangesPerInterval;
  }

  async function change(name: string, call: () => Promise<void>): Promise<void> {
    settledAt.set(name, Infinity);
    issued.push(Date.now());
    try {
      await call();
    } finally {
      settledAt.set(name, Date.now());
    }
  }

  async function reconcile(): Promise<void> {
    const listedAt = Date.now();
    const actual = new Map((await api.list()).map((i) => [i.name, i.version]));
    const desired = options.desired();
    // A name changed less than lagMs before the list was asked for may be shown as it was before.
    const trusted = (name: string) => (settledAt.get(name) ?? -Infinity) + lagMs <= listedAt;
    const changes: [string, () => Promise<void>][] = [];
    for (const [name, version] of desired) {
      if (!trusted(name)) continue;
      if (!actual.has(name)) changes.push([name, () => api.create(name, version)]);
      else if (actual.get(name) !== version) changes.push([name, () => api.update(name, version)]);
    }
    for (const name of actual.keys()) {
      if (!desired.has(name) && trusted(name)) changes.push([name, () => api.delete(name)]);
    }
    for (const [name, call] of changes) {
      if (stopped || !mayChange(Date.now())) return;
      await change(name, call);
    }
  }

  async function pass(): Promise<void> {
    timer = undefined;
    running = true;
    again = false;
    let failed = false;
    try {
      await reconcile();
    } catch {
      failed = true;
    }
    running = false;
    if (stopped) return;
    failures = failed ? failures + 1 : 0;
    if (failed) schedule(Math.min(maxBackoffMs, baseBackoffMs * 2 ** (failures - 1)));
    else if (again) schedule(0);
    else schedule(intervalMs);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    notify() {
      if (stopped) return;
      if (running) again = true;
      else if (failures === 0) schedule(0); // during a backoff wait, nothing
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
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

/** A valid configuration, as the statement defines it, or undefined. */
function parseConfig(value: unknown): Map<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { version, routes } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(version) || (version as number) < 0 || !Array.isArray(routes)) return undefined;
  const table = new Map<string, string>();
  for (const route of routes as unknown[]) {
    if (typeof route !== 'object' || route === null) return undefined;
    const { key, backend } = route as Record<string, unknown>;
    if (typeof key !== 'string' || typeof backend !== 'string' || backend === '' || table.has(key)) return undefined;
    table.set(key, backend);
  }
  return table;
}

export function createDataPlane(options: DataPlaneOptions): DataPlane {
  let table = new Map<string, string>();
  let current: number | null = null;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function refresh(): Promise<void> {
    try {
      const config = await options.fetchConfig();
      const parsed = parseConfig(config);
      if (parsed && !stopped) {
        table = parsed;
        current = (config as Config).version;
      }
    } catch {
      // The control plane is down: keep serving what we have.
    }
    if (!stopped) timer = setTimeout(() => void refresh(), options.refreshMs);
  }

  void refresh();
  return {
    lookup: (key) => table.get(key),
    version: () => current,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

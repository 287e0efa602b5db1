import { createHash } from 'node:crypto';

/** The flag service, as the client sees it. Either call rejects while the service is unreachable. */
export interface FlagSource {
  /** The whole configuration, as JSON text (the schema is in the statement). */
  fetchConfig(): Promise<string>;
  /** The keys of the flags the kill switch has turned off right now. */
  fetchKilled(): Promise<string[]>;
}

/** Where a rejected configuration's reason goes. */
export interface Logger {
  warn(message: string): void;
}

export interface FeatureFlagsOptions {
  source: FlagSource;
  logger: Logger;
  /** How often the whole configuration is fetched again (whole milliseconds). */
  reloadIntervalMs: number;
  /** How often the kill list is fetched (whole milliseconds); much shorter than reloadIntervalMs. */
  killSwitchIntervalMs: number;
}

/** One flag of a validated configuration. */
interface Flag {
  enabled: boolean;
  rolloutPercent: number;
}

/** A validated configuration: the flags by key. */
type Config = ReadonlyMap<string, Flag>;

/** Why a configuration text is not a valid configuration. */
class InvalidConfig extends Error {}

const TOP_FIELDS = new Set(['flags']);
const FLAG_FIELDS = new Set(['key', 'enabled', 'rolloutPercent']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknownFields(value: Record<string, unknown>, known: ReadonlySet<string>, where: string): void {
  for (const field of Object.keys(value)) {
    if (!known.has(field)) throw new InvalidConfig(`unknown field \`${field}\` in ${where}`);
  }
}

/** Parses and validates a configuration text, whole: any problem rejects all of it. Pure. */
function parseConfig(text: string): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidConfig(`not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(raw)) throw new InvalidConfig('the configuration must be an object with a `flags` array');
  rejectUnknownFields(raw, TOP_FIELDS, 'the configuration');
  if (!Array.isArray(raw.flags)) throw new InvalidConfig('`flags` must be an array');
  const flags = new Map<string, Flag>();
  raw.flags.forEach((entry: unknown, index) => {
    const where = `flags[${index}]`;
    if (!isObject(entry)) throw new InvalidConfig(`${where} in \`flags\` must be an object`);
    rejectUnknownFields(entry, FLAG_FIELDS, where);
    const { key, enabled, rolloutPercent } = entry;
    if (typeof key !== 'string' || key === '') throw new InvalidConfig(`${where}: \`key\` must be a non-empty string`);
    if (typeof enabled !== 'boolean') throw new InvalidConfig(`${where} (${key}): \`enabled\` must be true or false`);
    if (typeof rolloutPercent !== 'number' || !(rolloutPercent >= 0 && rolloutPercent <= 100)) {
      throw new InvalidConfig(`${where} (${key}): \`rolloutPercent\` must be a number from 0 to 100`);
    }
    if (flags.has(key)) throw new InvalidConfig(`duplicate flag key ${JSON.stringify(key)}`);
    flags.set(key, { enabled, rolloutPercent });
  });
  return flags;
}

/**
 * Where a user falls for a flag, in [0, 100): 1,000 buckets of 0.1 %, from a hash of the flag's
 * key and the user id together (so flags are independent), with nothing random and nothing of the
 * percentage in it (so it is stable and a rollout only ever adds users). The NUL separator keeps
 * ('ab', 'c') and ('a', 'bc') apart.
 */
function bucketOf(flagKey: string, userId: string): number {
  const digest = createHash('sha256').update(flagKey).update('\0').update(userId).digest();
  return (digest.readUInt32BE(0) % 1_000) / 10;
}

/**
 * Feature flags read from a flag service: the configuration is fetched at start() and every
 * reloadIntervalMs, validated whole before use (a bad one is logged and the last good one kept);
 * the kill list every killSwitchIntervalMs. Until a good configuration arrives, every flag is off.
 */
export class FeatureFlags {
  readonly #source: FlagSource;
  readonly #logger: Logger;
  readonly #reloadIntervalMs: number;
  readonly #killSwitchIntervalMs: number;
  /** The last good configuration; none yet means every flag is off (the safe default). */
  #config: Config | undefined;
  /** The last kill list received; kept while the service is unreachable. */
  #killed: ReadonlySet<string> = new Set();
  #timers: ReturnType<typeof setInterval>[] = [];

  constructor(options: FeatureFlagsOptions) {
    this.#source = options.source;
    this.#logger = options.logger;
    this.#reloadIntervalMs = options.reloadIntervalMs;
    this.#killSwitchIntervalMs = options.killSwitchIntervalMs;
  }

  /** Fetches the configuration and the kill list now, then polls each at its own interval. */
  start(): void {
    void this.#reload();
    void this.#refreshKilled();
    this.#timers.push(
      setInterval(() => void this.#reload(), this.#reloadIntervalMs),
      setInterval(() => void this.#refreshKilled(), this.#killSwitchIntervalMs),
    );
  }

  /** Stops polling; the flags keep their last values. */
  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }

  isEnabled(flagKey: string, userId: string): boolean {
    const flag = this.#config?.get(flagKey);
    if (flag === undefined || !flag.enabled || this.#killed.has(flagKey)) return false;
    return bucketOf(flagKey, userId) < flag.rolloutPercent;
  }

  async #reload(): Promise<void> {
    let text: string;
    try {
      text = await this.#source.fetchConfig();
    } catch {
      return; // unreachable: keep the last good configuration (or none)
    }
    try {
      this.#config = parseConfig(text);
    } catch (error) {
      if (!(error instanceof InvalidConfig)) throw error;
      this.#logger.warn(`rejected the new flag configuration, kept the last good one: ${error.message}`);
    }
  }

  async #refreshKilled(): Promise<void> {
    try {
      this.#killed = new Set(await this.#source.fetchKilled());
    } catch {
      // unreachable: the last kill list stays in force
    }
  }
}

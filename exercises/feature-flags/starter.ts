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

/**
 * Feature flags read from a flag service.
 *
 * - `start()` fetches the configuration and the kill list at once, then the configuration every
 *   `reloadIntervalMs` and the kill list every `killSwitchIntervalMs`; `stop()` ends both.
 * - A new configuration is parsed and validated whole before use: a bad one is rejected, its
 *   reason logged with `logger.warn`, and the last good one kept. So is the last good one when the
 *   service is unreachable. Until a good configuration has arrived, every flag is off.
 * - `isEnabled(flagKey, userId)` is true when the flag is in the configuration, enabled, not on
 *   the kill list, and the user's bucket (from a hash of the flag key and the user id) is below
 *   its `rolloutPercent`.
 *
 * Read time with `Date.now()` or `performance.now()`; wait with `setInterval` or `setTimeout`.
 */
export class FeatureFlags {
  constructor(options: FeatureFlagsOptions) {
    void options;
    throw new Error('TODO: remember the options; no configuration yet, nothing killed');
  }

  /** Fetches the configuration and the kill list now, then polls each at its own interval. */
  start(): void {
    throw new Error('TODO: fetch both now and schedule the polls');
  }

  /** Stops polling; the flags keep their last values. */
  stop(): void {
    throw new Error('TODO: clear your timers');
  }

  /** Whether `userId` sees the flag `flagKey` on. */
  isEnabled(flagKey: string, userId: string): boolean {
    void flagKey;
    void userId;
    throw new Error('TODO: look the flag up, then compare the user\'s bucket with its rolloutPercent');
  }
}

export declare const PACKAGE_FILES: readonly string[];
export type SourceStamps = Record<string, string>;
export declare function sourceStamps(root: string): SourceStamps;
export declare function stampsHold(root: string, stamps: SourceStamps | undefined): boolean;
/** `globalThis[CHECKED_SOURCES]`: the stamps the launcher checked, and when (Date.now()). */
export declare const CHECKED_SOURCES: unique symbol;
export interface CheckedSources {
  stamps: SourceStamps;
  at: number;
}

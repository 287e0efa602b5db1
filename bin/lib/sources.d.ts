export declare const PACKAGE_FILES: readonly string[];
export type SourceStamps = Record<string, string>;
export declare function sourceStamps(root: string): SourceStamps;
export declare function stampsHold(root: string, stamps: SourceStamps | undefined): boolean;
export declare function sourcesDigest(stamps: SourceStamps): string;
/** `globalThis[CHECKED_SOURCES]`: the digest the launcher checked, and when (Date.now()). */
export declare const CHECKED_SOURCES: unique symbol;
export interface CheckedSources {
  digest: string;
  at: number;
}

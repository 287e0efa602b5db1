// What the rules of the statement say a store must answer, written from the rules alone: which
// value a read returns, whether a commit succeeds, and how many versions garbage collection keeps.
import { show } from 'learn-ds/harness';

interface Commit {
  /** Its label (T3) and what it wrote, last write per key. */
  readonly label: string;
  readonly writes: ReadonlyMap<string, unknown>;
}

interface Active {
  readonly label: string;
  /** How many commits (that wrote something) came before its begin: its snapshot sees exactly those. */
  readonly start: number;
  readonly writes: Map<string, unknown>;
}

export interface ExpectedRead {
  readonly value: unknown;
  /** Why, for a failure message: "its own write", "T2's commit before it began", "no commit before it began". */
  readonly because: string;
}

export class SnapshotModel {
  readonly #commits: Commit[] = [];
  readonly #active = new Map<string, Active>();

  begin(label: string): void {
    this.#active.set(label, { label, start: this.#commits.length, writes: new Map() });
  }

  isActive(label: string): boolean {
    return this.#active.has(label);
  }

  read(label: string, key: string): ExpectedRead {
    const t = this.#txn(label);
    if (t.writes.has(key)) return { value: t.writes.get(key), because: `${label}'s own latest write of ${show(key)}` };
    for (let i = t.start - 1; i >= 0; i--) {
      const c = this.#commits[i]!;
      if (c.writes.has(key)) return { value: c.writes.get(key), because: `${c.label} committed it before ${label} began` };
    }
    return { value: undefined, because: `nothing was committed to ${show(key)} before ${label} began` };
  }

  write(label: string, key: string, value: unknown): void {
    this.#txn(label).writes.set(key, value);
  }

  /** Whether first committer wins lets it commit; and if not, the commit it lost to. */
  commit(label: string): { ok: true } | { ok: false; loser: string; winner: string; key: string } {
    const t = this.#txn(label);
    this.#active.delete(label);
    for (let i = t.start; i < this.#commits.length; i++) {
      const c = this.#commits[i]!;
      const key = [...t.writes.keys()].find((k) => c.writes.has(k));
      if (key !== undefined) return { ok: false, loser: label, winner: c.label, key };
    }
    if (t.writes.size > 0) this.#commits.push({ label, writes: new Map(t.writes) });
    return { ok: true };
  }

  abort(label: string): void {
    this.#active.delete(label);
  }

  /** The versions garbage collection keeps: per key, the newest, and the one each active snapshot reads. */
  versionsKept(): { count: number; why: string } {
    const kept: string[] = [];
    const keys = new Set(this.#commits.flatMap((c) => [...c.writes.keys()]));
    for (const key of keys) {
      const writers = this.#commits.map((c, i) => (c.writes.has(key) ? i : -1)).filter((i) => i >= 0);
      const keep = new Set([writers[writers.length - 1]!]);
      for (const t of this.#active.values()) {
        const seen = writers.filter((i) => i < t.start).pop();
        if (seen !== undefined) keep.add(seen);
      }
      for (const i of [...keep].sort((a, b) => a - b)) kept.push(`${show(key)} by ${this.#commits[i]!.label}`);
    }
    const activeLabels = [...this.#active.keys()];
    return {
      count: kept.length,
      why: `the newest version of each key, and the one each active transaction's snapshot reads (active: ${activeLabels.length ? activeLabels.join(', ') : 'none'}): ${kept.length ? kept.join(', ') : 'none'}`,
    };
  }

  #txn(label: string): Active {
    const t = this.#active.get(label);
    if (!t) throw new Error(`learn-ds bug: the model has no active ${label}`);
    return t;
  }
}

/**
 * The linearizability checker against histories someone else labelled: Porcupine's Jepsen etcd
 * logs and 6.824 key-value logs (../shared/porcupine). Every answer must match the label, and the
 * checker must answer each of them (no 'unknown' within its default budget).
 */
import { describe, expect, test } from 'vitest';
import { checkLinearizable } from '../../src/sim/index.ts';
import { etcdModel, havePorcupine, kvAppendModel, labels, parseJepsen, parseKv } from '../support/porcupine.ts';

// In CI the shared folder is always beside the clone: a missing copy there is an error, not a skip.
const run = havePorcupine || process.env.CI ? describe : describe.skip;

run("Porcupine's labelled histories", () => {
  const { jepsen, kv }: ReturnType<typeof labels> = havePorcupine ? labels() : { jepsen: [], kv: [] };

  test('the labels were found (102 etcd histories, 10 key-value checks)', () => {
    expect(jepsen.length).toBe(102);
    expect(kv.length).toBe(10);
  });

  test('every Jepsen etcd history gets its label', () => {
    const wrong = jepsen
      .map(([n, expected]) => ({ n, expected, got: checkLinearizable(parseJepsen(n), etcdModel) }))
      .filter(({ expected, got }) => got.ok !== expected || (!got.ok && got.verdict === 'unknown'))
      .map(({ n, expected, got }) => `etcd_${n}: expected ${expected}, got ${got.ok ? 'linearizable' : got.verdict}`);
    expect(wrong).toEqual([]);
  }, 120_000);

  // The whole-store checks of 10 clients take seconds of search each: they are in bench/ instead.
  test.for(kv.filter(([name, , partitioned]) => partitioned || name.startsWith('c01')))('key-value %s (expected linearizable: %s, by key: %s)', { timeout: 60_000 }, ([name, expected, partitioned]) => {
    const result = checkLinearizable(parseKv(name), kvAppendModel(partitioned));
    expect(result.ok ? 'linearizable' : result.verdict).toBe(expected ? 'linearizable' : 'not-linearizable');
  });
});

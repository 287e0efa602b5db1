// Progress rules (pure) and its file: atomic writes, unreadable files reported and kept, never reset.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  emptyProgress, markStarted, nextExerciseId, parseProgress, recordAttempt, recordHintSeen, serializeProgress,
} from '../src/workspace/progress.ts';
import { loadProgress, ProgressFileError, saveProgress, updateProgress } from '../src/workspace/progress-store.ts';
import { tempDir } from './support/cli.ts';

const ids = ['a', 'b', 'c'];

describe('progress rules', () => {
  test('next: the first unpassed exercise after the current one, wrapping around', () => {
    let p = emptyProgress();
    expect(nextExerciseId(p, ids)).toBe('a');
    p = markStarted(p, 'a');
    expect(nextExerciseId(p, ids)).toBe('b'); // skipping a, unfinished
    p = recordAttempt(markStarted(p, 'c'), 'c', true);
    expect(nextExerciseId(p, ids)).toBe('a'); // wraps to the skipped one
    p = recordAttempt(recordAttempt(p, 'a', true), 'b', true);
    expect(nextExerciseId(p, ids)).toBeNull();
  });

  test('a pass is kept through later failed attempts; attempts are counted', () => {
    let p = recordAttempt(emptyProgress(), 'a', true, new Date(0));
    p = recordAttempt(p, 'a', false);
    expect(p.exercises.a).toMatchObject({ status: 'passed', attempts: 2, passedAt: new Date(0).toISOString() });
  });

  test('hints seen only grow', () => {
    let p = recordHintSeen(emptyProgress(), 'a', 2);
    p = recordHintSeen(p, 'a', 1);
    expect(p.exercises.a!.hintsSeen).toBe(2);
  });

  test('round-trips through its text form', () => {
    const p = recordHintSeen(markStarted(emptyProgress(), 'a'), 'a', 1);
    expect(parseProgress(serializeProgress(p))).toEqual(p);
  });

  test.each([
    ['{"version": 1', /not valid JSON/],
    ['[]', /does not hold a JSON object/],
    ['{"version": 9, "current": null, "exercises": {}}', /newer learn-ds \(format 9/],
    ['{"version": "x", "current": null, "exercises": {}}', /format version "x" is unknown/],
    ['{"version": 1, "current": null, "exercises": {"a": {"status": "done"}}}', /entry for "a" is malformed/],
  ])('rejects %s', (text, message) => {
    expect(() => parseProgress(text)).toThrow(message);
  });
});

describe('progress file', () => {
  test('a missing file is empty progress; saving writes it atomically (no temp files left)', async () => {
    const dir = tempDir();
    const file = join(dir, 'progress.json');
    expect(await loadProgress(file)).toEqual(emptyProgress());
    await updateProgress(file, (p) => markStarted(p, 'a'));
    expect(JSON.parse(readFileSync(file, 'utf8')).current).toBe('a');
    expect(readdirSync(dir)).toEqual(['progress.json']);
  });

  test('an unreadable file is reported with its path, copied aside once, and left untouched', async () => {
    const dir = tempDir();
    const file = join(dir, 'progress.json');
    writeFileSync(file, '{"version": 1, "curr');
    const error = await loadProgress(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProgressFileError);
    const { backup, message } = error as ProgressFileError;
    expect(message).toContain(file);
    expect(message).toContain(backup);
    expect(readFileSync(backup, 'utf8')).toBe('{"version": 1, "curr');
    expect(readFileSync(file, 'utf8')).toBe('{"version": 1, "curr');
    await loadProgress(file).catch(() => undefined);
    expect(readdirSync(dir).filter((f) => f.startsWith('progress.unreadable-'))).toHaveLength(1);
  });

  test('a file from a newer learn-ds is not overwritten by an update', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'x'));
    const file = join(dir, 'x', 'progress.json');
    const newer = '{"version": 2, "current": null, "exercises": {}, "more": true}';
    writeFileSync(file, newer);
    await expect(updateProgress(file, (p) => p)).rejects.toThrow(/newer learn-ds/);
    expect(readFileSync(file, 'utf8')).toBe(newer);
    await saveProgress(join(dir, 'other.json'), emptyProgress());
    expect(existsSync(join(dir, 'other.json'))).toBe(true);
  });
});

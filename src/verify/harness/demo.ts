/**
 * Demos for `learn-ds run`: an exercise's demo.ts runs the learner's code in a scenario and draws
 * what it did. A demo is a vitest test whose picture travels in the test's metadata to the report,
 * so it runs with every protection a hidden suite has (timeouts, process.exit trap, virtual time).
 */
import { test } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    picture?: string;
  }
}

/** Declares a demo: `draw` runs the learner's code and returns the picture to show. */
export function demo(title: string, draw: () => string | Promise<string>): void {
  test(title, async ({ task }) => {
    task.meta.picture = await draw();
  });
}

/**
 * How hidden tests tell a learner what went wrong. A LearnerFailure's message is shown as it is,
 * so it is written for a person: what was expected, and what their code did.
 */
export class LearnerFailure extends Error {
  override name = 'LearnerFailure';
  /** Extra lines shown under the message (a timeline, a counterexample). Enumerable so vitest keeps it. */
  learnerDetail?: string;

  constructor(message: string, detail?: string) {
    super(message);
    if (detail !== undefined) this.learnerDetail = detail;
  }
}

/** Fails the current check with a message for the learner. */
export function fail(message: string, detail?: string): never {
  throw new LearnerFailure(message, detail);
}

/** Fails the current check unless `condition` holds. Pass a function to build costly messages lazily. */
export function check(condition: unknown, message: string | (() => string), detail?: string): asserts condition {
  if (!condition) fail(typeof message === 'function' ? message() : message, detail);
}

/**
 * An Error like any other, without the stack trace that a suite's thousands of scripted failures
 * (a backend's 503s, a store's errors) would spend their time capturing.
 */
export function stacklessError(message: string): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Error(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Describes any thrown value for a message, whether or not it is an Error. */
export function describeThrown(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value)} (not an Error)`;
  try {
    return `${JSON.stringify(value) ?? String(value)} (not an Error)`;
  } catch {
    return `${String(value)} (not an Error)`;
  }
}

/**
 * Whether learn-ds may ask a question: only with a person at a terminal. In a pipe, a script or CI
 * a prompt would hang or read garbage, so commands say which flag or command to use instead.
 */
import { style } from '../report/style.ts';

export function canPrompt(
  env: NodeJS.ProcessEnv = process.env,
  stdin: { isTTY?: boolean } = process.stdin,
  stdout: { isTTY?: boolean } = process.stdout,
): boolean {
  return Boolean(stdin.isTTY && stdout.isTTY) && !env.CI;
}

const plain = (text: string) => text;

/**
 * A theme for @inquirer/prompts that follows learn-ds's colour choice (its own colours honour
 * NO_COLOR but not --no-color).
 */
export function promptTheme(): object {
  if (style.level > 0) return {};
  return {
    prefix: { idle: '?', done: '✓' },
    style: {
      answer: plain, message: plain, error: (t: string) => `> ${t}`, defaultAnswer: (t: string) => `(${t})`,
      help: plain, highlight: plain, key: (t: string) => `<${t}>`, disabled: (t: string) => `- ${t}`,
      description: plain, keysHelpTip: (keys: Array<[string, string]>) => keys.map(([k, a]) => `${k} ${a}`).join(' • '),
    },
  };
}

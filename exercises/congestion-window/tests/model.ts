/**
 * The rules of the statement as a model: what cwnd, ssthresh and phase must be after each event,
 * and the rule that got them there, in words for a failure message. Written apart from the
 * reference solution on purpose.
 */
import { show } from 'learn-ds/harness';

export type Event = 'ack' | 'dup' | 'timeout';
export type Phase = 'slow-start' | 'congestion-avoidance' | 'fast-recovery';

export interface Options {
  initialWindow: number;
  initialSsthresh: number;
}

export interface State {
  cwnd: number;
  ssthresh: number;
  phase: Phase;
}

export interface Step {
  event: Event;
  /** The state the rules require after this event. */
  expected: State;
  /** Which rule applied, in words, with the numbers. */
  rule: string;
}

const ORDINAL = ['0th', '1st', '2nd', '3rd'];

function halved(cwnd: number): { ssthresh: number; text: string } {
  const ssthresh = Math.max(cwnd / 2, 2);
  const floor = cwnd / 2 < 2 ? ' (the floor: ssthresh is never below 2 segments)' : '';
  return { ssthresh, text: `ssthresh = max(cwnd / 2, 2) = max(${show(cwnd)} / 2, 2) = ${show(ssthresh)}${floor}` };
}

/** The expected state after every event of `events`, from a new CongestionControl(options). */
export function expectedSteps(options: Options, events: readonly Event[]): Step[] {
  let cwnd = options.initialWindow;
  let ssthresh = options.initialSsthresh;
  let recovering = false;
  let duplicates = 0;
  /** What restarted the duplicate count last, for the rule's wording. */
  let since = '';
  const phase = (): Phase => (recovering ? 'fast-recovery' : cwnd < ssthresh ? 'slow-start' : 'congestion-avoidance');
  const steps: Step[] = [];
  for (const event of events) {
    let rule: string;
    if (event === 'ack') {
      if (recovering) {
        recovering = false;
        cwnd = ssthresh;
        rule = `a new ACK in fast recovery deflates cwnd to ssthresh = ${show(ssthresh)} and leaves fast recovery for congestion avoidance (rule 7)`;
      } else if (cwnd < ssthresh) {
        rule = `a new ACK in slow start (cwnd ${show(cwnd)} < ssthresh ${show(ssthresh)}) adds 1 segment: cwnd = ${show(cwnd + 1)} (rule 3)`;
        cwnd += 1;
      } else {
        rule = `a new ACK in congestion avoidance (cwnd ${show(cwnd)} ≥ ssthresh ${show(ssthresh)}) adds 1/cwnd = ${show(1 / cwnd)}: cwnd = ${show(cwnd + 1 / cwnd)} (rule 4)`;
        cwnd += 1 / cwnd;
      }
      duplicates = 0;
      since = ' since the last new ACK';
    } else if (event === 'dup') {
      if (recovering) {
        cwnd += 1;
        rule = `a further duplicate ACK in fast recovery inflates cwnd by 1: cwnd = ${show(cwnd)} (rule 6); only the 3rd duplicate halves the window`;
      } else {
        duplicates += 1;
        if (duplicates < 3) {
          rule =
            `this duplicate ACK is the ${ORDINAL[duplicates]} in a row${since}: it changes nothing but the count (rule 5); ` +
            'the count restarts at 0 on every new ACK and every timeout (rule 9)';
        } else {
          const h = halved(cwnd);
          ssthresh = h.ssthresh;
          cwnd = ssthresh + 3;
          recovering = true;
          rule =
            `the 3rd duplicate ACK in a row${since} halves the window: ${h.text}, then cwnd = ssthresh + 3 = ${show(cwnd)} ` +
            '(inflated by the 3 segments that the duplicates say have left the network), and the phase is fast recovery (rule 5)';
        }
      }
    } else {
      const h = halved(cwnd);
      ssthresh = h.ssthresh;
      cwnd = 1;
      recovering = false;
      duplicates = 0;
      since = ' since the last timeout';
      rule = `a timeout sets ${h.text} and cwnd = 1: back to slow start (rule 8)`;
    }
    steps.push({ event, expected: { cwnd, ssthresh, phase: phase() }, rule });
  }
  return steps;
}

export function initialState(options: Options): State {
  const { initialWindow: cwnd, initialSsthresh: ssthresh } = options;
  return { cwnd, ssthresh, phase: cwnd < ssthresh ? 'slow-start' : 'congestion-avoidance' };
}

/**
 * The login outage the demo plays (and the tests replay): a day and an hour of normal auth,
 * routing and storage traffic and logs, then auth logs a new error two minutes before its
 * metrics move, auth fails, routing follows a minute later and storage's request rate falls.
 */
import { cascade, type CascadeRecord } from './cascade.js';
import { cascadeLogs } from './cascade-logs.js';

const MIN = 60_000;
/** Auth's new error shows in its logs this long before its metrics move. */
export const LOG_LEAD_MS = 2 * MIN;

export const DEMO_SERVICES = {
  auth: { depends_on: ['storage'] },
  routing: { depends_on: ['auth', 'storage'] },
  storage: { depends_on: [] },
};

export interface DemoStory {
  /** When auth fails (ms). */
  readonly outageAt: number;
  readonly records: CascadeRecord[];
  readonly logs: ReturnType<typeof cascadeLogs>;
}

/** The story ending at `end` (ms, a whole minute). */
export function demoStory(end: number): DemoStory {
  const outageAt = end - 4 * MIN + 7_000;
  // A day and an hour: the logs' learning period (logs.learning_ms, 24 h) is over at the outage.
  const story = {
    services: DEMO_SERVICES,
    faults: [{ root: 'auth', at: outageAt, durationMs: 60 * MIN }],
    start: end - 25 * 60 * MIN,
    end,
    stepMs: MIN,
    seed: 42,
  };
  return {
    outageAt,
    records: cascade(story),
    logs: cascadeLogs({ ...story, leadMs: LOG_LEAD_MS }),
  };
}

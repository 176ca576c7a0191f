/**
 * Monotonic counter to per-second rate, with counter-reset handling as Prometheus' `rate()`:
 * when a value drops below the previous one the counter restarted from zero, so the increase
 * since the reset is the new value itself.
 */
export interface CounterState {
  /** Timestamp of the previous raw sample (ms); -Infinity when none. */
  prevTs: number;
  prevValue: number;
}

export function createCounterState(): CounterState {
  return { prevTs: Number.NEGATIVE_INFINITY, prevValue: 0 };
}

/**
 * Folds raw counter sample (t, v) into the state. Returns the per-second rate since the previous
 * sample, or undefined when there is none yet (first sample) or the sample is not newer.
 */
export function counterToRate(state: CounterState, t: number, v: number): number | undefined {
  if (!Number.isFinite(v) || !Number.isFinite(t) || t <= state.prevTs) return undefined;
  const first = state.prevTs === Number.NEGATIVE_INFINITY;
  const dtSeconds = (t - state.prevTs) / 1000;
  const increase = v >= state.prevValue ? v - state.prevValue : v;
  state.prevTs = t;
  state.prevValue = v;
  return first ? undefined : increase / dtSeconds;
}

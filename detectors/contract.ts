/**
 * The scoring contract every detector follows.
 *
 * A detector is a pure streaming function: `update(state, t, v)` scores the value `v` at event
 * time `t` (ms since epoch) against what the state learned from earlier samples only (causal),
 * then folds the sample into the state. No I/O, no clock: time is an input.
 */

/** Why a sample was or was not taken into a detector's state. */
export const SampleOutcome = {
  /** Scored and learned from. */
  Taken: 'taken',
  /** Timestamp not newer than the last one taken: ignored (makes retried batches harmless). */
  NotNewer: 'not_newer',
  /** NaN or ±Inf value (or timestamp): ignored, never thrown. */
  Invalid: 'invalid',
} as const;
export type SampleOutcome = (typeof SampleOutcome)[keyof typeof SampleOutcome];

/** What a detector says about one sample. */
export interface DetectorResult {
  /** Anomaly score in [0, 1]; 0 while learning and for samples that were not taken. */
  readonly score: number;
  /** The value the detector expected at `t`. */
  readonly expected: number;
  /** Lower edge of the band the value was compared against. */
  readonly lower: number;
  /** Upper edge of the band the value was compared against. */
  readonly upper: number;
  /** True while the detector is still warming up for this series. */
  readonly learning: boolean;
  readonly outcome: SampleOutcome;
  /** Early-warning detectors: estimated ms until the configured threshold is crossed. */
  readonly etaMs?: number;
}

/** A streaming detector over one series. `S` is its mutable state. */
export interface Detector<S> {
  readonly name: string;
  /**
   * Names the detector and its parameters: a stored state written under another fingerprint
   * (the config changed) is not reused. Defaults to `name`.
   */
  readonly fingerprint?: string;
  create(): S;
  update(state: S, t: number, v: number): DetectorResult;
  /** Last timestamp taken into the state (`-Infinity` when none). */
  lastTimestamp(state: S): number;
  /** Compact binary form of the state, exact: `decode(encode(s))` behaves as `s`. */
  encode(state: S): Uint8Array;
  /**
   * The bytes `encode` would give, without copying them, where the state's memory already is
   * its encoding (a Float64Array on a little-endian machine); undefined otherwise. Read them at
   * once: they change with the state. The detect stage writes a state per series per batch.
   */
  encodedView?(state: S): Uint8Array | undefined;
  decode(bytes: Uint8Array): S;
}

/**
 * Per-series state as stored in Redis: an 80-byte header (format version, counter state, a hash
 * of the detector's name and parameters, the held peak score, the anomaly waiting for its next
 * sample to confirm it) then the detector's own encoding. A state written by another detector
 * or with other parameters (the config changed) decodes as none, and the series learns afresh;
 * a state of the previous format (version 3, a 48-byte header) decodes with nothing waiting.
 */
import type { Detector } from '../../detectors/contract.js';
import { fnv1a32 } from '../queues/partition.js';
import { createCounterState, type CounterState } from './counter-rate.js';

export interface SeriesState<S> {
  readonly counter: CounterState;
  readonly det: S;
  /** The highest recent score and its time: /metrics holds it for `detect.hold_ms`. */
  readonly peak: { score: number; ts: number };
  /**
   * The last anomaly, until the series' next sample says whether it persisted (score-batch.ts):
   * its time (-Infinity: none waits), the band's edge it crossed, which way (+1 up, -1 down)
   * and its score.
   */
  readonly pending: { ts: number; edge: number; dir: number; score: number };
}

const nothingPending = (): SeriesState<unknown>['pending'] => ({
  ts: Number.NEGATIVE_INFINITY,
  edge: 0,
  dir: 0,
  score: 0,
});

const VERSION = 4;
const HEADER_BYTES = 80;
const V3 = { version: 3, header: 48 } as const;

/**
 * The hash of each detector's name and parameters, computed once: a fingerprint is a few
 * hundred characters, and a state is encoded per series per batch.
 */
const FINGERPRINTS = new WeakMap<object, number>();
const fingerprintOf = (detector: Detector<unknown>): number => {
  let h = FINGERPRINTS.get(detector);
  if (h === undefined) {
    h = fnv1a32(detector.fingerprint ?? detector.name);
    FINGERPRINTS.set(detector, h);
  }
  return h;
};

export function createSeriesState<S>(detector: Detector<S>): SeriesState<S> {
  return {
    counter: createCounterState(),
    det: detector.create(),
    peak: { score: 0, ts: Number.NEGATIVE_INFINITY },
    pending: nothingPending(),
  };
}

export function encodeSeriesState<S>(detector: Detector<S>, s: SeriesState<S>): Buffer {
  const det = detector.encodedView?.(s.det) ?? detector.encode(s.det);
  // Every byte is written below.
  const out = Buffer.allocUnsafe(HEADER_BYTES + det.byteLength);
  out.writeDoubleLE(VERSION, 0);
  out.writeDoubleLE(s.counter.prevTs, 8);
  out.writeDoubleLE(s.counter.prevValue, 16);
  out.writeDoubleLE(fingerprintOf(detector), 24);
  out.writeDoubleLE(s.peak.score, 32);
  out.writeDoubleLE(s.peak.ts, 40);
  out.writeDoubleLE(s.pending.ts, 48);
  out.writeDoubleLE(s.pending.edge, 56);
  out.writeDoubleLE(s.pending.dir, 64);
  out.writeDoubleLE(s.pending.score, 72);
  out.set(det, HEADER_BYTES);
  return out;
}

/** Decodes a stored state; a state of an unknown format starts afresh (returns undefined). */
export function decodeSeriesState<S>(
  detector: Detector<S>,
  bytes: Buffer,
): SeriesState<S> | undefined {
  const version = bytes.byteLength >= V3.header ? bytes.readDoubleLE(0) : Number.NaN;
  const header = version === VERSION ? HEADER_BYTES : version === V3.version ? V3.header : 0;
  if (header === 0 || bytes.byteLength < header) return undefined;
  if (bytes.readDoubleLE(24) !== fingerprintOf(detector)) return undefined;
  try {
    return {
      counter: { prevTs: bytes.readDoubleLE(8), prevValue: bytes.readDoubleLE(16) },
      det: detector.decode(bytes.subarray(header)),
      peak: { score: bytes.readDoubleLE(32), ts: bytes.readDoubleLE(40) },
      pending:
        header === HEADER_BYTES
          ? {
              ts: bytes.readDoubleLE(48),
              edge: bytes.readDoubleLE(56),
              dir: bytes.readDoubleLE(64),
              score: bytes.readDoubleLE(72),
            }
          : nothingPending(),
    };
  } catch {
    return undefined;
  }
}

/**
 * Per-series state as stored in Redis: a 24-byte header (format version, counter state) then
 * the detector's own encoding. Compact and exact.
 */
import type { Detector } from '../../detectors/contract.js';
import { createCounterState, type CounterState } from './counter-rate.js';

export interface SeriesState<S> {
  readonly counter: CounterState;
  readonly det: S;
}

const VERSION = 1;
const HEADER_BYTES = 24;

export function createSeriesState<S>(detector: Detector<S>): SeriesState<S> {
  return { counter: createCounterState(), det: detector.create() };
}

export function encodeSeriesState<S>(detector: Detector<S>, s: SeriesState<S>): Buffer {
  const det = detector.encode(s.det);
  const out = Buffer.alloc(HEADER_BYTES + det.byteLength);
  out.writeDoubleLE(VERSION, 0);
  out.writeDoubleLE(s.counter.prevTs, 8);
  out.writeDoubleLE(s.counter.prevValue, 16);
  out.set(det, HEADER_BYTES);
  return out;
}

/** Decodes a stored state; a state of an unknown format starts afresh (returns undefined). */
export function decodeSeriesState<S>(
  detector: Detector<S>,
  bytes: Buffer,
): SeriesState<S> | undefined {
  if (bytes.byteLength < HEADER_BYTES || bytes.readDoubleLE(0) !== VERSION) return undefined;
  try {
    return {
      counter: { prevTs: bytes.readDoubleLE(8), prevValue: bytes.readDoubleLE(16) },
      det: detector.decode(bytes.subarray(HEADER_BYTES)),
    };
  } catch {
    return undefined;
  }
}

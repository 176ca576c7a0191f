/**
 * A service's log state (log-service-state.ts) as stored: JSON for the miner and the open
 * bucket, and the detector series' states apart, by series key.
 */
import { LogLineReader } from '../../detectors/log-line-reader.js';
import { LogTemplateMiner } from '../../detectors/log-templates.js';
import { createSeriesState, decodeSeriesState, encodeSeriesState } from '../detect/series-state.js';
import {
  lineReaderFor,
  readerOptions,
  seriesMeta,
  type LogAnalysisSettings,
  type ServiceLogState,
} from './log-service-state.js';

/** A service's log state as stored: JSON; the detector series are stored apart, by key. */
export interface StoredServiceLogState {
  v: 2;
  service: string;
  firstTs: number | null;
  bucketStart: number | null;
  lines: number;
  errors: number;
  newInBucket: number;
  counts: [number, number][];
  levels: [number, string][];
  examples: [number, string[]][];
  /** The miner's state, base64. */
  miner: string;
  /** The line reader's learned header layout (absent in states written before it). */
  reader?: unknown;
  /** Per detector series: template id (-1: the error ratio), rate, last active bucket end. */
  series: [id: number, rate: number | null, lastActive: number | null][];
}

/** JSON bytes of a service's log state, without its detector series (see `seriesKeys`). */
export function encodeServiceLogState(s: ServiceLogState): Buffer {
  const state: StoredServiceLogState = {
    v: 2,
    service: s.service,
    firstTs: Number.isFinite(s.firstTs) ? s.firstTs : null,
    bucketStart: Number.isFinite(s.bucketStart) ? s.bucketStart : null,
    lines: s.lines,
    errors: s.errors,
    newInBucket: s.newInBucket,
    counts: [...s.counts],
    levels: [...s.levels],
    examples: [...s.examples],
    miner: Buffer.from(s.miner.encode()).toString('base64'),
    reader: s.reader.encode(),
    series: [...s.series].map(([id, x]) => [
      id,
      Number.isFinite(x.rate) ? x.rate : null,
      Number.isFinite(x.lastActive) ? x.lastActive : null,
    ]),
  };
  return Buffer.from(JSON.stringify(state));
}

/** The encoded detector states of a service's series, by series key. */
export function encodeLogSeries(
  s: ServiceLogState,
  ids: Iterable<number> = s.series.keys(),
): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (const id of ids) {
    const x = s.series.get(id);
    if (x) out.push([x.meta.key, encodeSeriesState(x.detector, x.state)]);
  }
  return out;
}

/** Parses stored bytes; undefined when they are not a service log state (it learns afresh). */
export function parseServiceLogState(bytes: Buffer): StoredServiceLogState | undefined {
  try {
    const raw = JSON.parse(bytes.toString('utf8')) as Partial<StoredServiceLogState>;
    if (raw.v !== 2 || typeof raw.service !== 'string' || typeof raw.miner !== 'string') {
      return undefined;
    }
    if (!Array.isArray(raw.series) || !Array.isArray(raw.counts)) return undefined;
    return raw as StoredServiceLogState;
  } catch {
    return undefined;
  }
}

/** The keys of the detector series a stored state names, in its order. */
export const seriesKeys = (raw: StoredServiceLogState): string[] =>
  raw.series.map(([id]) => seriesMeta(raw.service, id).key);

/**
 * Rebuilds a service's state from its stored form and its series' stored bytes (in
 * `seriesKeys` order; a missing or foreign one starts afresh). Undefined when the miner state
 * does not decode.
 */
export function restoreServiceLogState(
  raw: StoredServiceLogState,
  seriesBytes: readonly (Buffer | null | undefined)[],
  settings: Pick<LogAnalysisSettings, 'templates' | 'detectorOf'>,
): ServiceLogState | undefined {
  let miner: LogTemplateMiner;
  try {
    miner = LogTemplateMiner.decode(Buffer.from(raw.miner, 'base64'), settings.templates);
  } catch {
    return undefined;
  }
  // A reader whose state is missing (an older state) or foreign learns the header afresh.
  let reader: LogLineReader;
  try {
    reader =
      raw.reader === undefined
        ? lineReaderFor(settings.templates)
        : LogLineReader.decode(raw.reader, readerOptions(settings.templates));
  } catch {
    reader = lineReaderFor(settings.templates);
  }
  const s: ServiceLogState = {
    service: raw.service,
    miner,
    reader,
    firstTs: raw.firstTs ?? Number.NaN,
    bucketStart: raw.bucketStart ?? Number.NEGATIVE_INFINITY,
    counts: new Map(raw.counts),
    lines: raw.lines,
    errors: raw.errors,
    newInBucket: raw.newInBucket,
    levels: new Map(raw.levels),
    examples: new Map(raw.examples),
    series: new Map(),
  };
  raw.series.forEach(([id, rate, lastActive], i) => {
    const meta = seriesMeta(s.service, id);
    const detector = settings.detectorOf(meta);
    const bytes = seriesBytes[i];
    const state = (bytes && decodeSeriesState(detector, bytes)) ?? createSeriesState(detector);
    s.series.set(id, {
      meta,
      detector,
      state,
      rate: rate ?? Number.NaN,
      lastActive: lastActive ?? Number.NEGATIVE_INFINITY,
    });
  });
  return s;
}

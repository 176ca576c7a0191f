/**
 * Detector throughput and state size: for each detector, 1M samples spread over 10k series
 * (100 samples each, interleaved by time as a live batch would be), single thread, in steady
 * state (every series first takes 300 samples, past any warm-up); prints samples/s, the
 * encoded state size per series, and what writing and reading one series' stored state costs
 * (`encodeSeriesState` / `decodeSeriesState`, as the detect stage does per series per batch). It measures the compiled code the worker runs (dist/, built
 * by `npm run bench`), not the TypeScript loader's transpilation.
 *
 *   npm run bench -- detectors [--series 10000] [--samples 1000000]
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Detector } from '../detectors/contract.js';
import * as sourceRegistry from '../detectors/registry.js';
import type { DetectorEntry, DetectorParams } from '../detectors/registry.js';
import * as sourceSeriesState from '../src/detect/series-state.js';

const PARAMS: Record<string, Record<string, unknown>> = {
  trend_forecast: { threshold: 1000 },
  holt_winters: { period: 24 },
};

const WARM_SAMPLES = 300;

async function seriesStateCodec(): Promise<typeof sourceSeriesState> {
  const built = fileURLToPath(new URL('../dist/src/detect/series-state.js', import.meta.url));
  if (!existsSync(built)) return sourceSeriesState;
  return (await import(pathToFileURL(built).href)) as typeof sourceSeriesState;
}

/** Microseconds to encode, then to decode, one warm series' stored state (median of 3). */
function codecMicros(
  codec: typeof sourceSeriesState,
  detector: Detector<unknown>,
  values: Float64Array,
): [number, number] {
  const state = codec.createSeriesState(detector);
  for (let k = 0; k < WARM_SAMPLES; k++)
    detector.update(state.det, Date.UTC(2026, 0, 1) + k * 60_000, values[k] ?? 0);
  const bytes = codec.encodeSeriesState(detector, state);
  const N = 50_000;
  const time = (f: () => unknown): number => {
    const runs = [0, 1, 2]
      .map(() => {
        const t0 = performance.now();
        for (let i = 0; i < N; i++) f();
        return ((performance.now() - t0) * 1000) / N;
      })
      .sort((a, b) => a - b);
    return runs[1] ?? Number.NaN;
  };
  return [
    time(() => codec.encodeSeriesState(detector, state)),
    time(() => codec.decodeSeriesState(detector, bytes)),
  ];
}

async function registry(): Promise<typeof sourceRegistry> {
  const built = fileURLToPath(new URL('../dist/detectors/registry.js', import.meta.url));
  if (!existsSync(built)) {
    process.stderr.write(
      'bench detectors: no dist/ build; measuring the TypeScript sources (slower)\n',
    );
    return sourceRegistry;
  }
  return (await import(pathToFileURL(built).href)) as typeof sourceRegistry;
}

function run(
  detector: Detector<unknown>,
  series: number,
  samples: number,
  values: Float64Array,
): number {
  const states = Array.from({ length: series }, () => detector.create());
  const perSeries = Math.ceil(samples / series);
  const t0 = Date.UTC(2026, 0, 1);
  const value = (k: number, s: number): number => values[(k * 7919 + s) % values.length] ?? 0;
  let sink = 0;
  // Steady state: every series past its warm-up before the clock starts.
  for (let k = 0; k < WARM_SAMPLES; k++) {
    for (let s = 0; s < series; s++)
      sink += detector.update(states[s], t0 + k * 60_000, value(k, s)).score;
  }
  const started = performance.now();
  for (let k = WARM_SAMPLES; k < WARM_SAMPLES + perSeries; k++) {
    const t = t0 + k * 60_000;
    for (let s = 0; s < series; s++) sink += detector.update(states[s], t, value(k, s)).score;
  }
  const secs = (performance.now() - started) / 1000;
  if (Number.isNaN(sink)) process.stderr.write('');
  return (perSeries * series) / secs;
}

export async function main(argv: string[]): Promise<void> {
  const { values: opts } = parseArgs({
    args: argv,
    options: {
      series: { type: 'string', default: '10000' },
      samples: { type: 'string', default: '1000000' },
    },
  });
  const series = Number(opts.series);
  const samples = Number(opts.samples);
  // Noisy values with a daily-ish wave and rare spikes, precomputed so the loop measures detectors.
  const values = new Float64Array(1 << 16);
  let seed = 12345;
  for (let i = 0; i < values.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const noise = seed / 2 ** 32 - 0.5;
    values[i] = 100 + 20 * Math.sin(i / 50) + 10 * noise + (i % 997 === 0 ? 300 : 0);
  }
  const { DEFAULT_DETECTOR, detectorRegistry } = await registry();
  const codec = await seriesStateCodec();
  process.stdout.write(
    `${samples} samples over ${series} series, single thread, steady state, median of 3 runs\n\n`,
  );
  process.stdout.write(
    `${'detector'.padEnd(16)} ${'samples/s'.padStart(12)} ${'state bytes'.padStart(12)} ` +
      `${'encode µs'.padStart(10)} ${'decode µs'.padStart(10)}\n`,
  );
  // Every detector, and the ensemble with its opt-in learned tail beside the default.
  const rows: [string, DetectorEntry, DetectorParams][] = Object.entries(detectorRegistry).map(
    ([name, entry]) => [name, entry, PARAMS[name] ?? {}],
  );
  const ensemble = detectorRegistry[DEFAULT_DETECTOR];
  if (ensemble) rows.splice(1, 0, ['  tail: learned', ensemble, { tail: 'learned' }]);
  for (const [name, entry, params] of rows) {
    const detector = entry.create(params);
    run(detector, 1000, 100_000, values); // JIT warm-up
    // The median of three runs: one run on a shared machine can lose a third to a neighbour.
    // With --expose-gc (npm run bench passes it), each run starts from a collected heap rather
    // than paying for the previous run's states.
    const gc = (globalThis as { gc?: () => void }).gc;
    const rates = [0, 1, 2]
      .map(() => {
        gc?.();
        return run(detector, series, samples, values);
      })
      .sort((a, b) => a - b);
    const rate = rates[1] ?? 0;
    const bytes = detector.encode(detector.create()).byteLength;
    const label = name === DEFAULT_DETECTOR ? `${name} (default)` : name;
    const [enc, dec] = codecMicros(codec, detector, values);
    process.stdout.write(
      `${label.padEnd(16)} ${rate.toFixed(0).padStart(12)} ${String(bytes).padStart(12)} ` +
        `${enc.toFixed(2).padStart(10)} ${dec.toFixed(2).padStart(10)}\n`,
    );
    await Promise.resolve();
  }
}

/**
 * Detector throughput and state size: for each detector, 1M samples spread over 10k series
 * (100 samples each, interleaved by time as a live batch would be), single thread, after a
 * warm-up pass; prints samples/s and the encoded state size per series.
 *
 *   npm run bench -- detectors [--series 10000] [--samples 1000000]
 */
import { parseArgs } from 'node:util';
import type { Detector } from '../detectors/contract.js';
import { DEFAULT_DETECTOR, detectorRegistry } from '../detectors/registry.js';

const PARAMS: Record<string, Record<string, unknown>> = {
  trend_forecast: { threshold: 1000 },
  holt_winters: { period: 24 },
};

function run(
  detector: Detector<unknown>,
  series: number,
  samples: number,
  values: Float64Array,
): number {
  const states = Array.from({ length: series }, () => detector.create());
  const perSeries = Math.ceil(samples / series);
  const t0 = Date.UTC(2026, 0, 1);
  let sink = 0;
  const started = performance.now();
  for (let k = 0; k < perSeries; k++) {
    const t = t0 + k * 60_000;
    for (let s = 0; s < series; s++) {
      const r = detector.update(states[s], t, values[(k * 7919 + s) % values.length] ?? 0);
      sink += r.score;
    }
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
  process.stdout.write(`${samples} samples over ${series} series, single thread\n\n`);
  process.stdout.write(
    `${'detector'.padEnd(16)} ${'samples/s'.padStart(12)} ${'state bytes'.padStart(12)}\n`,
  );
  for (const [name, entry] of Object.entries(detectorRegistry)) {
    const detector = entry.create(PARAMS[name] ?? {});
    run(detector, Math.min(series, 1000), 100_000, values); // warm-up (JIT)
    const rate = run(detector, series, samples, values);
    const bytes = detector.encode(detector.create()).byteLength;
    const label = name === DEFAULT_DETECTOR ? `${name} (default)` : name;
    process.stdout.write(
      `${label.padEnd(16)} ${rate.toFixed(0).padStart(12)} ${String(bytes).padStart(12)}\n`,
    );
    await Promise.resolve();
  }
}

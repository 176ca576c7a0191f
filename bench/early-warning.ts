/**
 * Early warning figures (issue 3): a synthetic error ratio flat at 0.5%, then climbing linearly
 * to 10% over 20 minutes (binomial noise of 2000 requests per 15 s), sampled every 15 s and
 * every 60 s. Prints, per seed, when trend_forecast (threshold 5%) first scores 0.9 and when a
 * plain `ratio > 5% for 2m` rule fires, and the lead between them.
 *
 *   npm run bench -- early-warning [--seeds 5]
 */
import { parseArgs } from 'node:util';
import { detectorRegistry } from '../detectors/registry.js';
import { gaussian } from '../test/helpers/series.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 2, 2, 8, 0);
const FLAT = 60 * MIN;
const CLIMB = 20 * MIN;

export function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { seeds: { type: 'string', default: '5' } },
  });
  const entry = detectorRegistry.trend_forecast;
  if (!entry) throw new Error('no trend_forecast detector');
  for (const stepMs of [15_000, 60_000]) {
    const leads: number[] = [];
    process.stdout.write(`${stepMs / 1000} s samples:\n`);
    for (let seed = 1; seed <= Number(values.seeds); seed++) {
      const g = gaussian(seed);
      const requests = (2000 * stepMs) / 15_000;
      const det = entry.create({ threshold: 0.05, direction: 'up' });
      const state = det.create();
      let warn = -1;
      let pending = -1;
      let rule = -1;
      for (let i = 0; i < (FLAT + CLIMB + 10 * MIN) / stepMs; i++) {
        const dt = i * stepMs;
        const q =
          dt < FLAT ? 0.005 : dt < FLAT + CLIMB ? 0.005 + (0.095 * (dt - FLAT)) / CLIMB : 0.1;
        const v = Math.min(1, Math.max(0, q + Math.sqrt((q * (1 - q)) / requests) * g()));
        const t = T0 + dt;
        if (warn < 0 && det.update(state, t, v).score >= 0.9) warn = t;
        else if (warn >= 0) det.update(state, t, v);
        if (!(v > 0.05)) pending = -1;
        else {
          if (pending < 0) pending = t;
          if (rule < 0 && t - pending >= 2 * MIN) rule = t;
        }
      }
      const into = (x: number): string => ((x - T0 - FLAT) / MIN).toFixed(2);
      leads.push((rule - warn) / MIN);
      process.stdout.write(
        `  seed ${seed}: warns ${into(warn)} min into the climb; the rule fires at ${into(rule)}; lead ${((rule - warn) / MIN).toFixed(2)} min\n`,
      );
    }
    process.stdout.write(`  smallest lead: ${Math.min(...leads).toFixed(2)} min (target: 5)\n`);
  }
  return Promise.resolve();
}

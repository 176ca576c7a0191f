/**
 * False pages on pure noise: the default ensemble over 10 seeded Gaussian series of 30,000
 * samples each, at 1-minute and 5-minute steps; prints pages per sample once past warm-up.
 *
 *   npm run bench -- noise-pages [--series 10] [--samples 30000]
 */
import { parseArgs } from 'node:util';
import { createEnsembleDetector, defaultEnsembleParams } from '../detectors/ensemble.js';
import { gaussian } from '../test/helpers/series.js';

const PAGE = 0.9;
export function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      series: { type: 'string', default: '10' },
      samples: { type: 'string', default: '30000' },
    },
  });
  const seriesCount = Number(values.series);
  const samples = Number(values.samples);
  const t0 = Date.UTC(2026, 0, 5);

  for (const stepMin of [1, 5]) {
    let pages = 0;
    let judged = 0;
    for (let seed = 1; seed <= seriesCount; seed++) {
      const det = createEnsembleDetector(defaultEnsembleParams);
      const state = det.create();
      const g = gaussian(seed);
      for (let i = 0; i < samples; i++) {
        const r = det.update(state, t0 + i * stepMin * 60_000, 100 + 2 * g());
        if (r.learning) continue;
        judged++;
        if (r.score >= PAGE) pages++;
      }
    }
    const per = pages === 0 ? `none in ${judged}` : `1 per ${Math.round(judged / pages)}`;
    process.stdout.write(`${stepMin}-minute steps: ${pages} pages in ${judged} samples (${per})\n`);
  }
  return Promise.resolve();
}

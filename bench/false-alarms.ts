/**
 * The null suite (issue 14): pages per 10,000 samples at the default alert threshold on series
 * with no anomaly, for every null shape of test/helpers/null-shapes.ts at 15 s, 1 min, 5 min
 * and 1 h steps; then each null paired with true changes (level shift, spike, variance ×4,
 * ramp) of a stated size, and the delay to the first page, so that fewer false alarms cannot
 * hide lost detections. A page is an onset at or above the threshold; samples still learning
 * are not judged. Counters are turned into rates first, as the pipeline does.
 *
 * A change counts as detected when a page comes within its window (DETECTION_WINDOW: 5
 * samples for a spike, 60 for a shift or a variance change, 100 for a ramp); a cell is marked
 * `*` where the null itself pages within such a window with a chance of 5% or more, so the
 * detection there may be the null's own.
 *
 *   npm run bench -- false-alarms [--detector default] [--params JSON] [--seeds 5]
 *                                 [--samples 20000] [--threshold 0.9] [--before 3000]
 */
import { parseArgs } from 'node:util';
import { median } from 'simple-statistics';
import { benchDetector } from './detector-args.js';
import { progress, progressDone } from './progress.js';
import {
  CHANGE_KINDS,
  CHANGE_SIZE,
  DETECTION_WINDOW,
  NULL_SHAPES,
  type ChangeKind,
  type NullShape,
} from '../test/helpers/null-shapes.js';
import { runChange, runNull } from '../test/helpers/null-suite.js';

export const STEPS: readonly { readonly name: string; readonly ms: number }[] = [
  { name: '15 s', ms: 15_000 },
  { name: '1 min', ms: 60_000 },
  { name: '5 min', ms: 300_000 },
  { name: '1 h', ms: 3_600_000 },
];

/** The acceptance bar of issue 14: at most this many pages per 10,000 samples on every null. */
const PAGES_PER_10K_BAR = 1;

const USAGE = `usage: npm run bench -- false-alarms [options]

  --detector <name>   default (the ensemble) or a detector of the registry (default: default)
  --params <json>     the detector's parameters, snake_case as in the YAML file,
                      e.g. '{"tail": "learned"}'
  --seeds <n>         series per shape and step (default 5)
  --samples <n>       samples per null series (default 20000)
  --threshold <x>     the alert threshold (default: detect.anomaly_threshold, 0.9)
  --before <n>        samples before each true change (default 3000)
`;

const cell = (s: string, w = 12): string => s.padStart(w);

export function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      detector: { type: 'string', default: 'default' },
      params: { type: 'string' },
      seeds: { type: 'string', default: '5' },
      samples: { type: 'string', default: '20000' },
      threshold: { type: 'string' },
      before: { type: 'string', default: '3000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return Promise.resolve();
  }
  let chosen;
  try {
    chosen = benchDetector(values.detector, values.params);
  } catch (err) {
    process.stderr.write(
      `bench false-alarms: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`,
    );
    process.exit(2);
  }
  const seeds = Number(values.seeds);
  const samples = Number(values.samples);
  const before = Number(values.before);
  const threshold = Number(values.threshold ?? chosen.detect.anomaly_threshold);
  if (![seeds, samples, before, threshold].every((x) => x > 0)) {
    process.stderr.write(`bench false-alarms: bad arguments\n${USAGE}`);
    process.exit(2);
  }
  const detector = chosen.create();
  const started = performance.now();
  process.stdout.write(
    `detector ${values.detector}${values.params ? ` ${values.params}` : ''}, threshold ${threshold}: ${seeds} seeds × ${samples} samples per shape and step\n\n`,
  );

  process.stdout.write(
    `== pages per 10,000 samples on series with no anomaly (bar: ≤ ${PAGES_PER_10K_BAR}) ==\n`,
  );
  process.stdout.write(`${'null shape'.padEnd(36)}${STEPS.map((s) => cell(s.name)).join('')}\n`);
  let over = 0;
  let cells = 0;
  /** Pages per judged sample, per shape and step: the chance of a page in a change's window. */
  const nullRate = new Map<string, number>();
  for (const shape of NULL_SHAPES) {
    progress('bench false-alarms: nulls', shape.name);
    const row = STEPS.map((step) => {
      let pages = 0;
      let judged = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const r = runNull(detector, shape, seed, step.ms, samples, threshold);
        pages += r.pages;
        judged += r.judged;
      }
      const per10k = judged === 0 ? Number.NaN : (10_000 * pages) / judged;
      nullRate.set(`${shape.name}@${step.ms}`, judged === 0 ? 0 : pages / judged);
      cells++;
      if (!(per10k <= PAGES_PER_10K_BAR)) over++;
      return cell(
        judged === 0 ? 'no verdict' : per10k.toFixed(2) + (per10k > PAGES_PER_10K_BAR ? ' ✗' : ''),
      );
    });
    process.stdout.write(`${shape.name.padEnd(36)}${row.join('')}\n`);
  }
  progressDone();
  process.stdout.write(`${cells - over} of ${cells} shape × step cells within the bar\n\n`);

  process.stdout.write(
    `== true changes after ${before} samples: detected (of ${seeds}) and median delay in samples ==\n`,
  );
  for (const kind of CHANGE_KINDS) {
    process.stdout.write(
      `  ${kind}: ${CHANGE_SIZE[kind]}; detected if paged within ${DETECTION_WINDOW[kind]} samples\n`,
    );
  }
  process.stdout.write(
    `  (a spread: the noise's, 1.4826 × MAD of the first differences / √2, at least the resolution, over the 1,000 samples before)\n  (*: the null alone pages within the window with a chance of 5% or more)\n`,
  );
  process.stdout.write(
    `${'null shape + change'.padEnd(50)}${STEPS.map((s) => cell(s.name)).join('')}\n`,
  );
  let missed = 0;
  let pairs = 0;
  for (const shape of NULL_SHAPES) {
    progress('bench false-alarms: changes', shape.name);
    for (const kind of CHANGE_KINDS) {
      const row = STEPS.map((step) => {
        const r = changeCell(detector, shape, kind, step.ms);
        const rate = nullRate.get(`${shape.name}@${step.ms}`) ?? 0;
        const chance = 1 - Math.exp(-rate * DETECTION_WINDOW[kind]);
        return { ...r, text: chance >= 0.05 ? `${r.text}*` : r.text };
      });
      process.stdout.write(
        `${`${shape.name} + ${kind}`.padEnd(50)}${row.map((r) => cell(r.text)).join('')}\n`,
      );
      for (const r of row) {
        pairs += seeds;
        missed += seeds - r.detected;
      }
    }
  }
  progressDone();
  process.stdout.write(
    `${pairs - missed} of ${pairs} changes detected; ${((performance.now() - started) / 1000).toFixed(0)} s in all\n`,
  );

  function changeCell(
    det: typeof detector,
    shape: NullShape,
    kind: ChangeKind,
    stepMs: number,
  ): { text: string; detected: number } {
    const delays: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const r = runChange(det, shape, kind, seed, stepMs, {
        before,
        maxDelay: DETECTION_WINDOW[kind],
        threshold,
      });
      if (r.delay !== undefined) delays.push(r.delay);
    }
    const med = delays.length > 0 ? Number(median(delays).toFixed(1)) : undefined;
    return {
      text: `${delays.length}/${seeds}${med === undefined ? '' : ` d=${med}`}`,
      detected: delays.length,
    };
  }
  return Promise.resolve();
}

/**
 * NAB benchmark: scores every CSV under a NAB data folder with `aiops-worker score`'s code
 * (mirroring the tree into a results folder), then runs the independent scorer
 * ../shared/tools/nab-score.mjs on it, once with its threshold optimisation and once at the
 * project's own default alert threshold (the figure a real deployment gets).
 *
 * `--cv` and `--sensitivity` judge the detector as an outsider would: leave-one-category-out
 * cross-validation and every parameter moved ×0.8 and ×1.25 (bench/nab-cv.ts).
 *
 *   npm run bench -- nab --data ../shared/datasets/nab [--detector default] [--threshold 0.9]
 *                        [--out DIR] [--scorer ../shared/tools/nab-score.mjs] [--params JSON]
 *                        [--cv] [--sensitivity]
 */
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { benchDetector } from './detector-args.js';
import { progress, progressDone } from './progress.js';
import { DEFAULT_SCORER, nabTree, scoreCorpus, scoreTables } from './nab-corpus.js';
import { runCv } from './nab-cv.js';

/** A usage error: one line, exit 2 (no stack). */
function fail(message: string): never {
  process.stderr.write(`bench nab: ${message}\n`);
  process.exit(2);
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function main(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        detector: { type: 'string', default: 'default' },
        threshold: { type: 'string' },
        out: { type: 'string' },
        scorer: { type: 'string', default: DEFAULT_SCORER },
        params: { type: 'string' },
        cv: { type: 'boolean', default: false },
        sensitivity: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    fail(errorText(err));
  }
  const tree = nabTree(values.data);
  if (!tree) {
    fail(
      `no NAB data at ${values.data ?? '(none given)'}: pass --data DIR holding data/<category>/*.csv and labels/combined_windows.json (e.g. ../shared/datasets/nab)`,
    );
  }
  // --params '{"refractory": 150}': parameters of the chosen detector, for experiments.
  let chosen;
  try {
    chosen = benchDetector(values.detector, values.params);
  } catch (err) {
    fail(errorText(err));
  }
  const threshold = Number(values.threshold ?? chosen.detect.anomaly_threshold);
  if (!(threshold > 0 && threshold <= 1))
    fail(`--threshold must be in (0, 1], got ${values.threshold}`);
  const out = resolve(values.out ?? join(tmpdir(), `aiops-nab-${process.pid}`));
  const scorer = resolve(values.scorer);
  if (values.cv || values.sensitivity) {
    if (values.params)
      fail('--cv and --sensitivity move the defaults themselves; --params is not taken');
    await runCv({
      tree,
      scorer,
      out,
      detector: values.detector,
      threshold,
      cv: values.cv,
      sensitivity: values.sensitivity,
    });
    return;
  }
  const started = performance.now();
  const rows = await scoreCorpus(
    tree,
    () => chosen.create(),
    out,
    (done, of) => {
      progress('bench nab: scoring', `${done}/${of} files`);
    },
  );
  const secs = (performance.now() - started) / 1000;
  progressDone();
  const optimised = scoreTables({ scorer, tree, results: out });
  const fixed = scoreTables({ scorer, tree, results: out, threshold });
  process.stdout.write(
    `detector ${values.detector}: ${rows} rows in ${secs.toFixed(2)} s (${(rows / secs).toFixed(0)} rows/s)\nresults: ${out}\n\n`,
  );
  process.stdout.write(`== thresholds optimised by the scorer ==\n${optimised}\n`);
  process.stdout.write(`== at the default alert threshold ${threshold} ==\n${fixed}\n`);
}

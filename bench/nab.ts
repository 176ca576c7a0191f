/**
 * NAB benchmark: scores every CSV under a NAB data folder with `aiops-worker score`'s code
 * (mirroring the tree into a results folder), then runs the independent scorer
 * ../shared/tools/nab-score.mjs on it, once with its threshold optimisation and once at the
 * project's own default alert threshold (the figure a real deployment gets).
 *
 *   npm run bench -- nab --data ../shared/datasets/nab [--detector default] [--threshold 0.9]
 *                        [--out DIR] [--scorer ../shared/tools/nab-score.mjs] [--params JSON]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { scoreCsv } from '../src/cli/score-csv.js';
import { parseConfig } from '../src/config/load.js';
import { detectorByName } from '../src/detect/detector-choice.js';
import { configIssues } from '../src/service/config-checks.js';

/** The independent scorer beside the project (../shared/tools), wherever the bench runs from. */
const DEFAULT_SCORER = fileURLToPath(new URL('../../shared/tools/nab-score.mjs', import.meta.url));

function csvFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? csvFiles(join(dir, e.name))
      : e.name.endsWith('.csv')
        ? [join(dir, e.name)]
        : [],
  );
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      detector: { type: 'string', default: 'default' },
      threshold: { type: 'string' },
      out: { type: 'string' },
      scorer: { type: 'string', default: DEFAULT_SCORER },
      params: { type: 'string' },
    },
  });
  const root = values.data ? resolve(values.data) : undefined;
  const dataDir = root && existsSync(join(root, 'data')) ? join(root, 'data') : root;
  const labels = root ? join(root, 'labels', 'combined_windows.json') : undefined;
  if (!root || !dataDir || !labels || !existsSync(dataDir) || !existsSync(labels)) {
    process.stderr.write(
      `bench nab: no NAB data at ${values.data ?? '(none given)'}: pass --data DIR holding data/<category>/*.csv and labels/combined_windows.json (e.g. ../shared/datasets/nab)\n`,
    );
    process.exit(2);
  }
  // --params '{"refractory": 150}': parameters of the chosen detector, for experiments, in
  // snake_case as in the YAML file (they go through the same config checks).
  const params = values.params ? (JSON.parse(values.params) as Record<string, unknown>) : {};
  const name = values.detector === 'default' ? 'ensemble' : values.detector;
  const config = parseConfig(
    { detect: { detectors: { params: { [name]: params } } } },
    { source: '(--params)', check: configIssues },
  );
  const threshold = Number(values.threshold ?? config.detect.anomaly_threshold);
  const out = resolve(values.out ?? join(tmpdir(), `aiops-nab-${process.pid}`));
  const files = csvFiles(dataDir);
  const started = performance.now();
  let rows = 0;
  for (const [i, file] of files.entries()) {
    const target = join(out, relative(dataDir, file));
    mkdirSync(dirname(target), { recursive: true });
    const chunks: string[] = [];
    const detector = detectorByName(values.detector, config.detect);
    rows += (await scoreCsv(file, detector, (c) => chunks.push(c))).rows;
    writeFileSync(target, chunks.join(''));
    process.stderr.write(`\rbench nab: scored ${i + 1}/${files.length} files`);
  }
  const secs = (performance.now() - started) / 1000;
  process.stderr.write(`\n`);
  const scorer = resolve(values.scorer);
  const args = [scorer, '--data', dataDir, '--labels', labels, '--results', out];
  const optimised = execFileSync(process.execPath, args, { encoding: 'utf8' });
  const fixed = execFileSync(process.execPath, [...args, '--threshold', String(threshold)], {
    encoding: 'utf8',
  });
  process.stdout.write(
    `detector ${values.detector}: ${files.length} files, ${rows} rows in ${secs.toFixed(2)} s (${(rows / secs).toFixed(0)} rows/s)\nresults: ${out}\n\n`,
  );
  process.stdout.write(`== thresholds optimised by the scorer ==\n${optimised}\n`);
  process.stdout.write(`== at the default alert threshold ${threshold} ==\n${fixed}\n`);
}

/**
 * Loghub benchmark of the log template miner, with one default configuration for every system:
 *
 * 1. Grouping: mines each `<S>/<S>_2k.log_structured.csv` under the data folder with
 *    `aiops-worker templates --format loghub-csv`'s code (only LineId and Content are read),
 *    then scores the predictions with the independent ../shared/tools/logparse-score.mjs.
 * 2. Throughput: one miner over every system's messages concatenated, single thread; after a
 *    warm-up pass, timed repeated passes (median of 5). Also the first (cold) pass and the
 *    state's bytes per template.
 * 3. BGL new-template report: BGL's lines in time order through the log stage's core with the
 *    default settings (learning period, levels); how many alert lines (Label other than `-`)
 *    and how many normal lines fall under templates the new-template detector flagged.
 *
 *   npm run bench -- loghub --data ../shared/datasets/loghub [--out DIR]
 *                           [--scorer ../shared/tools/logparse-score.mjs]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { LogTemplateMiner } from '../detectors/log-templates.js';
import { mineTemplates } from '../src/cli/mine-templates.js';
import { parseConfig } from '../src/config/load.js';
import { analyzeLogs } from '../src/logs/log-analysis.js';
import { emptyLogOutcome } from '../src/logs/log-outcome.js';
import { createServiceLogState, LogSignals } from '../src/logs/log-service-state.js';
import { logSettingsFromConfig, templateOptionsFromConfig } from '../src/logs/log-settings.js';

/** The independent scorer beside the project (../shared/tools), wherever the bench runs from. */
const DEFAULT_SCORER = fileURLToPath(
  new URL('../../shared/tools/logparse-score.mjs', import.meta.url),
);

type Row = Record<string, string | undefined>;

/** `<dir>/<S>/<S>_2k.log_structured.csv` files, by system name. */
function systems(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const file = join(dir, e.name, `${e.name}_2k.log_structured.csv`);
    if (existsSync(file)) out.set(e.name, file);
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

const readRows = (file: string): Row[] => parse(readFileSync(file), { columns: true, bom: true });

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

/** A word from a number, in letters only (no digit: it is not masked). */
const letters = (n: number): string => {
  let out = '';
  let x = n;
  do {
    out += String.fromCharCode(97 + (x % 26));
    x = Math.floor(x / 26);
  } while (x > 0);
  return out;
};

function throughput(messages: string[]): void {
  const options = templateOptionsFromConfig(parseConfig({}).logs.templates);
  const miner = new LogTemplateMiner(options);
  let t = performance.now();
  for (const m of messages) miner.add(m);
  const cold = messages.length / ((performance.now() - t) / 1000);
  const rates: number[] = [];
  const passes = Math.max(1, Math.ceil(200_000 / messages.length));
  for (let run = 0; run < 5; run++) {
    t = performance.now();
    for (let p = 0; p < passes; p++) for (const m of messages) miner.add(m);
    rates.push((passes * messages.length) / ((performance.now() - t) / 1000));
  }
  // Adversarial: lines that keep starting templates (a shared 30-word body, two words that
  // differ near the end), mined up to the template cap. The price of each new template.
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  const body = Array.from({ length: 28 }, (_, i) => words[i % 8] ?? '').join(' ');
  const adversarial = new LogTemplateMiner(options);
  const advCount = 20_000;
  t = performance.now();
  for (let i = 0; i < advCount; i++) {
    // Two words unique to each line: no two lines differ in one word only.
    const a = `w${letters(i)}`;
    const b = `v${letters(i * 7919 + 13)}`;
    adversarial.add(`${body} ${a} ${b}`);
  }
  const advRate = advCount / ((performance.now() - t) / 1000);
  const bytes = miner.encode().byteLength;
  process.stdout.write(
    `\nthroughput (one thread, ${messages.length} messages of every system, ${passes} passes per run):\n` +
      `  after warm-up: ${Math.round(median(rates)).toLocaleString('en')} lines/s (median of 5; runs ${rates.map((r) => `${Math.round(r / 1000)}k`).join(', ')})\n` +
      `  first pass (learning every template): ${Math.round(cold).toLocaleString('en')} lines/s\n` +
      `  state: ${miner.size} templates, ${bytes.toLocaleString('en')} bytes encoded, ${Math.round(bytes / miner.size)} bytes per template\n` +
      `  adversarial (every line a new 30-token template, ${advCount} lines, ${adversarial.size} templates kept): ${Math.round(advRate).toLocaleString('en')} lines/s\n`,
  );
}

/** BGL's Level column onto the worker's levels (SEVERE and FAILURE are errors). */
const bglLevel = (level: string): string =>
  /^(SEVERE|FAILURE)$/i.test(level) ? 'error' : level.toLowerCase();

function bglReport(file: string): void {
  const rows = readRows(file).filter((r) => r.Timestamp !== undefined && r.Content !== undefined);
  const config = parseConfig({});
  const settings = logSettingsFromConfig(config);
  const state = createServiceLogState('bgl', settings);
  const out = emptyLogOutcome();
  const ids: number[] = [];
  // One record at a time, so each line's template id is known; the core is the live one.
  for (const r of rows) {
    const record = {
      ts: Number(r.Timestamp) * 1000,
      service: 'bgl',
      level: bglLevel(r.Level ?? 'info'),
      message: r.Content ?? '',
      labels: {},
    };
    analyzeLogs(settings, [record], () => state, out);
    ids.push(state.miner.match(record.message)?.id ?? -1);
  }
  const flagged = new Set(
    out.anomalies
      .filter((a) => a.signal === LogSignals.newTemplate)
      .map((a) => state.miner.resolve(Number(a.labels.template_id))),
  );
  let alerts = 0;
  let alertsFlagged = 0;
  let normalFlagged = 0;
  rows.forEach((r, i) => {
    const isFlagged = flagged.has(state.miner.resolve(ids[i] ?? -1));
    if (r.Label !== '-') {
      alerts += 1;
      if (isFlagged) alertsFlagged += 1;
    } else if (isFlagged) normalFlagged += 1;
  });
  const normal = rows.length - alerts;
  const pct = (a: number, b: number): string => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
  process.stdout.write(
    `\nBGL new-template detector (default settings: learning ${config.logs.learning_ms / 3_600_000} h of event time, levels ${config.logs.new_template_levels.join('/')}):\n` +
      `  ${flagged.size} templates flagged of ${state.miner.size}\n` +
      `  alert lines under flagged templates: ${alertsFlagged} of ${alerts} (${pct(alertsFlagged, alerts)})\n` +
      `  normal lines under flagged templates: ${normalFlagged} of ${normal} (${pct(normalFlagged, normal)})\n`,
  );
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      scorer: { type: 'string', default: DEFAULT_SCORER },
    },
  });
  const data = values.data ? resolve(values.data) : undefined;
  const found = data && existsSync(data) ? systems(data) : new Map<string, string>();
  if (!data || found.size === 0) {
    process.stderr.write(
      `bench loghub: no loghub data at ${values.data ?? '(none given)'}: pass --data DIR holding <System>/<System>_2k.log_structured.csv (e.g. ../shared/datasets/loghub)\n`,
    );
    process.exit(2);
  }
  const scorer = resolve(values.scorer);
  if (!existsSync(scorer)) {
    process.stderr.write(`bench loghub: no scorer at ${scorer} (--scorer PATH)\n`);
    process.exit(2);
  }
  const out = resolve(values.out ?? join(tmpdir(), `aiops-loghub-${process.pid}`));
  mkdirSync(out, { recursive: true });
  const options = templateOptionsFromConfig(parseConfig({}).logs.templates);
  process.stdout.write(
    `loghub: ${found.size} systems, one configuration for all: ${JSON.stringify(options)}\n\n`,
  );
  for (const [name, file] of found) {
    let csv = '';
    await mineTemplates(file, 'loghub-csv', options, (chunk) => (csv += chunk));
    writeFileSync(join(out, `${name}_2k.log_structured.csv`), csv);
  }
  process.stdout.write(
    execFileSync(process.execPath, [scorer, '--dir', data, '--preds', out], { encoding: 'utf8' }),
  );
  process.stdout.write(`(predictions in ${out})\n`);

  const messages = [...found.values()].flatMap((f) => readRows(f).map((r) => r.Content ?? ''));
  throughput(messages);
  const bgl = found.get('BGL');
  if (bgl) bglReport(bgl);
}

/**
 * Loghub benchmark of the log template miner, with one default configuration for every system:
 *
 * 1. Grouping: mines each `<S>/<S>_2k.log_structured.csv` under the data folder with
 *    `aiops-worker templates --format loghub-csv`'s code (only LineId and Content are read),
 *    then scores the predictions with the independent ../shared/tools/logparse-score.mjs.
 *    `--raw` mines the raw `<S>_2k.log` lines instead (header and all, no loghub regex) with
 *    `templates --format raw --assignments`'s code, as the live path reads them. `--arrival`
 *    scores the template each line got when it arrived (what the live path emits) instead of
 *    its final one.
 *    `--cv`: leave one system out. The miner's constants (`word_values`, `similarity`) are
 *    chosen on nine systems (best mean GA, then FGA) and scored on the tenth; prints each
 *    fold, the mean and the worst, and the grid's in-sample plateau.
 * 2. Throughput: one miner over every system's messages concatenated, single thread; after a
 *    warm-up pass, timed repeated passes (median of 5). Also the first (cold) pass and the
 *    state's bytes per template.
 * 3. BGL new-template report: BGL's lines in time order through the log stage's core with the
 *    default settings (learning period, levels); how many alert lines (Label other than `-`)
 *    and how many normal lines fall under templates the new-template detector flagged.
 *
 *   npm run bench -- loghub --data ../shared/datasets/loghub [--raw] [--arrival] [--cv]
 *                           [--out DIR] [--scorer ../shared/tools/logparse-score.mjs]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { LogLineReader } from '../detectors/log-line-reader.js';
import type { LogTemplateOptions } from '../detectors/log-template-options.js';
import { LogTemplateMiner } from '../detectors/log-templates.js';
import { mineTemplates } from '../src/cli/mine-templates.js';
import { parseConfig } from '../src/config/load.js';
import { analyzeLogs } from '../src/logs/log-analysis.js';
import { emptyLogOutcome } from '../src/logs/log-outcome.js';
import { createServiceLogState, lineReaderFor, LogSignals } from '../src/logs/log-service-state.js';
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

/** The raw lines beside a structured CSV: `<S>_2k.log`. */
const rawFile = (structured: string): string => structured.replace(/_structured\.csv$/, '');

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

/**
 * Raw lines (header and all) through what the live path runs per line: one line reader per
 * system (its header learned) and one miner. After a warm-up pass, the median of 5 timed runs.
 */
function rawThroughput(bySystem: string[][]): void {
  const options = templateOptionsFromConfig(parseConfig({}).logs.templates);
  const miner = new LogTemplateMiner(options);
  const readers = bySystem.map(() => new LogLineReader());
  const pass = (): void => {
    bySystem.forEach((lines, i) => {
      const reader = readers[i] as LogLineReader;
      for (const l of lines) miner.add(reader.read(l).message);
    });
  };
  pass();
  const count = bySystem.reduce((n, l) => n + l.length, 0);
  const rates: number[] = [];
  const passes = Math.max(1, Math.ceil(200_000 / count));
  for (let run = 0; run < 5; run++) {
    const t = performance.now();
    for (let p = 0; p < passes; p++) pass();
    rates.push((passes * count) / ((performance.now() - t) / 1000));
  }
  const bytes = miner.encode().byteLength;
  process.stdout.write(
    `\nraw lines (header learned and stripped, then mined; one thread, ${count} lines of every system):\n` +
      `  after warm-up: ${Math.round(median(rates)).toLocaleString('en')} lines/s (median of 5; runs ${rates.map((r) => `${Math.round(r / 1000)}k`).join(', ')})\n` +
      `  state: ${miner.size} templates, ${Math.round(bytes / miner.size)} bytes per template\n`,
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
  // A second reader sees the same lines as the state's own, so it reads each line alike.
  const peek = lineReaderFor(settings.templates);
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
    ids.push(state.miner.match(peek.read(record.message).message)?.id ?? -1);
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

interface Mode {
  readonly raw: boolean;
  readonly arrival: boolean;
}

/** Mines every system with `options` into `dir` (the scorer's prediction layout). */
async function predictAll(
  found: Map<string, string>,
  options: Partial<LogTemplateOptions>,
  mode: Mode,
  dir: string,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const [name, file] of found) {
    let csv = '';
    await mineTemplates(
      mode.raw ? rawFile(file) : file,
      mode.raw ? 'raw' : 'loghub-csv',
      options,
      (chunk) => (csv += chunk),
      undefined,
      { assignments: true, arrival: mode.arrival },
    );
    writeFileSync(join(dir, `${name}_2k.log_structured.csv`), csv);
  }
}

interface Scores {
  readonly GA: number;
  readonly FGA: number;
  readonly PA: number;
  readonly FTA: number;
}

/** The independent scorer's figures per system. */
function score(scorer: string, data: string, preds: string): Map<string, Scores> {
  const json = JSON.parse(
    execFileSync(process.execPath, [scorer, '--dir', data, '--preds', preds, '--json'], {
      encoding: 'utf8',
    }),
  ) as { datasets: Array<Scores & { dataset: string }> };
  return new Map(json.datasets.map((d) => [d.dataset, d]));
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const f3 = (x: number): string => x.toFixed(3);

/** The grid of constants the CV chooses among: word_values × similarity. */
const WORD_VALUES = [3, 4, 5, 6, 8];
const SIMILARITIES = [0.3, 0.4, 0.5, 0.6, 0.7];

async function crossValidate(
  found: Map<string, string>,
  base: Partial<LogTemplateOptions>,
  mode: Mode,
  scorer: string,
  data: string,
  out: string,
): Promise<void> {
  const grid: Array<{ wordValues: number; similarity: number; scores: Map<string, Scores> }> = [];
  for (const wordValues of WORD_VALUES) {
    for (const similarity of SIMILARITIES) {
      const dir = join(out, `w${wordValues}-s${similarity}`);
      await predictAll(found, { ...base, wordValues, similarity }, mode, dir);
      grid.push({ wordValues, similarity, scores: score(scorer, data, dir) });
      process.stderr.write(`.`);
    }
  }
  process.stderr.write(`\n`);
  const names = [...found.keys()];
  const at = (g: (typeof grid)[number], n: string, k: keyof Scores): number =>
    g.scores.get(n)?.[k] ?? 0;
  process.stdout.write(
    `leave one system out: word_values in {${WORD_VALUES.join(', ')}} x similarity in {${SIMILARITIES.join(', ')}} chosen on nine systems (best mean GA, then FGA), scored on the tenth\n\n` +
      `held-out     word_values  similarity     GA    FGA     PA    FTA\n`,
  );
  const held: Scores[] = [];
  for (const name of names) {
    const train = names.filter((n) => n !== name);
    let best = grid[0] as (typeof grid)[number];
    let bestKey = [-1, -1];
    for (const g of grid) {
      const key = [mean(train.map((n) => at(g, n, 'GA'))), mean(train.map((n) => at(g, n, 'FGA')))];
      const k0 = key[0] as number;
      const b0 = bestKey[0] as number;
      if (
        k0 > b0 + 1e-9 ||
        (Math.abs(k0 - b0) <= 1e-9 && (key[1] as number) > (bestKey[1] as number))
      ) {
        best = g;
        bestKey = key;
      }
    }
    const s = best.scores.get(name) ?? { GA: 0, FGA: 0, PA: 0, FTA: 0 };
    held.push(s);
    process.stdout.write(
      `${name.padEnd(12)} ${String(best.wordValues).padStart(11)} ${best.similarity.toFixed(1).padStart(11)}  ${f3(s.GA)}  ${f3(s.FGA)}  ${f3(s.PA)}  ${f3(s.FTA)}\n`,
    );
  }
  const worst = held.reduce((a, b) => (b.GA < a.GA ? b : a));
  process.stdout.write(
    `${'-'.repeat(62)}\n` +
      `mean of held-out folds                 ${f3(mean(held.map((s) => s.GA)))}  ${f3(mean(held.map((s) => s.FGA)))}  ${f3(mean(held.map((s) => s.PA)))}  ${f3(mean(held.map((s) => s.FTA)))}\n` +
      `worst fold (by GA)                     ${f3(worst.GA)}  ${f3(Math.min(...held.map((s) => s.FGA)))}  (worst FGA)\n\n` +
      `in-sample plateau (mean GA / FGA over all ten systems per grid point):\n` +
      `word_values ${SIMILARITIES.map((s) => `  sim ${s.toFixed(1)}   `).join('')}\n`,
  );
  for (const wordValues of WORD_VALUES) {
    const cells = SIMILARITIES.map((similarity) => {
      const g = grid.find((x) => x.wordValues === wordValues && x.similarity === similarity);
      if (g === undefined) return ''.padEnd(13);
      return `${f3(mean(names.map((n) => at(g, n, 'GA'))))}/${f3(mean(names.map((n) => at(g, n, 'FGA'))))} `;
    });
    process.stdout.write(`${String(wordValues).padStart(11)} ${cells.join('')}\n`);
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      scorer: { type: 'string', default: DEFAULT_SCORER },
      raw: { type: 'boolean', default: false },
      arrival: { type: 'boolean', default: false },
      cv: { type: 'boolean', default: false },
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
  const mode: Mode = { raw: values.raw, arrival: values.arrival };
  if (mode.raw) {
    const missing = [...found.values()].map(rawFile).filter((f) => !existsSync(f));
    if (missing.length > 0) {
      process.stderr.write(`bench loghub --raw: no raw lines at ${missing.join(', ')}\n`);
      process.exit(2);
    }
  }
  const scorer = resolve(values.scorer);
  if (!existsSync(scorer)) {
    process.stderr.write(`bench loghub: no scorer at ${scorer} (--scorer PATH)\n`);
    process.exit(2);
  }
  const out = resolve(values.out ?? join(tmpdir(), `aiops-loghub-${process.pid}`));
  mkdirSync(out, { recursive: true });
  const options = templateOptionsFromConfig(parseConfig({}).logs.templates);
  const what = `${mode.raw ? 'raw *_2k.log lines (header learned, no loghub regex)' : "loghub's Content column"}, ${mode.arrival ? 'template on arrival' : 'final template'}`;
  process.stdout.write(
    `loghub: ${found.size} systems, ${what}; one configuration for all: ${JSON.stringify(options)}\n\n`,
  );
  if (values.cv) {
    await crossValidate(found, options, mode, scorer, data, out);
    process.stdout.write(`(predictions in ${out})\n`);
    return;
  }
  await predictAll(found, options, mode, out);
  process.stdout.write(
    execFileSync(process.execPath, [scorer, '--dir', data, '--preds', out], { encoding: 'utf8' }),
  );
  process.stdout.write(`(predictions in ${out})\n`);

  const messages = [...found.values()].flatMap((f) => readRows(f).map((r) => r.Content ?? ''));
  throughput(messages);
  rawThroughput(
    [...found.values()].map((f) =>
      readFileSync(rawFile(f), 'utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    ),
  );
  const bgl = found.get('BGL');
  if (bgl) bglReport(bgl);
}

/**
 * `aiops-worker templates`: mines a log file in one pass.
 *
 * Formats:
 * - `lines`: one message per line, mined as it is (no header expected);
 * - `raw`: one raw log line per line, header and all, read as the live log stage reads a line
 *   (detectors/log-line-reader.ts: the stream's header learned and stripped, logfmt and JSON
 *   records mined by their keys and message field);
 * - `loghub-csv`: a loghub `*_structured.csv`, of which only `LineId` and `Content` are read.
 *
 * Output:
 * - by default for `lines` and `raw`, CSV `id,count,template`, most frequent first;
 * - with `assignments` (always for `loghub-csv`, the prediction format of loghub scorers), CSV
 *   `LineId,EventTemplate`, one row per input line: for `lines` and `raw`, `LineId` is the
 *   line's 1-based number in the file (an empty line gets an empty template), for `loghub-csv`
 *   the row's `LineId`. `EventTemplate` is the line's final template, after every refinement
 *   and merge, or with `arrival` the template the line got when it arrived (see Assignments),
 *   which is what the live path counts.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import { LogLineReader } from '../../detectors/log-line-reader.js';
import type { LogTemplateOptions } from '../../detectors/log-template-options.js';
import { LogTemplateMiner } from '../../detectors/log-templates.js';
import { CsvError } from './score-csv.js';

export const TEMPLATE_FORMATS = ['lines', 'raw', 'loghub-csv'] as const;
export type TemplateFormat = (typeof TEMPLATE_FORMATS)[number];

export interface MineOutput {
  /** Write `LineId,EventTemplate` per line (always so for `loghub-csv`). */
  readonly assignments?: boolean;
  /** Each line's template as it arrived instead of its final one (with assignments). */
  readonly arrival?: boolean;
}

export interface MineSummary {
  readonly lines: number;
  readonly templates: number;
}

/** Called every `PROGRESS_EVERY` lines on long inputs. */
export type Progress = (lines: number, templates: number) => void;
const PROGRESS_EVERY = 1_000_000;

export async function mineTemplates(
  input: string,
  format: TemplateFormat,
  options: Partial<LogTemplateOptions>,
  write: (chunk: string) => void,
  progress?: Progress,
  output: MineOutput = {},
): Promise<MineSummary> {
  if (output.arrival === true && output.assignments !== true && format !== 'loghub-csv') {
    throw new CsvError('--arrival needs --assignments: it says which template each line got');
  }
  // Say what is wrong with the input before reading it (a stream error would surface late).
  let info;
  try {
    info = await stat(input);
  } catch (err) {
    throw new CsvError(
      `cannot read ${input}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (!info.isFile()) throw new CsvError(`cannot read ${input}: it is not a file`);
  const sink = new Assignments(new LogTemplateMiner(options), output.arrival === true);
  if (format === 'loghub-csv') return mineLoghubCsv(input, sink, write, progress);
  const reader =
    format === 'raw'
      ? new LogLineReader({ templateKeys: new Set(options.templateKeys ?? []) })
      : undefined;
  return mineLines(input, sink, reader, output.assignments === true, write, progress);
}

/**
 * Each line's template. Final: the template its id lives under at the end, merges followed.
 * Arrival: the template (id) the line was counted under when it arrived, which is what the live
 * log stage counts and scores (`log_template_lines{template_id}`); it is written as that
 * template reads at the end, or, for one merged into another later, as it read when it was last
 * seen. A template refined in place keeps its id, and its lines stay one group.
 */
class Assignments {
  readonly ids: number[] = [];
  /** The last text seen per id: what a line reports should its template be evicted or merged. */
  private readonly lastText = new Map<number, string>();
  readonly miner: LogTemplateMiner;
  private readonly arrival: boolean;

  constructor(miner: LogTemplateMiner, arrival: boolean) {
    this.miner = miner;
    this.arrival = arrival;
  }

  add(message: string): void {
    const match = this.miner.add(message);
    this.ids.push(match.id);
    this.lastText.set(match.id, match.template);
  }

  /** A line with nothing to mine (an empty line): no template. */
  skip(): void {
    this.ids.push(-1);
  }

  template(i: number): string {
    const id = this.ids[i] as number;
    if (id < 0) return '';
    const now = this.arrival ? id : this.miner.resolve(id);
    const alive = this.miner.resolve(now) === now ? this.miner.get(now) : undefined;
    return alive?.template ?? this.lastText.get(now) ?? this.lastText.get(id) ?? '';
  }
}

async function mineLines(
  input: string,
  sink: Assignments,
  reader: LogLineReader | undefined,
  assignments: boolean,
  write: (chunk: string) => void,
  progress?: Progress,
): Promise<MineSummary> {
  let lines = 0;
  let mined = 0;
  for await (const line of linesOf(openInput(input))) {
    lines++;
    const message = reader === undefined ? line : reader.read(line).message;
    if (line.trim().length === 0 || message.length === 0) {
      if (assignments) sink.skip();
      continue;
    }
    sink.add(message);
    if (++mined % PROGRESS_EVERY === 0) progress?.(mined, sink.miner.size);
  }
  if (assignments) {
    const rows: string[][] = [['LineId', 'EventTemplate']];
    for (let i = 0; i < lines; i++) rows.push([String(i + 1), sink.template(i)]);
    write(stringify(rows));
    return { lines: mined, templates: sink.miner.size };
  }
  const templates = sink.miner.templates().sort((a, b) => b.count - a.count || a.id - b.id);
  write(
    stringify([['id', 'count', 'template'], ...templates.map((t) => [t.id, t.count, t.template])]),
  );
  return { lines: mined, templates: templates.length };
}

async function mineLoghubCsv(
  input: string,
  sink: Assignments,
  write: (chunk: string) => void,
  progress?: Progress,
): Promise<MineSummary> {
  const lineIds: string[] = [];
  const parser = openInput(input).pipe(
    parse({
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      // The header names the columns; only LineId and Content are read.
      columns: (header: string[]) => {
        if (!header.includes('LineId') || !header.includes('Content')) {
          throw new CsvError(
            `${input}: a loghub structured CSV needs "LineId" and "Content" columns; its header (line 1) has ${header.map((h) => `"${h}"`).join(', ')}`,
          );
        }
        return header;
      },
    }),
  );
  try {
    for await (const row of parser as AsyncIterable<Record<string, string | undefined>>) {
      const lineId = row.LineId;
      const content = row.Content;
      if (lineId === undefined || content === undefined) {
        throw new CsvError(
          `${input}: row ${String(lineIds.length + 1)} after the header has no ${lineId === undefined ? 'LineId' : 'Content'} field`,
        );
      }
      lineIds.push(lineId);
      sink.add(content);
      if (lineIds.length % PROGRESS_EVERY === 0) progress?.(lineIds.length, sink.miner.size);
    }
  } catch (err) {
    if (err instanceof CsvError) throw err;
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof CsvError) throw cause;
    throw new CsvError(`${input}: ${(err as Error).message}`);
  }
  if (lineIds.length === 0) {
    throw new CsvError(
      `${input}: no rows: a loghub structured CSV has a header and one row per line`,
    );
  }
  const rows: string[][] = [['LineId', 'EventTemplate']];
  for (let i = 0; i < lineIds.length; i++) rows.push([lineIds[i] as string, sink.template(i)]);
  write(stringify(rows));
  return { lines: lineIds.length, templates: sink.miner.size };
}

const openInput = (input: string): NodeJS.ReadableStream => createReadStream(input, 'utf8');

/**
 * The lines of a text stream as `wc -l` counts them: split on LF only (a CR before it is
 * dropped; a lone CR is part of its line), a leading byte-order mark dropped, a last line
 * without LF kept.
 */
async function* linesOf(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  let rest = '';
  let first = true;
  for await (const chunk of stream as AsyncIterable<string>) {
    let text = rest + chunk;
    if (first) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.length > 0) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/**
 * `aiops-worker templates`: mines a log file in one pass.
 *
 * - `lines`: one message per line; writes CSV `id,count,template`, most frequent first.
 * - `loghub-csv`: a loghub `*_structured.csv`, of which only `LineId` and `Content` are read;
 *   writes CSV `LineId,EventTemplate` with each line's final template (the prediction format of
 *   loghub scorers).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import type { LogTemplateOptions } from '../../detectors/log-template-options.js';
import { LogTemplateMiner } from '../../detectors/log-templates.js';
import { CsvError } from './score-csv.js';

export const TEMPLATE_FORMATS = ['lines', 'loghub-csv'] as const;
export type TemplateFormat = (typeof TEMPLATE_FORMATS)[number];

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
): Promise<MineSummary> {
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
  const miner = new LogTemplateMiner(options);
  return format === 'lines'
    ? mineLines(input, miner, write, progress)
    : mineLoghubCsv(input, miner, write, progress);
}

async function mineLines(
  input: string,
  miner: LogTemplateMiner,
  write: (chunk: string) => void,
  progress?: Progress,
): Promise<MineSummary> {
  const rl = createInterface({ input: openInput(input), crlfDelay: Infinity });
  let lines = 0;
  for await (const line of rl) {
    if (line.length === 0) continue;
    miner.add(line);
    if (++lines % PROGRESS_EVERY === 0) progress?.(lines, miner.size);
  }
  const templates = miner.templates().sort((a, b) => b.count - a.count || a.id - b.id);
  write(
    stringify([['id', 'count', 'template'], ...templates.map((t) => [t.id, t.count, t.template])]),
  );
  return { lines, templates: templates.length };
}

async function mineLoghubCsv(
  input: string,
  miner: LogTemplateMiner,
  write: (chunk: string) => void,
  progress?: Progress,
): Promise<MineSummary> {
  const lineIds: string[] = [];
  const ids: number[] = [];
  /** The last text seen per id: what a line reports should its template be evicted. */
  const lastText = new Map<number, string>();
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
      const match = miner.add(content);
      ids.push(match.id);
      lastText.set(match.id, match.template);
      if (lineIds.length % PROGRESS_EVERY === 0) progress?.(lineIds.length, miner.size);
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
  for (let i = 0; i < ids.length; i++) {
    // The final text of the line's template, merges followed; for an evicted one, its last text.
    const id = ids[i] as number;
    rows.push([lineIds[i] as string, miner.get(id)?.template ?? lastText.get(id) ?? '']);
  }
  write(stringify(rows));
  return { lines: ids.length, templates: miner.size };
}

const openInput = (input: string): NodeJS.ReadableStream => createReadStream(input, 'utf8');

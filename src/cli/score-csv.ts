/**
 * `aiops-worker score`: scores a NAB-style CSV (`timestamp,value`) with one detector and writes
 * `timestamp,value,anomaly_score` to `out`. Causal: the score at row i uses rows 0..i only,
 * because the detector sees the rows one at a time, in file order.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Detector } from '../../detectors/contract.js';
import { parseTimestamp } from '../ingest/records.js';

export class CsvError extends Error {
  override name = 'CsvError';
}

/** NAB timestamps are naive `YYYY-MM-DD HH:MM:SS`, taken as UTC; RFC 3339 and epoch ms work too. */
export function csvTimestamp(text: string): number | undefined {
  const naive = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text);
  if (naive) {
    const iso = `${text.replace(' ', 'T')}Z`;
    const ms = Date.parse(iso);
    // Date.parse rolls 2015-02-30 over to March: accept only dates that read back the same.
    if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== iso.slice(0, 10))
      return undefined;
    return parseTimestamp(ms);
  }
  return parseTimestamp(/^\d+$/.test(text) ? Number(text) : text);
}

export async function scoreCsv<S>(
  input: string,
  detector: Detector<S>,
  write: (chunk: string) => void,
): Promise<{ rows: number; skipped: number }> {
  const rl = createInterface({ input: createReadStream(input, 'utf8'), crlfDelay: Infinity });
  const state = detector.create();
  let header: string[] | undefined;
  let tsCol = -1;
  let valCol = -1;
  let line = 0;
  let rows = 0;
  let skipped = 0;
  let out = '';
  for await (const raw of rl) {
    line += 1;
    if (raw.trim() === '') continue;
    const cells = raw.split(',');
    if (!header) {
      header = cells.map((c) => c.trim().replace(/^"|"$/g, ''));
      tsCol = header.indexOf('timestamp');
      valCol = header.indexOf('value');
      if (tsCol < 0 || valCol < 0) {
        throw new CsvError(
          `${input}: the header must name "timestamp" and "value" columns, got "${raw}"`,
        );
      }
      out += 'timestamp,value,anomaly_score\n';
      continue;
    }
    const tsText = (cells[tsCol] ?? '').trim().replace(/^"|"$/g, '');
    const valText = (cells[valCol] ?? '').trim().replace(/^"|"$/g, '');
    const t = csvTimestamp(tsText);
    if (t === undefined) throw new CsvError(`${input}:${line}: bad timestamp "${tsText}"`);
    const v = valText === '' ? Number.NaN : Number(valText);
    const r = detector.update(state, t, v);
    if (r.outcome !== 'taken') skipped += 1;
    // One output row per input row, so results align with the data row by row.
    out += `${tsText},${valText},${r.score}\n`;
    rows += 1;
    if (out.length > 1 << 16) {
      write(out);
      out = '';
    }
  }
  if (!header) throw new CsvError(`${input}: empty file`);
  write(out);
  return { rows, skipped };
}

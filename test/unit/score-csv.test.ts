import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectorRegistry } from '../../detectors/registry.js';
import { CsvError, csvTimestamp, scoreCsv } from '../../src/cli/score-csv.js';
import { gaussian } from '../helpers/series.js';

const dir = mkdtempSync(join(tmpdir(), 'aiops-score-'));

function csv(rows: number, spikeAt: number): string {
  const g = gaussian(21);
  const t0 = Date.UTC(2014, 6, 1);
  const lines = ['timestamp,value'];
  for (let i = 0; i < rows; i++) {
    const ts = new Date(t0 + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);
    const v = i === spikeAt ? 400 : 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + 3 * g();
    lines.push(`${ts},${v.toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

async function score(text: string, name = 'ensemble'): Promise<string[][]> {
  const file = join(dir, `in-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, text);
  const chunks: string[] = [];
  const detector = detectorRegistry[name]?.create({});
  if (!detector) throw new Error(name);
  await scoreCsv(file, detector, (c) => chunks.push(c));
  return chunks
    .join('')
    .trim()
    .split('\n')
    .map((l) => l.split(','));
}

describe('aiops-worker score (contract 2)', () => {
  it('writes timestamp,value,anomaly_score, one row per input row, scores in [0,1]', async () => {
    const rows = await score(csv(1000, 900));
    expect(rows[0]).toEqual(['timestamp', 'value', 'anomaly_score']);
    expect(rows).toHaveLength(1001);
    for (const r of rows.slice(1)) {
      const s = Number(r[2]);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
    expect(rows[1]?.[0]).toBe('2014-07-01 00:00:00');
    expect(Number(rows[901]?.[2])).toBeGreaterThanOrEqual(0.9);
  });

  it('is causal: the score of row i does not change when later rows are cut off', async () => {
    const full = csv(800, 700);
    const whole = await score(full);
    const cut = full
      .split('\n')
      .slice(0, 1 + 720)
      .join('\n');
    const prefix = await score(cut);
    expect(prefix.slice(1)).toEqual(whole.slice(1, 721));
  });

  it('names a missing column, a bad timestamp and an empty file', async () => {
    await expect(score('time,value\n1,2\n')).rejects.toThrow(/"timestamp" and "value"/);
    await expect(score('timestamp,value\nyesterday,2\n')).rejects.toThrow(CsvError);
    await expect(score('')).rejects.toThrow(/empty file/);
  });

  it.each([
    ['2014-07-01 00:00:00', Date.UTC(2014, 6, 1)],
    ['2014-07-01T00:05:00', Date.UTC(2014, 6, 1, 0, 5)],
    ['2014-07-01T00:05:00Z', Date.UTC(2014, 6, 1, 0, 5)],
    ['1404172800000', 1404172800000],
    ['not a time', undefined],
    ['2015-02-30 00:00:00', undefined],
    ['1969-12-31 23:59:30', undefined],
  ])('reads timestamp %s', (text, ms) => {
    expect(csvTimestamp(text)).toBe(ms);
  });
});

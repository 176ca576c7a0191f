import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { mineTemplates } from '../../src/cli/mine-templates.js';
import { CsvError } from '../../src/cli/score-csv.js';

const dir = mkdtempSync(join(tmpdir(), 'aiops-templates-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function mine(path: string, format: 'lines' | 'loghub-csv'): Promise<string[][]> {
  let out = '';
  await mineTemplates(path, format, {}, (chunk) => (out += chunk));
  return parse(out, {});
}

describe('aiops-worker templates', () => {
  it('lines: prints id, count and template, most frequent first', async () => {
    const path = file(
      'app.log',
      [
        'Connection closed by 10.0.0.1 port 22',
        'Connection closed by 10.0.0.2 port 2200',
        '',
        'disk full on /var/lib/data',
        'Connection closed by 10.0.0.9 port 22',
      ].join('\n'),
    );
    const rows = await mine(path, 'lines');
    expect(rows).toEqual([
      ['id', 'count', 'template'],
      ['1', '3', 'Connection closed by <*> port <*>'],
      ['2', '1', 'disk full on <*>'],
    ]);
  });

  it('loghub-csv: reads only LineId and Content, writes LineId,EventTemplate', async () => {
    const header = 'LineId,Date,Content,EventId,EventTemplate\n';
    const body = [
      '1,2026-12-01,"Received block blk_1, size 10",E1,whatever',
      '2,2026-12-01,"Received block blk_2, size 20",E2,"answer, ignored"',
      '3,2026-12-01,"say ""hello"" to 10.0.0.1",E3,x',
    ].join('\n');
    const withAnswers = await mine(file('a_structured.csv', header + body), 'loghub-csv');
    const otherAnswers = await mine(
      file('b_structured.csv', header + body.replaceAll(/,E\d,.*$/gm, ',E9,nothing')),
      'loghub-csv',
    );
    expect(withAnswers).toEqual([
      ['LineId', 'EventTemplate'],
      ['1', 'Received block <*>, size <*>'],
      ['2', 'Received block <*>, size <*>'],
      ['3', 'say "hello" to <*>'],
    ]);
    expect(otherAnswers).toEqual(withAnswers);
  });

  it('loghub-csv without the needed columns is a clear error', async () => {
    const path = file('bad.csv', 'Time,Message\n1,hello\n');
    await expect(mine(path, 'loghub-csv')).rejects.toThrow(CsvError);
    await expect(mine(path, 'loghub-csv')).rejects.toThrow(/"LineId" and "Content"/);
  });

  it('names the header it got, a short row, and an empty file', async () => {
    await expect(mine(file('h.csv', 'Id,Message\n'), 'loghub-csv')).rejects.toThrow(
      /header \(line 1\) has "Id", "Message"/,
    );
    await expect(
      mine(file('short.csv', 'LineId,Content\n1,hello\n2\n'), 'loghub-csv'),
    ).rejects.toThrow(/row 2 after the header has no Content field/);
    await expect(mine(file('empty.csv', ''), 'loghub-csv')).rejects.toThrow(/no rows/);
  });

  it('a missing file or a folder is a clear error in either format, not a crash', async () => {
    for (const format of ['lines', 'loghub-csv'] as const) {
      await expect(mine(join(dir, 'nope.csv'), format)).rejects.toThrow(/cannot read .*ENOENT/);
      await expect(mine(dir, format)).rejects.toThrow(/not a file/);
    }
  });

  it('a malformed CSV is a clear error, not a crash', async () => {
    const path = file('broken.csv', 'LineId,Content\n1,"unterminated\n');
    await expect(mine(path, 'loghub-csv')).rejects.toThrow(CsvError);
  });
});

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

async function mine(
  path: string,
  format: 'lines' | 'raw' | 'loghub-csv',
  output: { assignments?: boolean; arrival?: boolean } = {},
): Promise<string[][]> {
  let out = '';
  await mineTemplates(path, format, {}, (chunk) => (out += chunk), undefined, output);
  return parse(out, {});
}

/** Syslog-style raw lines: timestamp, host, program[pid], message. */
const syslog = (i: number, message: string): string =>
  `Dec 10 06:${String(10 + (i % 50)).padStart(2, '0')}:0${i % 10} web-${i % 3} sshd[${2400 + i}]: ${message}`;

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

  it('raw --assignments: the header is learned and stripped; one row per line, LineId its number', async () => {
    const lines = [
      ...Array.from({ length: 60 }, (_, i) =>
        syslog(
          i,
          i % 2 === 0
            ? `Accepted publickey for deploy from 10.0.0.${i} port 22`
            : `Connection closed by 10.0.1.${i} port 2200`,
        ),
      ),
      '',
      syslog(61, 'Server listening on 0.0.0.0 port 22.'),
    ];
    const rows = await mine(file('raw.log', lines.join('\n')), 'raw', { assignments: true });
    expect(rows[0]).toEqual(['LineId', 'EventTemplate']);
    expect(rows).toHaveLength(lines.length + 1);
    expect(rows.slice(1).map((r) => r[0])).toEqual(lines.map((_, i) => String(i + 1)));
    // The header (time, host, program and pid) is not part of any template.
    expect(rows[1]?.[1]).toBe('Accepted publickey for deploy from <*> port <*>');
    expect(rows[2]?.[1]).toBe('Connection closed by <*> port <*>');
    expect(new Set(rows.slice(1, 61).map((r) => r[1])).size).toBe(2);
    // An empty line keeps its row, with no template.
    expect(rows[61]).toEqual(['61', '']);
    expect(rows[62]?.[1]).toBe('Server listening on <*> port <*>.');
    // Without --assignments: the templates, most frequent first.
    const summary = await mine(file('raw2.log', lines.join('\n')), 'raw');
    expect(summary[0]).toEqual(['id', 'count', 'template']);
    expect(summary.slice(1).map((r) => r[1])).toEqual(['30', '30', '1']);
  });

  it('raw: logfmt and JSON records are mined by their keys and message', async () => {
    const lines = [
      'level=info msg="order placed" method=GET region=eu-west order_id=81',
      'level=info msg="order placed" method=POST region=us-east order_id=82',
      '{"level":"error","msg":"payment failed","carrier":"dhl","amount":12.5}',
      '{"level":"error","msg":"payment failed","carrier":"ups","amount":3}',
    ];
    const rows = await mine(file('structured.log', lines.join('\n')), 'raw', {
      assignments: true,
    });
    expect(rows.slice(1).map((r) => r[1])).toEqual([
      'order placed method=<*> region=<*> order_id=<*>',
      'order placed method=<*> region=<*> order_id=<*>',
      'payment failed carrier=<*> amount=<*>',
      'payment failed carrier=<*> amount=<*>',
    ]);
  });

  it('--arrival: the template each line was counted under when it arrived, not its final one', async () => {
    // Lines that differ in one word stay apart until the place shows 6 words (word_values).
    const lines = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina'].map(
      (u) => `Invalid login for ${u} on console`,
    );
    const path = file('merge.log', lines.join('\n'));
    const final = await mine(path, 'lines', { assignments: true });
    const arrival = await mine(path, 'lines', { assignments: true, arrival: true });
    expect(new Set(final.slice(1).map((r) => r[1]))).toEqual(
      new Set(['Invalid login for <*> on console']),
    );
    // alice's template survived the merge (its id, now general); bob's to erin's
    // were merged into it after their lines arrived: the live path counted those apart.
    expect(arrival.slice(1).map((r) => r[1])).toEqual([
      'Invalid login for <*> on console',
      'Invalid login for bob on console',
      'Invalid login for carol on console',
      'Invalid login for dave on console',
      'Invalid login for erin on console',
      'Invalid login for <*> on console',
      'Invalid login for <*> on console',
    ]);
    // loghub-csv takes --arrival too.
    const csv = file(
      'arrival_structured.csv',
      'LineId,Content\n' + lines.map((l, i) => `${i + 1},${l}`).join('\n'),
    );
    expect(await mine(csv, 'loghub-csv', { arrival: true })).toEqual(arrival);
  });

  it('counts lines as wc -l does: LF ends a line, CRLF too, a lone CR does not; a BOM is dropped', async () => {
    const path = file('crlf.log', '\ufeffalpha one 1\r\nbeta\rgamma 2\ndelta three 3');
    const rows = await mine(path, 'lines', { assignments: true });
    expect(rows.map((r) => r[0])).toEqual(['LineId', '1', '2', '3']);
    expect(rows[1]?.[1]).toBe('alpha one <*>');
  });

  it('--arrival without --assignments is a clear error', async () => {
    const path = file('a.log', 'hello world\n');
    await expect(mine(path, 'raw', { arrival: true })).rejects.toThrow(
      /--arrival needs --assignments/,
    );
  });

  it('a malformed CSV is a clear error, not a crash', async () => {
    const path = file('broken.csv', 'LineId,Content\n1,"unterminated\n');
    await expect(mine(path, 'loghub-csv')).rejects.toThrow(CsvError);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, errorDocsPath, type ErrorCode } from '../../src/errors.js';
import { markdownAnchors } from '../helpers/markdown.js';

const root = join(import.meta.dirname, '../..');
const page = readFileSync(join(root, 'docs/errors.md'), 'utf8');
const catalogue = Object.entries(ErrorCodes).map(([code, e]) => [code, e.status]);

/** docs/errors.md cut at each `### AIOPS_ERR_...` heading: code and the text up to the next heading. */
function sections(): { code: string; body: string }[] {
  const parts = page.split(/^### /m).slice(1);
  return parts
    .map((part) => {
      const [heading = '', ...rest] = part.split('\n');
      return { code: heading.trim(), body: rest.join('\n').split(/^#{1,3} /m)[0] ?? '' };
    })
    .filter((s) => s.code.startsWith('AIOPS_ERR_'));
}

describe('error catalogue', () => {
  it('has a section in docs/errors.md per code, with its status, in the same order', () => {
    const documented = sections().map(({ code, body }) => [
      code,
      Number(/^\*\*Status:\*\* (\d{3})\b/m.exec(body)?.[1]),
    ]);
    expect(documented).toEqual(catalogue);
  });

  it('says how to fix every code', () => {
    for (const { code, body } of sections()) {
      const fix = /^\*\*How to fix\.\*\* (\S.*)/m.exec(body);
      expect(fix, `${code} has no "**How to fix.**" paragraph`).not.toBeNull();
    }
  });

  it('lists every code with its status in the summary table', () => {
    const rows = [
      ...page.matchAll(/^\| \[`(AIOPS_ERR_[A-Z_]+)`\]\(#[a-z_]+\)\s*\| (\d{3})\s*\|/gm),
    ];
    expect(rows.map((m) => [m[1], Number(m[2])])).toEqual(catalogue);
  });

  it('points every code at an existing heading of docs/errors.md', () => {
    const anchors = markdownAnchors(page);
    for (const code of Object.keys(ErrorCodes) as ErrorCode[]) {
      const [file, anchor] = errorDocsPath(code).split('#');
      expect(file).toBe('docs/errors.md');
      expect(anchors.has(anchor ?? ''), `no heading for #${anchor ?? ''}`).toBe(true);
    }
  });

  it('uses codes of the form AIOPS_ERR_<AREA>_<WHAT>', () => {
    for (const code of Object.keys(ErrorCodes)) expect(code).toMatch(/^AIOPS_ERR_[A-Z]+_[A-Z_]+$/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';

describe('error catalogue', () => {
  it('matches the README table code for code and status', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `(AIOPS_ERR_[A-Z_]+)`\s*\| (\d{3})\s*\|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    const catalogue = Object.entries(ErrorCodes).map(([code, e]) => [code, e.status]);
    expect(rows).toEqual(catalogue);
  });

  it('uses codes of the form AIOPS_ERR_<AREA>_<WHAT>', () => {
    for (const code of Object.keys(ErrorCodes)) expect(code).toMatch(/^AIOPS_ERR_[A-Z]+_[A-Z_]+$/);
  });
});

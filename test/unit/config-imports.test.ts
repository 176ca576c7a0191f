import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const CONFIG = join(ROOT, 'src/config');

describe('src/config/', () => {
  it('is a leaf every stage shares: it imports only itself, detectors/ and libraries', () => {
    const outside = readdirSync(CONFIG)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        [...readFileSync(join(CONFIG, f), 'utf8').matchAll(/from '(\.[^']+)'/g)]
          .map((m) => relative(ROOT, resolve(CONFIG, m[1] ?? '')))
          .filter((target) => !target.startsWith('src/config/') && !target.startsWith('detectors/'))
          .map((target) => `src/config/${f} imports ${target}`),
      );
    expect(outside).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, configReference } from '../../src/cli/config-doc.js';

const ROOT = join(import.meta.dirname, '../..');
const REGENERATE = 'regenerate with: npm run config:generate';

/** Paths of the keys (object properties, at any depth) that carry no description. */
function undescribed(node: unknown, path: string): string[] {
  if (node === null || typeof node !== 'object') return [];
  const n = node as {
    properties?: Record<string, { description?: string }>;
    items?: unknown;
    additionalProperties?: unknown;
  };
  return [
    ...Object.entries(n.properties ?? {}).flatMap(([key, child]) => [
      ...(child.description ? [] : [`${path}${key}`]),
      ...undescribed(child, `${path}${key}.`),
    ]),
    ...undescribed(n.items, `${path}[].`),
    ...undescribed(n.additionalProperties, `${path}<name>.`),
  ];
}

describe('config schema and reference', () => {
  it(`config/config.schema.json is the schema the code validates with (${REGENERATE})`, () => {
    const committed: unknown = JSON.parse(
      readFileSync(join(ROOT, 'config/config.schema.json'), 'utf8'),
    );
    expect(committed).toEqual(configJsonSchema());
  });

  it(`docs/configuration.md is the reference the schema generates (${REGENERATE})`, async () => {
    const file = join(ROOT, 'docs/configuration.md');
    const generated = await format(configReference(), {
      ...(await resolveConfig(file)),
      filepath: file,
    });
    expect(readFileSync(file, 'utf8')).toBe(generated);
  });

  it('describes every key (`.describe()` in src/config/schema*.ts)', () => {
    expect(undescribed(configJsonSchema(), '')).toEqual([]);
  });
});

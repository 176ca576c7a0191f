import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema.js';

describe('config JSON Schema', () => {
  it('config/config.schema.json is the schema the code validates with (regenerate with: aiops-worker config-schema --out config/config.schema.json)', () => {
    const committed: unknown = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../config/config.schema.json'), 'utf8'),
    );
    expect(committed).toEqual(z.toJSONSchema(configSchema, { io: 'input' }));
  });
});

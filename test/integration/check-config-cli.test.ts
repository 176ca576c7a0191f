/**
 * `aiops-worker check-config` as a user runs it: every problem in one pass, each with its path
 * and a "did you mean" where a name is close, the error code, and where its fix is written.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');

async function checkConfig(
  yaml: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'aiops-check-')), 'config.yaml');
  writeFileSync(file, yaml);
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'check-config', file],
      { cwd: root },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('check-config', () => {
  it('reports schema and detector problems together, with the code and its docs section', async () => {
    const out = await checkConfig(
      'services:\n  auth: {}\nserver:\n  port: -1\ndetect:\n  detectors:\n    default: ensamble\n',
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('AIOPS_ERR_CONFIG_INVALID');
    expect(out.stderr).toContain('server.port');
    expect(out.stderr).toContain(
      'detect.detectors.default: unknown detector "ensamble" (did you mean "ensemble"?)',
    );
    expect(out.stderr).toContain('how to fix: docs/errors.md#aiops_err_config_invalid');
  }, 30_000);

  it('says a valid file is valid', async () => {
    const out = await checkConfig('services:\n  auth: {}\n  routing: { depends_on: [auth] }\n');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/valid/);
  }, 30_000);
});

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
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; file: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'aiops-check-')), 'config.yaml');
  writeFileSync(file, yaml);
  // A REDIS_URL of the shell running the tests is not the test's.
  const parentEnv = { ...process.env };
  delete parentEnv.REDIS_URL;
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'check-config', file],
      { cwd: root, env: { ...parentEnv, ...env } },
    );
    return { code: 0, stdout, stderr, file };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr, file };
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

  it('reports every mistake in one pass: schema errors, the Redis URL, detector names beside schema errors of their section, with the notes', async () => {
    const out = await checkConfig(
      [
        'services:',
        '  auth: {}',
        'server:',
        '  port: -1',
        'redis:',
        '  url: "redis:/redis-host"',
        'detect:',
        '  anomaly_threshold: 2',
        '  detectors:',
        '    default: ensamble',
        'notify:',
        '  alertmanagers: ["http://am-0:9093/api/v2/alerts/"]',
        '',
      ].join('\n'),
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(
      `aiops-worker: AIOPS_ERR_CONFIG_INVALID: invalid configuration ${out.file}:\n` +
        '  - server.port: Too small: expected number to be >=0\n' +
        '  - redis.url: "redis:/redis-host" is not a Redis URL: write two slashes after "redis:", as in redis://redis-host\n' +
        '  - detect.anomaly_threshold: Too big: expected number to be <=1\n' +
        '  - detect.detectors.default: unknown detector "ensamble" (did you mean "ensemble"?) (known: ensemble, ewma, robust_median, seasonal, holt_winters, cusum, trend_forecast, burn_rate)\n' +
        '  note: notify.alertmanagers[0]: "http://am-0:9093/api/v2/alerts/" ends in the API path; using "http://am-0:9093" (give the base URL: the worker adds /api/v2/alerts itself)\n' +
        '  how to fix: docs/errors.md#aiops_err_config_invalid\n',
    );
  }, 30_000);

  it('takes an Alertmanager URL with the API path on it, and says so', async () => {
    const out = await checkConfig(
      'services:\n  auth: {}\nnotify:\n  alertmanagers: ["http://am-0:9093/api/v2/alerts"]\n',
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(
      `${out.file}: valid (1 services: auth)\n` +
        '  note: notify.alertmanagers[0]: "http://am-0:9093/api/v2/alerts" ends in the API path; using "http://am-0:9093" (give the base URL: the worker adds /api/v2/alerts itself)\n',
    );
  }, 30_000);

  it('checks REDIS_URL too, since it wins over redis.url at start', async () => {
    const out = await checkConfig('services:\n  auth: {}\n', { REDIS_URL: 'http://redis:6379' });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      '  - REDIS_URL (environment variable): "http://redis:6379" is not a Redis URL: the scheme is "http:", it must be redis:// or rediss:// (TLS)\n',
    );
  }, 30_000);
});

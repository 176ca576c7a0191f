import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { replaySettingsFromConfig } from '../../src/replay/replay-from-config.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { configIssues } from '../../src/service/config-checks.js';
import { maintenanceCheck } from '../../src/maintenance/maintenance.js';
import { replay } from '../../src/replay/replay.js';
import { normalSeries, toNdjson } from '../helpers/series.js';

const MIN = 60_000;

describe('maintenance windows', () => {
  // Every day at 02:00 Berlin time, for an hour, for auth only.
  const check = maintenanceCheck([
    {
      name: 'nightly deploy',
      cron: '0 2 * * *',
      duration_ms: 60 * MIN,
      time_zone: 'Europe/Berlin',
      services: ['auth'],
    },
  ]);

  it('opens at the cron time in its time zone, DST-aware, for its services only', () => {
    if (!check) throw new Error('no check');
    // Winter: 02:00 in Berlin is 01:00 UTC.
    expect(check('auth', Date.UTC(2026, 0, 10, 1, 0))).toBe(true);
    expect(check('auth', Date.UTC(2026, 0, 10, 1, 59))).toBe(true);
    expect(check('auth', Date.UTC(2026, 0, 10, 2, 0))).toBe(false);
    expect(check('auth', Date.UTC(2026, 0, 10, 0, 59))).toBe(false);
    expect(check('routing', Date.UTC(2026, 0, 10, 1, 30))).toBe(false);
    // Summer: 02:00 in Berlin is 00:00 UTC.
    expect(check('auth', Date.UTC(2026, 6, 10, 0, 30))).toBe(true);
    expect(check('auth', Date.UTC(2026, 6, 10, 1, 30))).toBe(false);
  });

  it('no windows: no check at all', () => {
    expect(maintenanceCheck([])).toBeUndefined();
  });

  it('a bad cron expression is a config error with its path', () => {
    expect(() =>
      parseConfig(
        { maintenance: [{ name: 'x', cron: 'every night', duration_ms: MIN }] },
        { check: configIssues },
      ),
    ).toThrow(ConfigError);
    try {
      parseConfig(
        { maintenance: [{ name: 'x', cron: 'every night', duration_ms: MIN }] },
        { check: configIssues },
      );
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).toMatch(/^maintenance\[0\]\.cron: /m);
    }
  });

  async function anomalyTimes(maintenance: unknown[]): Promise<number[]> {
    const dir = mkdtempSync(join(tmpdir(), 'aiops-maint-'));
    const t0 = Date.UTC(2026, 0, 10, 0, 0); // Saturday 00:00 UTC
    // 50 min of normal samples (to 00:50), then a spike inside the window (01:30 UTC = 02:30
    // Berlin) and the same spike after it (02:30 UTC).
    const normal = normalSeries({
      metric: 'login_failures',
      labels: { service: 'auth' },
      n: 300,
      t0,
      stepMs: 10_000,
      level: 30,
      sd: 3,
      seed: 1,
    });
    const spike = (ts: number) => ({
      ts,
      metric: 'login_failures',
      labels: { service: 'auth' },
      value: 412,
    });
    writeFileSync(join(dir, 'in.ndjson'), toNdjson([...normal, spike(INSIDE), spike(AFTER)]));
    const config = parseConfig({
      services: { auth: {} },
      detect: { detectors: { default: 'ewma' } },
      maintenance,
    });
    await replay({
      input: join(dir, 'in.ndjson'),
      outDir: join(dir, 'out'),
      ...replaySettingsFromConfig(config),
      report: () => undefined,
    });
    return readFileSync(join(dir, 'out', 'anomalies.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { ts: number }).ts);
  }
  const INSIDE = Date.UTC(2026, 0, 10, 1, 30);
  const AFTER = Date.UTC(2026, 0, 10, 2, 30);

  it('a spike inside the window is neither scored nor learned; the same spike after it pages', async () => {
    // Control: without the window both spikes page.
    expect(await anomalyTimes([])).toEqual([INSIDE, AFTER]);
    const window = {
      name: 'deploy',
      cron: '0 2 * * *',
      duration_ms: 60 * MIN,
      time_zone: 'Europe/Berlin',
      services: ['auth'],
    };
    expect(await anomalyTimes([window])).toEqual([AFTER]);
  });

  it.each([
    [
      { name: 'x', cron: '0 2 * * *', duration_ms: MIN, time_zone: 'Mars/Olympus' },
      /^maintenance\[0\]\.time_zone: unknown time zone/m,
    ],
    [
      { name: 'x', cron: '30 0 2 * * *', duration_ms: MIN },
      /^maintenance\[0\]\.cron: .* five fields/m,
    ],
  ])('rejects %j', (w, message) => {
    try {
      parseConfig({ maintenance: [w] }, { check: configIssues });
      throw new Error('accepted');
    } catch (err) {
      expect((err as ConfigError).problems.join('\n')).toMatch(message);
    }
  });
});

describe('receiver config checks', () => {
  it('names must be unique and a pagerduty receiver needs its key', () => {
    try {
      parseConfig({
        notify: {
          receivers: [
            { name: 'a', type: 'slack', url: 'https://hooks.example/1' },
            { name: 'a', type: 'pagerduty', url: 'https://events.pagerduty.com/v2/enqueue' },
          ],
        },
      });
      throw new Error('accepted');
    } catch (err) {
      const text = (err as ConfigError).problems.join('\n');
      expect(text).toMatch(/^notify\.receivers\[1\]\.name: another receiver is named "a"$/m);
      expect(text).toMatch(/^notify\.receivers\[1\]\.routing_key: a pagerduty receiver needs/m);
    }
  });
});

/**
 * The shipped Alertmanager config (config/alertmanager/alertmanager.yml) through Debian's
 * amtool: `check-config` accepts it, and `config routes test` sends each kind of alert where
 * the config's comments say. Its inhibit rules and grouping, run by a real Alertmanager, are
 * in test/e2e/alertmanager-config.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';

const CONFIG = resolve(import.meta.dirname, '../../config/alertmanager/alertmanager.yml');

function amtool(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('amtool', args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The receiver amtool routes an alert with these labels to. */
function routeOf(labels: Record<string, string>): string {
  const r = amtool(
    'config',
    'routes',
    'test',
    `--config.file=${CONFIG}`,
    ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
  );
  if (r.status !== 0) throw new Error(`amtool config routes test exited ${r.status}:\n${r.out}`);
  return (r.out.split('\n').find((l) => l.trim() !== '' && !l.startsWith('Warning')) ?? '').trim();
}

interface AmConfig {
  route: {
    group_by: string[];
    group_wait: string;
    group_interval: string;
    repeat_interval: string;
  };
  receivers: { name: string; webhook_configs?: { url: string }[] }[];
}

describe('the shipped Alertmanager config (amtool)', () => {
  beforeAll(() => {
    requireBinary('amtool', 'prometheus-alertmanager');
  });

  it('amtool check-config accepts it', () => {
    const r = amtool('check-config', CONFIG);
    expect(r.out, r.out).toContain('SUCCESS');
    expect(r.out).toContain('2 inhibit rules');
    expect(r.status).toBe(0);
  });

  it('routes incidents and health alerts to the example receiver, inhibition sources to none', () => {
    const incident = { alertname: 'AiopsIncident', incident: 'inc-1', root_cause: 'auth' };
    expect(routeOf({ ...incident, severity: 'critical' })).toBe('oncall');
    expect(routeOf({ ...incident, severity: 'warning' })).toBe('oncall');
    expect(
      routeOf({ alertname: 'AiopsIncidentAffected', incident: 'inc-1', service: 'auth' }),
    ).toBe('inhibit-only');
    expect(routeOf({ alertname: 'AiopsWorkerDown', severity: 'critical' })).toBe('oncall');
    expect(routeOf({ alertname: 'AiopsNotificationsFailing', receiver: 'webhook' })).toBe('oncall');
    expect(routeOf({ alertname: 'AiopsAnomalyHigh', service: 'auth', metric: 'x' })).toBe('oncall');
  });

  it('groups by incident with seconds to the first page, and its receiver is an obvious placeholder', () => {
    const cfg = parse(readFileSync(CONFIG, 'utf8')) as AmConfig;
    expect(cfg.route).toMatchObject({
      group_by: ['incident'],
      group_wait: '10s',
      group_interval: '1m',
      repeat_interval: '4h',
    });
    const urls = cfg.receivers.flatMap((r) => (r.webhook_configs ?? []).map((w) => w.url));
    expect(urls).toHaveLength(1);
    // .invalid never resolves (RFC 2606): nothing is sent anywhere until it is replaced.
    expect(new URL(urls[0] ?? '').hostname).toMatch(/\.invalid$/);
    expect(readFileSync(CONFIG, 'utf8')).toMatch(/EXAMPLE RECEIVER: replace it before use/);
    expect(cfg.receivers.find((r) => r.name === 'inhibit-only')).toEqual({ name: 'inhibit-only' });
  });
});

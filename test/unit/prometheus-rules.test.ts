/**
 * The shipped Prometheus rules (config/prometheus/) through Debian's promtool: `check rules`
 * and `check config` accept them, and the promtool unit tests in test/unit/prometheus-rules/
 * pass: one incident is exactly one alert with the default rules, the opt-in per-series rules
 * fire only when loaded, and failing notifications fire their alerts.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TESTS = join(import.meta.dirname, 'prometheus-rules');

function promtool(...args: string[]): string {
  const r = spawnSync('promtool', args, { encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`promtool ${args.join(' ')} exited ${r.status}:\n${out}`);
  return out;
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; for?: string }[] }[];
}
const alerts = (file: string): string[] =>
  (parse(readFileSync(join(ROOT, file), 'utf8')) as RuleFile).groups.flatMap((g) =>
    g.rules.flatMap((r) => (r.alert ? [r.alert] : [])),
  );

describe('the shipped Prometheus rules (promtool)', () => {
  beforeAll(() => {
    requireBinary('promtool', 'prometheus');
  });

  it('check rules and check config accept them', () => {
    expect(promtool('check', 'rules', join(ROOT, 'config/prometheus/rules.yml'))).toContain(
      'SUCCESS: 8 rules found',
    );
    expect(
      promtool('check', 'rules', join(ROOT, 'config/prometheus/rules-per-series.yml')),
    ).toContain('SUCCESS: 3 rules found');
    expect(promtool('check', 'config', join(ROOT, 'config/prometheus/prometheus.yml'))).toMatch(
      /SUCCESS: config\/prometheus\/prometheus.yml is valid|is valid prometheus config file/,
    );
  });

  it('the default set has no per-series rule; the opt-in file is not loaded by default', () => {
    expect(alerts('config/prometheus/rules.yml')).toEqual([
      'AiopsIncident',
      'AiopsNotificationsFailing',
      'AiopsNotificationsDeadLettered',
      'AlertmanagerNotificationsFailing',
      'AiopsIngestRejecting',
      'AiopsIngestBackpressure',
      'AiopsQueueBacklog',
      'AiopsWorkerDown',
    ]);
    expect(alerts('config/prometheus/rules-per-series.yml')).toEqual([
      'AiopsIncidentAffected',
      'AiopsServiceAnomalous',
      'AiopsAnomalyHigh',
    ]);
    const prom = parse(readFileSync(join(ROOT, 'config/prometheus/prometheus.yml'), 'utf8')) as {
      rule_files: string[];
    };
    expect(prom.rule_files).toEqual(['rules.yml']);
  });

  const files = readdirSync(TESTS).filter((f) => f.endsWith('.yml'));
  it('has the promtool unit tests', () => {
    expect(files.sort()).toEqual([
      'ingest-rejecting.yml',
      'notification-failures.yml',
      'one-incident.yml',
      'per-series-opt-in.yml',
    ]);
  });
  it.each(files)('promtool test rules %s', (file) => {
    expect(promtool('test', 'rules', join(TESTS, file))).toContain('SUCCESS');
  });
});

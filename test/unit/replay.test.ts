import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Detector } from '../../detectors/contract.js';
import { createEwmaDetector } from '../../detectors/ewma.js';
import { parseConfig } from '../../src/config/load.js';
import type { Edge } from '../../src/queues/discovered-edges.js';
import { correlatorFromConfig } from '../../src/correlate/from-config.js';
import { replay } from '../../src/replay/replay.js';
import { logSettingsFromConfig } from '../../src/logs/log-settings.js';
import { SURGE_TEMPLATE, authLogs } from '../helpers/auth-logs.js';
import { normalSeries, toNdjson } from '../helpers/series.js';

// Short captures: no learning day before their services may open incidents (tested below).
const replayConfig = parseConfig({
  services: { auth: { depends_on: ['storage'] }, storage: {} },
  correlate: { learning_ms: 0 },
});
const correlatorFor = (discovered: readonly Edge[]) =>
  correlatorFromConfig(replayConfig, discovered);

const logs = logSettingsFromConfig(replayConfig);

const limits = {
  serviceLabels: ['service'],
  maxLabels: 30,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1024,
};

function input(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aiops-replay-'));
  const t0 = Date.UTC(2026, 10, 25, 6, 0);
  const auth = normalSeries({
    metric: 'login_failures',
    labels: { service: 'auth' },
    n: 500,
    t0,
    stepMs: 10_000,
    level: 30,
    sd: 3,
    seed: 1,
  });
  const storage = normalSeries({
    metric: 'requests',
    labels: { service: 'storage' },
    n: 500,
    t0,
    stepMs: 10_000,
    level: 900,
    sd: 20,
    seed: 2,
  });
  auth.push({
    ts: t0 + 500 * 10_000,
    metric: 'login_failures',
    labels: { service: 'auth' },
    value: 412,
  });
  // Still failing at the next sample: the spike persisted (a single sample opens no incident).
  auth.push({
    ts: t0 + 501 * 10_000,
    metric: 'login_failures',
    labels: { service: 'auth' },
    value: 405,
  });
  const lines = [...auth, ...storage]
    .reverse()
    .map((l, i) => (i % 2 ? { ...l, ts: new Date(l.ts).toISOString() } : l));
  const text = `${toNdjson(lines)}\n{broken\n${JSON.stringify({ ts: t0, service: 'auth', level: 'error', message: 'x' })}\n`;
  writeFileSync(join(dir, 'in.ndjson'), text);
  return dir;
}

describe('replay', () => {
  it('finds the spike, in event time whatever the file order, and writes the contract files', async () => {
    const dir = input();
    const reports: string[] = [];
    const summary = await replay({
      input: join(dir, 'in.ndjson'),
      outDir: join(dir, 'out'),
      detectorOf: () => createEwmaDetector(),
      scoring: { threshold: 0.9, holdMs: 60_000, confirm: true },
      correlatorFor,
      limits,
      logs,
      report: (l) => reports.push(l),
    });
    expect(summary).toMatchObject({
      metricSamples: 1002,
      series: 2,
      logRecords: 1,
      rejected: 1,
      taken: 1002,
    });
    const anomalies = readFileSync(join(dir, 'out', 'anomalies.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { service: string; value: number });
    expect(anomalies.map((a) => [a.service, a.value])).toEqual([
      ['auth', 412],
      ['auth', 405],
    ]);
    // One severe anomaly (score >= correlate.severe_score) and the sample after it, still
    // beyond its band, are enough to open an incident.
    const incidents = JSON.parse(readFileSync(join(dir, 'out', 'incidents.json'), 'utf8')) as {
      root_cause: { service: string; signal: string };
      services: string[];
      opened_at: string;
    }[];
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({
      root_cause: { service: 'auth', signal: 'login_failures' },
      services: ['auth'],
      // settle_ms (60 s) after the anomaly at 06:00 + 500 × 10 s = 07:23:20.
      opened_at: '2026-11-25T07:24:20.000Z',
    });
    expect(readFileSync(join(dir, 'out', 'hooks.ndjson'), 'utf8')).toBe('');
    expect(reports.some((r) => r.includes('line 1003 skipped'))).toBe(true);
  });

  it('with the default learning day, the same capture shows the anomalies but opens nothing, and says why', async () => {
    const dir = input();
    const learning = parseConfig({ services: { auth: { depends_on: ['storage'] }, storage: {} } });
    expect(learning.correlate.learning_ms).toBe(86_400_000);
    const summary = await replay({
      input: join(dir, 'in.ndjson'),
      outDir: join(dir, 'out'),
      detectorOf: () => createEwmaDetector(),
      scoring: { threshold: 0.9, holdMs: 60_000, confirm: true },
      correlatorFor: (discovered) => correlatorFromConfig(learning, discovered),
      limits,
      logs,
      report: () => undefined,
    });
    // The capture is 1.4 h long: auth learns for its whole span.
    expect(summary).toMatchObject({ anomalies: 2, learning: 2, incidents: 0 });
    expect(readFileSync(join(dir, 'out', 'incidents.json'), 'utf8').trim()).toBe('[]');
  });

  it('is deterministic: two runs write identical files', async () => {
    const dir = input();
    const args = {
      input: join(dir, 'in.ndjson'),
      detectorOf: () => createEwmaDetector() as Detector<unknown>,
      scoring: { threshold: 0.9, holdMs: 0 },
      correlatorFor,
      limits,
      logs,
      report: () => undefined,
    };
    await replay({ ...args, outDir: join(dir, 'a') });
    await replay({ ...args, outDir: join(dir, 'b') });
    for (const f of ['anomalies.ndjson', 'incidents.json', 'hooks.ndjson']) {
      expect(readFileSync(join(dir, 'b', f), 'utf8')).toBe(readFileSync(join(dir, 'a', f), 'utf8'));
    }
  });

  it('mines log records: a new error template after learning is a log anomaly and an incident', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aiops-replay-logs-'));
    const t0 = Date.UTC(2026, 10, 25, 0, 0);
    const records = authLogs({ t0, minutes: 3 * 60 + 10, seed: 9, surgeAt: 3 * 60 });
    writeFileSync(join(dir, 'in.ndjson'), toNdjson(records));
    const summary = await replay({
      input: join(dir, 'in.ndjson'),
      outDir: join(dir, 'out'),
      detectorOf: () => createEwmaDetector(),
      scoring: { threshold: 0.9, holdMs: 0 },
      correlatorFor,
      limits,
      logs: logSettingsFromConfig(parseConfig({ logs: { learning_ms: 2 * 3_600_000 } })),
      report: () => undefined,
    });
    expect(summary.logRecords).toBe(records.length);
    expect(summary.logTemplates).toBeGreaterThanOrEqual(3);
    const anomalies = readFileSync(join(dir, 'out', 'anomalies.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; signal: string; template?: string; ts: number });
    const surge = t0 + 3 * 60 * 60_000;
    expect(anomalies.every((a) => a.ts >= surge)).toBe(true);
    expect(anomalies).toContainEqual(
      expect.objectContaining({
        kind: 'log',
        signal: 'log_new_template',
        template: SURGE_TEMPLATE,
      }),
    );
    const incidents = JSON.parse(readFileSync(join(dir, 'out', 'incidents.json'), 'utf8')) as {
      root_cause: { service: string };
      timeline: { kind?: string; template?: string }[];
    }[];
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.root_cause.service).toBe('auth');
    expect(incidents[0]?.timeline).toContainEqual(
      expect.objectContaining({ kind: 'log', template: SURGE_TEMPLATE }),
    );
  });
});

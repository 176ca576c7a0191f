import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import {
  metaSeriesFilter,
  metaSeriesMessage,
  metaSeriesWhy,
} from '../../src/ingest/meta-series.js';
import { limitsFromConfig } from '../../src/ingest/records.js';

const byDefault = metaSeriesFilter({ drop_meta_series: true, keep_meta_series: [] });

describe('meta-series', () => {
  it.each([
    ['ALERTS', undefined, "Prometheus' alert state"],
    ['ALERTS_FOR_STATE', undefined, "Prometheus' alert state"],
    ['up', 'auth', "Prometheus' scrape health of a target"],
    ['scrape_duration_seconds', 'auth', "Prometheus' scrape bookkeeping"],
    ['scrape_series_added', 'node', "Prometheus' scrape bookkeeping"],
    ['prometheus_remote_storage_samples_failed_total', 'prometheus', "Prometheus' own metric"],
    ['alertmanager_notifications_total', 'alertmanager', "Alertmanager's own metric"],
    ['aiops_series_learning', 'aiops-worker', "the worker's own metric"],
    // The worker's own metrics with a service label of another: still the worker's.
    ['aiops_anomaly_score', undefined, "the worker's own metric"],
    ['aiops_process_resident_memory_bytes', 'aiops', "the worker's own metric"],
    [
      'process_cpu_seconds_total',
      'aiops-worker',
      'from the worker\'s own scrape job (job="aiops-worker")',
    ],
    [
      'nodejs_heap_size_used_bytes',
      'aiops-worker',
      'from the worker\'s own scrape job (job="aiops-worker")',
    ],
    ['go_goroutines', 'prometheus', 'from Prometheus\' own scrape job (job="prometheus")'],
    ['go_goroutines', 'alertmanager', 'from Alertmanager\'s own scrape job (job="alertmanager")'],
  ])('drops %s (job %s): %s', (metric, job, why) => {
    expect(metaSeriesWhy(metric, job)).toBe(why);
    expect(byDefault?.why(metric, job)).toBe(why);
  });

  it.each([
    ['http_requests_total', 'auth'],
    ['process_cpu_seconds_total', 'auth'],
    ['nodejs_heap_size_used_bytes', 'checkout'],
    ['node_cpu_seconds_total', 'node'],
    ['upstream_latency_seconds', 'routing'],
    ['alerts_sent_total', 'mailer'],
    ['Up', 'auth'],
  ])('scores %s of job %s', (metric, job) => {
    expect(byDefault?.why(metric, job)).toBeUndefined();
  });

  it('scores everything with drop_meta_series: false', () => {
    expect(metaSeriesFilter({ drop_meta_series: false, keep_meta_series: ['x'] })).toBeUndefined();
  });

  it('scores what keep_meta_series names (globs, case-insensitive), whichever rule caught it', () => {
    const f = metaSeriesFilter({
      drop_meta_series: true,
      keep_meta_series: ['up', 'prometheus_tsdb_*', 'GO_*'],
    });
    expect(f?.why('up', 'auth')).toBeUndefined();
    expect(f?.why('prometheus_tsdb_head_series', 'prometheus')).toBeUndefined();
    expect(f?.why('go_goroutines', 'prometheus')).toBeUndefined();
    expect(f?.why('prometheus_http_requests_total', 'prometheus')).toBe("Prometheus' own metric");
    expect(f?.why('ALERTS', undefined)).toBe("Prometheus' alert state");
  });

  it('says what was dropped and which keys decide it', () => {
    expect(metaSeriesMessage('up', "Prometheus' scrape health of a target")).toBe(
      "up is not scored: Prometheus' scrape health of a target (ingest.drop_meta_series, ingest.keep_meta_series)",
    );
  });

  it('is on by default, and the config keys reach the record limits', () => {
    const on = limitsFromConfig(parseConfig({}).ingest);
    expect(on.metaSeries?.why('up', 'auth')).toBeDefined();
    const off = limitsFromConfig(parseConfig({ ingest: { drop_meta_series: false } }).ingest);
    expect(off.metaSeries).toBeUndefined();
    const kept = limitsFromConfig(parseConfig({ ingest: { keep_meta_series: ['up'] } }).ingest);
    expect(kept.metaSeries?.why('up', 'auth')).toBeUndefined();
    expect(kept.metaSeries?.why('scrape_duration_seconds', 'auth')).toBeDefined();
  });
});

/**
 * The prometheus.yml snippet of docs/ingest/remote-write.md drops at the source what the worker
 * leaves out itself (src/ingest/meta-series.ts): the two lists must not drift. Its regexes are
 * read as Prometheus reads them (anchored at both ends, labels joined with `;`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { metaSeriesWhy } from '../../src/ingest/meta-series.js';

const page = readFileSync(join(import.meta.dirname, '../../docs/ingest/remote-write.md'), 'utf8');

interface Relabel {
  source_labels: string[];
  regex: string;
  action: string;
  separator?: string;
}
interface Snippet {
  remote_write: {
    url: string;
    write_relabel_configs: Relabel[];
    queue_config: Record<string, number>;
  }[];
}

/** The first ```yaml block of the page. */
function remoteWriteSnippet(): Snippet {
  const block = /```yaml\n([\s\S]*?)```/.exec(page)?.[1];
  if (block === undefined) throw new Error('no yaml block in docs/ingest/remote-write.md');
  return parse(block) as Snippet;
}

const entry = remoteWriteSnippet().remote_write[0];
const relabels = entry?.write_relabel_configs ?? [];

/** Whether a series with these labels is dropped by the snippet's relabelling. */
function dropped(labels: Record<string, string>): boolean {
  return relabels.some((r) => {
    const value = r.source_labels.map((l) => labels[l] ?? '').join(r.separator ?? ';');
    return r.action === 'drop' && new RegExp(`^(?:${r.regex})$`).test(value);
  });
}

describe('the remote_write snippet', () => {
  it.each([
    'ALERTS',
    'ALERTS_FOR_STATE',
    'up',
    'scrape_duration_seconds',
    'scrape_series_added',
    'prometheus_remote_storage_samples_failed_total',
    'alertmanager_notifications_total',
    'aiops_series_learning',
    'aiops_anomaly_score',
    'http_requests_total',
    'upstream_latency_seconds',
    'go_goroutines',
    'ALERTS_total',
  ])('drops %s by name exactly when the worker would', (metric) => {
    const labels = { __name__: metric, job: 'auth' };
    expect(dropped(labels)).toBe(metaSeriesWhy(metric, 'auth') !== undefined);
  });

  it.each(['aiops-worker', 'prometheus', 'alertmanager', 'auth', 'node', 'prometheus-exporter'])(
    'drops every series of job %s exactly when the worker would',
    (job) => {
      const labels = { __name__: 'go_goroutines', job };
      expect(dropped(labels)).toBe(metaSeriesWhy('go_goroutines', job) !== undefined);
    },
  );

  it('drops a series with none of the service labels, and only those', () => {
    expect(dropped({ __name__: 'cluster:requests:rate5m' })).toBe(true);
    expect(dropped({ __name__: 'checkout_total', service: 'checkout' })).toBe(false);
    expect(dropped({ __name__: 'checkout_total', job: 'checkout' })).toBe(false);
  });

  it('sizes the queue for the worker: sends within its limits, a few sends buffered per shard', () => {
    const q = entry?.queue_config ?? {};
    const perSend = q.max_samples_per_send ?? 0;
    expect(perSend).toBeGreaterThanOrEqual(1000); // at least one job of batch_max_samples
    expect(perSend).toBeLessThanOrEqual(100_000); // ingest.max_records_per_request
    expect((q.capacity ?? 0) / perSend).toBeGreaterThanOrEqual(3);
    expect((q.capacity ?? 0) / perSend).toBeLessThanOrEqual(10);
    expect(q.max_shards).toBe(8);
  });
});

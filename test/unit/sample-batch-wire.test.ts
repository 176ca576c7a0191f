/**
 * The samples queue's payload: ingest writes the compact form (v 2: a series as key, service
 * and counter flag; metric and labels spelt out only for keys that cannot give them back), and
 * the detect stage reads it, and v 1 jobs queued by an earlier version, as the same batch.
 */
import { describe, expect, it } from 'vitest';
import { sampleBatchOf } from '../../src/detect/validate-batch.js';
import { toSampleBatch } from '../../src/ingest/ingest-writer.js';
import type { MetricSample } from '../../src/ingest/records.js';
import type { SeriesMeta } from '../../src/queues/contract.js';
import { seriesKey } from '../../src/queues/series-key.js';

const meta = (metric: string, labels: Record<string, string>, counter = false): SeriesMeta => ({
  key: seriesKey(metric, labels),
  metric,
  service: labels.job ?? 'unknown',
  labels,
  counter,
});

const sample = (series: SeriesMeta, ts: number, value: number): MetricSample => ({
  kind: 'metric',
  series,
  ts,
  value,
});

describe('sample batches on the wire', () => {
  const a = meta(
    'http_requests_total',
    { job: 'auth', instance: '10.0.0.1:9100', code: '5"0\\0' },
    true,
  );
  const b = meta('up', {});
  // A label name with `=` cannot be read back from the key: spelt out.
  const odd = meta('weird', { job: 'x', 'a=b': 'c' });

  it('writes each series once, compact, and reads back the same series and columns', () => {
    const wire = toSampleBatch(
      [sample(a, 1, 10), sample(b, 1, 1), sample(a, 2, 11), sample(odd, 3, 5)],
      99,
    );
    expect(wire.v).toBe(2);
    expect(wire.series).toEqual([
      [a.key, 'auth', 1],
      [b.key, 'unknown', 0],
      [odd.key, 'x', 0, 'weird', { job: 'x', 'a=b': 'c' }],
    ]);
    expect(wire.idx).toEqual([0, 1, 0, 2]);
    // Through JSON, as BullMQ stores it.
    const read = sampleBatchOf(JSON.parse(JSON.stringify(wire)));
    expect(read?.queuedAt).toBe(99);
    expect(read?.ts).toEqual([1, 1, 2, 3]);
    expect(read?.val).toEqual([10, 1, 11, 5]);
    // Labels parsed from the key when read; the series serialises whole (anomaly events).
    expect(JSON.parse(JSON.stringify(read?.series))).toEqual([a, b, odd]);
    expect(read?.series.map((s) => s.labels)).toEqual([a.labels, b.labels, odd.labels]);
    expect(read?.series[0]?.metric).toBe('http_requests_total');
    expect(read?.series[0]?.labels).toEqual(a.labels);
  });

  it('reads v 1 batches as they are', () => {
    const v1 = { v: 1, queuedAt: 5, series: [a], idx: [0], ts: [1], val: [2] };
    expect(sampleBatchOf(JSON.parse(JSON.stringify(v1)))).toEqual(v1);
  });

  it('refuses payloads that are neither', () => {
    const good = { v: 2, queuedAt: 1, series: [[a.key, 'auth', 0]], idx: [0], ts: [1], val: [2] };
    for (const bad of [
      null,
      'x',
      { ...good, v: 3 },
      { ...good, idx: [1] },
      { ...good, ts: [] },
      { ...good, series: [[a.key, 'auth']] },
      { ...good, series: [[a.key, 'auth', 2]] },
      { ...good, series: [[a.key, 'auth', 0, 'm']] },
      { ...good, series: [[a.key, 'auth', 0, 'm', null]] },
      { ...good, series: [[a.key, 'auth', 0, 'm', ['x']]] },
      { ...good, series: [[a.key, 'auth', 0, 'm', { a: 1 }]] },
      { ...good, series: [{ key: a.key }] },
    ]) {
      expect(sampleBatchOf(bad), JSON.stringify(bad)).toBeUndefined();
    }
    expect(sampleBatchOf(good)).toBeDefined();
  });
});

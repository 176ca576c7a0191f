/**
 * What ingest keeps of declared metric families (queues/metric-families.ts): metadata arrives
 * apart from samples, so its names and units are checked here, and a sample name finds its
 * family by the suffixes Prometheus gives a family's samples.
 */
import { describe, expect, it } from 'vitest';
import { familyCandidates, keptFamily } from '../../src/queues/metric-families.js';

describe('keptFamily: the edge for declared families', () => {
  it('keeps a valid name, a known type and a unit as Prometheus or OTel write it', () => {
    expect(keptFamily('rpc_wait_seconds', { type: 'histogram', unit: 'seconds' })).toEqual({
      type: 'histogram',
      unit: 'seconds',
    });
    expect(keptFamily('http.server.duration', { type: 'histogram' })).toBeUndefined();
    expect(keptFamily('otel_requests', { type: 'counter', unit: '{request}' })).toEqual({
      type: 'counter',
      unit: '{request}',
    });
  });

  it('refuses hostile names and types, and drops a unit that is not one', () => {
    expect(keptFamily('has space', { type: 'gauge' })).toBeUndefined();
    expect(keptFamily('', { type: 'gauge' })).toBeUndefined();
    expect(keptFamily(`a${'x'.repeat(200)}`, { type: 'gauge' })).toBeUndefined();
    expect(keptFamily('ok', { type: 'histogram|seconds' })).toBeUndefined();
    expect(keptFamily('ok', { type: 'gauge', unit: 'sec\nonds' })).toEqual({ type: 'gauge' });
    expect(keptFamily('ok', { type: 'gauge', unit: 'x'.repeat(65) })).toEqual({ type: 'gauge' });
    expect(keptFamily('ok', { type: 'gauge', unit: 'a|b' })).toEqual({ type: 'gauge' });
  });
});

describe('familyCandidates', () => {
  it('tries the name first, then the name less a sample suffix', () => {
    expect(familyCandidates('rpc_wait_seconds_count')).toEqual([
      'rpc_wait_seconds_count',
      'rpc_wait_seconds',
    ]);
    expect(familyCandidates('queue_depth')).toEqual(['queue_depth']);
    expect(familyCandidates('_count')).toEqual(['_count']);
  });
});

/**
 * Signal kinds from the names real exporters write (issue 16): Prometheus client libraries'
 * defaults, Micrometer, node_exporter, cAdvisor and OTel semantic conventions (dots as they
 * arrive, or as underscores after a Prometheus export).
 */
import { describe, expect, it } from 'vitest';
import {
  anomalyKind,
  defaultSignalPatterns,
  exporterKind,
  typedKind,
  labelsSayErrors,
  polarity,
  signalKind,
  signalPatternsOf,
} from '../../src/correlate/signal-kind.js';
import { familyCandidates } from '../../src/queues/metric-families.js';

describe('signal kinds from declared types and units', () => {
  const families = new Map([
    ['rpc_payload_bytes', { type: 'histogram', unit: 'bytes' }],
    ['queue_wait', { type: 'summary', unit: 'seconds' }],
    ['http_request_duration_microseconds', { type: 'summary' }],
    ['jobs_processed', { type: 'counter' }],
    ['jvm_gc_pause_seconds', { type: 'histogram', unit: 'seconds' }],
  ]);
  // As the correlator's store finds a sample's family (queues/metric-families.ts).
  const lookup = (signal: string) => {
    for (const family of familyCandidates(signal)) {
      const meta = families.get(family);
      if (meta) return { family, meta };
    }
    return undefined;
  };
  const p = { ...defaultSignalPatterns, families: lookup };

  it.each([
    // A histogram's _count counts what it observed, whatever it measures: traffic.
    ['rpc_payload_bytes_count', 'traffic', 'other'],
    // A summary's quantiles (the family's own name) and _count, in seconds.
    ['queue_wait', 'latency', 'other'],
    ['queue_wait_count', 'traffic', 'other'],
    // Not time by its unit or name: the type says nothing, the globs decide as before.
    ['rpc_payload_bytes_sum', 'other', 'other'],
    ['http_request_duration_microseconds', 'latency', 'latency'],
    ['http_request_duration_microseconds_sum', 'latency', 'latency'],
    // A counter's type says nothing of its kind.
    ['jobs_processed_total', 'other', 'other'],
    // The exporters' conventions know more than a type: a GC timer stays saturation.
    ['jvm_gc_pause_seconds_count', 'saturation', 'saturation'],
  ] as const)('%s is %s with its type (%s without)', (name, typed, untyped) => {
    expect(signalKind(name, p)).toBe(typed);
    expect(signalKind(name)).toBe(untyped);
  });

  it('a glob list the config sets still wins', () => {
    const configured = {
      ...signalPatternsOf({ latency: ['rpc_payload_*'] }),
      families: lookup,
    };
    expect(signalKind('rpc_payload_bytes_count', configured)).toBe('latency');
  });

  it('a sample of another family is not typed by it', () => {
    expect(
      typedKind('rpc_payload_bytes_count', { family: 'other_family', meta: { type: 'histogram' } }),
    ).toBeUndefined();
  });
});

describe("signal kinds from exporters' names", () => {
  it.each([
    // Micrometer (Spring Boot): a timer is a summary/histogram of seconds.
    ['http_server_requests_seconds_count', 'traffic'],
    ['http_server_requests_seconds_sum', 'latency'],
    ['http_server_requests_seconds_max', 'latency'],
    ['http_server_requests_seconds_bucket', 'latency'],
    ['http_client_requests_seconds_count', 'traffic'],
    // Prometheus client defaults and conventions.
    ['http_request_duration_seconds_count', 'traffic'],
    ['http_request_duration_seconds_bucket', 'latency'],
    ['grpc_server_handling_seconds_count', 'traffic'],
    ['process_cpu_seconds_total', 'saturation'],
    ['process_resident_memory_bytes', 'saturation'],
    ['http_requests_total', 'traffic'],
    ['http_requests_failed_total', 'errors'],
    // node_exporter and cAdvisor.
    // Split by mode, mostly idle time: a saturated CPU is a fall there, so no kind.
    ['node_cpu_seconds_total', 'other'],
    ['system.cpu.time', 'other'],
    ['node_memory_Active_bytes', 'saturation'],
    ['node_load1', 'saturation'],
    ['container_cpu_usage_seconds_total', 'saturation'],
    ['jvm_memory_used_bytes', 'saturation'],
    // OTel semantic conventions, as sent and as exported to Prometheus.
    ['http.server.request.duration', 'latency'],
    ['http_server_request_duration_seconds_count', 'traffic'],
    ['db.client.operation.duration', 'latency'],
    ['process.cpu.time', 'saturation'],
    ['system.cpu.utilization', 'saturation'],
    // A histogram of failures' durations counts failures.
    ['http_client_errors_seconds_count', 'errors'],
    // Garbage collection is saturation, not traffic or latency.
    ['jvm_gc_pause_seconds_count', 'saturation'],
    ['go_gc_duration_seconds', 'saturation'],
    // This project's OTLP route turns a histogram into a per-second rate of observations.
    ['http_server_request_duration_rate', 'traffic'],
    ['container_memory_working_set_bytes', 'saturation'],
    // Datastores' exporters: the work done is traffic, connections held are saturation.
    ['redis_commands_processed_total', 'traffic'],
    ['redis_connected_clients', 'saturation'],
    ['redis_memory_used_bytes', 'saturation'],
    ['redis_rejected_connections_total', 'errors'],
    ['pg_stat_database_xact_commit', 'traffic'],
    ['pg_stat_database_tup_fetched', 'traffic'],
    ['pg_stat_activity_count', 'saturation'],
    ['mysql_global_status_queries', 'traffic'],
    ['mysql_global_status_threads_connected', 'saturation'],
    ['memcached_commands_total', 'traffic'],
  ] as const)('%s is %s', (name, kind) => {
    expect(signalKind(name)).toBe(kind);
  });

  it('leaves what remains to the globs: memory still available is not saturation', () => {
    expect(exporterKind('node_memory_MemAvailable_bytes')).toBeUndefined();
    expect(exporterKind('node_filesystem_free_bytes')).toBeUndefined();
    // Capacities and limits: a fall is lost memory, not relief.
    for (const name of [
      'node_memory_MemTotal_bytes',
      'container_spec_memory_limit_bytes',
      'jvm_memory_max_bytes',
      'kube_node_status_allocatable_memory_bytes',
      'node_memory_Cached_bytes',
    ]) {
      expect(exporterKind(name)).toBeUndefined();
    }
    expect(exporterKind('queue_depth')).toBeUndefined();
    expect(signalKind('queue_depth')).toBe('other');
  });

  it('a traffic collapse on a request count is a symptom, not benign latency', () => {
    const count = { signal: 'http_server_requests_seconds_count', value: 0.1, expected: 1 };
    expect(polarity(count)).toBe('symptom');
    // CPU time rising is a failure; falling is nothing failing.
    expect(polarity({ signal: 'process_cpu_seconds_total', value: 2, expected: 1 })).toBe(
      'failure',
    );
    expect(polarity({ signal: 'process_cpu_seconds_total', value: 0.5, expected: 1 })).toBe(
      'benign',
    );
  });

  it('globs set in the config win over the conventions; unset ones do not', () => {
    // A team that calls its request timer's count latency (config) gets latency.
    const custom = signalPatternsOf({ latency: ['*_seconds_count'] });
    expect(signalKind('http_server_requests_seconds_count', custom)).toBe('latency');
    expect(custom.configured).toEqual(['latency']);
    // Only the kinds set are preferred: the built-in traffic list still yields to conventions.
    expect(signalKind('process_cpu_seconds_total', custom)).toBe('saturation');
    const none = signalPatternsOf({});
    expect(none.configured).toEqual([]);
    expect(signalKind('http_server_requests_seconds_count', none)).toBe('traffic');
    expect(signalKind('login_latency_p99_seconds', none)).toBe('latency');
    expect(signalKind('cache_utilization_ratio', none)).toBe('saturation');
    expect(defaultSignalPatterns.configured).toBeUndefined();
  });

  it('a configured list keeps the order of kinds: it does not take over errors or latency', () => {
    const traffic = signalPatternsOf({ traffic: [...defaultSignalPatterns.traffic] });
    expect(signalKind('http_requests_failed_total', traffic)).toBe('errors');
    expect(signalKind('http_request_latency_p99', traffic)).toBe('latency');
    expect(signalKind('http_server_requests_seconds_sum', traffic)).toBe('latency');
    expect(signalKind('http_server_requests_seconds_count', traffic)).toBe('traffic');
    // A broad saturation list does not take a success ratio from availability.
    const saturation = signalPatternsOf({ saturation: ['*_ratio'] });
    expect(signalKind('checkout_success_ratio', saturation)).toBe('availability');
    expect(signalKind('pool_usage_ratio', saturation)).toBe('saturation');
  });

  it('saturation globs come from the config too', () => {
    const custom = signalPatternsOf({ saturation: ['*_queue_depth'] });
    expect(signalKind('jobs_queue_depth', custom)).toBe('saturation');
    expect(signalKind('jobs_queue_depth')).toBe('other');
  });
});

describe('signal kinds from status labels', () => {
  it.each([
    ['http_requests_total', { code: '500' }],
    ['http_requests_total', { code: '503', method: 'GET' }],
    ['http_server_requests_seconds_count', { status: '500', outcome: 'SERVER_ERROR' }],
    ['http_server_requests_seconds_count', { status: '502' }],
    ['http_server_request_duration_rate', { http_response_status_code: '500' }],
    ['http.server.request.duration_rate', { 'http.response.status_code': '504' }],
    ['grpc_server_handled_total', { grpc_code: 'Unavailable' }],
    ['grpc_server_handled_total', { grpc_code: 'Internal' }],
    ['nginx_http_requests_total', { status: '5xx' }],
  ])('%s %o counts failed responses: errors', (signal, labels) => {
    expect(labelsSayErrors(labels)).toBe(true);
    expect(anomalyKind({ signal, labels })).toBe('errors');
    // A rise is a failure; a fall in them is benign, not a symptom.
    expect(polarity({ signal, labels, value: 9, expected: 1 })).toBe('failure');
    expect(polarity({ signal, labels, value: 0, expected: 1 })).toBe('benign');
  });

  it.each([
    ['http_requests_total', { code: '200' }],
    ['http_requests_total', { code: '404' }],
    ['http_server_requests_seconds_count', { status: '200', outcome: 'SUCCESS' }],
    ['http_server_requests_seconds_count', { outcome: 'CLIENT_ERROR', status: '429' }],
    ['grpc_server_handled_total', { grpc_code: 'OK' }],
    ['grpc_server_handled_total', { grpc_code: 'NotFound' }],
    ['http_requests_total', { instance: '10.0.0.5:8080', pod: 'web-500' }],
  ])('%s %o is what its name says', (signal, labels) => {
    expect(labelsSayErrors(labels)).toBe(false);
    expect(anomalyKind({ signal, labels })).toBe(signalKind(signal));
  });
});

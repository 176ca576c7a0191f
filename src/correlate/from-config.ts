/**
 * Builds the correlator the config describes (graph, settings, signal patterns, log buckets),
 * and the metric families' types when the caller keeps them.
 */
import type { Config } from '../config/schema.js';
import type { Edge } from '../queues/discovered-edges.js';
import type { MetricFamilies } from '../queues/metric-families.js';
import { serviceGraph } from './graph.js';
import { Correlator } from './incidents.js';
import { signalPatternsOf } from './signal-kind.js';

export function correlatorFromConfig(
  config: Pick<Config, 'services' | 'correlate'> & {
    readonly logs?: Pick<Config['logs'], 'bucket_ms'>;
  },
  discovered: readonly Edge[] = [],
  /** The metric families' declared types and units, as this process knows them. */
  families?: Pick<MetricFamilies, 'familyOf'>,
): Correlator {
  const patterns = {
    ...signalPatternsOf(config.correlate.signals),
    ...(families ? { families: (signal: string) => families.familyOf(signal) } : {}),
  };
  // The log stage's bucket: how much further back the live correlator looks in the queues.
  const settings = { ...config.correlate, log_bucket_ms: config.logs?.bucket_ms ?? 0 };
  return new Correlator(serviceGraph(config.services, discovered), settings, patterns);
}

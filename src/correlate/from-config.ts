/** Builds the correlator the config describes (graph, settings, signal patterns, log buckets). */
import type { Config } from '../config/schema.js';
import type { Edge } from '../queues/discovered-edges.js';
import { serviceGraph } from './graph.js';
import { Correlator } from './incidents.js';
import { signalPatternsOf } from './signal-kind.js';

export function correlatorFromConfig(
  config: Pick<Config, 'services' | 'correlate'> & {
    readonly logs?: Pick<Config['logs'], 'bucket_ms'>;
  },
  discovered: readonly Edge[] = [],
): Correlator {
  const patterns = signalPatternsOf(config.correlate.signals);
  // The log stage's bucket: how much further back the live correlator looks in the queues.
  const settings = { ...config.correlate, log_bucket_ms: config.logs?.bucket_ms ?? 0 };
  return new Correlator(serviceGraph(config.services, discovered), settings, patterns);
}

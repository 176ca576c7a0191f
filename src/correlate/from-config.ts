/** Builds the correlator the config describes (graph, settings, signal patterns). */
import type { Config } from '../config/schema.js';
import type { Edge } from '../queues/discovered-edges.js';
import { serviceGraph } from './graph.js';
import { Correlator } from './incidents.js';
import { signalPatternsOf } from './signal-kind.js';

export function correlatorFromConfig(
  config: Pick<Config, 'services' | 'correlate'>,
  discovered: readonly Edge[] = [],
): Correlator {
  const patterns = signalPatternsOf(config.correlate.signals);
  return new Correlator(serviceGraph(config.services, discovered), config.correlate, patterns);
}

/**
 * The correlate stage: one correlator job at a time across every process (the incidents are one
 * shared state), driven by anomalies and by a tick every `correlate.tick_ms`. It looks at the
 * detect and log queues (pipeline-watermark.ts) so an incident opens once their anomalies
 * stamped before its deadline are in.
 */
import { scheduleTicks, startCorrelateWorker } from './correlate-worker.js';
import { correlatorFromConfig } from './from-config.js';
import { serviceGraph } from './graph.js';
import type { IncidentEvent } from './incidents.js';
import { PipelineWatermark } from './pipeline-watermark.js';
import { MetricFamilies } from '../queues/metric-families.js';
import { ServiceSince } from '../queues/service-since.js';
import type { StageDeps } from '../queues/stage-deps.js';

export interface CorrelateStageDeps extends StageDeps<'anomalies'> {
  /** Told of every saved transition (the notify stage's routing; later stages' too). */
  readonly onTransition?: (events: readonly IncidentEvent[]) => Promise<void>;
}

export async function startCorrelate(d: CorrelateStageDeps) {
  const { config } = d;
  // One correlator job at a time across all processes, and the tick: written at start and
  // again whenever Redis lost them (reassert).
  const serviceSince = new ServiceSince(d.connection, d.layout.main);
  const families = new MetricFamilies(d.connection, d.layout.main);
  const reassert = async (o?: { readonly lostData: boolean }): Promise<void> => {
    await d.queues.anomalies.setGlobalConcurrency(1);
    await scheduleTicks(d.queues.anomalies, config.correlate.tick_ms);
    // What this process read of the services' first records, when Redis lost them.
    if (o?.lostData) await serviceSince.reassert();
  };
  await reassert();
  const pipelines = new PipelineWatermark(d.connection, d.layout);
  const worker = startCorrelateWorker({
    connection: d.connection,
    prefix: d.layout.main,
    correlator: correlatorFromConfig(config, [], families),
    graphFor: (discovered) => serviceGraph(config.services, discovered),
    latenessMs: config.correlate.lateness_ms,
    onTransition: d.onTransition,
    pipelines,
    serviceSince,
    families,
    log: d.log.child({ component: 'correlate' }),
    metrics: d.metrics,
  });
  worker.on('closed', () => {
    void pipelines.close();
  });
  return { workers: [worker], reassert };
}

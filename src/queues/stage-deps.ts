/**
 * What the composition root starts every stage with: the config, the worker connection, the
 * queues it uses, the metrics registry and the log. Each stage's `start<Stage>` takes these
 * plus what it alone needs.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { KeyLayout } from './key-layout.js';
import type { Queues } from './queues.js';

export interface StageDeps<Q extends keyof Queues> {
  readonly config: Readonly<Config>;
  /** The worker connection (retries for ever). */
  readonly connection: Redis;
  readonly queues: Pick<Queues, Q>;
  /** Where keys and queues live: `layout.main`, or a partition's prefix. */
  readonly layout: KeyLayout;
  readonly metrics: Metrics;
  readonly log: Logger;
}

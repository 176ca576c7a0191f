/**
 * Where every key and queue lives in Redis: the prefix each store and queue writes under.
 *
 * On a single Redis (the default) that is `redis.prefix` for everything, as it always was.
 * On a Redis Cluster (`redis.cluster`), each prefix carries a hash tag, so that the keys one
 * script, transaction or pipeline touches share a slot (Redis refuses anything else with
 * CROSSSLOT) while the hot path spreads over the shards:
 * - partition `p` of the samples stream, `<prefix>:{samples.p}`: its BullMQ queue, the epoch and
 *   detector states of its series, its counters. Each sample partition hashes to its own slot.
 * - partition `p` of the logs stream, `<prefix>:{logs.p}`: the same for log state.
 * - everything else, `<prefix>:{main}`: the anomalies, notify, remediate and pull queues,
 *   incidents, the score board, series history, feedback, remediations, run sentinels. These
 *   are written once per batch or per incident, not per sample, so one slot holds them.
 * The two layouts differ in their keys: switching a deployment between them starts it afresh.
 */
import { QueueNames } from './contract.js';

export interface KeyLayoutSettings {
  readonly prefix: string;
  readonly cluster: boolean;
  readonly partitions: number;
}

export class KeyLayout {
  readonly prefix: string;
  readonly cluster: boolean;
  /** Partitions per stream (`queues.partitions`). */
  readonly partitions: number;

  /** Each partition's prefix, built once: the detect stage asks for it per series key. */
  readonly #samples: string[];
  readonly #logs: string[];

  constructor(s: KeyLayoutSettings) {
    this.prefix = s.prefix;
    this.cluster = s.cluster;
    this.partitions = s.partitions;
    const each = (name: (p: number) => string): string[] =>
      Array.from({ length: s.partitions }, (_, p) => this.#tagged(name(p)));
    this.#samples = each(QueueNames.samples);
    this.#logs = each(QueueNames.logs);
  }

  /** The prefix of keys and queues that are not per partition. */
  get main(): string {
    return this.#tagged('main');
  }

  /** The prefix of sample partition `p`: its queue, states and counters. */
  samples(p: number): string {
    return this.#samples[p] ?? this.#tagged(QueueNames.samples(p));
  }

  /** The prefix of log partition `p`: its queue, states and counters. */
  logs(p: number): string {
    return this.#logs[p] ?? this.#tagged(QueueNames.logs(p));
  }

  /**
   * Every distinct prefix of a stream's partitions, for reading totals kept per partition: one
   * on a single Redis (all partitions share the prefix), one per partition on a cluster.
   */
  allOf(stream: 'samples' | 'logs'): string[] {
    const of = (p: number): string => (stream === 'samples' ? this.samples(p) : this.logs(p));
    return [...new Set(Array.from({ length: this.partitions }, (_, p) => of(p)))];
  }

  #tagged(slot: string): string {
    return this.cluster ? `${this.prefix}:{${slot}}` : this.prefix;
  }
}

/** The layout a config asks for. */
export const keyLayoutOf = (config: {
  readonly redis: { readonly prefix: string; readonly cluster: boolean };
  readonly queues: { readonly partitions: number };
}): KeyLayout =>
  new KeyLayout({
    prefix: config.redis.prefix,
    cluster: config.redis.cluster,
    partitions: config.queues.partitions,
  });

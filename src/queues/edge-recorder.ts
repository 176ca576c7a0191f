/**
 * Discovered dependency edges in Redis (one set per deployment): the detect stage records the
 * service-graph series it sees, the correlator reads them. Each process remembers what it has
 * recorded, so a known edge costs no Redis call.
 */
import type { Redis } from 'ioredis';
import { edgeFromSeries, edgeKey, parseEdgeKey, type Edge } from './discovered-edges.js';

/** More distinct edges than this are not recorded (a label explosion must not grow Redis). */
const MAX_EDGES = 10_000;

export class EdgeRecorder {
  private readonly key: string;
  private readonly known = new Set<string>();
  private readonly redis: Redis;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.key = `${prefix}:graph:discovered`;
  }

  async record(
    series: readonly {
      readonly metric: string;
      readonly labels: Readonly<Record<string, string>>;
    }[],
  ): Promise<void> {
    const fresh: string[] = [];
    for (const m of series) {
      const e = edgeFromSeries(m);
      if (!e) continue;
      const k = edgeKey(e);
      if (this.known.has(k) || this.known.size >= MAX_EDGES) continue;
      this.known.add(k);
      fresh.push(k);
    }
    if (fresh.length > 0) await this.redis.sadd(this.key, ...fresh);
  }

  /** Forgets what was recorded (Redis lost it), so each edge is written again when next seen. */
  forget(): void {
    this.known.clear();
  }

  async load(): Promise<Edge[]> {
    const keys = (await this.redis.smembers(this.key)).sort();
    return keys.flatMap((k) => {
      const e = parseEdgeKey(k);
      return e ? [e] : [];
    });
  }
}

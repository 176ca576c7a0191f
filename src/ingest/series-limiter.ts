/**
 * Bounds the series ingest lets through, so a label explosion (a request id in a label, a
 * misconfigured exporter) cannot grow the worker's state without end:
 * - at most `maxActive` active series overall and `maxActivePerService` per service, where a
 *   series is active until it has not been seen for `idleMs`;
 * - new series admitted at most `maxNewPerMinute` per minute (a token bucket whose burst is one
 *   minute's worth), so a burst of new series is let in over time instead of all at once.
 * Samples of series already active always pass; only samples of series that would be new are
 * refused, with the reason. Refused series are not remembered: they are tried again when they
 * next appear. The state is per ingest process, and its memory is bounded in bytes as well as
 * in series: a long series key is remembered by a hash of it. Times come from a monotonic
 * clock, so a wall-clock step cannot freeze admission.
 */
import { performance } from 'node:perf_hooks';
import { fnv1a32 } from '../queues/partition.js';
import type { MetricSample } from './records.js';

export interface SeriesLimits {
  readonly maxActive: number;
  readonly maxActivePerService: number;
  readonly maxNewPerMinute: number;
  /** A series not seen for this long stops counting as active. */
  readonly idleMs: number;
  /**
   * For this long after start the new-series rate is not applied (every series is new after a
   * restart; the active-series limits still hold).
   */
  readonly warmupMs?: number;
}

/** Keys longer than this are remembered by a hash (collisions only undercount). */
const MAX_KEY_CHARS = 256;

function memoryKey(key: string): string {
  if (key.length <= MAX_KEY_CHARS) return key;
  // Two 32-bit FNV-1a hashes (the second over the key prefixed by its length), and a first
  // character no series key starts with.
  const a = fnv1a32(key);
  const b = fnv1a32(`${key.length}:${key}`);
  return `#${a.toString(36)}.${b.toString(36)}`;
}

export const SeriesLimitReason = {
  Active: 'series_limit',
  ServiceActive: 'service_series_limit',
  NewRate: 'new_series_rate',
} as const;
export type SeriesLimitReason = (typeof SeriesLimitReason)[keyof typeof SeriesLimitReason];

export interface SeriesRejection {
  readonly reason: SeriesLimitReason;
  readonly samples: number;
  /** The first refused series of this reason, for the answer and the log. */
  readonly message: string;
  /** Where that first refused sample is in the samples given to `admit` (a route maps it to its line). */
  readonly index: number;
}

export interface Admitted {
  readonly samples: readonly MetricSample[];
  readonly rejections: readonly SeriesRejection[];
}

interface Entry {
  readonly service: string;
  lastSeen: number;
}

export class SeriesLimiter {
  readonly #limits: SeriesLimits;
  readonly #now: () => number;
  readonly #series = new Map<string, Entry>();
  readonly #perService = new Map<string, number>();
  readonly #warmUntil: number;
  #tokens: number;
  #refilledAt: number;

  constructor(limits: SeriesLimits, now: () => number = () => performance.now()) {
    this.#limits = limits;
    this.#now = now;
    this.#tokens = limits.maxNewPerMinute;
    this.#refilledAt = now();
    this.#warmUntil = this.#refilledAt + (limits.warmupMs ?? 0);
  }

  /** Active series now (after the last sweep). */
  get active(): number {
    return this.#series.size;
  }

  activeOf(service: string): number {
    return this.#perService.get(service) ?? 0;
  }

  /** Splits samples into those admitted and those refused by a limit. */
  admit(samples: readonly MetricSample[]): Admitted {
    const now = this.#now();
    this.#refill(now);
    let out: MetricSample[] | undefined;
    let rejections:
      Map<SeriesLimitReason, { samples: number; message: string; index: number }> | undefined;
    // Series refused in this call: the rest of their samples are refused without a second look.
    let refusedNow: Map<string, SeriesLimitReason> | undefined;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i] as MetricSample;
      const key = memoryKey(s.series.key);
      const entry = this.#series.get(key);
      let reason: SeriesLimitReason | undefined;
      if (entry !== undefined) {
        entry.lastSeen = now;
      } else {
        reason = refusedNow?.get(key) ?? this.#tryAdd(key, s.series.service, now);
      }
      if (reason === undefined) {
        out?.push(s);
        continue;
      }
      // The first refusal: copy what passed so far (the common path allocates nothing).
      out ??= samples.slice(0, i);
      refusedNow ??= new Map();
      refusedNow.set(key, reason);
      rejections ??= new Map();
      const r = rejections.get(reason);
      if (r) r.samples += 1;
      else rejections.set(reason, { samples: 1, message: this.#message(reason, s), index: i });
    }
    if (out === undefined) return { samples, rejections: [] };
    return {
      samples: out,
      rejections: [...(rejections ?? [])].map(([reason, r]) => ({ reason, ...r })),
    };
  }

  #tryAdd(key: string, service: string, now: number): SeriesLimitReason | undefined {
    const l = this.#limits;
    if (this.#series.size >= l.maxActive) return SeriesLimitReason.Active;
    const ofService = this.#perService.get(service) ?? 0;
    if (ofService >= l.maxActivePerService) return SeriesLimitReason.ServiceActive;
    if (now >= this.#warmUntil) {
      if (this.#tokens < 1) return SeriesLimitReason.NewRate;
      this.#tokens -= 1;
    }
    this.#series.set(key, { service, lastSeen: now });
    this.#perService.set(service, ofService + 1);
    return undefined;
  }

  #message(reason: SeriesLimitReason, s: MetricSample): string {
    const l = this.#limits;
    const series = s.series.key.length > 200 ? `${s.series.key.slice(0, 197)}...` : s.series.key;
    switch (reason) {
      case SeriesLimitReason.Active:
        return `series ${series} refused: ${l.maxActive} series are active (ingest.max_active_series)`;
      case SeriesLimitReason.ServiceActive:
        return `series ${series} refused: service ${JSON.stringify(s.series.service)} has ${l.maxActivePerService} active series (ingest.max_active_series_per_service)`;
      case SeriesLimitReason.NewRate:
        return `series ${series} refused for now: more than ${l.maxNewPerMinute} new series per minute (ingest.max_new_series_per_minute); it is admitted when it comes again under the rate`;
    }
  }

  #refill(now: number): void {
    const elapsed = now - this.#refilledAt;
    if (elapsed <= 0) return;
    const cap = this.#limits.maxNewPerMinute;
    this.#tokens = Math.min(cap, this.#tokens + (elapsed * cap) / 60_000);
    this.#refilledAt = now;
  }

  /** Forgets idle series. The service runs it on a timer (every tenth of the idle time). */
  sweep(): void {
    const before = this.#now() - this.#limits.idleMs;
    for (const [key, e] of this.#series) {
      if (e.lastSeen >= before) continue;
      this.#series.delete(key);
      const n = (this.#perService.get(e.service) ?? 1) - 1;
      if (n <= 0) this.#perService.delete(e.service);
      else this.#perService.set(e.service, n);
    }
  }
}

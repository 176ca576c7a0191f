/**
 * What each metric family's declared type and unit are (an exposition's `# TYPE` and `# UNIT`,
 * remote_write's metadata), in one Redis hash per deployment: ingest records a family when it
 * first sees it declared (or declared otherwise), the correlator reads it to know a signal's
 * kind (correlate/signal-kind.ts `typedKind`: a histogram's `_count` counts requests, its
 * `_sum` is latency when its unit is time). Types arrive apart from samples (Prometheus sends
 * remote_write metadata in requests of their own), so they are kept by family, as Prometheus'
 * own metadata API keeps them.
 *
 * Each process remembers what it wrote or read, so a known family costs no Redis call; a name
 * read and not found is asked again after a minute at most.
 */
import type { Redis } from 'ioredis';

/** What a metric family's declared type and unit say of it. */
export interface FamilyMeta {
  /** counter, gauge, histogram, gaugehistogram, summary, untyped (lowercase). */
  readonly type: string;
  /** The unit (`seconds`, OTel's `s`, `ms`, `By`), when given. */
  readonly unit?: string | undefined;
}

/** A sample name's family (the name less `_count`, `_sum`, `_bucket`, `_total`) and its meta. */
export interface TypedFamily {
  readonly family: string;
  readonly meta: FamilyMeta;
}

/** More families than this are not recorded by one process (a name explosion must not grow Redis). */
const MAX_FAMILIES = 20_000;
/** A name looked up and not found is looked up again after this long. */
const MISS_RETRY_MS = 60_000;
/** Suffixes of a family's samples, longest first. */
const SUFFIXES = ['_bucket', '_count', '_total', '_sum'] as const;

const encode = (m: FamilyMeta): string => (m.unit ? `${m.type}|${m.unit}` : m.type);

const FAMILY_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]{0,199}$/;
const TYPES = new Set([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
]);
/** Prometheus units (`seconds`, `bytes`) and OTel/UCUM ones (`s`, `By`, `{request}`, `%`). */
const UNIT = /^[a-zA-Z0-9_{}/.%*^-]{1,64}$/;

/**
 * What is kept of a declared family, or undefined: names as Prometheus allows them (200
 * characters at most) and the known types only; a unit that is not one (too long, spaces,
 * control characters) is dropped. Metadata arrives apart from samples, unchecked by their
 * validation: this is its edge.
 */
export function keptFamily(name: string, meta: FamilyMeta): FamilyMeta | undefined {
  if (!FAMILY_NAME.test(name) || !TYPES.has(meta.type)) return undefined;
  return meta.unit !== undefined && UNIT.test(meta.unit)
    ? { type: meta.type, unit: meta.unit }
    : { type: meta.type };
}

function decode(raw: string): FamilyMeta {
  const bar = raw.indexOf('|');
  return bar < 0 ? { type: raw } : { type: raw.slice(0, bar), unit: raw.slice(bar + 1) };
}

/** The family names a sample name may belong to: itself, then itself less a sample suffix. */
export function familyCandidates(signal: string): string[] {
  const out = [signal];
  for (const suffix of SUFFIXES) {
    if (signal.endsWith(suffix) && signal.length > suffix.length) {
      out.push(signal.slice(0, -suffix.length));
    }
  }
  return out;
}

export class MetricFamilies {
  readonly #redis: Redis;
  readonly #key: string;
  /** family → encoded meta, as written or read. */
  readonly #known = new Map<string, string>();
  /** family → when it was looked up and not found. */
  readonly #missing = new Map<string, number>();
  readonly #now: () => number;

  constructor(redis: Redis, prefix: string, now: () => number = Date.now) {
    this.#redis = redis;
    this.#key = `${prefix}:metrics:families`;
    this.#now = now;
  }

  /**
   * Records the families this process has not recorded so (one HSET when any), as
   * `keptFamily` keeps them. A declaration without a unit does not replace one with a unit of
   * the same type (text-format targets beside OpenMetrics ones would otherwise rewrite the
   * family on every scrape).
   */
  async record(families: ReadonlyMap<string, FamilyMeta>): Promise<void> {
    const fresh: string[] = [];
    for (const [family, declared] of families) {
      const meta = keptFamily(family, declared);
      if (meta === undefined) continue;
      const enc = encode(meta);
      const held = this.#known.get(family);
      if (held === enc) continue;
      if (held !== undefined && !meta.unit && decode(held).type === meta.type) continue;
      if (held === undefined && this.#known.size >= MAX_FAMILIES) continue;
      fresh.push(family, enc);
    }
    if (fresh.length === 0) return;
    await this.#redis.hset(this.#key, ...fresh);
    for (let i = 0; i < fresh.length; i += 2) {
      this.#known.set(fresh[i] as string, fresh[i + 1] as string);
      this.#missing.delete(fresh[i] as string);
    }
  }

  /** The family of `signal` and its meta, from this process's memory (see `load`). */
  familyOf(signal: string): TypedFamily | undefined {
    for (const family of familyCandidates(signal)) {
      const raw = this.#known.get(family);
      if (raw !== undefined) return { family, meta: decode(raw) };
    }
    return undefined;
  }

  /** Forgets what was recorded (Redis lost it), so each family is written again when declared. */
  forget(): void {
    this.#known.clear();
    this.#missing.clear();
  }

  /**
   * Reads the families the `signals` may belong to that this process does not know (one HMGET
   * for all, none when each is known or was missing less than a minute ago); then `familyOf`
   * answers for them.
   */
  async load(...signals: readonly string[]): Promise<void> {
    const now = this.#now();
    const ask = new Set<string>();
    for (const signal of signals) {
      if (this.familyOf(signal) !== undefined) continue;
      for (const f of familyCandidates(signal)) {
        const missed = this.#missing.get(f);
        if (missed === undefined || now - missed >= MISS_RETRY_MS) ask.add(f);
      }
    }
    if (ask.size === 0) return;
    // A flood of names nobody typed must not grow the memory of misses without bound.
    if (this.#missing.size >= MAX_FAMILIES) this.#missing.clear();
    const names = [...ask];
    const got = await this.#redis.hmget(this.#key, ...names);
    for (const [i, family] of names.entries()) {
      const raw = got[i];
      if (typeof raw === 'string' && raw !== '') {
        if (this.#known.size < MAX_FAMILIES) this.#known.set(family, raw);
        this.#missing.delete(family);
      } else if (this.#missing.size < MAX_FAMILIES) this.#missing.set(family, now);
    }
  }
}

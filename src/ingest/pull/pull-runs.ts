/**
 * One run of a query_range reader or of a scrape target: take the source's run lock (skip if
 * the previous run still holds it), pull, validate, queue through the IngestWriter like the
 * push routes, count. A query run reads the planned range window by window and moves its
 * watermark after each window is queued, so a failure (timeout, HTTP or API error, Redis)
 * keeps the rest of the range for the next run: nothing is lost, nothing is read twice.
 */
import type { PullJob } from '../../queues/contract.js';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../../telemetry/metrics.js';
import type { IngestWriter } from '../ingest-writer.js';
import type { MetricSample, RecordLimits } from '../records.js';
import { PullError } from './pull-error.js';
import type { PullReporter } from './pull-reporter.js';
import type { PullStore, RunLock } from './pull-store.js';
import { exposedToSamples, matrixToSamples, type PulledSamples } from './pulled-samples.js';
import { queryRange } from './query-range.js';
import { planRange, splitRange, type TimeRange } from './query-windows.js';
import { scrape } from './scrape.js';

export type PrometheusSource = Config['pull']['prometheus'][number];
export type PullQuery = PrometheusSource['queries'][number];
export type ScrapeTarget = Config['pull']['scrape'][number];

/** A run lock outlives the step it guards by this much (then expires if the process died). */
const LOCK_MARGIN_MS = 30_000;

/**
 * A series limit in front of the queues (the shape of main's SeriesLimiter.admit): samples of
 * series it refuses are counted by reason and not queued.
 */
export interface SeriesAdmission {
  admit(samples: readonly MetricSample[]): {
    readonly samples: readonly MetricSample[];
    readonly rejections: readonly { readonly reason: string; readonly samples: number }[];
  };
}

export interface PullDeps {
  readonly writer: Pick<IngestWriter, 'write'>;
  /** The series limits push routes apply too; none when unset. */
  readonly series?: SeriesAdmission | undefined;
  readonly limits: RecordLimits;
  readonly metrics: Pick<Metrics, 'samplesReceived' | 'samplesRejected'>;
  readonly store: PullStore;
  readonly reporter: PullReporter;
  readonly maxScrapeBytes: number;
  readonly maxScrapeSamples: number;
  readonly now: () => number;
}

/** The metric label and Redis id of a pull job's source. */
export const pullJobSourceId = (job: PullJob): string =>
  job.kind === 'query' ? `prometheus/${job.source}/${job.query}` : `scrape/${job.target}`;
/** The metric label and Redis id of a query. */
export const querySourceId = (src: PrometheusSource, q: PullQuery): string =>
  pullJobSourceId({ kind: 'query', source: src.name, query: q.name });
export const scrapeSourceId = (t: ScrapeTarget): string =>
  pullJobSourceId({ kind: 'scrape', target: t.name });

async function queuePulled(deps: PullDeps, source: string, pulled: PulledSamples): Promise<void> {
  let samples: readonly MetricSample[] = pulled.samples;
  if (deps.series && samples.length > 0) {
    const admitted = deps.series.admit(samples);
    samples = admitted.samples;
    for (const r of admitted.rejections) {
      deps.metrics.samplesRejected.inc({ reason: r.reason }, r.samples);
    }
  }
  if (samples.length > 0) {
    try {
      await deps.writer.write(samples, [], pulled.families);
    } catch (err) {
      throw new PullError('queue_unavailable', 'pulled samples could not be queued', {
        cause: err,
      });
    }
    deps.metrics.samplesReceived.inc({ kind: 'metric' }, samples.length);
  }
  for (const [reason, n] of pulled.rejected) deps.metrics.samplesRejected.inc({ reason }, n);
  deps.reporter.rejected(source, pulled.rejected);
}

/** Runs `body` under the source's lock; PullErrors are reported, anything else is rethrown. */
async function locked(
  deps: PullDeps,
  source: string,
  ttlMs: number,
  body: (lock: RunLock) => Promise<void>,
): Promise<void> {
  const lock = await deps.store.lock(source, ttlMs);
  if (lock === undefined) {
    deps.reporter.overlap(source);
    return;
  }
  const started = deps.now();
  const seconds = (): number => (deps.now() - started) / 1000;
  try {
    await body(lock);
    deps.reporter.ok(source, seconds());
  } catch (err) {
    if (err instanceof PullError) {
      deps.reporter.failed(source, err, seconds());
      return;
    }
    // Redis (watermark, lock) failed under us: the source is not being read either.
    const failure = new PullError(
      'queue_unavailable',
      `pull run failed: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
    deps.reporter.failed(source, failure, seconds());
    throw err;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

export async function runQuery(deps: PullDeps, src: PrometheusSource, q: PullQuery): Promise<void> {
  const source = querySourceId(src, q);
  await locked(deps, source, src.timeout_ms + LOCK_MARGIN_MS, async (lock) => {
    const plan = planRange({
      watermark: await deps.store.watermark(source),
      now: deps.now(),
      stepMs: q.step_ms,
      offsetMs: src.latency_offset_ms,
      catchUpMs: src.catch_up_ms,
    });
    if (plan.skippedMs > 0) deps.reporter.skipped(source, plan.skippedMs);
    if (plan.range === undefined) return;
    // A window whose answer is too large is read again in halves (down to one instant), so a
    // query returning many series still moves on instead of failing the same window forever.
    const read = async (range: TimeRange): Promise<void> => {
      await lock.extend();
      let series;
      try {
        series = await queryRange({
          url: src.url,
          query: q.query,
          range,
          stepMs: q.step_ms,
          timeoutMs: src.timeout_ms,
          bearerToken: src.bearer_token,
          maxBytes: deps.maxScrapeBytes,
        });
      } catch (err) {
        const points = Math.floor((range.to - range.from) / q.step_ms) + 1;
        if (!(err instanceof PullError) || err.reason !== 'too_large' || points < 2) throw err;
        for (const half of splitRange(range, q.step_ms, Math.ceil(points / 2))) await read(half);
        return;
      }
      const origin = { service: q.service };
      await queuePulled(deps, source, matrixToSamples(series, q.name, origin, deps.limits));
      await lock.advance(source, range.to);
      deps.reporter.watermark(source, range.to);
    };
    for (const range of splitRange(plan.range, q.step_ms, src.max_points_per_query)) {
      await read(range);
    }
  });
}

export async function runScrape(deps: PullDeps, t: ScrapeTarget): Promise<void> {
  const source = scrapeSourceId(t);
  await locked(deps, source, t.timeout_ms + LOCK_MARGIN_MS, async () => {
    const scrapedAt = deps.now();
    const exposed = await scrape({
      url: t.url,
      timeoutMs: t.timeout_ms,
      maxBytes: deps.maxScrapeBytes,
      maxSamples: deps.maxScrapeSamples,
    });
    const origin = { service: t.service, labels: t.labels };
    await queuePulled(deps, source, exposedToSamples(exposed, scrapedAt, origin, deps.limits));
  });
}

/**
 * Logs ingest rejections once per interval, as one warn line with the counts per reason and an
 * example message for each, never a line per sample (a flood of bad samples must not become a
 * flood of log lines). An interval with only routine reasons (NaN values) logs at info.
 * Meta-series dropped by design (meta-series.ts) are left out of the line: the first drop is
 * said once, at info, and the counter has the rest.
 */
import type { Logger } from '../telemetry/logger.js';
import { isDropReason, isRoutineRejection } from './records.js';
import type { RejectionCounter } from '../telemetry/rejection-counter.js';

export interface RejectionLog {
  /** Logs what is pending now and stops the timer. */
  stop(): void;
}

export function startRejectionLog(
  counter: RejectionCounter,
  log: Logger,
  intervalMs: number,
): RejectionLog {
  let toldDrops = false;
  const flush = (): void => {
    const p = counter.takePending();
    const byReason = Object.entries(p.byReason).filter(([reason]) => !isDropReason(reason));
    if (!toldDrops && byReason.length < Object.keys(p.byReason).length) {
      toldDrops = true;
      const [reason, example] = Object.entries(p.examples).find(([r]) => isDropReason(r)) ?? [];
      log.info(
        { reason, example },
        "ingest drops the monitoring stack's own series (Prometheus' ALERTS, up, scrape_*, prometheus_*, the worker's aiops_*, ...) without scoring them; they are counted in aiops_ingest_rejected_total{reason=\"meta_series\"} and not logged again (ingest.drop_meta_series, ingest.keep_meta_series)",
      );
    }
    const total = byReason.reduce((n, [, c]) => n + c, 0);
    if (total === 0) return;
    // Only NaN values (a stock Prometheus sends some every scrape): info, not a warning.
    const routine = byReason.every(([reason]) => isRoutineRejection(reason));
    const examples = Object.fromEntries(
      Object.entries(p.examples).filter(([reason]) => !isDropReason(reason)),
    );
    log[routine ? 'info' : 'warn'](
      {
        rejected: total,
        by_reason: Object.fromEntries(byReason),
        examples,
        interval_ms: intervalMs,
      },
      `ingest rejected ${total} records in the last interval`,
    );
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}

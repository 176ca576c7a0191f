/**
 * Logs ingest rejections once per interval, as one warn line with the counts per reason and an
 * example message for each, never a line per sample (a flood of bad samples must not become a
 * flood of log lines). An interval with only routine reasons (NaN values) logs at info.
 */
import type { Logger } from '../telemetry/logger.js';
import { isRoutineRejection } from './records.js';
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
  const flush = (): void => {
    const p = counter.takePending();
    if (p.total === 0) return;
    // Only NaN values (a stock Prometheus sends some every scrape): info, not a warning.
    const routine = Object.keys(p.byReason).every(isRoutineRejection);
    log[routine ? 'info' : 'warn'](
      { rejected: p.total, by_reason: p.byReason, examples: p.examples, interval_ms: intervalMs },
      `ingest rejected ${p.total} records in the last interval`,
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

/**
 * Event-loop delay and utilisation, in place of prom-client's delay histogram.
 *
 * prom-client samples the loop's delay with a libuv timer every 10 ms, for the life of the
 * process: 100 wake-ups a second, which on a 2-core VM cost an idle worker about 0.5% of a core,
 * as much as all its queue polling (`npm run bench -- idle`; issue 21 asks for at most 0.5% in
 * all). The same measure (the time between two ticks of a 10 ms timer, so the figures include
 * the 10 ms, as prom-client's do), under the same metric names
 * (`aiops_nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`), is taken here only
 * while the process has work: a check every `CHECK_MS` reads the loop's utilisation
 * (`performance.eventLoopUtilization`, free: Node keeps the counts anyway) and starts the probe
 * when the loop was busy more than `BUSY_SHARE` of the time since the last check; the probe
 * pauses after `QUIET_CHECKS` quiet checks in a row. What it recorded stays until a scrape reads
 * it (each scrape reads the delays since the previous one). A scrape that finds nothing
 * recorded since the previous one (the probe paused all along) reads 0, and
 * `aiops_nodejs_eventloop_delay_probe_active` says whether the probe runs: a stall in an idle
 * process is not in these gauges (the probe starts at the next check, after it).
 *
 * `aiops_nodejs_eventloop_active_seconds_total`, the time the loop spent running callbacks
 * rather than waiting, counts always: its rate is the loop's utilisation, the measure Node's
 * documentation recommends for load.
 */
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';

/** The probe's period (ms): prom-client's default, so the figures compare with its own. */
export const PROBE_RESOLUTION_MS = 10;
/** How often the loop's utilisation is checked (ms). */
export const CHECK_MS = 5000;
/**
 * The share of a check's period the loop must be busy for the probe to run. An idle worker's
 * loop is busy 0.2-1.1% of the time (queue polling, and a scrape every 5 s at most), the probe
 * itself adds 0.1%: at 1% the probe, once started, kept itself and the scrapes above the bar.
 */
export const BUSY_SHARE = 0.05;
/** Quiet checks in a row before the probe pauses. */
export const QUIET_CHECKS = 3;

/** The gauges prom-client's default metrics derive from its delay histogram. */
const DELAY_GAUGES = [
  ['min', 'The minimum recorded event loop delay.', (h: RecordableHistogram) => h.min],
  ['max', 'The maximum recorded event loop delay.', (h: RecordableHistogram) => h.max],
  ['mean', 'The mean of the recorded event loop delays.', (h: RecordableHistogram) => h.mean],
  [
    'stddev',
    'The standard deviation of the recorded event loop delays.',
    (h: RecordableHistogram) => h.stddev,
  ],
  [
    'p50',
    'The 50th percentile of the recorded event loop delays.',
    (h: RecordableHistogram) => h.percentile(50),
  ],
  [
    'p90',
    'The 90th percentile of the recorded event loop delays.',
    (h: RecordableHistogram) => h.percentile(90),
  ],
  [
    'p99',
    'The 99th percentile of the recorded event loop delays.',
    (h: RecordableHistogram) => h.percentile(99),
  ],
] as const;

/** The names of the delay gauges, prefix included (prom-client registers its own under them). */
export function delayGaugeNames(prefix: string): string[] {
  return DELAY_GAUGES.map(([stat]) => `${prefix}nodejs_eventloop_lag_${stat}_seconds`);
}

/** Whether the probe should run after a check that saw `busyShare`, given the quiet checks so far. */
export function nextProbeState(
  running: boolean,
  quietChecks: number,
  busyShare: number,
): { running: boolean; quietChecks: number } {
  if (busyShare > BUSY_SHARE) return { running: true, quietChecks: 0 };
  if (!running) return { running: false, quietChecks: 0 };
  const quiet = quietChecks + 1;
  return quiet >= QUIET_CHECKS
    ? { running: false, quietChecks: 0 }
    : { running: true, quietChecks: quiet };
}

export class EventLoopMetrics {
  /** Delays (ns) recorded since the last scrape read them. */
  readonly #delays = createHistogram();
  /** The 10 ms probe while it runs. */
  #probe: NodeJS.Timeout | undefined;
  #quietChecks = 0;
  #lastCheck = performance.eventLoopUtilization();
  #lastActiveMs = performance.eventLoopUtilization().active;
  readonly #timer: NodeJS.Timeout;

  /** Registers the gauges on `registry` under `prefix` and starts the checks (unref'd). */
  constructor(registry: Registry, prefix: string) {
    const delays = this.#delays;
    for (const [stat, help, read] of DELAY_GAUGES) {
      new Gauge({
        name: `${prefix}nodejs_eventloop_lag_${stat}_seconds`,
        help: `${help} Measured every 10 ms while the process has work; 0 when nothing was measured since the last scrape (idle).`,
        registers: [registry],
        collect() {
          // An empty histogram reads min as 2^63: nothing measured, nothing to report.
          this.set(delays.count > 0 ? read(delays) / 1e9 : 0);
        },
      });
    }
    const probeActive: Gauge = new Gauge({
      name: `${prefix}nodejs_eventloop_delay_probe_active`,
      help: 'Whether the 10 ms event-loop delay probe runs (1) or is paused while the process is idle (0).',
      registers: [registry],
      collect: () => {
        probeActive.set(this.#probe === undefined ? 0 : 1);
        // Collected after the seven above: the next scrape reads the delays since this one,
        // as with prom-client.
        queueMicrotask(() => {
          delays.reset();
        });
      },
    });
    const activeSeconds: Counter = new Counter({
      name: `${prefix}nodejs_eventloop_active_seconds_total`,
      help: 'Time the event loop spent running callbacks (not waiting for I/O); its rate is the loop utilisation.',
      registers: [registry],
      collect: () => {
        const active = performance.eventLoopUtilization().active;
        activeSeconds.inc(Math.max(0, active - this.#lastActiveMs) / 1000);
        this.#lastActiveMs = active;
      },
    });
    this.#timer = setInterval(() => {
      this.check();
    }, CHECK_MS);
    this.#timer.unref();
  }

  /** Whether the 10 ms probe runs now. */
  get probing(): boolean {
    return this.#probe !== undefined;
  }

  /**
   * Starts or pauses the probe after a check period whose loop utilisation was `utilization`
   * (by default, the one measured since the last check).
   */
  check(utilization = this.#utilizationSinceLastCheck()): void {
    const running = this.#probe !== undefined;
    const next = nextProbeState(running, this.#quietChecks, utilization);
    this.#quietChecks = next.quietChecks;
    if (next.running === running) return;
    if (next.running) this.#startProbe();
    else this.#stopProbe();
  }

  /** Stops the checks and the probe (on shutdown, and in tests). */
  stop(): void {
    clearInterval(this.#timer);
    this.#stopProbe();
  }

  #startProbe(): void {
    // Each tick records the time since the previous one (≥ 10 ms; more when the loop was held):
    // the first is measured from the start, so a pause is never recorded as a delay.
    let last = performance.now();
    this.#probe = setInterval(() => {
      const now = performance.now();
      this.#delays.record(Math.max(1, Math.round((now - last) * 1e6)));
      last = now;
    }, PROBE_RESOLUTION_MS);
    this.#probe.unref();
  }

  #stopProbe(): void {
    clearInterval(this.#probe);
    this.#probe = undefined;
  }

  #utilizationSinceLastCheck(): number {
    const delta = performance.eventLoopUtilization(this.#lastCheck);
    this.#lastCheck = performance.eventLoopUtilization();
    return delta.utilization;
  }
}

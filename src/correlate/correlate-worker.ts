/**
 * The live correlator: consumes the anomalies queue one job at a time across every process
 * (BullMQ global concurrency 1), folds each anomaly into the incidents kept in Redis with the
 * same pure core replay uses, and moves event time on every `tick_ms` (a BullMQ job scheduler
 * on the same queue, so ticks and anomalies never run side by side). Each transition is logged
 * in one readable line.
 *
 * Event time in the live path: each anomaly moves it to the anomaly's time; ticks move it to the
 * wall clock less `correlate.lateness_ms` while the data is live (see liveNow), so an incident
 * resolves when its anomalies stop even if nothing else arrives. Backfilled data moves by its
 * own time.
 *
 * Alignment: a job first applies its own change deciding no candidate (`through` -Infinity),
 * then, when a candidate's decision is due, works out how far every pipeline has delivered
 * (`through`): the state's time, the wall clock less the lateness while live (anomalies still
 * in flight from ingest), and the earliest event time the detect and log queues and the
 * anomalies queue still hold (pipeline-watermark.ts). A log stage running behind the metrics
 * (a backlog, a slower partition) thus holds the page until its anomalies stamped before the
 * deadline are in. A pipeline that stays behind holds it at most HOLD_MAX_MS of wall-clock
 * time (a stopped log stage must not stop the pages); what arrives later updates the incident.
 */
import { Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobNames, QueueNames, type AckJob, type AnomalyEvent } from '../queues/contract.js';
import { onJobFailed } from '../queues/job-failures.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { toIncidentAnomaly } from './fold-all.js';
import type { Correlator, CorrelatorState, Incident, IncidentEvent } from './incidents.js';
import { IncidentStore, StateConflictError } from './incident-store.js';
import { edgeKey, type Edge } from '../queues/discovered-edges.js';
import { EdgeRecorder } from '../queues/edge-recorder.js';
import type { ServiceGraph } from './graph.js';
import type { Behind } from './pipeline-watermark.js';
import { IDLE_WORKER } from '../queues/worker-options.js';
import { logWorkerErrors } from '../queues/worker-errors.js';

const LIVE_WITHIN_MS = 3_600_000;
/** How long (wall clock) a pipeline that stays behind may hold a due incident. */
export const HOLD_MAX_MS = 60_000;
/** A look at the queues is reused this long (wall clock) by the jobs that follow. */
const PENDING_REUSE_MS = 1000;

/** Live data: its latest anomaly is within an hour of the wall clock. */
export function isLive(state: CorrelatorState, wallMs: number): boolean {
  const w = state.watermark;
  return Number.isFinite(w) && wallMs - w < LIVE_WITHIN_MS;
}

/**
 * The time a tick moves the state to. While the data is live (its latest anomaly within an
 * hour of the wall clock), the wall clock less `latenessMs`, so anomalies still in flight from
 * other partitions can join before a settle window closes; for a backfill, nothing: its own
 * anomalies move it. Ticks never move the watermark, so live stays a property of the data.
 */
export function liveNow(state: CorrelatorState, wallMs: number, latenessMs: number): number {
  return isLive(state, wallMs) ? Math.max(state.now, wallMs - latenessMs) : state.now;
}

/**
 * The event time up to which every pipeline has delivered its anomalies, for deciding the
 * candidates (see the head of this file): never past the state's time, nor, while the data is
 * live, past the wall clock less the lateness; never past what the queues still hold, unless
 * they have held it for longer than HOLD_MAX_MS (`holdExpired`).
 */
export function throughOf(
  state: CorrelatorState,
  wallMs: number,
  latenessMs: number,
  behind: Behind | undefined,
  holdExpired: boolean,
): number {
  const inFlight = isLive(state, wallMs) ? wallMs - latenessMs : Infinity;
  const queued = behind && !holdExpired ? behind.ts : Infinity;
  return Math.min(state.now, inFlight, queued);
}

/** A write refused because another process changed the state is retried this often in place. */
const CONFLICT_RETRIES = 5;

const outboxKey = (e: { readonly type: string; readonly incident: Incident }): string =>
  `${e.incident.id}.${e.type}.${e.incident.reopened}.${e.incident.acknowledged_at ?? ''}.${e.incident.resolved_at ?? ''}`;

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));

export function describeAnomaly(a: AnomalyEvent): string {
  return `${a.service} ${a.signal} ${fmt(a.value)}, expected ${fmt(a.lower)}–${fmt(a.upper)} (score ${a.score.toFixed(2)})`;
}

export function describeIncidentEvent(e: IncidentEvent): string {
  const inc = e.incident;
  const root = inc.root_cause;
  const others = inc.services.filter((s) => s !== root?.service);
  const cause = root ? `root cause ${root.service} (${root.signal}, ${pct(root.confidence)})` : '';
  if (e.type === 'acknowledged')
    return `incident ${inc.id} acknowledged by ${inc.acknowledged_by ?? '?'}: ${cause}`;
  if (e.type === 'raised')
    return `incident ${inc.id} raised to ${inc.severity ?? 'critical'}: ${inc.explanation?.severity_reason ?? cause}`;
  const affected = others.length > 0 ? `; ${others.join(', ')} affected` : '';
  return `incident ${inc.id} ${e.type}: ${cause}${affected}`;
}

export async function scheduleTicks(anomalies: Queue, tickMs: number): Promise<void> {
  // Ticks leave nothing behind: one every 15 s would otherwise pile up 5,760 jobs a day.
  await anomalies.upsertJobScheduler(
    JobNames.CorrelateTick,
    { every: tickMs },
    { name: JobNames.CorrelateTick, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
  );
}

export function startCorrelateWorker(deps: {
  connection: Redis;
  prefix: string;
  correlator: Correlator;
  /** The graph of config plus discovered edges (the correlator's graph is swapped when they change). */
  graphFor: (discovered: readonly Edge[]) => ServiceGraph;
  /** How late an anomaly may arrive and still join before a settle window closes. */
  latenessMs: number;
  /** Told of every transition once it is saved (opened, acknowledged, reopened, resolved, raised). */
  onTransition?: ((events: readonly IncidentEvent[]) => Promise<void>) | undefined;
  /**
   * What the detect and log queues still hold (pipeline-watermark.ts). Without it, only the
   * state's time and the lateness bound the decisions.
   */
  pipelines?: { pending(horizon: number): Promise<Behind | undefined> } | undefined;
  /** How long a pipeline that stays behind may hold due incidents (default HOLD_MAX_MS). */
  holdMaxMs?: number | undefined;
  /**
   * Each service's first record (queues/service-since.ts): a service still learning
   * (`correlate.learning_ms`) opens no incident. Without it, no service is learning.
   */
  serviceSince?: { of(service: string): Promise<number | undefined> } | undefined;
  /**
   * The metric families' declared types and units (queues/metric-families.ts), loaded for each
   * anomaly's signal before it is folded: the correlator's kinds read them.
   */
  families?: { load(...signals: readonly string[]): Promise<void> } | undefined;
  log: Logger;
  metrics: Metrics;
  now?: () => number;
}): Worker {
  // WATCH is per connection: the store gets one of its own, closed with the worker.
  const storeConn = deps.connection.duplicate();
  const store = new IncidentStore(storeConn, deps.prefix);
  const now = deps.now ?? Date.now;
  const edges = new EdgeRecorder(storeConn, deps.prefix);
  const cfg = deps.correlator.settings;
  const holdMaxMs = deps.holdMaxMs ?? HOLD_MAX_MS;
  let lastLook: { at: number; horizon: number; behind: Behind | undefined } | undefined;
  /** Since when (wall clock) the queues have held due incidents back; undefined: they do not. */
  let heldSince: number | undefined;
  /** What the queues still hold from `horizon` on (a look is reused for PENDING_REUSE_MS). */
  const stillQueued = async (horizon: number): Promise<Behind | undefined> => {
    if (!deps.pipelines) return undefined;
    const at = now();
    if (lastLook && at - lastLook.at < PENDING_REUSE_MS && lastLook.horizon <= horizon) {
      return lastLook.behind;
    }
    const behind = await deps.pipelines.pending(horizon);
    lastLook = { at, horizon, behind };
    return behind;
  };
  /** Decides the candidates that wait for the pipelines (phase two of every job). */
  const decide = async (state: CorrelatorState): Promise<IncidentEvent[]> => {
    const earliest = deps.correlator.awaiting(state);
    if (earliest === null) return [];
    const wall = now();
    // Anomalies older than this could join none of the waiting candidates.
    const horizon = earliest - cfg.window_ms - (cfg.log_bucket_ms ?? 0);
    const behind = await stillQueued(horizon);
    const holding = behind !== undefined && behind.ts < state.now;
    if (!holding) heldSince = undefined;
    else if (heldSince === undefined) {
      heldSince = wall;
      deps.log.info(
        { queue: behind.queue, behindTs: behind.ts },
        `holding incident decisions: ${behind.queue} still holds data from ${new Date(behind.ts).toISOString()}`,
      );
    }
    const expired = heldSince !== undefined && wall - heldSince > holdMaxMs;
    if (expired && behind) {
      deps.log.warn(
        { queue: behind.queue, behindTs: behind.ts, heldMs: wall - (heldSince ?? wall) },
        `deciding incidents without ${behind.queue}: it has held data from ${new Date(behind.ts).toISOString()} for over ${holdMaxMs / 1000} s`,
      );
    }
    const through = throughOf(state, wall, deps.latenessMs, behind, expired);
    return deps.correlator.advance(state, state.now, through);
  };
  let edgesSeen = '';
  const refreshGraph = async (): Promise<void> => {
    const found = await edges.load();
    const key = found.map(edgeKey).join(',');
    if (key === edgesSeen) return;
    edgesSeen = key;
    deps.correlator.setGraph(deps.graphFor(found));
    deps.log.info(
      { discovered: found.length },
      `dependency graph: ${found.length} discovered edges`,
    );
  };
  /**
   * Hands the saved transitions on, then removes them from the outbox. A failure leaves them
   * there: the job fails and its retry (or the next job) hands them on again; receivers'
   * idempotency keys make that safe.
   */
  const flushOutbox = async (
    hand: (events: readonly IncidentEvent[]) => Promise<void>,
  ): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const state = await store.load(() => undefined);
        const pending = state.outbox;
        if (pending.length === 0) {
          await store.unwatch();
          return;
        }
        await store.unwatch();
        await hand(pending);
        const fresh = await store.load(() => undefined);
        const done = new Set(pending.map(outboxKey));
        fresh.outbox = fresh.outbox.filter((e) => !done.has(outboxKey(e)));
        await store.save(fresh, []);
        return;
      } catch (err) {
        await store.unwatch().catch(() => undefined);
        if (!(err instanceof StateConflictError) || attempt >= CONFLICT_RETRIES) throw err;
      }
    }
  };

  const worker = new Worker(
    QueueNames.anomalies,
    async (job: Job<AnomalyEvent | AckJob | Record<string, never>>) => {
      const started = performance.now();
      await refreshGraph();
      if (job.name === JobNames.Anomaly) {
        const a = job.data as AnomalyEvent;
        deps.log.info(
          { anomaly: { id: a.id, series: a.series, ts: a.ts } },
          `anomaly: ${describeAnomaly(a)}`,
        );
      }
      let events: IncidentEvent[] = [];
      // Read before the state is watched: one Redis call for a service not known yet.
      const since =
        job.name === JobNames.Anomaly && cfg.learning_ms
          ? await deps.serviceSince?.of((job.data as AnomalyEvent).service)
          : undefined;
      // Transitions waiting in the state's outbox once this job's write is done.
      let pending = 0;
      for (let attempt = 1; ; attempt++) {
        try {
          const state = await store.load((aside) => {
            deps.log.error(
              { movedTo: aside },
              'correlator state did not parse: moved aside, starting afresh',
            );
          });
          // The declared types of every signal the kinds will be read of (none read when known,
          // one HMGET otherwise): the job's anomaly's and those of the incidents in the state.
          if (deps.families) {
            const signals = new Set(
              state.incidents.flatMap((i) => i.timeline.map((x) => x.signal)),
            );
            if (job.name === JobNames.Anomaly) signals.add((job.data as AnomalyEvent).signal);
            await deps.families.load(...signals);
          }
          // The job's own change first, deciding no candidate; then what waits for the pipelines.
          if (job.name === JobNames.Anomaly) {
            const a = toIncidentAnomaly(job.data as AnomalyEvent);
            events = deps.correlator.fold(state, a, -Infinity, since);
          } else if (job.name === JobNames.IncidentAck) {
            const ack = job.data as AckJob;
            events = deps.correlator.acknowledge(state, ack.id, ack.by, ack.at);
          } else {
            const to = liveNow(state, now(), deps.latenessMs);
            events = deps.correlator.advance(state, to, -Infinity);
          }
          events.push(...(await decide(state)));
          // A tick or an acknowledgement that changed nothing writes nothing.
          if (events.length === 0 && job.name !== JobNames.Anomaly) {
            pending = state.outbox.length;
            await store.unwatch();
            break;
          }
          const changed = new Map<string, Incident>();
          for (const e of events) if (e.type !== 'dropped') changed.set(e.incident.id, e.incident);
          if (deps.onTransition) {
            for (const e of events) {
              if (e.type !== 'updated' && e.type !== 'dropped') {
                state.outbox.push({ type: e.type, incident: structuredClone(e.incident) });
              }
            }
          }
          await store.save(state, [...changed.values()]);
          pending = state.outbox.length;
          break;
        } catch (err) {
          await store.unwatch().catch(() => undefined);
          if (!(err instanceof StateConflictError) || attempt >= CONFLICT_RETRIES) throw err;
        }
      }
      const transitions = events.filter((e) => e.type !== 'updated' && e.type !== 'dropped');
      for (const e of transitions) {
        deps.log.warn({ incident: e.incident.id, event: e.type }, describeIncidentEvent(e));
      }
      // Only when something waits: an anomaly job that made no transition costs no extra read.
      if (deps.onTransition && pending > 0) await flushOutbox(deps.onTransition);
      if (events.some((e) => e.type === 'resolved')) {
        await store.trimOld().catch((err: unknown) => {
          deps.log.warn({ err }, 'could not trim old incidents');
        });
      }
      deps.metrics.jobDuration.observe(
        { stage: 'correlate' },
        (performance.now() - started) / 1000,
      );
    },
    { ...IDLE_WORKER, connection: deps.connection, prefix: deps.prefix, concurrency: 1 },
  );
  worker.on('closed', () => {
    storeConn.disconnect();
  });
  worker.on('failed', onJobFailed('correlate', deps.metrics, deps.log));
  logWorkerErrors([worker], deps.log, 'correlate');
  return worker;
}

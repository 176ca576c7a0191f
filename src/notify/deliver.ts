/**
 * Direct receivers through the `notify` queue: each incident transition becomes one job per
 * matching receiver, with the idempotency key (incident, transition, reopen count, receiver) as
 * its job id, so a retried correlator job never queues a second delivery and a retried
 * delivery never sends twice after a success.
 *
 * - Network errors, 5xx and 429 are retried with capped exponential backoff (429 waits its
 *   `Retry-After`) for `notify.retry_for_ms` (24 h) after the delivery was queued
 *   (delivery-policy.ts); any other 4xx is not retried. A delivery given up is dead-lettered
 *   (src/queues/dead-letters.ts): listed by the API, counted, alerted on.
 * - Order per (incident, receiver; delivery-ledger.ts): a receiver gets `acknowledged`,
 *   `resolved`, a reminder or an escalation only after it got the incident's opening. Until then
 *   such a delivery waits. A receiver whose opening was given up has its `acknowledged` and
 *   `resolved` dead-lettered too; one that never had the opening queued (muted by maintenance,
 *   or added later) skips them. For both, a reminder or an escalation is the opening. After
 *   `resolved`, nothing more is sent for that opening (a reminder would page again), nor after a
 *   later reopening.
 */
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  JobNames,
  QueueNames,
  jobIdOf,
  type DeliveryJob,
  type IncidentJson,
  type Transition,
} from '../queues/contract.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { receiverRequest, type ReceiverConfig } from './receiver-requests.js';
import { onDeliveryFailed } from './delivery-failure-log.js';
import type { DeadLetterStore } from '../queues/dead-letters.js';
import type { DeliveryLedger } from './delivery-ledger.js';
import { gaveUp, retryDelayMs, type DeliveryPolicy } from './delivery-policy.js';
import { IDLE_WORKER } from '../queues/worker-options.js';
import { logWorkerErrors } from '../queues/worker-errors.js';

/**
 * Finished deliveries are kept a day: their job ids are the idempotency keys, so a transition
 * or reminder queued again within that day is a no-op (BullMQ ignores a known job id).
 */
const KEEP = {
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: { age: 24 * 3600, count: 100_000 },
} as const;
const KEEP_MS = KEEP.removeOnComplete.age * 1000;
const SLACK_PACE_MS = 1000;

export interface RoutedReceiver extends ReceiverConfig {
  /** Only incidents of these severities (all when empty). */
  readonly severities: readonly string[];
  /** Only incidents touching one of these services (all when empty). */
  readonly services: readonly string[];
  /** Remind this often while an incident stays open and unacknowledged (never when unset). */
  readonly repeat_interval_ms?: number | undefined;
}

export function receiversFor(
  receivers: readonly RoutedReceiver[],
  inc: IncidentJson,
): RoutedReceiver[] {
  return receivers.filter(
    (r) =>
      (r.severities.length === 0 || r.severities.includes(inc.severity)) &&
      (r.services.length === 0 || inc.services.some((s) => r.services.includes(s))),
  );
}

export const deliveryId = (j: DeliveryJob, round = 0): string =>
  `${j.incident.id}.${j.transition}.${j.incident.reopened}${round > 0 ? `.${round}` : ''}.${j.receiver}`;

/** The transition that opened an incident (as it stands) for its receivers. */
const openingOf = (inc: IncidentJson): Transition => (inc.reopened > 0 ? 'reopened' : 'opened');
const isOpening = (t: Transition): boolean => t === 'opened' || t === 'reopened';

export interface Reminder {
  readonly receiver: RoutedReceiver;
  readonly incident: IncidentJson;
  /** Which reminder this is (1 = the first): part of its idempotency key. */
  readonly round: number;
}

/**
 * Reminders due at `now` (pure): for each open, unacknowledged incident and each receiver with
 * a `repeat_interval_ms` that routes it, the latest whole interval since it opened.
 */
export function remindersDue(
  receivers: readonly RoutedReceiver[],
  incidents: readonly IncidentJson[],
  now: number,
): Reminder[] {
  const out: Reminder[] = [];
  for (const inc of incidents) {
    if (inc.status !== 'open' || inc.opened_at === null) continue;
    const since = now - Date.parse(inc.opened_at);
    for (const r of receiversFor(receivers, inc)) {
      if (!r.repeat_interval_ms) continue;
      const round = Math.floor(since / r.repeat_interval_ms);
      if (round >= 1) out.push({ receiver: r, incident: inc, round });
    }
  }
  return out;
}

/** Queues the reminders due (one job per receiver, incident and round: idempotent). */
export async function queueReminders(
  notify: Queue,
  receivers: readonly RoutedReceiver[],
  incidents: readonly IncidentJson[],
  now: number,
  attempts: number,
): Promise<void> {
  const jobs = remindersDue(receivers, incidents, now).map((rem) => {
    const data: DeliveryJob = {
      receiver: rem.receiver.name,
      transition: 'reminder',
      incident: rem.incident,
    };
    return {
      name: JobNames.Deliver,
      data,
      opts: {
        jobId: deliveryId(data, rem.round),
        attempts,
        backoff: { type: 'custom' },
        ...KEEP,
      },
    };
  });
  if (jobs.length > 0) await notify.addBulk(jobs);
}

/** Queues one delivery per matching receiver (idempotent by job id). */
export async function queueDeliveries(
  notify: Queue,
  receivers: readonly RoutedReceiver[],
  incident: IncidentJson,
  transition: Transition,
  attempts: number,
  /** An escalation's note, and the key that makes it one delivery per remediation. */
  extra?: { readonly note: string; readonly key: string },
): Promise<void> {
  const jobs = receiversFor(receivers, incident).map((r) => {
    const data: DeliveryJob = {
      receiver: r.name,
      transition,
      incident,
      ...(extra ? { note: extra.note } : {}),
    };
    const jobId = extra ? jobIdOf(`${extra.key}.${transition}.${r.name}`) : deliveryId(data);
    return {
      name: JobNames.Deliver,
      data,
      // The worker's backoffStrategy: exponential, or the receiver's Retry-After.
      opts: { jobId, attempts, backoff: { type: 'custom' }, ...KEEP },
    };
  });
  if (jobs.length > 0) await notify.addBulk(jobs);
}

class RetryLater extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'RetryLater';
    this.retryAfterMs = retryAfterMs;
  }
}

export function startDeliveryWorker(deps: {
  connection: Redis;
  prefix: string;
  receivers: readonly RoutedReceiver[];
  externalUrl: string;
  policy: DeliveryPolicy;
  /** The notify queue: where a follow-up looks up its incident's opening delivery. */
  queue: Queue;
  ledger: DeliveryLedger;
  deadLetters: DeadLetterStore;
  log: Logger;
  metrics: Metrics;
  /** Other job names on the notify queue are handed here (the Alertmanager sync). */
  other?: (job: Job) => Promise<void>;
}): Worker {
  const byName = new Map(deps.receivers.map((r) => [r.name, r]));
  // Slack takes about one message a second per webhook: pace each Slack receiver in-process.
  const nextSlot = new Map<string, number>();
  const pace = async (r: RoutedReceiver): Promise<void> => {
    if (r.type !== 'slack') return;
    const now = Date.now();
    const at = Math.max(now, nextSlot.get(r.name) ?? 0);
    nextSlot.set(r.name, at + SLACK_PACE_MS);
    if (at > now) await new Promise((done) => setTimeout(done, at - now));
  };
  const worker = new Worker(
    QueueNames.notify,
    async (job: Job) => {
      if (job.name !== JobNames.Deliver) {
        await deps.other?.(job);
        return;
      }
      const d = job.data as DeliveryJob;
      const inc = d.incident;
      const r = byName.get(d.receiver);
      /** Gives the delivery up for good: dead-lettered, counted, then failed without retry. */
      const giveUp = async (
        reason: 'rejected' | 'expired' | 'never_opened' | 'unconfigured',
        why: string,
      ): Promise<never> => {
        await deps.deadLetters.add({
          at: new Date().toISOString(),
          receiver: d.receiver,
          incident: inc.id,
          transition: d.transition,
          queued_at: new Date(job.timestamp).toISOString(),
          attempts: job.attemptsMade + 1,
          reason: why,
        });
        deps.metrics.deadLettered.inc({ receiver: r?.type ?? 'unknown', reason });
        throw new UnrecoverableError(`${d.receiver}: ${why} (dead-lettered)`);
      };
      if (!r) {
        // Config skew in a rolling deploy: a process that has the receiver may take it. Given
        // up (dead-lettered) only once retry_for_ms has passed.
        if (!gaveUp(deps.policy, job.timestamp, Date.now())) {
          throw new RetryLater(`receiver ${d.receiver} is not configured in this process`);
        }
        return giveUp('unconfigured', 'the receiver is no longer configured');
      }
      const skip = (why: string): void => {
        deps.metrics.notifications.inc({ receiver: r.type, outcome: 'skipped' });
        deps.log.info(
          { receiver: r.name, incident: inc.id, transition: d.transition },
          `notification skipped: ${why}`,
        );
      };
      // Nothing after the resolve: a reminder or an escalation would page again (a PagerDuty
      // trigger on a resolved key opens a new alert that nothing resolves). Checked before the
      // expiry, so a follow-up the resolve made moot is skipped rather than dead-lettered.
      /** This receiver's delivery of `transition` for `incident` (kept a day once finished). */
      const jobOf = (transition: Transition, incident: IncidentJson) =>
        deps.queue.getJob(deliveryId({ receiver: r.name, transition, incident }));
      if (
        d.transition !== 'resolved' &&
        !isOpening(d.transition) &&
        ((await deps.ledger.resolved(inc.id, inc.reopened, r.name)) ||
          (await jobOf('resolved', inc)) !== undefined)
      ) {
        skip('the incident is resolved for the receiver');
        return;
      }
      // A later reopening supersedes what is left of this opening: an old `resolved` sent after
      // it would resolve the live page (PagerDuty's dedup key is the incident id, whatever the
      // reopen count).
      if (!isOpening(d.transition)) {
        const next = { ...inc, reopened: inc.reopened + 1 };
        if (
          (await deps.ledger.opened(inc.id, next.reopened, r.name)) ||
          (await jobOf('reopened', next)) !== undefined
        ) {
          skip('the incident reopened since');
          return;
        }
      }
      if (gaveUp(deps.policy, job.timestamp, Date.now())) {
        // BullMQ leaves it unset before the first failure, whatever its type says.
        const last = (job as { readonly failedReason?: string }).failedReason;
        await giveUp(
          'expired',
          `not delivered within notify.retry_for_ms (${deps.policy.retryForMs} ms); last: ${last ?? 'none'}`,
        );
      }
      // The resolve waits for another delivery of the same opening that is under way, so it
      // arrives last.
      if (d.transition === 'resolved') {
        const busy = (await deps.queue.getActive()).some((j) => {
          const o = j.data as Partial<DeliveryJob>;
          return (
            j.id !== job.id &&
            j.name === JobNames.Deliver &&
            o.receiver === r.name &&
            o.incident?.id === inc.id &&
            o.incident.reopened === inc.reopened
          );
        });
        if (busy) throw new RetryLater(`${r.name}: another delivery of the incident is under way`);
      }
      // A reminder or an escalation pages: for a receiver that never had the opening (it was
      // muted by maintenance, came later, or was down past retry_for_ms), it is the opening.
      const pages = d.transition === 'reminder' || d.transition === 'escalated';
      if (!isOpening(d.transition) && !(await deps.ledger.opened(inc.id, inc.reopened, r.name))) {
        const opening = await jobOf(openingOf(inc), inc);
        const state = opening ? await opening.getState() : 'unknown';
        // Its opening page was given up (the receiver was down past retry_for_ms): a reminder
        // or an escalation of the incident, still open, is the page it never had; the rest is
        // given up too.
        if (state === 'failed' && !pages) {
          await giveUp('never_opened', `the incident's ${openingOf(inc)} page to it was given up`);
        }
        const openedAt = inc.opened_at === null ? Number.NaN : Date.parse(inc.opened_at);
        // A finished opening's job is kept a day: one older may have gone (or predate the
        // ledger), so its later transitions are sent rather than lost.
        const unknowable = state === 'unknown' && !(Date.now() - openedAt < KEEP_MS);
        if (state === 'unknown' && !pages && !unknowable) {
          skip('the receiver never had the incident opened');
          // Nothing after the resolve, for this receiver too (an escalation that comes late).
          if (d.transition === 'resolved')
            await deps.ledger.markResolved(inc.id, inc.reopened, r.name);
          return;
        }
        if (state !== 'completed' && state !== 'unknown' && state !== 'failed') {
          throw new RetryLater(`${r.name}: waiting for the incident's ${openingOf(inc)} page`);
        }
      }
      const req = receiverRequest(r, inc, d.transition, {
        note: d.note,
        // The job id: unique per transition, reminder round and receiver, and the same on
        // every retry (webhook-id, CloudEvents id).
        deliveryId: job.id ?? deliveryId(d),
        nowMs: Date.now(),
        externalUrl: deps.externalUrl,
      });
      await pace(r);
      let res: Response;
      try {
        res = await fetch(req.url, {
          method: 'POST',
          headers: req.headers,
          body: req.body,
          signal: AbortSignal.timeout(10_000),
        });
      } catch (err) {
        deps.metrics.notifications.inc({ receiver: r.type, outcome: 'retryable' });
        throw new RetryLater(`${r.name}: ${(err as Error).message}`);
      }
      if (res.ok) {
        deps.metrics.notifications.inc({ receiver: r.type, outcome: 'sent' });
        if (isOpening(d.transition) || pages) {
          await deps.ledger.markOpened(inc.id, inc.reopened, r.name);
        }
        if (d.transition === 'resolved') {
          await deps.ledger.markResolved(inc.id, inc.reopened, r.name);
        }
        return;
      }
      const text = (await res.text()).slice(0, 200);
      if (res.status >= 500 || res.status === 429) {
        deps.metrics.notifications.inc({ receiver: r.type, outcome: 'retryable' });
        const after = Number(res.headers.get('retry-after'));
        throw new RetryLater(
          `${r.name}: ${res.status} ${text}`,
          Number.isFinite(after) && after > 0 ? after * 1000 : undefined,
        );
      }
      deps.metrics.notifications.inc({ receiver: r.type, outcome: 'rejected' });
      return giveUp('rejected', `${res.status} ${text} (not retried)`);
    },
    {
      ...IDLE_WORKER,
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: 4,
      settings: {
        // Capped exponential (delivery-policy.ts), or the receiver's Retry-After when it gave one.
        backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
          retryDelayMs(
            deps.policy,
            attemptsMade,
            err instanceof RetryLater ? err.retryAfterMs : undefined,
          ),
      },
    },
  );
  // A retry at warn with its attempt; a dropped notification at error (delivery-failure-log.ts).
  worker.on('failed', onDeliveryFailed(deps.metrics, deps.log));
  logWorkerErrors([worker], deps.log, 'notify');
  return worker;
}

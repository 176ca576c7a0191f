/**
 * A remediation rig against the real Redis (a fresh random prefix): the real store, propose,
 * run and verify code, with what lies outside faked: the incidents (a map), the actions (they
 * record their calls and answer `ok`, or wait until a test lets them go), the maintenance
 * windows (a set of services). Hook configs go through the real schema, so defaults apply.
 */
import type { BoardEntry } from '../../src/detect/score-board.js';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { remediationSchema, type RemediationConfig } from '../../src/config/schema-remediation.js';
import { incidentJson } from '../../src/correlate/incident-json.js';
import type { Incident } from '../../src/correlate/incidents.js';
import { defaultSignalPatterns } from '../../src/correlate/signal-kind.js';
import { QueueNames, type RemediationJob } from '../../src/queues/contract.js';
import type { ActionResult, ActionRun } from '../../src/remediate/actions/action.js';
import type { ActionHandle } from '../../src/remediate/actions/create-action.js';
import type { HookTransition } from '../../src/remediate/hook-match.js';
import { proposeFor, type ProposeDeps } from '../../src/remediate/propose.js';
import { RemediationMetrics } from '../../src/remediate/remediation-metrics.js';
import {
  RemediationStore,
  type AuditEntry,
  type RemediationRecord,
} from '../../src/remediate/remediation-store.js';
import { runRemediation, type RunDeps } from '../../src/remediate/run-remediation.js';
import { verifyRemediation, type VerifyDeps } from '../../src/remediate/verify-remediation.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL } from './redis.js';

/** A hook's config input: `auto`, any incident, an http action that is never called. */
export function hook(name: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    match: {},
    mode: 'auto',
    action: { type: 'http', url: 'http://127.0.0.1:9/hooks' },
    ...over,
  };
}

const T0 = Date.parse('2026-01-06T07:00:00.000Z');

/** An open incident; the first service is its root cause. */
export function incident(id: string, services: string[], over: Partial<Incident> = {}): Incident {
  return {
    id,
    status: 'open',
    first_ts: T0,
    last_ts: T0,
    seen_at: T0,
    opened_at: T0,
    resolved_at: null,
    resolved_by: null,
    reopened: 0,
    acknowledged_at: null,
    acknowledged_by: null,
    services,
    anomaly_count: 3,
    timeline: [],
    root_cause: { service: services[0] ?? 'unknown', signal: 'http_error_ratio', confidence: 0.9 },
    candidates: [],
    explanation: null,
    ...over,
  };
}

/** What BullMQ hands the worker, as far as runRemediation and verifyRemediation read it. */
export function jobOf(id: string, attemptsMade = 0): Job<RemediationJob> {
  return { data: { id }, opts: { attempts: 3 }, attemptsMade } as unknown as Job<RemediationJob>;
}

export class RemediationRig {
  readonly prefix = randomPrefix();
  readonly redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  readonly settings: RemediationConfig;
  readonly store: RemediationStore;
  /** The `remediate` queue (auto runs and verifications are queued here). */
  readonly queue: Queue;
  /** The `notify` queue (escalations). */
  readonly notify: Queue;
  readonly incidents = new Map<string, Incident>();
  /** Services in a maintenance window. */
  readonly maintenance = new Set<string>();
  /** The score board's latest entry per series key (verification reads it). */
  readonly board = new Map<string, BoardEntry>();
  /** Every action call, in order, whichever hook. */
  readonly calls: ActionRun[] = [];
  /** The answer of the next calls of a hook (default `ok`). */
  readonly answers = new Map<string, ActionResult[]>();
  readonly #held = new Map<string, Promise<void>>();
  readonly actions: Map<string, ActionHandle>;

  /** `config` is the `remediation` section as a user writes it (parsed by the real schema). */
  constructor(config: Record<string, unknown>) {
    this.settings = remediationSchema.parse(config);
    this.store = new RemediationStore(this.redis, this.prefix, this.settings.audit_max_entries);
    this.queue = new Queue(QueueNames.remediate, { connection: this.redis, prefix: this.prefix });
    this.notify = new Queue(QueueNames.notify, { connection: this.redis, prefix: this.prefix });
    this.actions = new Map(
      this.settings.hooks.map((h) => [
        h.name,
        {
          run: async (run: ActionRun): Promise<ActionResult> => {
            this.calls.push(run);
            await this.#held.get(h.name);
            return this.answers.get(h.name)?.shift() ?? { ok: true, detail: 'ok' };
          },
          close: () => Promise.resolve(),
        },
      ]),
    );
  }

  /** The hook's action waits (once called) until the returned function is called. */
  hold(hookName: string): () => void {
    let release = (): void => {};
    this.#held.set(
      hookName,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return () => {
      this.#held.delete(hookName);
      release();
    };
  }

  callsOf(hookName: string): ActionRun[] {
    return this.calls.filter((c) => c.hook === hookName);
  }

  get runDeps(): RunDeps {
    return {
      settings: this.settings,
      store: this.store,
      incidents: { get: (id) => Promise.resolve(this.incidents.get(id)) },
      actions: this.actions,
      queue: this.queue,
      inMaintenance: (service) => this.maintenance.has(service),
      metrics: new RemediationMetrics(new Registry()),
      log: pino({ level: 'silent' }),
    };
  }

  get verifyDeps(): VerifyDeps {
    return {
      store: this.store,
      incidents: { get: (id) => Promise.resolve(this.incidents.get(id)) },
      notify: this.notify,
      metrics: new RemediationMetrics(new Registry()),
      board: {
        latest: (keys) =>
          Promise.resolve(
            keys.flatMap((k) => (this.board.has(k) ? [this.board.get(k) as BoardEntry] : [])),
          ),
      },
    };
  }

  get proposeDeps(): ProposeDeps {
    return {
      settings: this.settings,
      patterns: defaultSignalPatterns,
      store: this.store,
      queue: this.queue,
    };
  }

  /** The incident is known from now on and its transition proposes what the hooks call for. */
  async propose(
    inc: Incident,
    transition: HookTransition = 'opened',
  ): Promise<RemediationRecord[]> {
    this.incidents.set(inc.id, inc);
    return proposeFor(this.proposeDeps, incidentJson(inc), transition);
  }

  /** As the API approves: compare-and-set from pending, audited; true when this approved it. */
  async approve(id: string, by: string): Promise<boolean> {
    const { moved, record } = await this.store.move(id, ['pending'], 'approved', { by });
    if (moved && record) {
      await this.store.audit({
        id,
        hook: record.hook,
        incident: record.incident,
        target: record.target,
        mode: record.mode,
        decision: 'approved',
        reason: 'approved through the API',
        by,
        ts: Date.now(),
      });
    }
    return moved;
  }

  run(id: string, attemptsMade = 0): Promise<void> {
    return runRemediation(this.runDeps, jobOf(id, attemptsMade));
  }

  verify(id: string): Promise<void> {
    return verifyRemediation(this.verifyDeps, jobOf(id));
  }

  async record(id: string): Promise<RemediationRecord | undefined> {
    return this.store.get(id);
  }

  /** The audit entries of one remediation, oldest first. */
  async audit(id: string): Promise<AuditEntry[]> {
    return (await this.store.auditLog(100)).filter((e) => e.id === id);
  }

  /** The decisions audited for one remediation, as `decision:reason`, oldest first. */
  async decisions(id: string): Promise<string[]> {
    return (await this.audit(id)).map((e) => `${e.decision}:${e.reason}`);
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.notify.close();
    await this.redis.quit();
    await deletePrefix(this.prefix);
  }
}

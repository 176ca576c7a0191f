/**
 * Remediation state in Redis, shared by every process:
 * - one record per remediation (a JSON field of one hash, indexed by creation time and trimmed
 *   to `remediation.audit_max_entries`), whose `state` moves only by compare-and-set, so of two
 *   approvals (or an approval and a rejection) exactly one wins;
 * - the audit stream: every decision appended (XADD, trimmed to about the same length);
 * - the guardrails (guardrails.ts's rules, enforced by one Lua script) and the kill switch.
 */
import type { Redis } from 'ioredis';
import { HOUR_MS, type GuardrailDecision, type RunRequest, type SkipReason } from './guardrails.js';

export type RemediationState =
  | 'suggested'
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'dry_run'
  | 'verified'
  | 'escalated';

export interface RemediationRecord {
  /** `<incident>.<hook>.<reopened>.<target>`: also the action's idempotency key. */
  readonly id: string;
  readonly hook: string;
  readonly incident: string;
  readonly target: string;
  readonly mode: 'suggest' | 'approve' | 'auto';
  readonly transition: string;
  readonly state: RemediationState;
  /** Why it is in this state (a guardrail, a result), when there is more to say. */
  readonly reason?: string;
  /** Who approved or rejected it (`auto` for auto hooks). */
  readonly by?: string;
  /** Wall-clock ms. */
  readonly created_at: number;
  readonly updated_at: number;
  /** When its run started (wall-clock ms). */
  readonly started_at?: number;
  /** The incident's anomaly count when the run started: more later means it did not clear. */
  readonly anomalies_at_start?: number;
}

export interface AuditEntry {
  readonly id: string;
  readonly hook: string;
  readonly incident: string;
  readonly target: string;
  readonly mode: string;
  /** suggested, pending, approved, rejected, skipped, would_run, started, succeeded, failed, verified, escalated, kill_switch_on, kill_switch_off */
  readonly decision: string;
  readonly reason: string;
  readonly by: string;
  /** Wall-clock ms. */
  readonly ts: number;
}

const GUARDRAIL_SCRIPT = `
-- KEYS: 1 kill switch, 2 started marker, 3 blocked (incident, hook), 4 targets (incident, hook),
--       5 target lock, 6 cooldown (hook, target), 7 hook's runs (zset), 8 all runs (zset)
-- ARGV: 1 now, 2 run id, 3 target, 4 max targets, 5 lock ms, 6 cooldown ms, 7 hook max/hour,
--       8 all max/hour, 9 hour ms, 10 how long markers are kept (ms)
-- Returns 'new' (recorded: it may run), 'resume' (started before and its lock lapsed: it may run
-- again, same key, and holds the lock again), 'in_progress' (started before and the target is
-- still locked: a run of it may still be acting; ask again later) or the guardrail that holds
-- it back.
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('EXISTS', KEYS[5]) == 1 then return 'in_progress' end
  redis.call('SET', KEYS[5], ARGV[2], 'PX', ARGV[5])
  return 'resume'
end
if redis.call('EXISTS', KEYS[1]) == 1 then return 'kill_switch' end
if redis.call('EXISTS', KEYS[3]) == 1 then return 'blocked' end
if redis.call('SISMEMBER', KEYS[4], ARGV[3]) == 0 and redis.call('SCARD', KEYS[4]) >= tonumber(ARGV[4]) then
  return 'blast_radius'
end
if redis.call('EXISTS', KEYS[5]) == 1 then return 'busy' end
if redis.call('EXISTS', KEYS[6]) == 1 then return 'cooldown' end
local now = tonumber(ARGV[1])
local since = now - tonumber(ARGV[9])
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', since)
if redis.call('ZCARD', KEYS[7]) >= tonumber(ARGV[7]) then return 'hook_rate_limit' end
redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', since)
if redis.call('ZCARD', KEYS[8]) >= tonumber(ARGV[8]) then return 'rate_limit' end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[10])
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('PEXPIRE', KEYS[4], ARGV[10])
redis.call('SET', KEYS[5], ARGV[2], 'PX', ARGV[5])
if tonumber(ARGV[6]) > 0 then redis.call('SET', KEYS[6], ARGV[2], 'PX', ARGV[6]) end
redis.call('ZADD', KEYS[7], now, ARGV[2])
redis.call('PEXPIRE', KEYS[7], ARGV[9])
redis.call('ZADD', KEYS[8], now, ARGV[2])
redis.call('PEXPIRE', KEYS[8], ARGV[9])
return 'new'
`;

const RENEW_SCRIPT = `
-- KEYS: 1 target lock. ARGV: 1 run id, 2 lease ms. Extends the lock while this run holds it.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

const RELEASE_SCRIPT = `
-- KEYS: 1 target lock. ARGV: 1 run id. Frees the lock only if this run holds it.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const CREATE_SCRIPT = `
-- KEYS: 1 records (hash), 2 index (zset by creation), 3 the incident's ids (set). ARGV: 1 id,
-- 2 record JSON, 3 created ms, 4 records kept, 5 how long the incident's set is kept (ms).
-- Creates the record unless it exists; returns 1 when created. The oldest records past the
-- bound are dropped.
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
-- Only records whose story is over are dropped: one still pending, approved, running or
-- waiting for its verification stays, past the bound if need be.
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if extra > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, extra - 1)
  for _, id in ipairs(old) do
    local raw = redis.call('HGET', KEYS[1], id)
    local state = raw and string.match(raw, '"state":"([a-z_]+)"')
    if not raw or state == 'suggested' or state == 'rejected' or state == 'skipped'
      or state == 'dry_run' or state == 'verified' or state == 'escalated' then
      redis.call('HDEL', KEYS[1], id)
      redis.call('ZREM', KEYS[2], id)
    end
  end
end
return 1
`;

const MOVE_SCRIPT = `
-- KEYS: 1 records. ARGV: 1 id, 2 the states it may move from (comma-separated), 3 the new
-- record JSON. Compare-and-set: returns the current record JSON and 1 when moved, 0 when not.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {0, false} end
local state = string.match(raw, '"state":"([a-z_]+)"')
for s in string.gmatch(ARGV[2], '[^,]+') do
  if s == state then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
    return {1, ARGV[3]}
  end
end
return {0, raw}
`;

/** Markers (started runs, targets taken) outlive any incident they guard. */
const KEEP_MS = 7 * 24 * HOUR_MS;

export class RemediationStore {
  readonly #redis: Redis;
  readonly #p: string;
  readonly #maxEntries: number;

  constructor(redis: Redis, prefix: string, maxEntries: number) {
    this.#redis = redis;
    this.#p = `${prefix}:remediate`;
    this.#maxEntries = maxEntries;
  }

  get #records(): string {
    return `${this.#p}:records`;
  }

  /** Creates the record unless one with its id exists; true when created. */
  async create(r: RemediationRecord): Promise<boolean> {
    const created = await this.#redis.eval(
      CREATE_SCRIPT,
      3,
      this.#records,
      `${this.#p}:index`,
      `${this.#p}:incident:${r.incident}`,
      r.id,
      JSON.stringify(r),
      r.created_at,
      this.#maxEntries,
      KEEP_MS,
    );
    return created === 1;
  }

  async get(id: string): Promise<RemediationRecord | undefined> {
    const raw = await this.#redis.hget(this.#records, id);
    return raw === null ? undefined : (JSON.parse(raw) as RemediationRecord);
  }

  /** An incident's remediations, oldest first. */
  async ofIncident(incident: string): Promise<RemediationRecord[]> {
    const ids = await this.#redis.smembers(`${this.#p}:incident:${incident}`);
    if (ids.length === 0) return [];
    const raws = await this.#redis.hmget(this.#records, ...ids);
    return raws
      .flatMap((raw) => (raw === null ? [] : [JSON.parse(raw) as RemediationRecord]))
      .sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
  }

  /** Newest first. */
  async list(limit: number): Promise<RemediationRecord[]> {
    const ids = await this.#redis.zrevrange(`${this.#p}:index`, 0, limit - 1);
    if (ids.length === 0) return [];
    const raws = await this.#redis.hmget(this.#records, ...ids);
    return raws.flatMap((raw) => (raw === null ? [] : [JSON.parse(raw) as RemediationRecord]));
  }

  /**
   * Moves a record to `to` (with `patch`) if its state is one of `from`: compare-and-set, so
   * of two concurrent moves one wins. Returns the record as it now is and whether this moved it.
   */
  async move(
    id: string,
    from: readonly RemediationState[],
    to: RemediationState,
    patch: Partial<
      Pick<RemediationRecord, 'reason' | 'by' | 'started_at' | 'anomalies_at_start'>
    > = {},
    now = Date.now(),
  ): Promise<{ moved: boolean; record: RemediationRecord | undefined }> {
    const current = await this.get(id);
    if (!current) return { moved: false, record: undefined };
    const next: RemediationRecord = { ...current, ...patch, state: to, updated_at: now };
    const [moved, raw] = (await this.#redis.eval(
      MOVE_SCRIPT,
      1,
      this.#records,
      id,
      from.join(','),
      JSON.stringify(next),
    )) as [number, string | null];
    return { moved: moved === 1, record: raw ? (JSON.parse(raw) as RemediationRecord) : undefined };
  }

  /** Appends a decision about `r` to the audit stream. */
  async auditDecision(
    r: Pick<RemediationRecord, 'id' | 'hook' | 'incident' | 'target' | 'mode'>,
    decision: string,
    reason: string,
    ts: number,
    by = '',
  ): Promise<void> {
    const { id, hook, incident, target, mode } = r;
    await this.audit({ id, hook, incident, target, mode, decision, reason, by, ts });
  }

  async audit(e: AuditEntry): Promise<void> {
    await this.#redis.xadd(
      `${this.#p}:audit`,
      'MAXLEN',
      '~',
      this.#maxEntries,
      '*',
      'entry',
      JSON.stringify(e),
    );
  }

  /** Audit entries, oldest first (at most `limit`, the newest ones). */
  async auditLog(limit: number): Promise<AuditEntry[]> {
    const rows = await this.#redis.xrevrange(`${this.#p}:audit`, '+', '-', 'COUNT', limit);
    return rows.map(([, fields]) => JSON.parse(fields[1] ?? '{}') as AuditEntry).reverse();
  }

  /** Asks the guardrails whether the run may start, recording it if so (one Lua script). */
  async request(r: RunRequest, now: number): Promise<GuardrailDecision> {
    const ih = `${r.incident}|${r.hook}`;
    const out = (await this.#redis.eval(
      GUARDRAIL_SCRIPT,
      8,
      `${this.#p}:kill_switch`,
      `${this.#p}:started:${r.id}`,
      `${this.#p}:blocked:${ih}`,
      `${this.#p}:targets:${ih}`,
      `${this.#p}:lock:${r.target}`,
      `${this.#p}:cooldown:${r.hook}|${r.target}`,
      `${this.#p}:runs:${r.hook}`,
      `${this.#p}:runs`,
      now,
      r.id,
      r.target,
      r.maxTargets,
      r.lockMs,
      r.cooldownMs,
      r.hookMaxPerHour,
      r.allMaxPerHour,
      HOUR_MS,
      KEEP_MS,
    )) as string;
    if (out === 'new' || out === 'resume') return { start: out };
    return out === 'in_progress' ? { wait: 'in_progress' } : { skip: out as SkipReason };
  }

  /** Extends the run's hold on its target (a heartbeat while its action runs); false if lost. */
  async renew(r: Pick<RunRequest, 'id' | 'target' | 'lockMs'>): Promise<boolean> {
    const out = await this.#redis.eval(
      RENEW_SCRIPT,
      1,
      `${this.#p}:lock:${r.target}`,
      r.id,
      r.lockMs,
    );
    return out === 1;
  }

  /** The run finished: its target's lock is freed (if it still holds it). */
  async release(r: Pick<RunRequest, 'id' | 'target'>): Promise<void> {
    await this.#redis.eval(RELEASE_SCRIPT, 1, `${this.#p}:lock:${r.target}`, r.id);
  }

  /** The hook runs no more for the incident (its run did not clear it). */
  async block(incident: string, hook: string): Promise<void> {
    await this.#redis.set(`${this.#p}:blocked:${incident}|${hook}`, '1', 'PX', KEEP_MS);
  }

  async setKillSwitch(on: boolean): Promise<void> {
    if (on) await this.#redis.set(`${this.#p}:kill_switch`, '1');
    else await this.#redis.del(`${this.#p}:kill_switch`);
  }

  async killSwitch(): Promise<boolean> {
    return (await this.#redis.exists(`${this.#p}:kill_switch`)) === 1;
  }
}

/**
 * Notices when Redis lost what the stages wrote at start (global concurrency of the partition
 * and anomalies queues, the job schedulers, pull leases) and has every stage write it again.
 * A Redis that restarted empty (a failover to a replica that lagged, a recycled managed Redis,
 * `FLUSHALL`) otherwise keeps the process running without those invariants until it restarts.
 *
 * Every `checkMs`, one command (a script) swaps this process's sentinel for the next value of a
 * counter and reads the server's `run_id`. A missing sentinel means the data is gone; an older
 * value than the last one written means Redis went back in time (a failover to a replica that
 * lagged, a restored snapshot), and what was written since is gone; a new `run_id` alone is a
 * new server process that kept its data (a restart with its AOF; re-asserting is harmless). Every
 * `reassertMs` the stages re-assert anyway, for what none of these catches. While a
 * re-assertion is due and unfinished, `pending()` says why, and `/readyz` is not ready with that
 * reason.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../telemetry/logger.js';

/**
 * KEYS[1] this process's sentinel; ARGV[1] its time to live (ms); ARGV[2] its next value.
 * Returns { the value it held ('' when none), the server's run_id }. The write comes before
 * INFO, so the script is valid under either script replication mode.
 */
const PROBE_LUA = `
local held = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
local info = redis.call('INFO', 'server')
return { held or '', string.match(info, 'run_id:(%x+)') or '' }
`;

/** The same without INFO, for a Redis that refuses it in scripts. */
const SWAP_LUA = `
local held = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
return { held or '', '' }
`;

/** What one probe saw. */
export interface RunProbe {
  /** The sentinel holds the value this process wrote last. */
  readonly sentinel: boolean;
  /** The sentinel holds an older value: Redis went back in time. */
  readonly behind?: boolean;
  /** The server's `run_id`; undefined when INFO is not available (some managed Redis). */
  readonly runId: string | undefined;
}

/** A Redis run the stages have not re-asserted on yet. */
export interface NewRun {
  /** The sentinel is gone: whatever was written before is gone too. */
  readonly lostData: boolean;
  /** The warning line, and `/readyz`'s reason until the re-assertion finished. */
  readonly reason: string;
}

const short = (runId: string | undefined): string => runId?.slice(0, 8) ?? '?';

/** Pure: whether `probe` shows another Redis run than the one of `lastRunId`. */
export function newRunOf(lastRunId: string | undefined, probe: RunProbe): NewRun | undefined {
  const restarted =
    lastRunId !== undefined && probe.runId !== undefined && probe.runId !== lastRunId;
  const change = `run_id ${short(lastRunId)} → ${short(probe.runId)}`;
  if (!probe.sentinel && probe.behind) {
    return {
      lostData: true,
      reason: `Redis went back to older data (a replica that lagged, or a restored snapshot; ${change})`,
    };
  }
  if (!probe.sentinel && restarted) {
    return { lostData: true, reason: `Redis restarted empty (${change})` };
  }
  if (!probe.sentinel) {
    return { lostData: true, reason: `Redis lost its data (run_id ${short(probe.runId)})` };
  }
  if (restarted) return { lostData: false, reason: `Redis restarted (${change})` };
  return undefined;
}

export interface RedisRunWatchOptions {
  /** A fail-fast connection: a probe while Redis is away should fail, not wait. */
  readonly redis: Redis;
  /** This process's sentinel key (one per process, so each process notices on its own). */
  readonly sentinelKey: string;
  /** Writes every stage's start-time invariants again; idempotent. */
  /** `lostData`: the re-assertion follows a loss of Redis's data (the sentinel was gone). */
  readonly reassert: (o: { readonly lostData: boolean }) => Promise<void>;
  readonly log: Logger;
  /** How often to probe (default 2 s). */
  readonly checkMs?: number;
  /** How often to re-assert regardless (default 5 min). */
  readonly reassertMs?: number;
}

export const RUN_CHECK_MS = 2000;
export const SENTINEL_TTL_MS = 24 * 3_600_000;

/**
 * A reply that says this Redis will not run the probe script's INFO (renamed, refused by an ACL,
 * not allowed in scripts: the wording varies by version and vendor), as opposed to a passing
 * state that the next check outlives.
 */
export function refusesInfo(err: unknown): boolean {
  return (
    err instanceof Error &&
    err.name === 'ReplyError' &&
    !/^(LOADING|READONLY|BUSY|MASTERDOWN|TRYAGAIN|OOM|CLUSTERDOWN)\b/.test(err.message)
  );
}
export const REASSERT_MS = 5 * 60_000;

export class RedisRunWatch {
  readonly #o: RedisRunWatchOptions;
  readonly #checkMs: number;
  readonly #reassertMs: number;
  /**
   * The sentinel outlives a stalled check many times over: a day, so that only a partition
   * between this process and Redis longer than that reads as lost data; a dead process's
   * sentinel (a few bytes) goes a day later.
   */
  readonly #ttlMs: number;
  #runId: string | undefined;
  #pending: string | undefined;
  #lostData = false;
  #lastReassert = Date.now();
  #busy: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #infoWorks = true;
  /**
   * The sentinel's counter: the value last confirmed written (0: none yet, and until then the
   * sentinel's absence says nothing about the data), and the one last sent.
   */
  #written = 0;
  #sent = 0;
  #failLogged = false;

  constructor(o: RedisRunWatchOptions) {
    this.#o = o;
    this.#checkMs = o.checkMs ?? RUN_CHECK_MS;
    this.#reassertMs = o.reassertMs ?? REASSERT_MS;
    this.#ttlMs = Math.max(SENTINEL_TTL_MS, 100 * this.#checkMs);
  }

  /** Why the process is not ready yet (a re-assertion due and unfinished), else undefined. */
  pending(): string | undefined {
    return this.#pending;
  }

  /** Writes the sentinel, notes the run, then checks every `checkMs`; call after the stages started. */
  async start(): Promise<void> {
    try {
      this.#runId = (await this.#probe()).runId;
    } catch (err) {
      // Redis went away just now: the first check that reaches it re-asserts.
      this.#o.log.warn({ err }, 'Redis run not noted at start; checking again shortly');
    }
    this.#timer = setInterval(() => {
      this.#busy ??= this.check().finally(() => (this.#busy = undefined));
    }, this.#checkMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#busy;
  }

  /** One check (the timer's; exported for tests): probe, and re-assert when due. */
  async check(): Promise<void> {
    const noted = this.#written > 0;
    let probe: RunProbe;
    try {
      probe = await this.#probe();
    } catch {
      return; // Redis away: the connections' health logs it; the next check looks again.
    }
    // Not noted at start (Redis was away): nothing to compare with, so no loss is claimed; the
    // stages re-assert once, which is harmless.
    const run = noted
      ? newRunOf(this.#runId, probe)
      : { lostData: false, reason: 'Redis reachable after the start' };
    if (probe.runId !== undefined) this.#runId = probe.runId;
    if (run && this.#pending === undefined) {
      this.#pending = `${run.reason}: re-asserting queues and schedulers`;
      this.#lostData = run.lostData;
      if (run.lostData) this.#o.log.warn({ lostData: true }, this.#pending);
      else this.#o.log.info({ lostData: false }, this.#pending);
    } else if (run) {
      // Another run while one re-assertion is unfinished: a loss in either counts.
      this.#lostData ||= run.lostData;
    }
    if (this.#pending === undefined && Date.now() - this.#lastReassert < this.#reassertMs) return;
    const started = Date.now();
    try {
      await this.#o.reassert({ lostData: this.#pending !== undefined && this.#lostData });
    } catch (err) {
      // Pending: the next check tries again (one line per episode). Periodic: the next period.
      if (!this.#failLogged) {
        this.#o.log.warn({ err }, 're-asserting queues and schedulers failed; retrying');
      }
      this.#failLogged = this.#pending !== undefined;
      if (this.#pending === undefined) this.#lastReassert = Date.now();
      return;
    }
    this.#lastReassert = Date.now();
    this.#failLogged = false;
    if (this.#pending !== undefined) {
      this.#o.log.info(
        { tookMs: Date.now() - started },
        'queues and schedulers re-asserted after the Redis restart',
      );
      this.#pending = undefined;
      this.#lostData = false;
    }
  }

  async #probe(): Promise<RunProbe> {
    const { redis, sentinelKey } = this.#o;
    const next = ++this.#sent;
    const swap = async (script: string): Promise<RunProbe> => {
      const [held, runId] = (await redis.eval(script, 1, sentinelKey, this.#ttlMs, next)) as [
        string,
        string,
      ];
      // Swaps whose answers were lost (the connection dropped) may have landed: any value sent
      // since the last confirmed one is this process's latest.
      const h = Number(held);
      const latest = held !== '' && h >= this.#written && h < next;
      this.#written = next;
      return {
        sentinel: latest,
        behind: held !== '' && !latest,
        runId: runId === '' ? undefined : runId,
      };
    };
    if (this.#infoWorks) {
      try {
        return await swap(PROBE_LUA);
      } catch (err) {
        // A Redis that refuses INFO in scripts (some managed ones): the sentinel alone. Other
        // replies (LOADING, READONLY, BUSY) are passing states: the next check tries again.
        if (!refusesInfo(err)) throw err;
        this.#infoWorks = false;
        this.#o.log.info({ err }, 'Redis refuses INFO in scripts; watching the sentinel key only');
      }
    }
    return swap(SWAP_LUA);
  }
}

/**
 * Start-up waits for Redis before it writes anything (queue keys, schedules): one log line per
 * failed attempt, saying where and why, then `RedisUnavailableError` once `timeoutMs` passed, so
 * an unreachable or mistyped Redis is an exit 1 with one clear reason, not a worker that
 * retries in silence (or in stack traces) with no port open.
 */
import type { Logger } from '../telemetry/logger.js';
import { RedisUnavailableError } from './embedded.js';
import { ClusterModeError, redactUrl, redisProblem } from './probe.js';

/** The first retry comes after this; each doubles, up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 5000;
/** One attempt gives up after this (or what is left of the wait, if less). */
const ATTEMPT_TIMEOUT_MS = 3000;

/** Errors no retry can mend: the password or the user is wrong. */
const AUTH_ERROR = /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username/i;

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/** `connect ECONNREFUSED 127.0.0.1:1`, without the stack. */
const reason = (err: Error): string => err.message.split('\n')[0] ?? String(err);

export async function waitForRedis(opts: {
  readonly url: string;
  readonly timeoutMs: number;
  readonly log: Logger;
  /** `redis.cluster`: the node must be (or must not be) a Redis Cluster node, in state ok. */
  readonly cluster?: boolean;
  /** For tests; defaults to the wall clock. */
  readonly now?: () => number;
}): Promise<void> {
  const now = opts.now ?? Date.now;
  const redis = redactUrl(opts.url);
  const started = now();
  const deadline = started + opts.timeoutMs;
  let retryMs = FIRST_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    const attemptMs = Math.max(200, Math.min(ATTEMPT_TIMEOUT_MS, deadline - now()));
    const problem = await redisProblem(opts.url, attemptMs, opts.cluster);
    if (problem === undefined) {
      if (attempt > 1) opts.log.info({ redis, attempt }, 'Redis answers');
      return;
    }
    if (problem instanceof ClusterModeError) {
      throw new RedisUnavailableError(`Redis at ${redis}: ${problem.message}`);
    }
    if (/NOAUTH/.test(problem.message)) {
      throw new RedisUnavailableError(
        `Redis at ${redis} needs a password (${reason(problem)}): give it in the URL, redis://:PASSWORD@host:6379 (REDIS_URL or redis.url; redis.url_file reads it from a file)`,
      );
    }
    if (AUTH_ERROR.test(problem.message)) {
      throw new RedisUnavailableError(
        `Redis at ${redis} refused the credentials (${reason(problem)}): check the user and password in REDIS_URL / redis.url`,
      );
    }
    const left = deadline - now();
    if (left <= 0) {
      throw new RedisUnavailableError(
        `Redis at ${redis} did not answer within ${seconds(opts.timeoutMs)} (${plural(attempt, 'attempt')}; last error: ${reason(problem)}). ` +
          'Check that Redis runs and that this host can reach it, and the URL (REDIS_URL wins over redis.url); ' +
          'redis.connect_timeout_ms sets how long start waits',
      );
    }
    const wait = Math.min(retryMs, left);
    opts.log.warn(
      {
        redis,
        attempt,
        err: reason(problem),
        retryInMs: wait,
        giveUpInMs: left,
      },
      `Redis not reachable at ${redis}: ${reason(problem)}; retrying in ${seconds(wait)} (giving up in ${seconds(left)})`,
    );
    await new Promise((r) => setTimeout(r, wait));
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

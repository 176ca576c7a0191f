/** Deterministic auth-service log streams for tests: normal traffic, then a new error surging. */
import type { LogRecord } from '../../src/queues/contract.js';
import { prng } from './series.js';

export const SURGE_TEMPLATE = 'token validation failed for tenant <*>: timeout after <*>';

/**
 * Log records of `service` from `t0` for `minutes`: each minute about 20 login successes, 5
 * token refreshes and a rare warning, with variable users, IPs and durations. From minute
 * `surgeAt` on (if given), `surgePerMinute` "token validation failed" errors a minute.
 */
export function authLogs(o: {
  t0: number;
  minutes: number;
  seed: number;
  service?: string;
  surgeAt?: number;
  surgePerMinute?: number;
}): LogRecord[] {
  const u = prng(o.seed);
  const service = o.service ?? 'auth';
  const out: LogRecord[] = [];
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(u() * xs.length)] as T;
  const ip = (): string =>
    `10.${Math.floor(u() * 255)}.${Math.floor(u() * 255)}.${Math.floor(u() * 255)}`;
  const rec = (ts: number, level: string, message: string): LogRecord => ({
    ts,
    service,
    level,
    message,
    labels: {},
  });
  for (let m = 0; m < o.minutes; m++) {
    const start = o.t0 + m * 60_000;
    const at = (): number => start + Math.floor(u() * 60_000);
    const logins = 18 + Math.floor(u() * 5);
    for (let i = 0; i < logins; i++) {
      out.push(
        rec(
          at(),
          'info',
          `login succeeded for user ${pick(users)} from ${ip()} in ${Math.floor(u() * 90) + 5}ms`,
        ),
      );
    }
    const refreshes = 4 + Math.floor(u() * 3);
    for (let i = 0; i < refreshes; i++) {
      out.push(
        rec(
          at(),
          'info',
          `refreshed token ${Math.floor(u() * 1e9).toString(16)} for session ${Math.floor(u() * 1e6)}`,
        ),
      );
    }
    if (u() < 0.05)
      out.push(
        rec(
          at(),
          'warn',
          `slow upstream response from ${ip()}:443 after ${Math.floor(u() * 500) + 500}ms`,
        ),
      );
    if (o.surgeAt !== undefined && m >= o.surgeAt) {
      for (let i = 0; i < (o.surgePerMinute ?? 30); i++) {
        out.push(
          rec(
            at(),
            'error',
            `token validation failed for tenant t-${Math.floor(u() * 900) + 100}: timeout after ${Math.floor(u() * 3000) + 2000}ms`,
          ),
        );
      }
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}

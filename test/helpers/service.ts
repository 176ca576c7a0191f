/** A worker in the test process, on the real Redis, with a quiet log and a free port. */
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { configIssues } from '../../src/service/config-checks.js';
import { parseRoles } from '../../src/service/roles.js';
import { startService, type RunningService } from '../../src/service/service.js';
import { TEST_REDIS_URL } from './redis.js';

export function startTestService(config: unknown, roles = 'all'): Promise<RunningService> {
  return startService({
    config: parseConfig(config, { check: configIssues }),
    log: pino({ level: 'silent' }),
    redisUrl: TEST_REDIS_URL,
    roles: parseRoles(roles),
    version: 'test',
    port: 0,
    host: '127.0.0.1',
  });
}

/**
 * A worker with every role on its own prefix, ledger and billing configured with no edge
 * between them (each groups alone, /metrics names both), deciding incidents within seconds.
 */
export function startLedgerAndBilling(prefix: string): Promise<RunningService> {
  return startTestService({
    services: { ledger: {}, billing: {} },
    redis: { prefix },
    correlate: { settle_ms: 2000, tick_ms: 1000, lateness_ms: 500 },
  });
}

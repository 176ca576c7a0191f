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

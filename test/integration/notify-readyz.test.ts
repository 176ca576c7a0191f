/**
 * Notify's targets are probed at start: one that does not answer is a warning line and a
 * `/readyz` warning, and the process stays ready (200), because notify must not take ingest out
 * of a load balancer. An Alertmanager URL with `/api/v2/alerts` on it is probed (and posted to)
 * at its base.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parseRoles } from '../../src/service/roles.js';
import { startService, type RunningService } from '../../src/service/service.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { freePort } from '../helpers/redis-server.js';

const prefix = randomPrefix();
let service: RunningService;
let amPort: number;
let hookPort: number;
const lines: { level: number; msg: string }[] = [];

beforeAll(async () => {
  amPort = await freePort();
  hookPort = await freePort();
  const config = parseConfig({
    services: { auth: {} },
    redis: { prefix },
    notify: {
      alertmanagers: [`http://127.0.0.1:${amPort}/api/v2/alerts`],
      receivers: [{ name: 'hook', type: 'webhook', url: `http://127.0.0.1:${hookPort}/hook` }],
    },
  });
  service = await startService({
    config,
    log: pino(
      { level: 'info' },
      {
        write: (s: string) => {
          lines.push(JSON.parse(s) as { level: number; msg: string });
        },
      },
    ),
    redisUrl: TEST_REDIS_URL,
    roles: parseRoles('all'),
    version: 'test',
    port: 0,
    host: '127.0.0.1',
  });
});

afterAll(async () => {
  await service.close(3000);
  await deletePrefix(prefix);
});

describe('notify targets at start', () => {
  it('are a warning line each and a /readyz warning; the process stays ready', async () => {
    let body: { status?: string; checks?: Record<string, string>; warnings?: string[] } = {};
    let status = 0;
    await waitFor('readyz warnings', async () => {
      const res = await fetch(`${service.url}/readyz`);
      status = res.status;
      body = (await res.json()) as typeof body;
      return (body.warnings?.length ?? 0) === 2;
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ready',
      checks: { redis: 'ok', workers: 'ok', notify: 'warning' },
      warnings: [
        `notify.alertmanagers[0] http://127.0.0.1:${amPort}: GET /-/ready failed: connect ECONNREFUSED 127.0.0.1:${amPort}`,
        `notify.receivers[0] (hook) http://127.0.0.1:${hookPort}/hook: TCP connect to 127.0.0.1:${hookPort}: connect ECONNREFUSED 127.0.0.1:${hookPort}`,
      ],
    });
    const warned = lines.filter((l) => l.msg.startsWith('notify target not reachable'));
    expect(warned.map((l) => [l.level, l.msg])).toEqual([
      [
        40,
        `notify target not reachable: notify.alertmanagers[0] http://127.0.0.1:${amPort}: GET /-/ready failed: connect ECONNREFUSED 127.0.0.1:${amPort}; notifications to it will be retried (see /readyz warnings)`,
      ],
      [
        40,
        `notify target not reachable: notify.receivers[0] (hook) http://127.0.0.1:${hookPort}/hook: TCP connect to 127.0.0.1:${hookPort}: connect ECONNREFUSED 127.0.0.1:${hookPort}; notifications to it will be retried (see /readyz warnings)`,
      ],
    ]);
  });
});

/**
 * The port is reserved before Redis is touched and handed to the server after; a port taken
 * in between is still the one clear error, with the stages stopped, never an uncaught
 * exception.
 */
import { createServer, type Server } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { PortUnavailableError, reservePort } from '../../src/service/listen.js';
import { parseRoles } from '../../src/service/roles.js';
import { startService } from '../../src/service/service.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL } from '../helpers/redis.js';

let holder: Server;
let held: number;
const prefix = randomPrefix();

beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const addr = holder.address();
  held = typeof addr === 'object' && addr ? addr.port : 0;
});

afterAll(async () => {
  await new Promise((r) => holder.close(r));
  await deletePrefix(prefix);
});

const inUse = (port: number): string =>
  `cannot listen on 127.0.0.1:${port}: the port is in use by another process (another aiops-worker?); ` +
  'stop the other process, or give another port: --port N, AIOPS_SERVER__PORT=N or server.port';

describe('the HTTP port', () => {
  it('is refused at reservation when in use, saying so', async () => {
    const err: unknown = await reservePort('127.0.0.1', held).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortUnavailableError);
    expect((err as Error).message).toBe(inUse(held));
  });

  it('is held by the reservation and served by the service once let go', async () => {
    const reserved = await reservePort('127.0.0.1', 0);
    expect(reserved.port).toBeGreaterThan(0);
    // Held: nobody else can take it meanwhile.
    await expect(reservePort('127.0.0.1', reserved.port)).rejects.toThrow(inUse(reserved.port));
    const service = await startService({
      config: parseConfig({ services: { auth: {} }, redis: { prefix } }),
      log: pino({ level: 'silent' }),
      redisUrl: TEST_REDIS_URL,
      roles: parseRoles('ingest'),
      version: 'test',
      reservedPort: reserved,
    });
    try {
      expect(service.url).toBe(`http://127.0.0.1:${reserved.port}`);
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    } finally {
      await service.close(3000);
    }
  });

  it('taken by the time the service listens: PortUnavailableError, not an uncaught exception', async () => {
    const err: unknown = await startService({
      config: parseConfig({ services: { auth: {} }, redis: { prefix } }),
      log: pino({ level: 'silent' }),
      redisUrl: TEST_REDIS_URL,
      roles: parseRoles('ingest,detect'),
      version: 'test',
      port: held,
      host: '127.0.0.1',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortUnavailableError);
    expect((err as Error).message).toBe(inUse(held));
  });
});

/**
 * Notify's targets are probed at start, never paged: an Alertmanager gets `GET /-/ready`, a
 * receiver a TCP connect and no request at all. And an Alertmanager URL with the API path left
 * on is posted to once, at `/api/v2/alerts`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postAlerts } from '../../src/notify/alertmanager-client.js';
import { probeTarget, probeTargets } from '../../src/notify/target-probe.js';
import { freePort } from '../helpers/redis-server.js';

let server: Server;
let base: string;
const requests: { method: string; url: string }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    req.resume();
    res.statusCode = req.url === '/-/ready' || req.url === '/api/v2/alerts' ? 200 : 404;
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('notify target probe', () => {
  it('asks an Alertmanager GET /-/ready, also when its URL has the API path on it', async () => {
    requests.length = 0;
    const t = { path: 'notify.alertmanagers[0]', kind: 'alertmanager' as const };
    expect(await probeTarget({ ...t, url: base }, 2000)).toBeUndefined();
    expect(await probeTarget({ ...t, url: `${base}/api/v2/alerts/` }, 2000)).toBeUndefined();
    expect(requests).toEqual([
      { method: 'GET', url: '/-/ready' },
      { method: 'GET', url: '/-/ready' },
    ]);
  });

  it('says what an Alertmanager that does not answer said', async () => {
    const t = { path: 'notify.alertmanagers[0]', kind: 'alertmanager' as const };
    expect(await probeTarget({ ...t, url: `${base}/not-am` }, 2000)).toBe(
      'GET /-/ready answered 404 (is this the base URL of an Alertmanager?)',
    );
    const port = await freePort();
    expect(await probeTarget({ ...t, url: `http://127.0.0.1:${port}` }, 2000)).toBe(
      `GET /-/ready failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('connects to a receiver without sending it anything', async () => {
    requests.length = 0;
    const t = { path: 'notify.receivers[0] (hook)', kind: 'receiver' as const };
    expect(await probeTarget({ ...t, url: `${base}/hook` }, 2000)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    expect(requests).toEqual([]);
    const port = await freePort();
    expect(await probeTarget({ ...t, url: `http://127.0.0.1:${port}/hook` }, 2000)).toBe(
      `TCP connect to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('warns once per failing target, and clears the warning when it answers', async () => {
    const port = await freePort();
    const lines: { level: number; msg: string }[] = [];
    const log = pino(
      { level: 'info' },
      {
        write: (s: string) => {
          lines.push(JSON.parse(s) as { level: number; msg: string });
        },
      },
    );
    const probes = probeTargets(
      [
        { path: 'notify.alertmanagers[0]', kind: 'alertmanager', url: base },
        { path: 'notify.receivers[0] (hook)', kind: 'receiver', url: `http://127.0.0.1:${port}/x` },
      ],
      log,
      { timeoutMs: 1000, retryMs: 100 },
    );
    await probes.first;
    expect(probes.warnings()).toEqual([
      `notify.receivers[0] (hook) http://127.0.0.1:${port}/x: TCP connect to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: `notify target not reachable: notify.receivers[0] (hook) http://127.0.0.1:${port}/x: TCP connect to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}; notifications to it will be retried (see /readyz warnings)`,
      }),
    ]);
    // It comes up: the next probe clears the warning, with one line.
    const receiver = createServer((_req, res) => res.end());
    await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
    try {
      const deadline = Date.now() + 5000;
      while (probes.warnings().length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(probes.warnings()).toEqual([]);
      expect(lines.map((l) => l.msg)).toContain(
        'notify target answers now: notify.receivers[0] (hook)',
      );
      expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    } finally {
      probes.stop();
      await new Promise((r) => receiver.close(r));
    }
  });
});

describe('postAlerts', () => {
  it('posts to /api/v2/alerts once, whether or not the URL had it on already', async () => {
    requests.length = 0;
    const results = await postAlerts([base, `${base}/api/v2/alerts`, `${base}/api/v2/alerts/`], []);
    expect(results.map((r) => [r.target, r.outcome])).toEqual([
      [`${base}/api/v2/alerts`, 'sent'],
      [`${base}/api/v2/alerts`, 'sent'],
      [`${base}/api/v2/alerts`, 'sent'],
    ]);
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /api/v2/alerts',
      'POST /api/v2/alerts',
      'POST /api/v2/alerts',
    ]);
  });
});

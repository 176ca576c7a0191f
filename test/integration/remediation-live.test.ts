/**
 * Remediation in live worker processes on the real Redis, from the login outage's anomalies to
 * the rollback hook's request at a receiver:
 * - two processes and a double approval: the action runs exactly once;
 * - every write needs the admin token: 401 without or with another, 403 cross-site;
 * - kill -9 during the hook's HTTP request, before its result is recorded: after a restart the
 *   run is in the audit stream once, and the receiver sees the same idempotency key again.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deletePrefix, randomPrefix, TEST_REDIS_URL, waitFor } from '../helpers/redis.js';
import { queueAnomalies, storyAnomalies } from '../helpers/story.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const ADMIN = 'remediation-admin-token-0123';
const AUTH = { authorization: `Bearer ${ADMIN}` };
const redis = new Redis(TEST_REDIS_URL);
const prefixes: string[] = [];
const workers: WorkerProcess[] = [];

interface Received {
  readonly key: string | undefined;
  readonly body: { data: { hook: string; target: string; idempotency_key: string } };
  readonly res: ServerResponse;
}

/** A receiver that records each request and answers it when `answer` says so. */
async function receiver(
  answer: (n: number) => boolean,
): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      got.push({
        key: req.headers['idempotency-key'] as string | undefined,
        body: JSON.parse(text) as Received['body'],
        res,
      });
      if (answer(got.length)) res.writeHead(200).end('{"ok":true}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}/rollback`, got, server };
}

function configFile(receiverUrl: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'aiops-remediate-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    `services:
  auth: { depends_on: [storage] }
  routing: { depends_on: [auth, storage] }
  storage: {}
server:
  admin_token: ${ADMIN}
correlate:
  settle_ms: 3000
  tick_ms: 1000
  lateness_ms: 1000
remediation:
  hooks:
    - name: rollback-auth
      match: { root_cause: auth }
      mode: approve
      action: { type: http, url: '${receiverUrl}', timeout_ms: 60000 }
`,
  );
  return file;
}

async function start(config: string, prefix: string): Promise<WorkerProcess> {
  const w = await startWorkerProcess({
    args: ['--role', 'correlate,remediate'],
    env: { REDIS_URL: TEST_REDIS_URL, AIOPS_CONFIG: config, AIOPS_REDIS__PREFIX: prefix },
  });
  workers.push(w);
  return w;
}

interface Rec {
  id: string;
  state: string;
  hook: string;
  target: string;
}

async function pending(w: WorkerProcess): Promise<Rec> {
  let found: Rec | undefined;
  await waitFor(
    'a pending remediation',
    async () => {
      const res = await fetch(`${w.url}/api/v1/remediations?state=pending`);
      found = ((await res.json()) as { remediations: Rec[] }).remediations[0];
      return found !== undefined;
    },
    30_000,
  );
  return found as Rec;
}

async function audit(w: WorkerProcess, id: string): Promise<string[]> {
  const res = await fetch(`${w.url}/api/v1/remediations/audit`);
  const { entries } = (await res.json()) as { entries: { id: string; decision: string }[] };
  return entries.filter((e) => e.id === id).map((e) => e.decision);
}

const approve = (
  w: WorkerProcess,
  id: string,
  headers: Record<string, string> = AUTH,
  by = 'alice',
) =>
  fetch(`${w.url}/api/v1/remediations/${encodeURIComponent(id)}/approve?by=${by}`, {
    method: 'POST',
    headers,
  });

afterEach(async () => {
  for (const w of workers.splice(0)) {
    w.child.kill('SIGKILL');
    await w.exited;
  }
});

afterAll(async () => {
  for (const p of prefixes) await deletePrefix(p);
  redis.disconnect();
});

describe('remediation across processes', () => {
  it('runs an approved hook once, whichever process takes either of two approvals', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const rx = await receiver(() => true);
    const config = configFile(rx.url);
    const [w1, w2] = await Promise.all([start(config, prefix), start(config, prefix)]);
    await queueAnomalies(redis, prefix, storyAnomalies(Date.now() - 5000));
    const rec = await pending(w1);
    expect(rec).toMatchObject({ hook: 'rollback-auth', target: 'auth', state: 'pending' });

    // Writes need the admin token, in the header, from the same site.
    expect((await approve(w1, rec.id, {})).status).toBe(401);
    expect(
      (await approve(w1, rec.id, { authorization: 'Bearer wrong-token-wrong-token' })).status,
    ).toBe(401);
    expect((await approve(w1, rec.id, { ...AUTH, origin: 'https://evil.example' })).status).toBe(
      403,
    );
    expect((await approve(w1, rec.id, AUTH, 'bad;name')).status).toBe(400);
    expect((await approve(w1, 'no-such-remediation')).status).toBe(404);
    expect(rx.got).toHaveLength(0);

    // Two approvals at once, one through each process: one wins, the other is told why.
    const answers = await Promise.all([approve(w1, rec.id), approve(w2, rec.id, AUTH, 'bob')]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const lost = answers.find((a) => a.status === 409);
    expect(((await lost?.json()) as { code: string }).code).toBe(
      'AIOPS_ERR_REMEDIATION_NOT_PENDING',
    );

    await waitFor(
      'the receiver got the rollback',
      () => Promise.resolve(rx.got.length > 0),
      20_000,
    );
    await waitFor(
      'the run recorded',
      async () => (await audit(w2, rec.id)).includes('succeeded'),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect(rx.got).toHaveLength(1);
    expect(rx.got[0]?.key).toBe(rec.id);
    expect(rx.got[0]?.body.data).toMatchObject({
      hook: 'rollback-auth',
      target: 'auth',
      idempotency_key: rec.id,
    });
    const decisions = await audit(w1, rec.id);
    expect(decisions.filter((d) => d === 'approved')).toHaveLength(1);
    expect(decisions.filter((d) => d === 'started')).toHaveLength(1);

    // The incident lists its hook and state; a rejection comes too late now.
    const incident = rec.id.split('.')[0] ?? '';
    const inc = (await (await fetch(`${w2.url}/api/v1/incidents/${incident}`)).json()) as {
      remediations: Rec[];
    };
    expect(inc.remediations).toEqual([expect.objectContaining({ id: rec.id, state: 'succeeded' })]);
    const reject = await fetch(
      `${w1.url}/api/v1/remediations/${encodeURIComponent(rec.id)}/reject?by=bob`,
      {
        method: 'POST',
        headers: AUTH,
      },
    );
    expect(reject.status).toBe(409);

    // The kill switch holds in every process.
    const off = await fetch(`${w1.url}/api/v1/remediations/kill-switch?on=true&by=alice`, {
      method: 'POST',
      headers: AUTH,
    });
    expect(off.status).toBe(200);
    expect(await (await fetch(`${w2.url}/api/v1/remediations/kill-switch`)).json()).toMatchObject({
      kill_switch: true,
    });
    rx.server.close();
  }, 90_000);

  it('after kill -9 during the request, the run resumes with the same key and is audited once', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    // The first request is never answered (the process dies waiting); the next is.
    const rx = await receiver((n) => n > 1);
    const config = configFile(rx.url);
    const w1 = await start(config, prefix);
    await queueAnomalies(redis, prefix, storyAnomalies(Date.now() - 5000));
    const rec = await pending(w1);
    expect((await approve(w1, rec.id)).status).toBe(202);
    await waitFor('the request in flight', () => Promise.resolve(rx.got.length === 1), 20_000);
    w1.child.kill('SIGKILL');
    await w1.exited;
    workers.splice(workers.indexOf(w1), 1);

    const w2 = await start(config, prefix);
    // BullMQ takes the stalled run again once its lock lapses (10 s): the same key goes out.
    await waitFor('the run taken again', () => Promise.resolve(rx.got.length === 2), 40_000);
    expect(rx.got.map((g) => g.key)).toEqual([rec.id, rec.id]);
    await waitFor(
      'the run recorded',
      async () => (await audit(w2, rec.id)).includes('succeeded'),
      20_000,
    );
    const decisions = await audit(w2, rec.id);
    expect(decisions.filter((d) => d === 'started')).toHaveLength(1);
    expect(decisions.filter((d) => d === 'succeeded')).toHaveLength(1);
    for (const g of rx.got) g.res.destroy();
    rx.server.close();
  }, 120_000);
});

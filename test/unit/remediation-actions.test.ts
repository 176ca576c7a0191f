/**
 * The remediation actions against real things: a local HTTP server (127.0.0.1, port 0) for the
 * http action, real child processes (this Node binary) for the command action. The injection
 * cases are the acceptance point: incident data full of shell syntax and URLs reaches
 * a command only as whole argv elements, byte for byte, runs nothing, and never moves the
 * http action's request off its configured URL.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { HookAction } from '../../src/config/schema-remediation.js';
import { signStandardWebhook } from '../../src/http/standard-webhooks.js';
import type { IncidentJson } from '../../src/queues/contract.js';
import type { ActionRun } from '../../src/remediate/actions/action.js';
import { commandAction } from '../../src/remediate/actions/command-action.js';
import { createAction } from '../../src/remediate/actions/create-action.js';
import { httpAction } from '../../src/remediate/actions/http-action.js';
import { incidentJsonOf } from '../helpers/incident-json.js';

const SECRET = `whsec_${Buffer.from('a remediation signing secret').toString('base64')}`;
const EXTERNAL = 'https://aiops.example.test';
const NOW = Date.parse('2026-01-06T07:00:00.000Z');

const incident = incidentJsonOf;

function runOf(inc: IncidentJson, target = 'auth', hook = 'restart'): ActionRun {
  return {
    idempotencyKey: `${inc.id}.${hook}.0.${target}`,
    hook,
    target,
    incident: inc,
    nowMs: NOW,
  };
}

// ---------------------------------------------------------------------------------------------
// A local receiver

interface Received {
  readonly url: string;
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}
interface Answer {
  readonly status: number;
  readonly body?: string;
  readonly delayMs?: number;
  readonly headers?: Record<string, string>;
}

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

async function receiver(answer: Answer = { status: 200, body: 'fine' }) {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({
        url: req.url ?? '',
        method: req.method ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      setTimeout(() => {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      }, answer.delayMs ?? 0);
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  return { got, url: `http://127.0.0.1:${port}/hooks/remediate`, server };
}

const http = (url: string, o: { secret?: string; timeout_ms?: number } = {}): HookAction => ({
  type: 'http',
  url,
  timeout_ms: o.timeout_ms ?? 5000,
  ...(o.secret === undefined ? {} : { secret: o.secret }),
});

function httpRun(cfg: HookAction, run: ActionRun) {
  if (cfg.type !== 'http') throw new Error('not http');
  return httpAction(cfg, { externalUrl: EXTERNAL }).run(run);
}

describe('http action', () => {
  it('posts a CloudEvent with the idempotency key as id, header and signature id', async () => {
    const r = await receiver();
    const inc = incident();
    const run = runOf(inc);
    const result = await httpRun(http(r.url, { secret: SECRET }), run);
    expect(result).toEqual({ ok: true, detail: 'HTTP 200: fine' });
    expect(r.got).toHaveLength(1);
    const [req] = r.got;
    if (!req) throw new Error('no request');
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hooks/remediate');
    expect(req.headers['content-type']).toBe('application/cloudevents+json');
    expect(req.headers['idempotency-key']).toBe(run.idempotencyKey);
    expect(JSON.parse(req.body)).toEqual({
      specversion: '1.0',
      id: run.idempotencyKey,
      source: EXTERNAL,
      type: 'io.aiops-worker.remediation.run',
      subject: 'inc-1',
      time: '2026-01-06T07:00:00.000Z',
      datacontenttype: 'application/json',
      data: { hook: 'restart', target: 'auth', idempotency_key: run.idempotencyKey, incident: inc },
    });
    const ts = Math.floor(NOW / 1000);
    expect(req.headers['webhook-id']).toBe(run.idempotencyKey);
    expect(req.headers['webhook-timestamp']).toBe(String(ts));
    expect(req.headers['webhook-signature']).toBe(
      signStandardWebhook(SECRET, run.idempotencyKey, ts, req.body),
    );
    // Another secret does not verify.
    expect(req.headers['webhook-signature']).not.toBe(
      signStandardWebhook(
        `whsec_${Buffer.from('other').toString('base64')}`,
        run.idempotencyKey,
        ts,
        req.body,
      ),
    );
  });

  it('sends no webhook-* headers without a secret, the idempotency key still', async () => {
    const r = await receiver({ status: 204 });
    const result = await httpRun(http(r.url), runOf(incident()));
    expect(result.ok).toBe(true);
    const headers = r.got[0]?.headers ?? {};
    expect(Object.keys(headers).filter((h) => h.startsWith('webhook-'))).toEqual([]);
    expect(headers['idempotency-key']).toBe('inc-1.restart.0.auth');
  });

  it.each([
    [500, true],
    [503, true],
    [429, true],
    [404, false],
    [400, false],
    [409, false],
  ])('HTTP %i is a failure, retryable: %s', async (status, retryable) => {
    const r = await receiver({ status, body: 'nope' });
    const result = await httpRun(http(r.url), runOf(incident()));
    expect(result).toEqual({ ok: false, retryable, detail: `HTTP ${status}: nope` });
  });

  it('keeps the first 200 characters of a long answer', async () => {
    const r = await receiver({ status: 500, body: 'x'.repeat(100_000) });
    const result = await httpRun(http(r.url), runOf(incident()));
    expect(result.detail).toBe(`HTTP 500: ${'x'.repeat(200)}`);
  });

  it('a timeout is retryable and ends the request on time', async () => {
    const r = await receiver({ status: 200, delayMs: 3000 });
    const t0 = Date.now();
    const result = await httpRun(http(r.url, { timeout_ms: 200 }), runOf(incident()));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(result).toEqual({ ok: false, retryable: true, detail: 'timed out after 200 ms' });
  });

  it('a refused connection is retryable, with the socket error in the detail', async () => {
    const r = await receiver();
    await new Promise((done) => r.server.close(done));
    const result = await httpRun(http(r.url), runOf(incident()));
    expect(result.ok).toBe(false);
    expect(result.retryable).toBe(true);
    expect(result.detail).toMatch(/ECONNREFUSED/);
  });

  it('does not follow a redirect: the event goes to the configured URL only', async () => {
    const elsewhere = await receiver();
    const r = await receiver({ status: 307, headers: { location: elsewhere.url } });
    const result = await httpRun(http(r.url), runOf(incident()));
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect(result.detail).toMatch(/^HTTP 307/);
    expect(r.got).toHaveLength(1);
    expect(elsewhere.got).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Commands (this Node binary, so no shell and no PATH lookup is needed)

const NODE = process.execPath;
/** Prints its arguments as JSON. */
const PRINT_ARGV = 'process.stdout.write(JSON.stringify(process.argv.slice(1)))';

const command = (
  argv: string[],
  o: Partial<{ env: string[]; timeout_ms: number; max: number }> = {},
) => ({
  type: 'command' as const,
  argv,
  env: o.env ?? [],
  timeout_ms: o.timeout_ms ?? 10_000,
  max_output_bytes: o.max ?? 65_536,
});

function commandRun(
  cfg: ReturnType<typeof command>,
  run: ActionRun,
  env: Record<string, string | undefined> = {},
) {
  return commandAction(cfg, { env }).run(run);
}

/** The JSON a successful command printed (after `exit 0: `). */
function printed(detail: string): unknown {
  expect(detail.startsWith('exit 0: ')).toBe(true);
  return JSON.parse(detail.slice('exit 0: '.length));
}

const strays: number[] = [];
afterEach(() => {
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Running (a zombie left for a container's init to reap counts as gone). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

describe('command action', () => {
  it('replaces whole-argument placeholders and nothing else', async () => {
    const inc = incident({ id: 'inc-7', severity: 'warning' });
    const run = runOf(inc, 'routing', 'rollback');
    const result = await commandRun(
      command([
        NODE,
        '-e',
        PRINT_ARGV,
        '{incident}',
        '{target}',
        '{root_cause}',
        '{hook}',
        '{severity}',
        '{idempotency_key}',
        '--x={target}',
        '{target} ',
        '{unknown}',
        'plain',
      ]),
      run,
    );
    expect(result.ok).toBe(true);
    expect(printed(result.detail)).toEqual([
      'inc-7',
      'routing',
      'auth',
      'rollback',
      'warning',
      'inc-7.rollback.0.routing',
      '--x={target}',
      '{target} ',
      '{unknown}',
      'plain',
    ]);
  });

  it('gives an empty {root_cause} when the incident has none', async () => {
    const result = await commandRun(
      command([NODE, '-e', PRINT_ARGV, '{root_cause}']),
      runOf(incident({ root_cause: null })),
    );
    expect(printed(result.detail)).toEqual(['']);
  });

  it('never substitutes the program itself', async () => {
    const result = await commandRun(command(['{target}']), runOf(incident(), NODE));
    expect(result).toEqual({
      ok: false,
      retryable: false,
      detail: 'cannot run {target}: program not found',
    });
  });

  it('passes only the listed environment variables, plus AIOPS_*', async () => {
    const worker = { LISTED: 'yes', WITHHELD: 'secret-token', PATH: '/usr/bin:/bin' };
    const printEnv = 'process.stdout.write(JSON.stringify(process.env))';
    const run = runOf(incident());
    const result = await commandRun(
      command([NODE, '-e', printEnv], { env: ['LISTED', 'NOT_SET'] }),
      run,
      worker,
    );
    expect(printed(result.detail)).toEqual({
      LISTED: 'yes',
      AIOPS_HOOK: 'restart',
      AIOPS_INCIDENT: 'inc-1',
      AIOPS_TARGET: 'auth',
      AIOPS_IDEMPOTENCY_KEY: run.idempotencyKey,
    });
    const withPath = await commandRun(
      command([NODE, '-e', printEnv], { env: ['PATH'] }),
      run,
      worker,
    );
    expect(printed(withPath.detail)).toMatchObject({ PATH: '/usr/bin:/bin' });
  });

  it('writes the incident JSON to stdin', async () => {
    const inc = incident({ services: ['auth', 'routing', 'billing'] });
    const result = await commandRun(
      command([NODE, '-e', 'process.stdin.pipe(process.stdout)']),
      runOf(inc),
    );
    expect(printed(result.detail)).toEqual(inc);
  });

  it('a non-zero exit is final, with stdout and stderr in the detail', async () => {
    const script =
      "process.stdout.write('did half\\n'); process.stderr.write('then broke\\n'); process.exit(3)";
    const result = await commandRun(command([NODE, '-e', script]), runOf(incident()));
    expect(result).toEqual({
      ok: false,
      retryable: false,
      detail: 'exit 3: did half\n[stderr] then broke',
    });
  });

  it('kills a command that runs too long, and what it started', async () => {
    // The child starts a grandchild holding the same pipes, prints its pid, and waits.
    const script = [
      "const { spawn } = require('node:child_process');",
      "const g = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'inherit' });",
      'process.stdout.write(String(g.pid));',
      'setTimeout(() => {}, 60000);',
    ].join('\n');
    const t0 = Date.now();
    const result = await commandRun(
      command([NODE, '-e', script], { timeout_ms: 500 }),
      runOf(incident()),
    );
    const took = Date.now() - t0;
    const grandchild = Number(/: (\d+)/.exec(result.detail)?.[1]);
    strays.push(grandchild);
    expect(result.ok).toBe(false);
    expect(result.retryable).toBe(false);
    expect(result.detail).toMatch(/^timed out after 500 ms \(killed\)/);
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(4000);
    await new Promise((done) => setTimeout(done, 100));
    expect(alive(grandchild)).toBe(false);
  });

  it('does not wait for a grandchild holding the pipes once the command has exited', async () => {
    const script = [
      "const { spawn } = require('node:child_process');",
      "const g = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'inherit' });",
      'process.stdout.write(String(g.pid));',
      'g.unref();',
    ].join('\n');
    const t0 = Date.now();
    const result = await commandRun(
      command([NODE, '-e', script], { timeout_ms: 30_000 }),
      runOf(incident()),
    );
    strays.push(Number(/^exit 0: (\d+)/.exec(result.detail)?.[1]));
    expect(result.ok).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('keeps max_output_bytes of stdout and of stderr, and says how much it dropped', async () => {
    const script =
      "process.stdout.write('a'.repeat(100000)); process.stderr.write('é'.repeat(1000)); process.exit(1)";
    const result = await commandRun(command([NODE, '-e', script], { max: 256 }), runOf(incident()));
    expect(result.detail).toBe(
      `exit 1: ${'a'.repeat(256)}…[truncated 99744 bytes]\n[stderr] ${'é'.repeat(128)}…[truncated 1744 bytes]`,
    );
  });

  it('is not killed for output beyond the bound (execFile maxBuffer would)', async () => {
    const script =
      "for (let i = 0; i < 64; i++) process.stdout.write('z'.repeat(65536)); process.stdout.write('end')";
    const result = await commandRun(
      command([NODE, '-e', script], { max: 1024 }),
      runOf(incident()),
    );
    expect(result.ok).toBe(true);
    expect(result.detail).toBe(
      `exit 0: ${'z'.repeat(1024)}…[truncated ${64 * 65536 + 3 - 1024} bytes]`,
    );
  });

  it('a missing program is final, and says so', async () => {
    const result = await commandRun(
      command(['/nonexistent/remediate-me', '{target}']),
      runOf(incident()),
    );
    expect(result).toEqual({
      ok: false,
      retryable: false,
      detail: 'cannot run /nonexistent/remediate-me: program not found',
    });
  });

  it('an argument with a NUL byte is refused before anything runs, not thrown', async () => {
    const result = await commandRun(
      command([NODE, '-e', PRINT_ARGV, '{target}']),
      runOf(incident(), 'a\0b'),
    );
    expect(result.ok).toBe(false);
    expect(result.retryable).toBe(false);
    expect(result.detail).toMatch(/^refused: \{target\}=/);
  });

  it.each(['--all', '-rf', '-', '../etc', ' auth'])(
    'refuses to run with %j as a whole argument: a name from the wire must not become an option',
    async (target) => {
      const result = await commandRun(
        command([NODE, '-e', PRINT_ARGV, '{target}']),
        runOf(incident(), target),
      );
      expect(result.ok).toBe(false);
      expect(result.retryable).toBe(false);
      expect(result.detail).toContain(`refused: {target}=${JSON.stringify(target)}`);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Injection: incident data is data

describe('injection through incident fields', () => {
  const tag = randomBytes(6).toString('hex');
  const markers = [`pwned-${tag}`, `pwned2-${tag}`, `pwned3-${tag}`, `pwned4-${tag}`].map((m) =>
    join(tmpdir(), m),
  );
  // `rm -rf` aimed at a canary directory rather than `/`: were a shell ever to run it, the test
  // would see the canary gone instead of depending on rm refusing `/`.
  const canaryDir = mkdtempSync(join(tmpdir(), `canary-${tag}-`));
  const canary = join(canaryDir, 'still-here');
  writeFileSync(canary, 'x');
  afterAll(() => {
    rmSync(canaryDir, { recursive: true, force: true });
    for (const m of markers) rmSync(m, { force: true });
  });

  const [m1 = '', m2 = '', m3 = '', m4 = ''] = markers;
  const EVIL_URL = 'http://169.254.169.254/latest/meta-data/';
  const hostile = {
    id: `inc-\`touch ${m2}\``,
    rootCause: `auth; rm -rf ${canaryDir}; rm -rf / #`,
    target: `$(touch ${m1})`,
    newline: `routing\ntouch ${m3}\n`,
    quotes: `'"; touch ${m4}; echo "' && | > < * ~ $HOME \${PATH} \\`,
  };
  const inc = incident({
    id: hostile.id,
    root_cause: { service: hostile.rootCause, signal: EVIL_URL, confidence: 0.9 },
    services: [hostile.rootCause, hostile.newline, hostile.quotes, EVIL_URL],
    candidates: [
      {
        service: hostile.rootCause,
        signal: 'errors',
        confidence: 0.9,
        reasons: [`see ${EVIL_URL}`],
      },
    ],
    timeline: [
      {
        ts: '2026-01-06T06:59:00.000Z',
        service: hostile.newline,
        signal: 'log_template',
        series: `logs{url="${EVIL_URL}",cmd="$(touch ${m1})"}`,
        value: 1,
        expected: 0,
        lower: 0,
        upper: 0.5,
        score: 0.99,
        detector: 'new-template',
        kind: 'log',
        level: 'error',
        template: `POST <*> failed, retry at ${EVIL_URL} \`touch ${m2}\` $(touch ${m3})`,
      },
    ],
  });

  it('hostile values never reach an argument: the run is refused and nothing runs', async () => {
    for (const target of [hostile.target, hostile.newline, hostile.quotes, EVIL_URL]) {
      const result = await commandRun(
        command([NODE, '-e', PRINT_ARGV, '{target}']),
        runOf(inc, target, 'rollback'),
      );
      expect(result.ok).toBe(false);
      expect(result.retryable).toBe(false);
      expect(result.detail).toContain('refused: {target}=');
    }
    // The hostile root cause and incident id are refused as arguments too.
    const result = await commandRun(
      command([NODE, '-e', PRINT_ARGV, '{root_cause}', '{incident}']),
      runOf(inc, 'auth'),
    );
    expect(result.detail).toContain('refused: {root_cause}=');
    for (const m of markers) expect(existsSync(m), m).toBe(false);
    expect(existsSync(canary)).toBe(true);
  });

  it('a plain target runs; the hostile fields arrive as data only, byte for byte (env, stdin)', async () => {
    const script =
      'let input = "";' +
      'process.stdin.on("data", (c) => { input += c; });' +
      'process.stdin.on("end", () => process.stdout.write(JSON.stringify({' +
      ' argv: process.argv.slice(1),' +
      ' env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("AIOPS_"))),' +
      ' stdin: JSON.parse(input) })));';
    const run = runOf(inc, 'auth', 'rollback');
    const result = await commandRun(command([NODE, '-e', script, '{target}']), run);
    expect(result.ok).toBe(true);
    expect(printed(result.detail)).toEqual({
      argv: ['auth'],
      env: {
        AIOPS_HOOK: 'rollback',
        AIOPS_INCIDENT: hostile.id,
        AIOPS_TARGET: 'auth',
        AIOPS_IDEMPOTENCY_KEY: run.idempotencyKey,
      },
      stdin: inc,
    });
    for (const m of markers) expect(existsSync(m), m).toBe(false);
    expect(existsSync(canary)).toBe(true);
  });

  it('the http action posts to its configured URL whatever URLs the incident holds', async () => {
    const r = await receiver();
    const decoy = await receiver();
    const seen: string[] = [];
    const recording: typeof fetch = (input, init) => {
      seen.push(input instanceof Request ? input.url : input.toString());
      return fetch(input, init);
    };
    for (const target of [decoy.url, EVIL_URL, hostile.target]) {
      const cfg = http(r.url);
      if (cfg.type !== 'http') throw new Error('not http');
      const action = httpAction(cfg, { externalUrl: EXTERNAL, fetch: recording });
      const result = await action.run(
        runOf(incident({ ...inc, services: [decoy.url, ...inc.services] }), target),
      );
      expect(result.ok).toBe(true);
    }
    expect(seen).toEqual([r.url, r.url, r.url]);
    expect(r.got.map((g) => g.url)).toEqual([
      '/hooks/remediate',
      '/hooks/remediate',
      '/hooks/remediate',
    ]);
    expect(decoy.got).toHaveLength(0);
    expect(JSON.parse(r.got[0]?.body ?? '{}')).toMatchObject({ data: { target: decoy.url } });
  });
});

describe('createAction', () => {
  it('dispatches on the type', async () => {
    const r = await receiver();
    const deps = {
      externalUrl: EXTERNAL,
      env: {},
      // Neither http nor command touches Redis.
      connection: undefined as never,
      prefix: 'unused',
    };
    const h = createAction(http(r.url), deps);
    expect(await h.run(runOf(incident()))).toEqual({ ok: true, detail: 'HTTP 200: fine' });
    await h.close();
    const c = createAction(command([NODE, '-e', PRINT_ARGV, '{hook}']), deps);
    expect(await c.run(runOf(incident()))).toEqual({ ok: true, detail: 'exit 0: ["restart"]' });
    await c.close();
  });
});

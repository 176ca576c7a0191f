/**
 * Fake pull peers on loopback: a Prometheus HTTP API answering `POST /api/v1/query_range`
 * with one series per instant asked for (or the failure a test sets), and a `/metrics`
 * exporter whose body a test sets. Both record what they were asked.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface QueryRangeCall {
  readonly query: string;
  readonly start: number;
  readonly end: number;
  readonly step: number;
  /** The Authorization header, if any. */
  readonly authorization: string | undefined;
}

export type FakeFailure = 'none' | 'http_500' | 'api_error' | 'slow';

export interface FakePrometheus {
  readonly url: string;
  readonly calls: QueryRangeCall[];
  /** How the next answers fail; `slow` answers after `delayMs`. */
  fail: FakeFailure;
  /** Fails only call number N (1-based) when set. */
  failCall: number | undefined;
  delayMs: number;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const closeServer = (server: Server): Promise<void> =>
  new Promise((done) => {
    server.closeAllConnections();
    server.close(() => {
      done();
    });
  });

/** Answers a matrix of `fixture_value{service="<service>"}` = the instant in seconds. */
export async function startFakePrometheus(service = 'auth'): Promise<FakePrometheus> {
  const fake: FakePrometheus = {
    url: '',
    calls: [],
    fail: 'none',
    failCall: undefined,
    delayMs: 0,
    close: () => closeServer(server),
  };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const p = new URLSearchParams(body);
      const call = {
        query: p.get('query') ?? '',
        start: Number(p.get('start')),
        end: Number(p.get('end')),
        step: Number(p.get('step')),
        authorization: req.headers.authorization,
      };
      fake.calls.push(call);
      const failing =
        fake.failCall === undefined
          ? fake.fail
          : fake.calls.length === fake.failCall
            ? fake.fail
            : 'none';
      const answer = (): void => {
        res.setHeader('content-type', 'application/json');
        if (failing === 'http_500') {
          res.statusCode = 500;
          res.end('internal error');
          return;
        }
        if (failing === 'api_error') {
          res.statusCode = 422;
          res.end(JSON.stringify({ status: 'error', errorType: 'execution', error: 'boom' }));
          return;
        }
        const values: [number, string][] = [];
        for (let t = call.start; t <= call.end + 1e-9; t += call.step) values.push([t, String(t)]);
        res.end(
          JSON.stringify({
            status: 'success',
            data: {
              resultType: 'matrix',
              result: [{ metric: { __name__: 'fixture_value', service }, values }],
            },
          }),
        );
      };
      if (failing === 'slow' || fake.delayMs > 0) setTimeout(answer, fake.delayMs);
      else answer();
    });
  });
  (fake as { url: string }).url = await listen(server);
  return fake;
}

export interface FakeExporter {
  readonly url: string;
  /** Accept headers of the scrapes so far. */
  readonly accepts: string[];
  body: string;
  contentType: string;
  status: number;
  close(): Promise<void>;
}

export async function startFakeExporter(body: string, contentType: string): Promise<FakeExporter> {
  const exporter: FakeExporter = {
    url: '',
    accepts: [],
    body,
    contentType,
    status: 200,
    close: () => closeServer(server),
  };
  const server = createServer((req, res) => {
    exporter.accepts.push(String(req.headers.accept));
    res.statusCode = exporter.status;
    res.setHeader('content-type', exporter.contentType);
    res.end(exporter.body);
  });
  (exporter as { url: string }).url = `${await listen(server)}/metrics`;
  return exporter;
}

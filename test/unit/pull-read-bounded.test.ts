import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PullError } from '../../src/ingest/pull/pull-error.js';
import { queryRange } from '../../src/ingest/pull/query-range.js';

let server: Server;
let url = '';
let sentBytes = 0;

beforeAll(async () => {
  // A "Prometheus" whose answer never ends: 64 KiB chunks until the client goes away.
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.write('{"status":"success","data":{"resultType":"matrix","result":[');
    const chunk = '{"metric":{},"values":[]},'.repeat(2500);
    const pump = (): void => {
      while (!res.destroyed && sentBytes < 512 * 1024 * 1024) {
        sentBytes += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('query_range answers are bounded', () => {
  it('fails a too-large answer as too_large, reading little more than the bound', async () => {
    const call = queryRange({
      url,
      query: 'up',
      range: { from: 0, to: 60_000 },
      stepMs: 1000,
      timeoutMs: 10_000,
      maxBytes: 1024 * 1024,
    });
    await expect(call).rejects.toBeInstanceOf(PullError);
    await expect(call).rejects.toMatchObject({ reason: 'too_large' });
    expect(sentBytes).toBeLessThan(64 * 1024 * 1024);
  });
});

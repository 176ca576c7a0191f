/**
 * A body past `server.body_limit_bytes` sent chunked (no Content-Length), by a sender that
 * writes the whole body before it reads the answer (Python's http.client, many scripts): it
 * gets the 413 with the error body and `Connection: close`, not a reset halfway through its
 * writes (issue 21, item 6). Real listens: `inject()` has no socket to reset.
 */
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestApp } from '../helpers/ingest-app.js';

const MIB = 1024 * 1024;
let app: FastifyInstance;
let port = 0;

beforeAll(async () => {
  ({ app } = await ingestApp({ bodyLimit: 8 * MIB, maxDecompressedBytes: 64 * MIB }));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  port = Number(new URL(address).port);
});

afterAll(async () => {
  await app.close();
});

interface Outcome {
  /** The first write error (EPIPE, ECONNRESET), if the connection was cut under the sender. */
  readonly writeError: string | undefined;
  readonly response: string;
}

/** Writes every chunk of `bytes` first, then reads what came back until the server closes. */
function postChunked(path: string, headers: string, bytes: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let writeError: string | undefined;
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      writeError ??= err.code ?? err.message;
    });
    socket.on('close', () => {
      resolve({ writeError, response: Buffer.concat(received).toString('latin1') });
    });
    const chunk = Buffer.alloc(MIB, 'a');
    const frame = Buffer.concat([
      Buffer.from(`${chunk.length.toString(16)}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    ]);
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Transfer-Encoding: chunked\r\n\r\n`,
    );
    let sent = 0;
    const more = (): void => {
      while (sent < bytes && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(frame)) {
          socket.once('drain', more);
          return;
        }
      }
      if (!socket.destroyed) socket.end('0\r\n\r\n');
    };
    more();
  });
}

describe('a 50 MB chunked body', () => {
  it.each([
    ['/api/v1/samples', 'Content-Type: application/x-ndjson\r\n'],
    ['/api/v1/write', 'Content-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n'],
  ])(
    'to %s gets 413 with the error body and Connection: close, not a reset',
    async (path, headers) => {
      const out = await postChunked(path, headers, 50 * MIB);
      expect(out.writeError).toBeUndefined();
      const [head = '', body = ''] = out.response.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 413 /);
      expect(head.toLowerCase()).toContain('connection: close');
      expect(JSON.parse(body)).toEqual({
        code: 'AIOPS_ERR_INGEST_BODY_TOO_LARGE',
        message: 'the body is larger than the limit of 8388608 bytes (server.body_limit_bytes)',
        docs: 'docs/errors.md#aiops_err_ingest_body_too_large',
      });
    },
  );
});

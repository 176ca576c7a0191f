/**
 * A request refused while its body is still arriving (past `server.body_limit_bytes`, chunked
 * or with a Content-Length) is answered with `Connection: close`. Closing the socket at once
 * makes the kernel reset it while the sender is still writing, and a sender that writes its
 * whole body before it reads (Python's http.client, many scripts) then sees EPIPE or
 * ECONNRESET instead of the status. So, as nginx's lingering close does, the rest of the body
 * is read and thrown away first, within a bound in bytes and in time, and only then is the
 * answer sent and the connection closed. Past the bound the answer goes out anyway.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The most of a refused body read and thrown away before the connection closes. */
export const DRAIN_MAX_BYTES = 128 * 1024 * 1024;
/** The longest a refused body is read for before the connection closes. */
export const DRAIN_MAX_MS = 10_000;

/** Whether the answer closes a connection whose request body has not all arrived. */
export function closesMidBody(req: FastifyRequest, reply: FastifyReply): boolean {
  const connection = reply.getHeader('connection');
  return (
    !req.raw.complete &&
    !req.raw.destroyed &&
    typeof connection === 'string' &&
    connection.toLowerCase() === 'close'
  );
}

/** Reads the rest of `req` and discards it; resolves at its end or past a bound, never rejects. */
export function drainBody(
  req: IncomingMessage,
  maxBytes = DRAIN_MAX_BYTES,
  maxMs = DRAIN_MAX_MS,
): Promise<void> {
  return new Promise((resolve) => {
    let bytes = 0;
    const done = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', done);
      req.off('close', done);
      req.off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer | string): void => {
      bytes += chunk.length;
      if (bytes > maxBytes) done();
    };
    const timer = setTimeout(done, maxMs);
    timer.unref();
    req.on('data', onData);
    req.once('end', done);
    req.once('close', done);
    req.once('error', done);
    // Paused when the parser refused on the Content-Length alone, before reading any of it.
    req.resume();
  });
}

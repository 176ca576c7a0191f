/**
 * Reads an HTTP response body up to `maxBytes`, cancelling the transfer past it, so a target
 * or a Prometheus answering more than expected cannot grow the worker's memory without bound.
 */
import { PullError } from './pull-error.js';

export async function readBounded(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  what: string,
): Promise<string> {
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new PullError('too_large', `${what} body is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Inflates a request body by its Content-Encoding (none, identity or gzip), bounded by
 * `maxBytes` while inflating, so a decompression bomb is stopped before it is allocated.
 * Answers with the status a sender understands: 413 past the bound, 400 for a body that is
 * not gzip, 415 for an encoding we do not take.
 */
import { gunzipSync } from 'node:zlib';
import { AiopsError } from '../errors.js';

export function inflateBody(
  body: Buffer,
  contentEncoding: string | undefined,
  maxBytes: number,
): Buffer {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return body;
  if (encoding !== 'gzip') {
    throw new AiopsError(
      'AIOPS_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      `Content-Encoding ${JSON.stringify(encoding)} is not supported; use gzip or none`,
    );
  }
  try {
    return gunzipSync(body, { maxOutputLength: maxBytes });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new AiopsError(
        'AIOPS_ERR_INGEST_BODY_TOO_LARGE',
        `the body inflates past ${maxBytes} bytes (ingest.max_decompressed_bytes)`,
      );
    }
    throw new AiopsError(
      'AIOPS_ERR_INGEST_MALFORMED_BODY',
      `the body is not valid gzip: ${(err as Error).message}`,
    );
  }
}

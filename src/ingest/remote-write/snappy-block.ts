/**
 * Snappy block format (remote_write's, never the framed one), decoded with every bound checked:
 * the decompressed size the block's header declares is checked against the limit before
 * anything is allocated (no decompression bombs), every element must fit its input and output,
 * and a copy must point back into what was written. Each step consumes input, so hostile input
 * ends. Hand-written: fuzzing found an input on which snappyjs 0.7 never returns
 * (`24fcfa6904fd06ff49`, test/unit/remote-write.test.ts). In one process with the rest of the
 * decode it also runs 1.5–2× faster than the `snappy` package's native decoder, whose every
 * call allocates an external buffer (docs/decisions/0009-remote-write-decode.md).
 */

import { AiopsError } from '../../errors.js';

export class SnappyError extends Error {
  override name = 'SnappyError';
}

export class DecompressedTooLargeError extends Error {
  override name = 'DecompressedTooLargeError';
}

/** The uncompressed length a block declares and where its elements start, or undefined. */
function header(block: Uint8Array): { length: number; start: number } | undefined {
  let result = 0;
  let shift = 1;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i] as number;
    result += (b & 0x7f) * shift;
    if (b < 0x80) return { length: result, start: i + 1 };
    shift *= 128;
  }
  return undefined;
}

/**
 * The answer to a snappy-protobuf body (remote_write, Loki) that failed to decode: 413 for one
 * that would inflate past the limit, 400 for bad snappy or a `protoError` of its message; any
 * other error (our own fault) is returned as it is.
 */
export function snappyBodyError(
  err: unknown,
  protoError: abstract new (...args: never[]) => Error,
): unknown {
  if (err instanceof DecompressedTooLargeError) {
    return new AiopsError(
      'AIOPS_ERR_INGEST_BODY_TOO_LARGE',
      `${err.message} (ingest.max_decompressed_bytes)`,
    );
  }
  if (err instanceof SnappyError || err instanceof protoError) {
    return new AiopsError('AIOPS_ERR_INGEST_MALFORMED_BODY', err.message);
  }
  return err;
}

/** Decompresses a snappy block of at most `maxBytes` decompressed into a new array. */
export function uncompressBlock(block: Uint8Array, maxBytes: number): Uint8Array {
  const h = boundedHeader(block, maxBytes);
  const out = new Uint8Array(h.length);
  decode(block, h.start, out, new DataView(out.buffer, out.byteOffset, out.byteLength), h.length);
  return out;
}

/** Bodies up to this size decompress into one reused buffer (withUncompressedBlock). */
const SCRATCH_MAX = 4 << 20;
let scratch = new Uint8Array(0);
let scratchView = new DataView(scratch.buffer);
/** True while a `use` callback holds the reused buffer. */
let scratchBusy = false;

/**
 * Decompresses a snappy block of at most `maxBytes` decompressed and hands the bytes to `use`,
 * which must be done with them when it returns: a body up to 4 MiB is decompressed into one
 * buffer that this process reuses (allocating and zeroing ~120 KB per request was a fifth of
 * the decoding time), a larger one, or one decoded while `use` runs, into its own array.
 */
export function withUncompressedBlock<T>(
  block: Uint8Array,
  maxBytes: number,
  use: (bytes: Uint8Array) => T,
): T {
  const h = boundedHeader(block, maxBytes);
  if (h.length > SCRATCH_MAX || scratchBusy) return use(uncompressBlock(block, maxBytes));
  if (scratch.length < h.length) {
    scratch = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(h.length, 2 * scratch.length)));
    scratchView = new DataView(scratch.buffer);
  }
  decode(block, h.start, scratch, scratchView, h.length);
  scratchBusy = true;
  try {
    return use(scratch.subarray(0, h.length));
  } finally {
    scratchBusy = false;
  }
}

/** The header, checked: the declared size within the limit (no decompression bombs). */
function boundedHeader(block: Uint8Array, maxBytes: number): { length: number; start: number } {
  const h = header(block);
  if (h === undefined) throw new SnappyError('the body is not snappy (block format): bad header');
  if (h.length > maxBytes) {
    throw new DecompressedTooLargeError(
      `the body would decompress to ${h.length} bytes, more than the limit of ${maxBytes}`,
    );
  }
  return h;
}

/**
 * Decodes the elements of `block` from `start` into out[0, outEnd) (`view` over `out`, for word
 * access); throws a SnappyError unless they fill exactly that. `out` may be longer.
 */
function decode(
  block: Uint8Array,
  start: number,
  out: Uint8Array,
  view: DataView,
  outEnd: number,
): void {
  let op = 0;
  let ip = start;
  const n = block.length;
  const bad = (what: string): SnappyError =>
    new SnappyError(`the body is not valid snappy (block format): ${what} at byte ${ip}`);
  while (ip < n) {
    const tag = block[ip++] as number;
    const type = tag & 3;
    if (type === 0) {
      let len = tag >> 2;
      if (len >= 60) {
        const bytes = len - 59;
        if (ip + bytes > n) throw bad('truncated literal length');
        len = block[ip] as number;
        if (bytes > 1) len += (block[ip + 1] as number) << 8;
        if (bytes > 2) len += (block[ip + 2] as number) << 16;
        if (bytes > 3) len += (block[ip + 3] as number) * 0x1000000;
        ip += bytes;
      }
      len += 1;
      if (ip + len > n) throw bad('literal runs past the input');
      if (op + len > outEnd) throw bad('literal runs past the declared length');
      if (len < 16) for (let i = 0; i < len; i++) out[op + i] = block[ip + i] as number;
      else out.set(block.subarray(ip, ip + len), op);
      ip += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (type === 1) {
      if (ip + 1 > n) throw bad('truncated copy');
      len = 4 + ((tag >> 2) & 7);
      offset = ((tag >> 5) << 8) | (block[ip] as number);
      ip += 1;
    } else if (type === 2) {
      if (ip + 2 > n) throw bad('truncated copy');
      len = 1 + (tag >> 2);
      offset = (block[ip] as number) | ((block[ip + 1] as number) << 8);
      ip += 2;
    } else {
      if (ip + 4 > n) throw bad('truncated copy');
      len = 1 + (tag >> 2);
      offset =
        (block[ip] as number) +
        (block[ip + 1] as number) * 0x100 +
        (block[ip + 2] as number) * 0x10000 +
        (block[ip + 3] as number) * 0x1000000;
      ip += 4;
    }
    if (offset === 0 || offset > op) throw bad('copy from before the start');
    if (op + len > outEnd) throw bad('copy runs past the declared length');
    const from = op - offset;
    if (offset >= 4 && op + len + 3 <= outEnd) {
      // Four bytes at a time, front to back. A word never reads bytes it writes itself
      // (offset >= 4), and a later word reads what an earlier one wrote, as snappy's
      // byte-by-byte semantics ask of an overlapping copy. The last word may write up to three
      // bytes past the copy: they are inside the output and the next element writes them.
      // (A copy is at most 64 bytes: too short for copyWithin's call to pay.)
      for (let i = 0; i < len; i += 4) view.setInt32(op + i, view.getInt32(from + i));
    } else {
      // Offsets under four repeat a short run; near the end of the output there is no room to
      // write past the copy: byte by byte.
      for (let i = 0; i < len; i++) out[op + i] = out[from + i] as number;
    }
    op += len;
  }
  if (op !== outEnd)
    throw new SnappyError(`the body decompresses to ${op} bytes, not the ${outEnd} it declares`);
}

/**
 * Snappy block format (remote_write's, never the framed one), decoded with every bound checked:
 * the decompressed size the block's header declares is checked against the limit before
 * anything is allocated (no decompression bombs), every element must fit its input and output,
 * and a copy must point back into what was written. Each step consumes input, so hostile input
 * ends. Hand-written: fuzzing found an input on which snappyjs 0.7 never returns
 * (`24fcfa6904fd06ff49`, test/unit/remote-write.test.ts). The native decoder (snappy-native.ts)
 * runs instead where it loads, behind the same size check.
 */
import { nativeUncompress } from './snappy-native.js';

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
 * Decompresses a snappy block of at most `maxBytes` decompressed: natively where the `snappy`
 * package loads, else in JavaScript; the declared size is checked before either allocates.
 */
export function uncompressBlock(block: Uint8Array, maxBytes: number): Uint8Array {
  const h = boundedHeader(block, maxBytes);
  if (nativeUncompress === undefined) return decode(block, h);
  let out: Uint8Array;
  try {
    out = nativeUncompress(block);
  } catch (err) {
    throw new SnappyError(`the body is not valid snappy (block format): ${(err as Error).message}`);
  }
  if (out.length !== h.length)
    throw new SnappyError(
      `the body decompresses to ${out.length} bytes, not the ${h.length} it declares`,
    );
  return out;
}

/** The JavaScript decoder alone (where the native one does not load; tests compare the two). */
export function uncompressBlockJs(block: Uint8Array, maxBytes: number): Uint8Array {
  return decode(block, boundedHeader(block, maxBytes));
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

function decode(block: Uint8Array, h: { length: number; start: number }): Uint8Array {
  const out = new Uint8Array(h.length);
  const outEnd = out.length;
  // Word access for copies: four bytes per read and write instead of one.
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let op = 0;
  let ip = h.start;
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
  return out;
}

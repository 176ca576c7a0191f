/**
 * Detector states as flat Float64Arrays: compact, cheap to copy, and encoded exactly as their
 * little-endian bytes. A detector names its slots with constants.
 */

/**
 * Whether this machine stores a Float64Array's bytes little-endian (x86, ARM: nearly always):
 * then a state's bytes are copied as they are, which is several times faster than a DataView
 * loop (the detect stage encodes a state per series per batch, `npm run bench -- pipeline`).
 */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** Encodes a Float64Array state to bytes (little-endian, exact). */
export function encodeFloats(state: Float64Array): Uint8Array {
  if (LITTLE_ENDIAN)
    return new Uint8Array(state.buffer, state.byteOffset, state.byteLength).slice();
  const out = new Uint8Array(state.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < state.length; i++) view.setFloat64(i * 8, state[i] ?? 0, true);
  return out;
}

/** The state's own bytes, which are its encoding on a little-endian machine (no copy). */
export function floatsView(state: Float64Array): Uint8Array | undefined {
  return LITTLE_ENDIAN
    ? new Uint8Array(state.buffer, state.byteOffset, state.byteLength)
    : undefined;
}

/** Decodes bytes written by `encodeFloats`; throws when the length is not `length` floats. */
export function decodeFloats(bytes: Uint8Array, length: number, name: string): Float64Array {
  if (bytes.byteLength !== length * 8) {
    throw new RangeError(`${name} state must be ${length * 8} bytes, got ${bytes.byteLength}`);
  }
  // `bytes` may be a view into a larger (pooled) buffer, at any offset: copy its own bytes into
  // a buffer of their own (aligned for a Float64Array), or read them through a DataView.
  if (LITTLE_ENDIAN) {
    const own = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    return new Float64Array(own as ArrayBuffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26; absolute error < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

export const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

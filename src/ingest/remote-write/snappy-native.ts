/**
 * The native snappy block decoder (the `snappy` package: Rust's `snap` crate through napi-rs,
 * prebuilt per platform from the npm registry), when it loads on this platform. Rust's decoder
 * is memory-safe and checks every element as ours does; it decodes two to four times faster
 * than the best JavaScript loop (docs/decisions/0009-remote-write-decode.md). Optional: where
 * no prebuilt binary exists, `uncompressBlock` uses its own decoder.
 */
import { createRequire } from 'node:module';

export type NativeUncompress = (block: Uint8Array) => Uint8Array;

function load(): NativeUncompress | undefined {
  try {
    const snappy = createRequire(import.meta.url)('snappy') as {
      uncompressSync(input: Uint8Array, options: { asBuffer: true }): Buffer;
    };
    return (block) => snappy.uncompressSync(block, { asBuffer: true });
  } catch {
    return undefined;
  }
}

/** The native decoder, or undefined where it did not load. */
export const nativeUncompress: NativeUncompress | undefined = load();

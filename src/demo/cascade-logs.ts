/**
 * The log side of a generated cascade (cascade.ts): every service writes a few ordinary
 * templates each step. A fault's root starts writing a new error ("dependency check failed for
 * tenant t-N: timeout after Xms") `leadMs` before its metrics move, as a login outage shows
 * in the logs first; each service that depends on it logs "call to ROOT failed" once it
 * fails. Deterministic for a seed.
 */
import { faultEffect, type CascadeOptions } from './cascade.js';

export interface CascadeLogRecord {
  readonly ts: number;
  readonly service: string;
  readonly level: string;
  readonly message: string;
}

function prng(seed: number): () => number {
  let a = (seed ^ 0x5bd1e995) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log records in time order; `leadMs` is how long before its metrics a root's errors start. */
export function cascadeLogs(o: CascadeOptions & { readonly leadMs: number }): CascadeLogRecord[] {
  const rand = prng(o.seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo));
  const effects = o.faults.map((f) => faultEffect(o.services, f, o.hopMs));
  const names = Object.keys(o.services);
  const paths = ['/login', '/session', '/inbox', '/route', '/health'];
  const out: CascadeLogRecord[] = [];
  for (let step = o.start; step <= o.end; step += o.stepMs) {
    for (const s of names) {
      const at = (): number => step + int(0, o.stepMs);
      const log = (level: string, message: string): void => {
        out.push({ ts: at(), service: s, level, message });
      };
      for (let i = int(8, 13); i > 0; i--) {
        log(
          'info',
          `handled GET ${paths[int(0, paths.length)] ?? '/'} status=200 in ${int(2, 90)}ms`,
        );
      }
      for (let i = int(1, 4); i > 0; i--) {
        log(
          'info',
          `cache hit ratio ${(0.8 + 0.2 * rand()).toFixed(3)} over ${int(100, 900)} keys`,
        );
      }
      for (const e of effects) {
        const since = step - e.fault.at;
        const delay = e.failing.get(s);
        if (delay === undefined || since >= e.fault.durationMs) continue;
        if (delay === 0 && since >= -o.leadMs) {
          for (let i = int(15, 25); i > 0; i--) {
            log(
              'error',
              `dependency check failed for tenant t-${int(100, 999)}: timeout after ${int(2000, 5000)}ms`,
            );
          }
        } else if (delay > 0 && since >= delay) {
          for (let i = int(8, 14); i > 0; i--) {
            log('error', `call to ${e.fault.root} failed: status=503 after ${int(5, 900)}ms`);
          }
        }
      }
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}

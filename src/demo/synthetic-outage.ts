/**
 * The three-service story as data: auth, routing and storage behave normally, then auth starts
 * failing logins; routing sees 401s and timeouts a minute later; storage's request rate falls.
 * Deterministic (seeded), so the demo shows the same thing every time.
 */
export interface DemoRecord {
  readonly ts: number;
  readonly metric: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface OutageOptions {
  /** Event time of the last sample (ms). */
  readonly end: number;
  /** Minutes of normal traffic before the outage. */
  readonly normalMinutes: number;
  /** Minutes of outage at the end. */
  readonly outageMinutes: number;
  readonly stepMs: number;
}

/** Records in time order. */
export function syntheticOutage(o: OutageOptions): DemoRecord[] {
  const rand = prng(42);
  const noise = (sd: number): number => sd * (rand() + rand() + rand() - 1.5) * 2;
  const steps = Math.round(((o.normalMinutes + o.outageMinutes) * 60_000) / o.stepMs);
  const outageStart = steps - Math.round((o.outageMinutes * 60_000) / o.stepMs);
  const minute = Math.round(60_000 / o.stepMs);
  const out: DemoRecord[] = [];
  for (let i = 0; i < steps; i++) {
    const ts = o.end - (steps - 1 - i) * o.stepMs;
    const daily = Math.sin((2 * Math.PI * i) / (steps / 2));
    const authDown = i >= outageStart;
    const routingHit = i >= outageStart + minute;
    const storageHit = i >= outageStart + minute;
    out.push(
      {
        ts,
        metric: 'login_failures',
        labels: { service: 'auth' },
        value: Math.max(0, 30 + 4 * daily + noise(3) + (authDown ? 380 : 0)),
      },
      {
        ts,
        metric: 'login_latency_ms',
        labels: { service: 'auth' },
        value: 85 + noise(6) + (authDown ? 900 : 0),
      },
      {
        ts,
        metric: 'http_401_rate',
        labels: { service: 'routing' },
        value: Math.max(0, 12 + noise(2) + (routingHit ? 250 : 0)),
      },
      {
        ts,
        metric: 'upstream_timeouts',
        labels: { service: 'routing' },
        value: Math.max(0, 3 + noise(1) + (routingHit ? 60 : 0)),
      },
      {
        ts,
        metric: 'request_rate',
        labels: { service: 'storage' },
        value: 900 + 60 * daily + noise(25) - (storageHit ? 600 : 0),
      },
    );
  }
  return out;
}

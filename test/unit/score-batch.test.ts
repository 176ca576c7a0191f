import { describe, expect, it } from 'vitest';
import { createEwmaDetector, type EwmaState } from '../../detectors/ewma.js';
import {
  emptyOutcome,
  eventTimeOrder,
  scoreSlice,
  type ScoringOptions,
} from '../../src/detect/score-batch.js';
import {
  createSeriesState,
  decodeSeriesState,
  encodeSeriesState,
  type SeriesState,
} from '../../src/detect/series-state.js';
import type { SeriesMeta } from '../../src/queues/contract.js';
import { detectorRegistry } from '../../detectors/registry.js';
import type { Detector } from '../../detectors/contract.js';

const det = createEwmaDetector({
  alpha: 0.1,
  warmup: 5,
  zStart: 3.5,
  zScale: 1,
  minStdRelative: 0.001,
  minStdAbsolute: 1e-9,
});
const gauge: SeriesMeta = {
  key: 'g{service="auth"}',
  metric: 'g',
  service: 'auth',
  labels: { service: 'auth' },
  counter: false,
};
const counter: SeriesMeta = {
  key: 'c_total{service="auth"}',
  metric: 'c_total',
  service: 'auth',
  labels: { service: 'auth' },
  counter: true,
};

function run(
  series: SeriesMeta[],
  samples: [number, number, number][],
  states = series.map(() => createSeriesState(det)),
  scoring: Partial<ScoringOptions> = {},
) {
  const batch = {
    series,
    idx: samples.map((s) => s[0]),
    ts: samples.map((s) => s[1]),
    val: samples.map((s) => s[2]),
  };
  const out = emptyOutcome();
  const order = eventTimeOrder(batch.ts);
  scoreSlice(
    () => det,
    { threshold: 0.9, holdMs: 0, ...scoring },
    batch,
    order,
    0,
    order.length,
    (i) => states[i] as SeriesState<EwmaState>,
    out,
  );
  return { out, states };
}

describe('scoreBatch core', () => {
  it('feeds each series in event-time order even when the batch is shuffled', () => {
    const samples: [number, number, number][] = [
      [0, 3000, 3],
      [0, 1000, 1],
      [0, 2000, 2],
    ];
    const { out, states } = run([gauge], samples);
    expect(out.taken).toBe(3);
    expect(out.notNewer).toBe(0);
    expect(states[0]?.det.lastTs).toBe(3000);
  });

  it('counts duplicates and out-of-order samples across batches as not_newer (retries change nothing)', () => {
    const first = run(
      [gauge],
      [
        [0, 1000, 1],
        [0, 2000, 2],
      ],
    );
    const again = run(
      [gauge],
      [
        [0, 1000, 1],
        [0, 2000, 2],
        [0, 3000, 3],
      ],
      first.states,
    );
    expect(again.out.notNewer).toBe(2);
    expect(again.out.taken).toBe(1);
  });

  it('turns counters into rates before the detector, handling resets', () => {
    const samples: [number, number, number][] = [
      [0, 0, 100],
      [0, 10_000, 200],
      [0, 20_000, 50],
      [0, 30_000, 150],
    ];
    const { out, states } = run([counter], samples);
    expect(out.counterPrimed).toBe(1);
    expect(out.taken).toBe(3);
    expect(out.latest.get(0)?.value).toBe(10); // (150-50)/10s
    expect(states[0]?.det.n).toBe(3);
  });

  it('emits one anomaly with a stable id for a spike after warm-up', () => {
    const samples: [number, number, number][] = Array.from(
      { length: 50 },
      (_, i) => [0, i * 1000, 10 + (i % 2)] as [number, number, number],
    );
    samples.push([0, 50_000, 100]);
    const a = run([gauge], samples).out.anomalies;
    const b = run([gauge], samples).out.anomalies;
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({
      kind: 'metric',
      service: 'auth',
      signal: 'g',
      ts: 50_000,
      value: 100,
      detector: 'ewma',
    });
    expect(a[0]?.score).toBeGreaterThan(0.9);
    expect(a[0]?.id).toBe(b[0]?.id);
  });

  it('round-trips series state through its binary form', () => {
    const { states } = run(
      [counter],
      [
        [0, 0, 1],
        [0, 1000, 5],
        [0, 2000, 9],
      ],
    );
    const s = states[0] as SeriesState<EwmaState>;
    const bytes = encodeSeriesState(det, s);
    expect(bytes.byteLength).toBe(80 + 32);
    s.pending.ts = 2000;
    s.pending.edge = 4.5;
    s.pending.dir = -1;
    s.pending.score = 0.97;
    expect(decodeSeriesState(det, encodeSeriesState(det, s))).toEqual(s);
    expect(decodeSeriesState(det, Buffer.from('garbage'))).toBeUndefined();
  });

  it('still reads a state of the previous format (48-byte header), with nothing waiting', () => {
    const { states } = run(
      [gauge],
      [0, 1, 2, 3, 4, 5, 6].map((i) => [0, i * 1000, 10 + (i % 2)]),
    );
    const s = states[0] as SeriesState<EwmaState>;
    const now = encodeSeriesState(det, s);
    // Version 3: the same fields up to the peak, then the detector's own bytes.
    const v3 = Buffer.concat([now.subarray(0, 48), now.subarray(80)]);
    v3.writeDoubleLE(3, 0);
    const back = decodeSeriesState(det, v3);
    expect(back?.det).toEqual(s.det);
    expect(back?.peak).toEqual(s.peak);
    expect(back?.pending.ts).toBe(Number.NEGATIVE_INFINITY);
  });

  describe('confirming that an anomaly persisted', () => {
    /**
     * Scores an onset once, as the ensemble does: 1 on the first sample beyond [9, 11] after
     * one inside it, 0 while it stays beyond; band [9, 11] around 10 throughout.
     */
    const onsetOnly: Detector<{ last: number; beyond: boolean }> = {
      name: 'onset_only',
      create: () => ({ last: Number.NEGATIVE_INFINITY, beyond: false }),
      update(st, t, v) {
        const beyond = v > 11 || v < 9;
        const score = beyond && !st.beyond ? 1 : 0;
        st.beyond = beyond;
        st.last = t;
        return { score, expected: 10, lower: 9, upper: 11, learning: false, outcome: 'taken' };
      },
      lastTimestamp: (st) => st.last,
      encode: () => new Uint8Array(0),
      decode: () => ({ last: Number.NEGATIVE_INFINITY, beyond: false }),
    };
    const score = (samples: [number, number][], confirm = true) => {
      const out = emptyOutcome();
      const state = createSeriesState(onsetOnly);
      const batch = {
        series: [gauge],
        idx: samples.map(() => 0),
        ts: samples.map((x) => x[0]),
        val: samples.map((x) => x[1]),
      };
      const order = eventTimeOrder(batch.ts);
      scoreSlice(
        () => onsetOnly,
        { threshold: 0.9, holdMs: 60_000, confirm },
        batch,
        order,
        0,
        order.length,
        () => state,
        out,
      );
      return out.anomalies.map((a) => [a.ts, a.value, a.score]);
    };
    it('a level that stays beyond the band gives one more event, at the next sample', () => {
      expect(
        score([
          [0, 10],
          [1000, 50],
          [2000, 50],
          [3000, 50],
        ]),
      ).toEqual([
        [1000, 50, 1],
        [2000, 50, 1],
      ]);
      // A fall: beyond the lower edge.
      expect(
        score([
          [0, 10],
          [1000, 2],
          [2000, 8.5],
        ]),
      ).toEqual([
        [1000, 2, 1],
        [2000, 8.5, 1],
      ]);
    });
    it('a single sample, or one whose next sample is back inside or the other way, gives none', () => {
      expect(
        score([
          [0, 10],
          [1000, 50],
          [2000, 10.5],
          [3000, 10],
        ]),
      ).toEqual([[1000, 50, 1]]);
      expect(
        score([
          [0, 10],
          [1000, 50],
          [2000, 2],
        ]),
      ).toEqual([[1000, 50, 1]]);
    });
    it('a next sample later than the hold confirms nothing', () => {
      expect(
        score([
          [0, 10],
          [1000, 50],
          [100_000, 50],
        ]),
      ).toEqual([[1000, 50, 1]]);
    });
    it('is off unless asked for (the log stage scores buckets without it)', () => {
      expect(
        score(
          [
            [0, 10],
            [1000, 50],
            [2000, 50],
          ],
          false,
        ),
      ).toEqual([[1000, 50, 1]]);
    });
  });

  it('does not reuse a state written with other detector parameters', () => {
    const both = detectorRegistry.ensemble?.create({});
    const up = detectorRegistry.ensemble?.create({ direction: 'up' });
    if (!both || !up) throw new Error('ensemble missing');
    const state = createSeriesState(both);
    for (let i = 0; i < 10; i++) both.update(state.det, i * 1000, 5);
    const bytes = encodeSeriesState(both, state);
    expect(decodeSeriesState(both, bytes)).toBeDefined();
    expect(decodeSeriesState(up, bytes)).toBeUndefined();
  });

  it('flags values beyond 1e150 as invalid in every float-state detector, keeping states finite', () => {
    for (const [name, entry] of Object.entries(detectorRegistry)) {
      if (name === 'ewma') continue; // ewma has its own state and guard (ewma.test.ts)
      const det = entry.create(name === 'trend_forecast' ? { threshold: 10 } : {});
      const state = det.create();
      for (let i = 0; i < 300; i++) det.update(state, i * 60_000, i % 2 ? 1e200 : 5 + (i % 3));
      const r = det.update(state, 300 * 60_000, -1e300);
      expect(r.outcome, name).toBe('invalid');
      const after = det.update(state, 301 * 60_000, 6);
      expect(Number.isFinite(after.score) && after.score >= 0 && after.score <= 1, name).toBe(true);
      expect(
        [...(state as Float64Array)].every((x) => !Number.isNaN(x)),
        name,
      ).toBe(true);
    }
  });
});

describe('step ends (what the series history keeps of a long batch)', () => {
  it('keeps the last score of each minute a later sample closed, per series, in time order', () => {
    const samples: [number, number, number][] = [];
    for (let s = 0; s <= 150; s += 30) {
      samples.push([0, 60_000_000 + s * 1000, 10 + s]);
      if (s % 60 === 0) samples.push([1, 60_000_000 + s * 1000, 5]);
    }
    const { out } = run([gauge, counter], samples, undefined, { keepStepEnds: true });
    // gauge: minutes 0 (0 s, 30 s), 1 (60 s, 90 s), 2 (120 s, 150 s): minutes 0 and 1 closed.
    expect(out.stepEnds.filter((p) => p.series === gauge).map((p) => p.ts - 60_000_000)).toEqual([
      30_000, 90_000,
    ]);
    expect(out.latest.get(0)?.ts).toBe(60_150_000);
    // counter: first sample only primes it; then one rate per minute (60 s, 120 s).
    expect(out.stepEnds.filter((p) => p.series === counter).map((p) => p.ts - 60_000_000)).toEqual([
      60_000,
    ]);
    expect(out.latest.get(1)?.ts).toBe(60_120_000);
  });

  it('keeps none unless asked (a replay scores its whole input into one outcome)', () => {
    const samples: [number, number, number][] = [];
    for (let m = 0; m < 120; m++) samples.push([0, 60_000_000 + m * 60_000, 10 + (m % 3)]);
    const { out } = run([gauge], samples);
    expect(out.taken).toBe(120);
    expect(out.stepEnds).toEqual([]);
    expect(out.latest.get(0)?.ts).toBe(60_000_000 + 119 * 60_000);
    const kept = run([gauge], samples, undefined, { keepStepEnds: true }).out;
    expect(kept.stepEnds).toHaveLength(119);
  });
});

/**
 * Property-based fuzz of the four OTLP decoders (metrics and logs, protobuf and JSON): random
 * bodies and bodies mutated from real SDK-encoded ones (bytes flipped, cut, inserted; JSON nodes
 * replaced by random values), and large ones (histogram points with up to millions of buckets,
 * thousands of points: the shape of a small gzip body that inflates to a heap-sized decode).
 * Decoding and mapping may only succeed or throw OtlpFormatError or OtlpTooLargeError, and each
 * body is done well within a second.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { HistogramWindow } from '../../src/ingest/otlp/histogram-window.js';
import { otlpLogsToSamples } from '../../src/ingest/otlp/logs-to-samples.js';
import { otlpMetricsToSamples } from '../../src/ingest/otlp/metrics-to-samples.js';
import { decodeOtlpBody, type OtlpEncoding } from '../../src/ingest/otlp/otlp-body.js';
import { OtlpFormatError, OtlpTooLargeError } from '../../src/ingest/otlp/otlp-errors.js';
import { OtlpTypes } from '../../src/ingest/otlp/proto.js';
import { SeverityNumber, sdkLogger, sdkMeter, type OtlpBodies } from '../helpers/otlp-sdk.js';

const RUNS = 5_000; // per property: random + mutated = 10,000 bodies per decoder
const limits = {
  serviceLabels: ['service'],
  maxLabels: 30,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1024,
};
const window = new HistogramWindow(1000);
/** ingest.max_records_per_request's default. */
const MAX_RECORDS = 100_000;

type Kind = 'metrics' | 'logs';

/** Decodes and maps a body; true when it was taken, false for a typed format error. */
function run(bytes: Uint8Array, encoding: OtlpEncoding, kind: Kind): boolean {
  const started = performance.now();
  const taken = decodeAndMap(bytes, encoding, kind);
  const ms = performance.now() - started;
  if (ms > 1000) throw new Error(`a ${bytes.length}-byte body took ${Math.round(ms)} ms`);
  return taken;
}

function decodeAndMap(bytes: Uint8Array, encoding: OtlpEncoding, kind: Kind): boolean {
  try {
    const type = kind === 'metrics' ? OtlpTypes.metricsRequest : OtlpTypes.logsRequest;
    const request = decodeOtlpBody(bytes, encoding, type);
    if (kind === 'metrics') otlpMetricsToSamples(request, limits, window, MAX_RECORDS);
    else otlpLogsToSamples(request, limits, 1_795_000_000_000, MAX_RECORDS);
    return true;
  } catch (err) {
    if (!(err instanceof OtlpFormatError || err instanceof OtlpTooLargeError)) throw err;
    return false;
  }
}

const seeds: Record<Kind, OtlpBodies> = {} as Record<Kind, OtlpBodies>;

beforeAll(async () => {
  const { meter, collect } = sdkMeter('auth', false, ['sizes']);
  meter.createGauge('cpu').record(0.5, { host: 'a', 'k.v': 1 });
  meter.createCounter('requests').add(3, { code: '500' });
  meter.createUpDownCounter('depth').add(-2);
  meter.createHistogram('latency').record(12, { route: '/x' });
  for (const v of [-3, 0, 0.5, 7, 900]) meter.createHistogram('sizes').record(v);
  await new Promise((r) => setTimeout(r, 5));
  seeds.metrics = await collect();
  const { logger, collect: collectLogs } = sdkLogger('auth');
  logger.emit({ severityNumber: SeverityNumber.ERROR, body: 'boom', attributes: { a: 'b' } });
  logger.emit({ severityText: 'warn', body: { nested: [1, 'x', { y: true }] } });
  seeds.logs = collectLogs();
});

type ByteOp =
  | { op: 'flip'; at: number; value: number }
  | { op: 'cut'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'repeat'; at: number; length: number };

/** A byte-level mutation of a seed: flips, cuts, insertions and repeats. */
const byteMutation: fc.Arbitrary<ByteOp[]> = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), value: fc.nat(255) }),
    fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({
      op: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ maxLength: 12 }),
    }),
    fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), length: fc.nat(40) }),
  ),
  { minLength: 1, maxLength: 6 },
);

function mutateBytes(seed: Uint8Array, ops: readonly ByteOp[]): Uint8Array {
  let b = Buffer.from(seed);
  for (const op of ops) {
    const at = b.length === 0 ? 0 : op.at % b.length;
    if (op.op === 'flip' && b.length > 0) b[at] = op.value;
    else if (op.op === 'cut') b = b.subarray(0, at);
    else if (op.op === 'insert') b = Buffer.concat([b.subarray(0, at), op.bytes, b.subarray(at)]);
    else if (op.op === 'repeat') {
      b = Buffer.concat([b.subarray(0, at + op.length), b.subarray(at)]);
    }
  }
  return b;
}

/** Every path to a node of a JSON tree. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  }
  return out;
}

function replaceAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: unknown = structuredClone(root);
  let node = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
  return copy;
}

const jsonNode = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('NaN', 'Infinity', '-1', '18446744073709551616', '', 'zz', -1, 1e308, null),
);

describe.each([
  ['metrics', 'protobuf'],
  ['metrics', 'json'],
  ['logs', 'protobuf'],
  ['logs', 'json'],
] as const)('fuzz: %s %s decoder', (kind, encoding) => {
  const seed = () => (encoding === 'protobuf' ? seeds[kind].proto : seeds[kind].json);

  it('the seed itself is taken', () => {
    expect(run(seed(), encoding, kind)).toBe(true);
  });

  it(`${RUNS} random bodies: taken or a typed format error`, { timeout: 60_000 }, () => {
    const random =
      encoding === 'protobuf'
        ? fc.uint8Array({ maxLength: 400 })
        : fc.oneof(
            fc.uint8Array({ maxLength: 200 }),
            fc.jsonValue({ maxDepth: 5 }).map((v) => Buffer.from(JSON.stringify(v))),
          );
    fc.assert(
      fc.property(random, (bytes) => {
        run(bytes, encoding, kind);
      }),
      { numRuns: RUNS },
    );
  });

  it(`${RUNS} mutated SDK bodies: taken or a typed format error`, { timeout: 60_000 }, () => {
    const base = seed();
    const tree: unknown = JSON.parse(Buffer.from(seeds[kind].json).toString('utf8'));
    const nodes = paths(tree);
    const mutated =
      encoding === 'protobuf'
        ? byteMutation.map((ops) => mutateBytes(base, ops))
        : fc.oneof(
            byteMutation.map((ops) => mutateBytes(base, ops)),
            fc
              .tuple(fc.nat(nodes.length - 1), jsonNode)
              .map(([i, v]) =>
                Buffer.from(
                  (JSON.stringify(replaceAt(tree, nodes[i] ?? [], v)) as string | undefined) ??
                    'null',
                ),
              ),
          );
    let taken = 0;
    fc.assert(
      fc.property(mutated, (bytes) => {
        if (run(bytes, encoding, kind)) taken += 1;
      }),
      { numRuns: RUNS },
    );
    // The mutations reach the mapping, not only the decoder's first check.
    expect(taken).toBeGreaterThan(0);
  });
});

describe.each(['protobuf', 'json'] as const)('fuzz: large %s metrics bodies', (encoding) => {
  /** Histogram points with many (zero) buckets: explicit or exponential, few or many points. */
  const large = fc
    .record({
      exponential: fc.boolean(),
      buckets: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 3_000_000 })),
      points: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3000 })),
    })
    .filter((r) => r.buckets * r.points <= 3_000_000);
  const body = (r: { exponential: boolean; buckets: number; points: number }): Uint8Array => {
    const zeros = Array<number>(r.buckets).fill(0);
    const point = r.exponential
      ? { timeUnixNano: '1795000000000000000', positive: { bucketCounts: zeros } }
      : {
          timeUnixNano: '1795000000000000000',
          explicitBounds: zeros.map((_, i) => i),
          bucketCounts: [...zeros, 0],
        };
    const data = { aggregationTemporality: 2, dataPoints: Array<unknown>(r.points).fill(point) };
    const request = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'auth' } }] },
          scopeMetrics: [
            {
              metrics: [
                { name: 'h', [r.exponential ? 'exponentialHistogram' : 'histogram']: data },
              ],
            },
          ],
        },
      ],
    };
    return encoding === 'protobuf'
      ? OtlpTypes.metricsRequest.encode(request).finish()
      : Buffer.from(JSON.stringify(request));
  };

  it(
    'taken or a typed error, each well within a second, the decoded tree bounded',
    { timeout: 60_000 },
    () => {
      fc.assert(
        fc.property(large, (r) => {
          const bytes = body(r);
          run(bytes, encoding, 'metrics');
          // The decoded tree, held: 3M packed zeros decoded to ~200-300 MB before they were
          // counted on the wire; at most 1M values now.
          const before = process.memoryUsage().heapUsed;
          let tree: unknown;
          try {
            tree = decodeOtlpBody(bytes, encoding, OtlpTypes.metricsRequest);
          } catch (err) {
            if (!(err instanceof OtlpFormatError || err instanceof OtlpTooLargeError)) throw err;
          }
          expect(process.memoryUsage().heapUsed - before).toBeLessThan(160 * 1024 * 1024);
          expect(tree === undefined || typeof tree === 'object').toBe(true);
        }),
        { numRuns: 15 },
      );
    },
  );
});

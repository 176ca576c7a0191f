/**
 * Loki push decode benchmark, one thread, on a promtail-shaped body (50 streams × 200 lines of
 * ~100 bytes, 4 stream labels): the time per body of each stage of the snappy-protobuf form
 * (snappy block, protobufjs PushRequest, selectors + mapping to records), and the whole of each
 * form (protobuf, and JSON of the same push), in lines/s.
 *
 *   npm run bench -- loki-push [--rounds 100]
 */
import { parseArgs } from 'node:util';
import { decodeLokiBody } from '../src/ingest/loki/body.js';
import { toLokiPush } from '../src/ingest/loki/push-proto.js';
import { decodePushRequest } from '../src/ingest/loki/push-request.js';
import { uncompressBlock } from '../src/ingest/remote-write/snappy-block.js';
import { lokiProtoBody, selector, type TestEntry } from '../test/helpers/loki-push.js';

const STREAMS = 50;
const LINES = 200;
const MAX = 64 * 1024 * 1024;
const limits = {
  serviceLabels: ['service'],
  maxLabels: 30,
  maxLabelNameLength: 128,
  maxLabelValueLength: 1024,
};

function streams(): { labels: Record<string, string>; entries: TestEntry[] }[] {
  const t = Date.UTC(2026, 10, 25, 6, 58);
  return Array.from({ length: STREAMS }, (_, s) => ({
    labels: { env: 'prod', filename: `/var/log/auth/${s}.log`, job: 'auth', level: 'info' },
    entries: Array.from({ length: LINES }, (_, i) => ({
      ms: t + i,
      line: `ts=2026-11-25T06:58:${String(i % 60).padStart(2, '0')}Z level=info msg="login ok" user=u${i} tenant=t-${s} latency_ms=${i % 97}`,
    })),
  }));
}

/** Mean ms per call over `rounds`, after a warm-up. */
function time(rounds: number, f: () => unknown): number {
  for (let i = 0; i < Math.min(20, rounds); i++) f();
  const start = performance.now();
  for (let i = 0; i < rounds; i++) f();
  return (performance.now() - start) / rounds;
}

export function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { rounds: { type: 'string', default: '100' } },
  });
  const rounds = Number(values.rounds);
  const push = streams();
  const body = lokiProtoBody(push.map((s) => ({ ...s, labels: selector(s.labels) })));
  const json = Buffer.from(
    JSON.stringify({
      streams: push.map((s) => ({
        stream: s.labels,
        values: s.entries.map((e) => [`${e.ms ?? 0}000000`, e.line]),
      })),
    }),
  );
  const raw = uncompressBlock(body, MAX);
  const decoded = decodePushRequest(raw);
  const lines = STREAMS * LINES;
  const stages = {
    snappy: time(rounds, () => uncompressBlock(body, MAX)),
    protobufjs: time(rounds, () => decodePushRequest(raw)),
    mapping: time(rounds, () => toLokiPush(decoded, limits)),
  };
  const whole = (contentType: string, b: Buffer): number =>
    time(rounds, () =>
      decodeLokiBody({ body: b, contentType, contentEncoding: undefined }, MAX, limits),
    );
  const proto = whole('application/x-protobuf', body);
  const asJson = whole('application/json', json);
  const rate = (ms: number): string =>
    `${Math.round((lines / ms) * 1000).toLocaleString('en')} lines/s`;
  process.stdout.write(
    `Loki push, ${lines.toLocaleString('en')} lines (${STREAMS} streams), ${rounds} rounds\n` +
      Object.entries(stages)
        .map(([k, ms]) => `  ${k.padEnd(11)} ${ms.toFixed(2)} ms/body\n`)
        .join('') +
      `  protobuf    ${(body.length / 1024).toFixed(0)} KiB: ${proto.toFixed(2)} ms/body, ${rate(proto)}\n` +
      `  JSON        ${(json.length / 1024).toFixed(0)} KiB: ${asJson.toFixed(2)} ms/body, ${rate(asJson)}\n`,
  );
  return Promise.resolve();
}

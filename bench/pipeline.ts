/**
 * End-to-end pipeline benchmark: posts N samples over HTTP to a running worker and prints the
 * rate at which they were accepted (HTTP 202) and processed (scored by the detect workers,
 * read from the worker's own aiops_samples_processed_total counter).
 *
 *   npm start &   # or any running worker
 *   npm run bench -- pipeline [--url http://127.0.0.1:9470] [--samples 200000] [--series 1000]
 *                              [--batch 2000] [--concurrency 4]
 */
import { parseArgs } from 'node:util';

async function processed(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('aiops_samples_processed_total{')) total += Number(line.split(' ').pop());
  }
  return total;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:9470' },
      samples: { type: 'string', default: '200000' },
      series: { type: 'string', default: '1000' },
      batch: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '4' },
    },
  });
  const url = values.url;
  const total = Number(values.samples);
  const seriesCount = Number(values.series);
  const batch = Number(values.batch);
  const concurrency = Number(values.concurrency);
  try {
    await fetch(`${url}/healthz`);
  } catch {
    process.stderr.write(`bench: no worker at ${url}; start one first (npm start)\n`);
    process.exit(1);
  }
  // One ms apart from now on, so a later run is newer and not ignored as a retry of this one.
  const t0 = Date.now();
  const bodies: string[] = [];
  for (let off = 0; off < total; off += batch) {
    const lines: string[] = [];
    for (let i = off; i < Math.min(total, off + batch); i++) {
      const s = i % seriesCount;
      const step = Math.floor(i / seriesCount);
      lines.push(
        `{"ts":${t0 + step},"metric":"bench_latency_ms","labels":{"service":"svc${s % 20}","instance":"i${s}"},"value":${100 + (i % 17)}}`,
      );
    }
    bodies.push(lines.join('\n'));
  }
  const before = await processed(url);
  const started = performance.now();
  let next = 0;
  let rejected = 0;
  const sender = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++] ?? '';
      for (;;) {
        const res = await fetch(`${url}/api/v1/samples`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body,
        });
        if (res.status === 202) {
          await res.arrayBuffer();
          break;
        }
        if (res.status === 429 || res.status === 503) {
          await res.arrayBuffer();
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        rejected += 1;
        if (rejected === 1)
          process.stderr.write(`bench: ingest answered ${res.status}: ${await res.text()}\n`);
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  const acceptedSec = (performance.now() - started) / 1000;
  if (rejected > 0) {
    process.stderr.write(`bench: ${rejected} requests were rejected; not measuring processing\n`);
    process.exit(1);
  }
  let done = 0;
  let lastReport = performance.now();
  for (;;) {
    done = (await processed(url)) - before;
    if (done >= total) break;
    if (performance.now() - lastReport > 2000) {
      process.stderr.write(`bench: processed ${done}/${total}\n`);
      lastReport = performance.now();
    }
    if (performance.now() - started > 600_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const processedSec = (performance.now() - started) / 1000;
  const row = (k: string, v: string): void => {
    process.stdout.write(`${k.padEnd(28)} ${v}\n`);
  };
  row('samples', String(total));
  row('series', String(seriesCount));
  row('samples per request', String(batch));
  row('concurrent senders', String(concurrency));
  row('rejected requests', String(rejected));
  row(
    'accepted (HTTP 202)',
    `${(total / acceptedSec).toFixed(0)} samples/s  (${acceptedSec.toFixed(2)} s)`,
  );
  row(
    'processed end to end',
    `${(done / processedSec).toFixed(0)} samples/s  (${processedSec.toFixed(2)} s, ${done} scored)`,
  );
}

/**
 * A day beside a real Prometheus, compressed to half an hour: Debian's Prometheus scrapes itself
 * and the worker every `--scrape-s` seconds, evaluates the shipped rules and remote-writes
 * everything to the worker with the docs' exact snippet; Debian's Alertmanager runs the shipped
 * config; the demo's services send normal traffic and logs (a day backfilled, then live). For
 * `--minutes` there is no fault: the run counts incidents, pages (Alertmanager notifications),
 * remote_write samples Prometheus failed to send and worker warnings, printing them every 5
 * minutes. Then auth fails as in the demo, and the run waits 90 s for pages: exactly one is
 * wanted, naming auth and its leading log error.
 *
 *   npm run bench -- soak [--minutes 30] [--scrape-s 5]
 *
 * Any Prometheus series that reached the detectors would finish its warm-up (150 samples)
 * after 150 × scrape-s seconds: the quiet phase should last at least that plus 30 minutes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { demoTraffic, startStack, type SoakCounts } from '../test/helpers/soak-stack.js';

const MIN = 60_000;

function line(label: string, c: SoakCounts): string {
  return (
    `${label}: incidents ${c.incidents.length}, pages ${c.pages.length}, ` +
    `remote_write samples failed ${c.remoteWriteFailed} (error lines ${c.remoteWriteErrorLines}), ` +
    `worker warnings ${c.warnings.length}\n`
  );
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { minutes: { type: 'string' }, 'scrape-s': { type: 'string' } },
  });
  const minutes = Number(values.minutes ?? 30);
  const scrapeS = Number(values['scrape-s'] ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'aiops-soak-'));
  const prefix = `soak-${process.pid}`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const stack = await startStack({
    dir,
    redisUrl,
    prefix,
    scrapeS,
  });
  try {
    const start = Math.floor(Date.now() / MIN) * MIN;
    const quietEnd = start + minutes * MIN;
    // The outage starts two minutes into the last phase (its logs lead by two minutes).
    const outageAt = quietEnd + 2 * MIN + 7_000;
    const traffic = demoTraffic(start - 25 * 60 * MIN, outageAt + 10 * MIN, outageAt);
    const backfill = traffic.records.filter((r) => r.ts <= Date.now());
    process.stdout.write(
      `soak: worker ${stack.worker.url}, Prometheus ${stack.prometheus.url} (scrape ${scrapeS} s), ` +
        `Alertmanager ${stack.alertmanager.url}; backfilling ${backfill.length} records (25 h)\n`,
    );
    await stack.post(backfill);
    const since = Date.now();
    let index = backfill.length;
    process.stdout.write(
      `soak: ${minutes} quiet minutes from ${new Date(since).toISOString()}; ` +
        `Prometheus series would end their warm-up after ${((150 * scrapeS) / 60).toFixed(1)} min\n`,
    );
    for (let m = 5; m <= minutes; m += 5) {
      index = await stack.stream(traffic, index, since + m * MIN);
      process.stdout.write(line(`  after ${m} min`, await stack.counts(since)));
    }
    index = await stack.stream(traffic, index, quietEnd);
    const quiet = await stack.counts(since);
    process.stdout.write(line(`quiet phase (${minutes} min)`, quiet));
    for (const w of quiet.warnings.slice(0, 5)) process.stdout.write(`  warning: ${w}\n`);
    for (const i of quiet.incidents) {
      process.stdout.write(`  incident ${i.id}: root cause ${i.root_cause?.service ?? '?'}\n`);
    }

    const faultStart = Date.now();
    process.stdout.write(
      `soak: auth fails at ${new Date(outageAt).toISOString()} (its logs from 2 min before)\n`,
    );
    index = await stack.stream(traffic, index, outageAt + 90_000);
    const after = await stack.counts(faultStart);
    process.stdout.write(line('outage (90 s after the fault)', after));
    for (const p of after.pages) {
      const summaries = p.alerts.map((a) => a.annotations.summary ?? '').join(' | ');
      process.stdout.write(
        `  page at fault + ${((p.at - outageAt) / 1000).toFixed(0)} s: ${summaries}\n`,
      );
    }
    const ok =
      quiet.incidents.length === 0 &&
      quiet.pages.length === 0 &&
      quiet.remoteWriteFailed === 0 &&
      quiet.warnings.length === 0 &&
      after.pages.length === 1 &&
      /auth/.test(after.pages[0]?.alerts.map((a) => a.annotations.summary).join(' ') ?? '');
    process.stdout.write(
      `soak: ${ok ? 'PASS' : 'FAIL'} (want 0/0/0/0 quiet, then exactly 1 page naming auth)\n`,
    );
  } finally {
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
    // The run's keys go with it: nothing is left in the Redis it borrowed.
    const redis = new Redis(redisUrl);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
}

/**
 * `npm run demo`: posts the synthetic auth/routing/storage outage to a running worker, then
 * prints the anomaly scores it shows on /metrics. Usage: npm run demo [-- --url URL]
 */
import { syntheticOutage } from './synthetic-outage.js';

const args = process.argv.slice(2);
const urlArg = args.indexOf('--url');
const base = (urlArg >= 0 ? args[urlArg + 1] : undefined) ?? 'http://127.0.0.1:9470';

async function main(): Promise<void> {
  try {
    await fetch(`${base}/healthz`);
  } catch {
    process.stderr.write(
      `demo: no worker answers at ${base}; start one with "npm start" first (or pass --url)\n`,
    );
    process.exit(1);
  }
  const records = syntheticOutage({
    end: Date.now(),
    normalMinutes: 120,
    outageMinutes: 3,
    stepMs: 10_000,
  });
  process.stdout.write(
    `demo: posting ${records.length} samples (2 h of normal traffic, then an auth outage) to ${base}\n`,
  );
  const chunk = 2000;
  for (let i = 0; i < records.length; i += chunk) {
    const body = records
      .slice(i, i + chunk)
      .map((r) => JSON.stringify(r))
      .join('\n');
    const res = await fetch(`${base}/api/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    if (res.status !== 202) {
      process.stderr.write(`demo: ingest answered ${res.status}: ${await res.text()}\n`);
      process.exit(1);
    }
  }
  await new Promise((r) => setTimeout(r, 1500));
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const scores = metrics.split('\n').filter((l) => l.startsWith('aiops_anomaly_score{'));
  process.stdout.write(`\n${base}/metrics now shows:\n${scores.join('\n')}\n`);
  process.stdout.write(
    '\nThe worker log shows one "anomaly:" line per anomalous event (its onset), with the expected band.\n',
  );
}

await main();

/**
 * `npm run demo`: the login-outage story against a running worker. It posts a day of normal
 * traffic and logs for auth, routing and storage (the default config's services), then an auth
 * outage: auth logs a new error two minutes before its metrics move, auth fails, routing
 * follows a minute later, storage's request rate falls. It then waits for the incident and
 * prints it: root cause, the other candidates with their reasons, and the timeline.
 * Usage: npm run demo [-- --url URL]
 */
import { parseArgs } from 'node:util';
import type { IncidentJson } from '../queues/contract.js';
import { LOG_LEAD_MS, demoStory } from './demo-story.js';

const USAGE = `usage: npm run demo [-- --url URL]

Plays the login outage (a day of normal auth, routing and storage traffic and logs, then auth
fails) to a running worker (default http://127.0.0.1:9470) and prints the incident it opens.
Run it once on a worker that has seen no auth anomaly lately: a second run, or the quick
start's spike, joins the same incident. A fresh worker: AIOPS_REDIS__PREFIX=demo npm start.
`;

function baseUrl(args: readonly string[]): string {
  const { values } = parseArgs({
    args: [...args],
    options: { url: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  return values.url ?? 'http://127.0.0.1:9470';
}

let base: string;
try {
  base = baseUrl(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const MIN = 60_000;

const clock = (iso: string | null): string => (iso ?? '').slice(11, 19);
const hhmmss = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
const num = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));

async function post(records: readonly object[]): Promise<void> {
  const chunk = 5000;
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
      throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    }
  }
}

function print(inc: IncidentJson): void {
  const out: string[] = [];
  const root = inc.root_cause;
  const affected = inc.services.filter((s) => s !== root?.service);
  out.push(
    `\nincident ${inc.id} (${inc.severity}), opened ${clock(inc.opened_at)} UTC`,
    `  root cause: ${root?.service ?? '?'} (${root?.signal ?? '?'}, confidence ${Math.round((root?.confidence ?? 0) * 100)}%)` +
      (affected.length > 0 ? `; ${affected.join(' and ')} affected` : ''),
    '  why, per candidate:',
  );
  for (const c of inc.candidates) {
    out.push(
      `    ${c.service.padEnd(8)} ${String(Math.round(c.confidence * 100)).padStart(3)}%  ${c.reasons.join('; ')}`,
    );
  }
  out.push('  timeline:');
  for (const a of inc.timeline) {
    out.push(
      `    ${clock(a.ts)}  ${a.service.padEnd(8)} ${a.signal.padEnd(26)} ${num(a.value).padStart(8)}  expected ${num(a.lower)}–${num(a.upper)}  score ${a.score.toFixed(2)}` +
        (a.template === undefined ? '' : `\n              ${a.level ?? ''} "${a.template}"`),
    );
  }
  for (const r of inc.remediations ?? []) {
    out.push(
      `  remediation: ${r.hook} on ${r.target}, ${r.state} (${r.mode} mode)` +
        (r.state === 'pending' ? `: approve with POST /api/v1/remediations/${r.id}/approve` : ''),
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<void> {
  try {
    await fetch(`${base}/healthz`);
  } catch {
    process.stderr.write(
      `demo: no worker answers at ${base}; start one with "npm start" first (or pass --url)\n`,
    );
    process.exit(1);
  }
  const { outageAt, records, logs } = demoStory(Math.floor(Date.now() / MIN) * MIN);
  process.stdout.write(
    `demo: posting ${records.length} samples and ${logs.length} log lines to ${base}: 25 h of normal traffic for auth, routing and storage,\n` +
      `      then auth logs a new error from ${hhmmss(logs.find((l) => l.level === 'error')?.ts ?? outageAt)} UTC and fails at ${hhmmss(outageAt)}; ` +
      `routing follows a minute later; storage loses traffic\n`,
  );
  await post([...records, ...logs].sort((a, b) => a.ts - b.ts));
  process.stdout.write('demo: waiting for the worker to detect and correlate');
  const deadline = Date.now() + 90_000;
  let found: IncidentJson | undefined;
  while (Date.now() < deadline && !found) {
    await new Promise((r) => setTimeout(r, 1000));
    process.stdout.write('.');
    const res = await fetch(`${base}/api/v1/incidents?status=open`);
    if (!res.ok) continue;
    const { incidents } = (await res.json()) as { incidents: IncidentJson[] };
    found = incidents.find((i) => Date.parse(i.opened_at ?? '') >= outageAt - LOG_LEAD_MS);
  }
  process.stdout.write('\n');
  if (!found) {
    process.stderr.write(
      'demo: no incident after 90 s; is the worker running every role (npm start runs them all)?\n',
    );
    process.exit(1);
  }
  // The list answers without remediations; the incident's own answer lists them (recorded a
  // moment after the incident is saved, so look again briefly when none are there yet).
  let full: IncidentJson = found;
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${base}/api/v1/incidents/${found.id}`);
    if (res.ok) full = (await res.json()) as IncidentJson;
    if ((full.remediations ?? []).length > 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  print(full);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const lines = metrics.split('\n').filter((l) => l.startsWith('aiops_incident_'));
  process.stdout.write(`\n${base}/metrics now shows:\n${lines.join('\n')}\n`);
  process.stdout.write(
    `\nRead it in a browser: ${base}/incidents/${found.id} (the status page: ${base}/status)\n` +
      `The full record (its explanation at opening and now): ${base}/api/v1/incidents/${found.id}\n`,
  );
}

await main();

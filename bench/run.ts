/** `npm run bench -- <name> [args]`: runs one benchmark, which prints its figures. */
const benches: Record<string, () => Promise<{ main(args: string[]): Promise<void> }>> = {
  pipeline: () => import('./pipeline.js'),
  nab: () => import('./nab.js'),
  detectors: () => import('./detectors.js'),
  correlate: () => import('./correlate.js'),
  'early-warning': () => import('./early-warning.js'),
  loghub: () => import('./loghub.js'),
  ingest: () => import('./ingest.js'),
  e2e: () => import('./e2e.js'),
  'loki-push': () => import('./loki-push.js'),
  'status-page': () => import('./status-page.js'),
  soak: () => import('./soak.js'),
  idle: () => import('./idle.js'),
  'false-alarms': () => import('./false-alarms.js'),
};

const [name, ...args] = process.argv.slice(2);
const load = name === undefined ? undefined : benches[name];
if (!load) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]\n`);
  process.exit(2);
}
await (await load()).main(args);

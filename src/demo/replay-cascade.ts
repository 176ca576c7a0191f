/**
 * Runs a generated cascade through `replay` (the live path's detectors and correlator, from a
 * real NDJSON file) and returns its incidents.json and records: one way for the correlation
 * tests and bench/correlate.ts to do it.
 */
import { replaySettingsFromConfig } from '../replay/replay-from-config.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config/load.js';
import type { IncidentJson } from '../queues/contract.js';
import type { Suppression } from '../detect/suppressions.js';
import { replay } from '../replay/replay.js';
import { configIssues } from '../service/config-checks.js';
import { cascade, type CascadeOptions, type CascadeRecord } from './cascade.js';
import { cascadeLogs } from './cascade-logs.js';

export async function replayCascade(
  o: CascadeOptions & {
    /** The `services` map the worker is configured with (default: the generator's graph). */
    readonly configuredServices?: CascadeOptions['services'];
    /** Also write the services' logs, a root's errors starting this long before its metrics. */
    readonly logLeadMs?: number;
    /** Suppressions replay honours as the live stages do (detect/suppressions.ts). */
    readonly suppressions?: readonly Suppression[];
  },
): Promise<{ incidents: IncidentJson[]; records: CascadeRecord[] }> {
  const config = parseConfig(
    { services: o.configuredServices ?? o.services },
    { check: configIssues },
  );
  const dir = mkdtempSync(join(tmpdir(), 'aiops-cascade-'));
  try {
    const records = cascade(o);
    const logs = o.logLeadMs === undefined ? [] : cascadeLogs({ ...o, leadMs: o.logLeadMs });
    writeFileSync(
      join(dir, 'in.ndjson'),
      [...records, ...logs].map((r) => JSON.stringify(r)).join('\n'),
    );
    await replay({
      input: join(dir, 'in.ndjson'),
      outDir: join(dir, 'out'),
      ...replaySettingsFromConfig(config),
      ...(o.suppressions ? { suppressions: o.suppressions } : {}),
      report: () => undefined,
    });
    const incidents = JSON.parse(
      readFileSync(join(dir, 'out', 'incidents.json'), 'utf8'),
    ) as IncidentJson[];
    return { incidents, records };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `replay` of the demo's login outage with the shipped config: hooks.ndjson lists the
 * rollback-auth hook, suggested for the incident whose root cause is auth, in event time; a
 * second replay of the same file writes the same bytes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { demoStory } from '../../src/demo/demo-story.js';
import type { IncidentJson } from '../../src/queues/contract.js';
import { replay } from '../../src/replay/replay.js';
import { replaySettingsFromConfig } from '../../src/replay/replay-from-config.js';
import { configIssues } from '../../src/service/config-checks.js';

const root = join(import.meta.dirname, '../..');

describe('replay of the demo: hooks.ndjson', () => {
  it('lists the shipped rollback hook for the auth incident, the same on every replay', async () => {
    const config = loadConfig(join(root, 'config/default.yaml'), {}, configIssues);
    const { records, logs } = demoStory(Date.UTC(2026, 11, 1, 8));
    const dir = mkdtempSync(join(tmpdir(), 'aiops-hooks-'));
    const input = join(dir, 'in.ndjson');
    writeFileSync(input, [...records, ...logs].map((r) => JSON.stringify(r)).join('\n'));
    const run = async (out: string): Promise<string> => {
      await replay({
        input,
        outDir: join(dir, out),
        ...replaySettingsFromConfig(config),
        report: () => undefined,
      });
      return readFileSync(join(dir, out, 'hooks.ndjson'), 'utf8');
    };
    const first = await run('a');
    const second = await run('b');
    expect(second).toBe(first);

    const incidents = JSON.parse(
      readFileSync(join(dir, 'a', 'incidents.json'), 'utf8'),
    ) as IncidentJson[];
    const auth = incidents.find((i) => i.root_cause?.service === 'auth');
    expect(auth).toBeDefined();
    const lines = first
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines).toContainEqual({
      hook: 'rollback-auth',
      incident: auth?.id,
      target: 'auth',
      mode: 'suggest',
      transition: 'opened',
      decision: 'suggested',
      reason: 'suggest mode: shown, not run',
      ts: auth?.opened_at,
    });
    // Only auth incidents call for it.
    expect(lines.every((l) => l.hook === 'rollback-auth' && l.target === 'auth')).toBe(true);
  }, 120_000);
});

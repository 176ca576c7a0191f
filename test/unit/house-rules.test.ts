import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the ESLint config is plain JavaScript without type declarations.
import { houseRules } from '../../eslint.config.js';

/**
 * The folder rules of docs/architecture.md ("The house") as `npm run lint` enforces them, run
 * here alone (no type information, so it is quick) so CI fails on an import against the flow
 * or a circle, and so the rules cannot quietly stop matching (a resolver that finds nothing
 * would pass every import).
 */
const root = join(import.meta.dirname, '../..');

function eslint(): ESLint {
  return new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      { languageOptions: { parser: tseslint.parser, sourceType: 'module' } },
      houseRules as object,
    ],
  });
}

/** The messages of the house rules for `code` as if it were the file `path`. */
async function lintAs(path: string, code: string): Promise<string[]> {
  const [result] = await eslint().lintText(code, { filePath: join(root, path) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? ''}: ${m.message}`);
}

describe('the house rules', () => {
  it('the source tree keeps them: no import against the flow, no circle', async () => {
    const results = await eslint().lintFiles(['src/**/*.ts', 'detectors/**/*.ts']);
    const problems = results.flatMap((r) =>
      r.messages.map((m) => `${r.filePath.slice(root.length + 1)}:${m.line} ${m.message}`),
    );
    expect(results.length).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  }, 60_000);

  it.each([
    [
      'src/detect/x.ts',
      '../notify/deliver.js',
      'detect talks to other stages only through queues/',
    ],
    ['src/detect/x.ts', '../correlate/incidents.js', 'detect talks to other stages'],
    ['src/ingest/x.ts', '../detect/score-board.js', 'ingest talks to later stages only'],
    ['src/correlate/x.ts', '../notify/deliver.js', 'correlate takes anomalies'],
    ['src/notify/x.ts', '../correlate/correlate-worker.js', "correlate's public modules only"],
    ['src/telemetry/x.ts', '../detect/score-board.js', 'telemetry/ is a shared leaf'],
    ['src/config/x.ts', '../detect/detector-choice.js', 'config/ is a shared leaf'],
    ['src/queues/x.ts', '../correlate/incidents.js', 'queues/ is the contract'],
    ['src/http/x.ts', '../ingest/records.js', 'http/ serves every stage'],
    ['src/api/x.ts', '../service/service.js', 'api reads the stores'],
    ['src/remediate/x.ts', '../notify/deliver.js', 'it tells receivers through the notify queue'],
    ['src/remediate/x.ts', '../correlate/correlate-worker.js', "correlate's public modules only"],
    ['src/remediate/x.ts', '../detect/detect-worker.js', "detect's score board only"],
    ['src/notify/x.ts', '../remediate/propose.js', 'notify takes incidents through queues/'],
    ['src/replay/x.ts', '../service/service.js', 'nothing imports service/'],
    ['detectors/x.ts', '../src/errors.js', 'detectors/ is pure'],
  ])('%s may not import %s', async (path, spec, reason) => {
    const messages = await lintAs(path, `import * as m from '${spec}';\nexport const x = m;\n`);
    expect(messages.join('\n')).toContain(reason);
  });

  it.each([
    ['src/detect/x.ts', '../queues/contract.js'],
    ['src/logs/x.ts', '../detect/score-batch.js'],
    ['src/notify/x.ts', '../correlate/incident-store.js'],
    ['src/api/x.ts', '../correlate/incident-store.js'],
    ['src/ingest/x.ts', '../http/error-answer.js'],
    ['src/service/x.ts', '../notify/start-notify.js'],
    ['src/remediate/x.ts', '../correlate/incident-store.js'],
    ['src/remediate/x.ts', '../detect/score-board.js'],
    ['src/api/x.ts', '../remediate/remediation-store.js'],
  ])('%s may import %s', async (path, spec) => {
    const messages = await lintAs(path, `import * as m from '${spec}';\nexport const x = m;\n`);
    expect(messages).toEqual([]);
  });
});

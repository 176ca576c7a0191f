import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigText } from '../../src/config/load.js';
import { pullSchedules } from '../../src/ingest/pull/pull-worker.js';

const problemsOf = (yaml: string): readonly string[] => {
  try {
    parseConfigText(yaml, 'test.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

/** The first YAML example of the Pull page, docs/ingest/pull.md: what a reader copies. */
function docsExample(): string {
  const page = readFileSync(new URL('../../docs/ingest/pull.md', import.meta.url), 'utf8');
  const m = /```yaml\n([\s\S]*?)```/.exec(page);
  if (!m?.[1]) throw new Error('no YAML example in docs/ingest/pull.md');
  return m[1];
}

describe('pull config', () => {
  it('defaults to nothing pulled', () => {
    const c = parseConfigText('services: {}\n', 'x', {});
    expect(c.pull).toEqual({
      prometheus: [],
      scrape: [],
      max_scrape_bytes: 16 * 1024 * 1024,
      max_scrape_samples: 200_000,
    });
    expect(pullSchedules(c.pull).size).toBe(0);
  });

  it('the docs example is valid and schedules every query and target', () => {
    const c = parseConfigText(docsExample(), 'docs/ingest/pull.md', {});
    const main = c.pull.prometheus[0];
    expect(main?.latency_offset_ms).toBe(60_000);
    expect(main?.queries.map((q) => q.name)).toEqual(['login_failures', 'http_requests']);
    expect(c.pull.scrape[0]?.labels).toEqual({ env: 'prod' });
    expect([...pullSchedules(c.pull)].map(([id, s]) => [id, s.every])).toEqual([
      ['prometheus/main/login_failures', 60_000],
      ['prometheus/main/http_requests', 60_000],
      ['scrape/storage', 15_000],
    ]);
  });

  it('fills defaults for a minimal query and target', () => {
    const c = parseConfigText(
      [
        'pull:',
        '  prometheus: [{ name: p, url: "http://p:9090", queries: [{ name: q, query: up }] }]',
        '  scrape: [{ name: s, url: "http://s:9100/metrics" }]',
      ].join('\n'),
      'x',
      {},
    );
    expect(c.pull.prometheus[0]).toMatchObject({
      latency_offset_ms: 60_000,
      max_points_per_query: 1000,
      catch_up_ms: 3_600_000,
      timeout_ms: 10_000,
      queries: [{ step_ms: 15_000, interval_ms: 60_000 }],
    });
    expect(c.pull.scrape[0]).toMatchObject({ interval_ms: 15_000, timeout_ms: 10_000, labels: {} });
  });

  it.each([
    [
      'duplicate targets',
      'pull: { scrape: [{ name: a, url: "http://x/m" }, { name: a, url: "http://y/m" }] }',
      'pull.scrape[1].name: duplicate name "a"',
    ],
    [
      'duplicate queries',
      'pull: { prometheus: [{ name: p, url: "http://p", queries: [{ name: q, query: up }, { name: q, query: up }] }] }',
      'pull.prometheus[0].queries[1].name: duplicate name "q"',
    ],
    [
      'a query name that is no metric name',
      'pull: { prometheus: [{ name: p, url: "http://p", queries: [{ name: "1x", query: up }] }] }',
      'pull.prometheus[0].queries[0].name',
    ],
    [
      'more points than Prometheus allows',
      'pull: { prometheus: [{ name: p, url: "http://p", max_points_per_query: 20000, queries: [{ name: q, query: up }] }] }',
      'pull.prometheus[0].max_points_per_query',
    ],
    [
      'a source without queries',
      'pull: { prometheus: [{ name: p, url: "http://p", queries: [] }] }',
      'pull.prometheus[0].queries',
    ],
    ['an unknown key', 'pull: { scrape: [{ name: a, url: "http://x/m", every: 5 }] }', 'every'],
  ])('refuses %s', (_what, yaml, problem) => {
    expect(problemsOf(yaml).join('\n')).toContain(problem);
  });

  it('reads the bearer token from bearer_token_file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aiops-pull-config-'));
    writeFileSync(join(dir, 'token'), 's3cret\n');
    writeFileSync(
      join(dir, 'c.yaml'),
      'pull: { prometheus: [{ name: p, url: "http://p", bearer_token_file: token, queries: [{ name: q, query: up }] }] }',
    );
    expect(loadConfig(join(dir, 'c.yaml'), {}).pull.prometheus[0]?.bearer_token).toBe('s3cret');
  });
});

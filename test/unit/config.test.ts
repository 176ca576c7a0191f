import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigText } from '../../src/config/load.js';
import { detectorChoiceOrThrow } from '../../src/detect/detector-choice.js';
import { configIssues } from '../../src/service/config-checks.js';

const problemsOf = (yaml: string, env: Record<string, string> = {}): readonly string[] => {
  try {
    parseConfigText(yaml, 'test.yaml', env, configIssues);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('config', () => {
  it('accepts a file holding only the services map, defaulting every other key', () => {
    const c = parseConfigText(
      'services:\n  auth:    { depends_on: [storage] }\n  routing: { depends_on: [auth, storage] }\n  storage: { depends_on: [] }\n',
      'x',
      {},
    );
    expect(Object.keys(c.services)).toEqual(['auth', 'routing', 'storage']);
    expect(c.services.routing?.depends_on).toEqual(['auth', 'storage']);
    expect(c.server).toEqual({
      host: '127.0.0.1',
      port: 9470,
      body_limit_bytes: 8 * 1024 * 1024,
      public_status: false,
      status_refresh_ms: 15_000,
    });
    expect(c.queues.partitions).toBe(16);
    expect(c.ingest.service_labels).toEqual(['service']);
    expect(Object.isFrozen(c.server)).toBe(true);
  });

  it('loads the shipped default config', () => {
    const c = loadConfig(join(import.meta.dirname, '../../config/default.yaml'), {});
    expect(c.services.auth?.depends_on).toEqual(['storage']);
    expect(c.services.storage?.depends_on).toEqual([]);
  });

  it.each([
    [
      'services:\n  auth: { depends_on: [autth] }\n',
      'services.auth.depends_on[0]: unknown service "autth"',
    ],
    [
      'services:\n  auth: { depends_on: [auth] }\n',
      'services.auth.depends_on[0]: service "auth" cannot depend on itself',
    ],
    ['server: { port: 70000 }\n', 'server.port:'],
    ['server: { port: "x" }\n', 'server.port:'],
    ['server: { prot: 80 }\n', 'server: Unrecognized key: "prot"'],
    ['queues: { partitions: 0 }\n', 'queues.partitions:'],
    ['detect: { anomaly_threshold: 2 }\n', 'detect.anomaly_threshold:'],
    ['services:\n  "bad name!": {}\n', 'services.bad name!:'],
    ['ingest: { service_labels: [] }\n', 'ingest.service_labels:'],
    ['log: { level: loud }\n', 'log.level:'],
    ['redis: { url: "${NOPE}" }\n', 'redis.url: environment variable NOPE is not set'],
    ['- just\n- a list\n', '(root): must be a mapping'],
    ['services: [\n', 'YAML:'],
    [
      'detect: { detectors: { default: ensembel } }\n',
      'detect.detectors.default: unknown detector "ensembel"',
    ],
    [
      'detect: { detectors: { params: { ensemble: { bogus: 1 } } } }\n',
      'detect.detectors.params.ensemble.bogus: unknown parameter of ensemble',
    ],
    [
      'detect: { detectors: { params: { ewma: { alpah: 1 } } } }\n',
      'detect.detectors.params.ewma.alpah: unknown parameter of ewma',
    ],
    [
      'detect: { detectors: { params: { ensemble: { minDevAbsolute: 2 } } } }\n',
      'detect.detectors.params.ensemble.minDevAbsolute: parameters are snake_case: write min_dev_absolute',
    ],
    [
      'detect: { detectors: { params: { ensemble: { min_devAbsolute: 2 } } } }\n',
      'detect.detectors.params.ensemble.min_devAbsolute: parameters are snake_case: write min_dev_absolute',
    ],
    [
      'detect: { detectors: { overrides: [{ match: { service: a }, use: ewma, params: { Alpha: 0.1 } }] } }\n',
      'detect.detectors.overrides[0].params.Alpha: unknown parameter of ewma (did you mean "alpha"?)',
    ],
    [
      'detect: { detectors: { params: { ensemble: { window: 2.5 } } } }\n',
      'detect.detectors.params.ensemble: ensemble window must be an integer >= 1, got 2.5',
    ],
    [
      'detect: { detectors: { params: { seasonal: { period: month } } } }\n',
      'detect.detectors.params.seasonal: seasonal period must be day or week, got "month"',
    ],
    [
      'detect: { detectors: { params: { cusum: { h: 0 } } } }\n',
      'detect.detectors.params.cusum: cusum h must be in (0, Infinity], got 0',
    ],
    [
      'detect: { detectors: { params: { ensemble: { fire_at: high } } } }\n',
      'detect.detectors.params.ensemble.fire_at: must be a finite number, got "high"',
    ],
    [
      'detect: { detectors: { params: { ensemble: { direction: sideways } } } }\n',
      'detect.detectors.params.ensemble: ensemble direction must be up, down or both, got "sideways"',
    ],
    [
      'detect: { detectors: { overrides: [{ match: { metric: x }, use: trend_forecast }] } }\n',
      'detect.detectors.overrides[0].use: trend_forecast needs a finite threshold',
    ],
  ])('names the path of the problem in %j', (yaml, expected) => {
    const problems = problemsOf(yaml);
    expect(problems.some((p) => p.startsWith(expected))).toBe(true);
  });

  it('reports a refused parameter once, where it is set', () => {
    expect(
      problemsOf('detect: { detectors: { params: { ensemble: { tail: heavy } } } }\n'),
    ).toEqual([
      'detect.detectors.params.ensemble: ensemble tail must be gaussian or learned, got "heavy"',
    ]);
    expect(
      problemsOf(
        'detect: { detectors: { overrides: [{ match: { metric: x }, use: ensemble, params: { tail: heavy } }] } }\n',
      ),
    ).toEqual([
      'detect.detectors.overrides[0].params: ensemble tail must be gaussian or learned, got "heavy"',
    ]);
  });

  it('an override of a refused detector reports only its own problems', () => {
    expect(
      problemsOf(
        'detect: { detectors: { params: { ensemble: { tail: heavy } }, overrides: [{ match: { metric: x }, use: ensemble, params: { direction: up } }] } }\n',
      ),
    ).toEqual([
      'detect.detectors.params.ensemble: ensemble tail must be gaussian or learned, got "heavy"',
    ]);
  });

  it('reports every problem at once, not only the first', () => {
    const problems = problemsOf(
      'services:\n  auth: { depends_on: [autth] }\nserver: { port: -1 }\nqueues: { partitions: 0 }\n',
    );
    expect(problems).toHaveLength(3);
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['services.auth.depends_on[0]', 'server.port', 'queues.partitions']),
    );
  });

  it('reports schema and stage problems in one pass', () => {
    const problems = problemsOf(
      'server: { port: -1 }\ndetect: { detectors: { default: ensamble } }\nmaintenance: [{ name: m, cron: "0 2 * *", duration_ms: 3600000 }]\n',
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['server.port', 'detect.detectors.default', 'maintenance[0].cron']),
    );
  });

  it.each([
    ['server: { prot: 80 }\n', 'server: Unrecognized key: "prot" (did you mean "port"?)'],
    ['sever: { port: 80 }\n', '(root): Unrecognized key: "sever" (did you mean "server"?)'],
    [
      'server: { bodyLimitBytes: 2048 }\n',
      'server: Unrecognized key: "bodyLimitBytes" (did you mean "body_limit_bytes"?)',
    ],
    [
      'pull: { scrape: [{ name: a, url: "http://a", intervall_ms: 1000 }] }\n',
      'pull.scrape[0]: Unrecognized key: "intervall_ms" (did you mean "interval_ms"?)',
    ],
    [
      'detect: { detectors: { default: ensamble } }\n',
      'detect.detectors.default: unknown detector "ensamble" (did you mean "ensemble"?)',
    ],
    [
      'detect: { detectors: { params: { ewma: { alpah: 1 } } } }\n',
      'detect.detectors.params.ewma.alpah: unknown parameter of ewma (did you mean "alpha"?)',
    ],
  ])('suggests the known name for %j', (yaml, expected) => {
    expect(problemsOf(yaml)).toContainEqual(expect.stringContaining(expected));
  });

  it('expands ${VAR} and ${VAR:-default} placeholders', () => {
    const c = parseConfigText('redis: { url: "${R}", prefix: "${P:-dflt}" }\n', 'x', {
      R: 'redis://h:1',
    });
    expect(c.redis.url).toBe('redis://h:1');
    expect(c.redis.prefix).toBe('dflt');
  });

  it('reads *_file secret references relative to the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aiops-cfg-'));
    writeFileSync(join(dir, 'redis-url'), 'redis://secret:6379\n');
    writeFileSync(join(dir, 'c.yaml'), 'redis: { url_file: redis-url }\n');
    expect(loadConfig(join(dir, 'c.yaml'), {}).redis.url).toBe('redis://secret:6379');
    writeFileSync(join(dir, 'd.yaml'), 'redis: { url_file: missing }\n');
    expect(() => loadConfig(join(dir, 'd.yaml'), {})).toThrow(
      /redis\.url_file: cannot read missing/,
    );
  });

  it('ingest tokens arrive like every secret: inline, ${VAR} or token_file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aiops-cfg-'));
    writeFileSync(join(dir, 'prom-token'), 'token-from-a-file-0001\n');
    writeFileSync(
      join(dir, 'c.yaml'),
      [
        'ingest:',
        '  auth:',
        '    tokens:',
        '      - { name: a, token: token-inline-00000001 }',
        '      - { name: b, token: "${B_TOKEN}", sources: [otlp] }',
        '      - { name: c, token_file: prom-token }',
        '',
      ].join('\n'),
    );
    const c = loadConfig(join(dir, 'c.yaml'), { B_TOKEN: 'token-from-the-env-02' }, configIssues);
    expect(c.ingest.auth.tokens).toEqual([
      { name: 'a', token: 'token-inline-00000001' },
      { name: 'b', token: 'token-from-the-env-02', sources: ['otlp'] },
      { name: 'c', token: 'token-from-a-file-0001' },
    ]);
  });

  it.each([
    [
      'ingest: { auth: { tokens: [{ name: b, token_env: OTEL_TOKEN }] } }\n',
      'ingest.auth.tokens[0].token_env: token_env was removed: write `token: ${OTEL_TOKEN}`',
    ],
    [
      'ingest: { auth: { tokens: [{ name: b, token: "${NOPE}" }] } }\n',
      'ingest.auth.tokens[0].token: environment variable NOPE is not set',
    ],
    [
      'ingest: { auth: { tokens: [{ name: b }] } }\n',
      'ingest.auth.tokens[0].token: set the token: `token: ${VAR}`',
    ],
    [
      'ingest: { auth: { tokens: [{ name: b, token: short }] } }\n',
      'ingest.auth.tokens[0].token: Too small',
    ],
  ])('says what is wrong with an ingest token in %j', (yaml, expected) => {
    expect(problemsOf(yaml)).toContainEqual(expect.stringContaining(expected));
  });

  it('applies AIOPS_<SECTION>__<KEY> overrides as YAML scalars', () => {
    const c = parseConfigText('services: {}\n', 'x', {
      AIOPS_SERVER__PORT: '9000',
      AIOPS_INGEST__SERVICE_LABELS: '[job, service]',
      AIOPS_CONFIG: 'ignored.yaml',
    });
    expect(c.server.port).toBe(9000);
    expect(c.ingest.service_labels).toEqual(['job', 'service']);
    // A bad value from the environment names the variable, not the file.
    expect(problemsOf('services: {}\n', { AIOPS_SERVER__PORT: 'abc' })[0]).toMatch(
      /^server\.port:.*\(set by the environment variable AIOPS_SERVER__PORT\)$/,
    );
  });

  it('picks the detector of a series by the first matching override', () => {
    const c = parseConfigText(
      [
        'detect:',
        '  detectors:',
        '    params: { ensemble: { min_dev_absolute: 2 } }',
        '    overrides:',
        '      - { match: { metric: "*_error_ratio" }, use: burn_rate, params: { objective: 0.99 } }',
        '      - { match: { service: auth }, use: robust_median }',
        '',
      ].join('\n'),
      'x',
      {},
    );
    const choice = detectorChoiceOrThrow(c.detect);
    expect(choice.forSeries({ metric: 'login_error_ratio', service: 'auth' }).name).toBe(
      'burn_rate',
    );
    expect(choice.forSeries({ metric: 'latency', service: 'auth' }).name).toBe('robust_median');
    expect(choice.forSeries({ metric: 'latency', service: 'routing' }).name).toBe('ensemble');
    const viaDefault = detectorChoiceOrThrow(
      parseConfigText(
        'detect:\n  detectors:\n    default: ewma\n    overrides: [{ match: { service: auth }, use: default }]\n',
        'x',
        {},
      ).detect,
    );
    expect(viaDefault.forSeries({ metric: 'm', service: 'auth' }).name).toBe('ewma');
  });

  it('says when the file cannot be read', () => {
    expect(() => loadConfig('/nonexistent/aiops.yaml', {})).toThrow(/cannot read file/);
  });
});

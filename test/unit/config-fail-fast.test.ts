/**
 * Mistakes the config can see, seen there (issue 17): a Redis URL that is not one, an
 * Alertmanager URL with the API path on it (taken, with a note), and every problem in one pass,
 * an unknown detector included, even beside schema errors in the same section.
 */
import { describe, expect, it } from 'vitest';
import { alertmanagerBaseUrl } from '../../src/config/alertmanager-url.js';
import { ConfigError, configNotes, parseConfigText } from '../../src/config/load.js';
import { redactUrlText } from '../../src/config/redact-url.js';
import { redisUrlProblem } from '../../src/config/redis-url.js';
import { configIssues } from '../../src/service/config-checks.js';

const problemsOf = (yaml: string): readonly string[] => {
  try {
    parseConfigText(yaml, 'test.yaml', {}, configIssues);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('redis.url', () => {
  it.each([
    [
      'redis:/host',
      '"redis:/host" is not a Redis URL: write two slashes after "redis:", as in redis://host',
    ],
    [
      'http://host:6379',
      '"http://host:6379" is not a Redis URL: the scheme is "http:", it must be redis:// or rediss:// (TLS)',
    ],
    [
      'redis://host:99999',
      '"redis://host:99999" is not a Redis URL: the port 99999 is not a number 1-65535',
    ],
    [
      'redis://host:6379x',
      '"redis://host:6379x" is not a Redis URL: the port "6379x" is not a number 1-65535',
    ],
    ['redis://host:0', '"redis://host:0" is not a Redis URL: the port 0 is not a number 1-65535'],
    [
      'redis://:6379',
      '"redis://:6379" is not a Redis URL: it names no host; write redis://host:6379 (rediss:// for TLS)',
    ],
    ['host:6379', '"host:6379" is not a Redis URL: it has no scheme; write redis://host:6379'],
    [
      'redis://host/cache',
      '"redis://host/cache" is not a Redis URL: the path "/cache" must be a database number (/0 to /15 as a rule)',
    ],
    [
      'redis://user:s3cret@host:port',
      '"redis://user:***@host:port" is not a Redis URL: the port "port" is not a number 1-65535',
    ],
  ])('refuses %j, saying why', (url, message) => {
    expect(redisUrlProblem(url)).toBe(message);
    expect(problemsOf(`redis: { url: "${url}" }\n`)).toEqual([`redis.url: ${message}`]);
  });

  it.each([
    'redis://127.0.0.1:6379',
    'redis://redis',
    'rediss://user:pass@redis.example.com:6380/2',
    'redis://[::1]:6379/',
    '/var/run/redis/redis.sock',
  ])('takes %j', (url) => {
    expect(redisUrlProblem(url)).toBeUndefined();
    expect(problemsOf(`redis: { url: "${url}" }\n`)).toEqual([]);
  });

  it('never shows the password of a URL it refuses', () => {
    expect(redactUrlText('redis://:p@ss@host:1')).toBe('redis://:***@host:1');
    expect(problemsOf('redis: { url: "http://u:hunter2@h" }\n').join('\n')).not.toContain(
      'hunter2',
    );
  });

  it('has a connect timeout, 30 s unless set', () => {
    expect(parseConfigText('services: {}\n', 'x', {}).redis.connect_timeout_ms).toBe(30_000);
    expect(
      parseConfigText('services: {}\n', 'x', { AIOPS_REDIS__CONNECT_TIMEOUT_MS: '1500' }).redis
        .connect_timeout_ms,
    ).toBe(1500);
  });
});

describe('notify.alertmanagers', () => {
  it.each([
    ['http://am-0:9093', 'http://am-0:9093'],
    ['http://am-0:9093/', 'http://am-0:9093'],
    ['http://am-0:9093/api/v2/alerts', 'http://am-0:9093'],
    ['http://am-0:9093/api/v2/alerts/', 'http://am-0:9093'],
    ['http://am-0:9093/api/v2', 'http://am-0:9093'],
    ['https://gw.example.com/alertmanager/api/v2/alerts', 'https://gw.example.com/alertmanager'],
  ])('takes %j as the base URL %j', (url, base) => {
    expect(alertmanagerBaseUrl(url)).toBe(base);
  });

  it('cuts the API path a user left on, and says so in a note', () => {
    const c = parseConfigText(
      'notify: { alertmanagers: ["http://am-0:9093/api/v2/alerts", "http://am-1:9093"] }\n',
      'x',
      {},
    );
    expect(c.notify.alertmanagers).toEqual(['http://am-0:9093', 'http://am-1:9093']);
    expect(configNotes(c)).toEqual([
      'notify.alertmanagers[0]: "http://am-0:9093/api/v2/alerts" ends in the API path; using "http://am-0:9093" (give the base URL: the worker adds /api/v2/alerts itself)',
    ]);
  });

  it('keeps the notes when the config has problems too', () => {
    try {
      parseConfigText(
        'server: { port: -1 }\nnotify: { alertmanagers: ["http://am:9093/api/v2/alerts/"] }\n',
        'x',
        {},
      );
      expect.fail('the config is invalid');
    } catch (err) {
      expect((err as ConfigError).notes).toEqual([
        expect.stringContaining('notify.alertmanagers[0]: "http://am:9093/api/v2/alerts/"'),
      ]);
    }
  });

  it('has no notes for a config that needs none', () => {
    expect(configNotes(parseConfigText('services: {}\n', 'x', {}))).toEqual([]);
  });
});

describe('one pass', () => {
  it('reports an unknown detector beside schema errors of the same section', () => {
    const problems = problemsOf(
      [
        'detect:',
        '  anomaly_threshold: 2',
        '  detectors:',
        '    default: ensamble',
        '    overrides:',
        '      - { match: { metric: "latency_*" }, use: ewmaa }',
        '    params: { ewma: { alpah: 1 } }',
        '',
      ].join('\n'),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'detect.anomaly_threshold: Too big: expected number to be <=1',
        expect.stringMatching(
          /^detect\.detectors\.default: unknown detector "ensamble" \(did you mean "ensemble"\?\)/,
        ),
        expect.stringMatching(
          /^detect\.detectors\.overrides\[0\]\.use: unknown detector "ewmaa" \(did you mean "ewma"\?\)/,
        ),
        expect.stringMatching(
          /^detect\.detectors\.params\.ewma\.alpah: unknown parameter of ewma \(did you mean "alpha"\?\)/,
        ),
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('reports an unknown detector beside a schema error deeper in the same object', () => {
    const problems = problemsOf(
      'detect:\n  detectors:\n    default: ensamble\n    overrides: [{ match: { metric: "" }, use: ewma }]\n',
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining([
        'detect.detectors.overrides[0].match.metric',
        'detect.detectors.default',
      ]),
    );
  });

  it('reports everything of the issue at once: schema, Redis URL, detector, graph, with the notes', () => {
    const problems = problemsOf(
      [
        'services:',
        '  auth: {}',
        '  routing: { depends_on: [autth] }',
        'server: { port: -1 }',
        'redis: { url: "redis:/redis-host" }',
        'detect: { anomaly_threshold: 2, detectors: { default: ensamble } }',
        'notify: { alertmanagers: ["http://am:9093/api/v2/alerts"] }',
        '',
      ].join('\n'),
    );
    expect(problems.map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining([
        'server.port',
        'redis.url',
        'detect.anomaly_threshold',
        'detect.detectors.default',
        'services.routing.depends_on[0]',
      ]),
    );
    expect(problems).toHaveLength(5);
  });
});

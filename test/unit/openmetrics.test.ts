import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { toOpenMetrics, wantsOpenMetrics } from '../../src/api/openmetrics.js';

describe('OpenMetrics exposition', () => {
  it('names counter families without _total, keeps samples, drops blank lines, ends with # EOF', async () => {
    const registry = new Registry();
    new Counter({ name: 'aiops_things_total', help: 'Things.', registers: [registry] }).inc(3);
    new Gauge({
      name: 'aiops_level',
      help: 'Level.',
      labelNames: ['service'],
      registers: [registry],
    }).set({ service: 'auth' }, 0.5);
    new Histogram({
      name: 'aiops_seconds',
      help: 'Time.',
      buckets: [1],
      registers: [registry],
    }).observe(0.5);
    const om = toOpenMetrics(await registry.metrics());
    expect(om).toContain(
      '# HELP aiops_things Things.\n# TYPE aiops_things counter\naiops_things_total 3\n',
    );
    expect(om).toContain('# TYPE aiops_level gauge\naiops_level{service="auth"} 0.5\n');
    expect(om).toContain('aiops_seconds_bucket{le="+Inf"} 1\n');
    expect(om).not.toMatch(/\n\n/);
    expect(om.endsWith('# EOF\n')).toBe(true);
  });

  it.each([
    [undefined, false],
    ['text/plain;version=0.0.4', false],
    [
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      true,
    ],
    ['text/plain, application/openmetrics-text;q=0.5', false],
    ['application/openmetrics-text; version=1.0.0', true],
  ])('Accept %s -> OpenMetrics %s', (accept, expected) => {
    expect(wantsOpenMetrics(accept)).toBe(expected);
  });
});

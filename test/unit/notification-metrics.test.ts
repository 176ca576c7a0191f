/**
 * aiops_notifications_total is exported at 0 for every receiver type the notify role delivers
 * to and every outcome (and aiops_notifications_dead_lettered_total for every direct receiver
 * type and reason), from the start: the AiopsNotificationsFailing rule
 * (config/prometheus/rules.yml) uses increase(), which shows no increase for a series born at
 * 1, so without this the first rejected notification would go unseen
 * (test/unit/prometheus-rules/notification-failures.yml).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { primeNotificationMetrics } from '../../src/notify/start-notify.js';
import { createMetrics } from '../../src/telemetry/metrics.js';

async function series(notify: unknown, name = 'aiops_notifications_total'): Promise<string[]> {
  const metrics = createMetrics('test');
  primeNotificationMetrics(metrics, parseConfig({ notify }).notify);
  const text = await metrics.registry.getSingleMetricAsString(name);
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .sort();
}

describe('aiops_notifications_total starts at 0', () => {
  it('for each configured receiver type and alertmanager, every outcome', async () => {
    const lines = await series({
      alertmanagers: ['http://alertmanager:9093'],
      receivers: [
        { name: 'chat', type: 'slack', url: 'https://hooks.slack.example/x' },
        { name: 'tools', type: 'webhook', url: 'https://hooks.example.com/a' },
        { name: 'more-tools', type: 'webhook', url: 'https://hooks.example.com/b' },
      ],
    });
    expect(lines).toEqual(
      ['alertmanager', 'slack', 'webhook']
        .flatMap((r) =>
          ['sent', 'retryable', 'rejected', 'skipped'].map(
            (o) => `aiops_notifications_total{receiver="${r}",outcome="${o}"} 0`,
          ),
        )
        .sort(),
    );
  });

  it('exports nothing for receivers that are not configured', async () => {
    expect(await series({})).toEqual([]);
    expect(await series({}, 'aiops_notifications_dead_lettered_total')).toEqual([]);
  });

  it('aiops_notifications_dead_lettered_total: each direct receiver type and reason', async () => {
    const lines = await series(
      {
        alertmanagers: ['http://alertmanager:9093'],
        receivers: [
          { name: 'pd', type: 'pagerduty', url: 'https://events.example', routing_key: 'k' },
        ],
      },
      'aiops_notifications_dead_lettered_total',
    );
    expect(lines).toEqual([
      ...['expired', 'never_opened', 'rejected'].map(
        (r) => `aiops_notifications_dead_lettered_total{receiver="pagerduty",reason="${r}"} 0`,
      ),
      'aiops_notifications_dead_lettered_total{receiver="unknown",reason="unconfigured"} 0',
    ]);
  });
});

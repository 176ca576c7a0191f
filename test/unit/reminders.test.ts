import { describe, expect, it } from 'vitest';
import type { IncidentJson } from '../../src/queues/contract.js';
import { deliveryId, remindersDue, type RoutedReceiver } from '../../src/notify/deliver.js';

const MIN = 60_000;
const OPENED = Date.UTC(2026, 0, 6, 7, 0);

const inc = (id: string, status: IncidentJson['status'], services = ['auth']): IncidentJson => ({
  id,
  status,
  severity: 'critical',
  severity_raised_at: null,
  opened_at: new Date(OPENED).toISOString(),
  resolved_at: null,
  resolved_by: null,
  reopened: 0,
  acknowledged_at: null,
  acknowledged_by: null,
  root_cause: { service: services[0] ?? 'auth', signal: 'http_error_ratio', confidence: 0.9 },
  candidates: [],
  services,
  anomaly_count: 2,
  timeline: [],
  explanation: null,
  explanation_at_open: null,
});

const receivers: RoutedReceiver[] = [
  {
    name: 'chat',
    type: 'slack',
    url: 'http://x/chat',
    severities: [],
    services: [],
    repeat_interval_ms: 30 * MIN,
  },
  { name: 'pd', type: 'pagerduty', url: 'http://x/pd', severities: [], services: [] },
  {
    name: 'storage-team',
    type: 'webhook',
    url: 'http://x/st',
    severities: [],
    services: ['storage'],
    repeat_interval_ms: 10 * MIN,
  },
];

describe('receiver reminders (repeat_interval_ms)', () => {
  it('one per whole interval while open and unacknowledged, only for receivers that route the incident and repeat', () => {
    const incidents = [
      inc('inc-a', 'open'),
      inc('inc-b', 'acknowledged'),
      inc('inc-c', 'resolved'),
    ];
    expect(remindersDue(receivers, incidents, OPENED + 29 * MIN)).toEqual([]);
    const due = remindersDue(receivers, incidents, OPENED + 65 * MIN);
    expect(due.map((r) => [r.incident.id, r.receiver.name, r.round])).toEqual([
      ['inc-a', 'chat', 2],
    ]);
  });

  it('the idempotency key names the round, so a reminder is sent once per interval', () => {
    const data = {
      receiver: 'chat',
      transition: 'reminder' as const,
      incident: inc('inc-a', 'open'),
    };
    expect(deliveryId(data, 2)).toBe('inc-a.reminder.0.2.chat');
    expect(deliveryId(data, 2)).not.toBe(deliveryId(data, 3));
    expect(deliveryId({ ...data, transition: 'opened' })).toBe('inc-a.opened.0.chat');
  });
});

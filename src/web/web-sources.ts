/**
 * What the pages show, read from the stores through the same loaders the API answers from
 * (src/api/status-loader.ts, feedback-view.ts), so a page and its JSON never disagree.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { incidentJson } from '../correlate/incident-json.js';
import { IncidentStore } from '../correlate/incident-store.js';
import { FeedbackStore } from '../api/feedback-store.js';
import { readFeedbackView } from '../api/feedback-view.js';
import {
  loadServiceHealth,
  loadSeriesPoints,
  statusSource,
  type StatusSource,
} from '../api/status-loader.js';
import { SuppressionStore } from '../detect/suppression-store.js';
import type { Suppression } from '../detect/suppressions.js';
import { asIncidentRemediation } from '../remediate/propose.js';
import { RemediationStore } from '../remediate/remediation-store.js';
import type { IncidentView } from './incident-page.js';
import type { StatusView, SuppressionView } from './status-page.js';
import type { WebSources } from './web-routes.js';
import { keyLayoutOf } from '../queues/key-layout.js';

/** Resolved incidents the status page lists: those resolved within this long. */
const RESOLVED_WITHIN_MS = 24 * 3_600_000;
const RESOLVED_MAX = 10;
/** The sparklines' span when no history is kept (`detect.history_keep_ms: 0`): the latest point only. */
const NO_HISTORY_SPAN_MS = 3_600_000;

const suppressionView = (s: Suppression): SuppressionView => ({
  id: s.id,
  service: s.service,
  pattern: s.pattern,
  expires_at: s.expires_at === null ? null : new Date(s.expires_at).toISOString(),
  created_by: s.created_by,
  note: s.note,
  incident: s.incident,
});

export function webSources(
  config: Readonly<Config>,
  redis: Redis,
  /** The process's one status source (shared with the API, and its history cache). */
  shared?: StatusSource,
): WebSources {
  const prefix = keyLayoutOf(config).main;
  const status = shared ?? statusSource(config, redis);
  const incidents = new IncidentStore(redis, prefix);
  const stores = {
    feedback: new FeedbackStore(redis, prefix),
    suppressions: new SuppressionStore(redis, prefix),
  };
  const remediations = new RemediationStore(redis, prefix, config.remediation.audit_max_entries);
  const threshold = config.detect.anomaly_threshold;

  return {
    publicStatus: config.server.public_status,
    async status(variant): Promise<StatusView> {
      const now = Date.now();
      const [health, open, recent, suppressions] = await Promise.all([
        loadServiceHealth(status, { configuredOnly: variant === 'public' }),
        incidents.open(),
        incidents.list(50),
        variant === 'public' ? Promise.resolve([]) : stores.suppressions.list(),
      ]);
      const keys = health.services.flatMap((s) => (s.key_series === null ? [] : [s.key_series]));
      const history = variant === 'public' ? new Map() : await loadSeriesPoints(status, keys);
      return {
        generatedAt: now,
        public: variant === 'public',
        refreshS: Math.round(config.server.status_refresh_ms / 1000),
        threshold,
        windowMs: status.history.keepMs > 0 ? status.history.keepMs : NO_HISTORY_SPAN_MS,
        omittedServices: variant === 'public' ? 0 : health.omitted_services,
        services: health.services,
        history,
        open: open.map(incidentJson),
        resolved: recent
          .filter(
            (i) => i.status === 'resolved' && (i.resolved_at ?? 0) >= now - RESOLVED_WITHIN_MS,
          )
          .slice(0, RESOLVED_MAX)
          .map(incidentJson),
        suppressions: suppressions.map(suppressionView),
      };
    },
    async incident(id): Promise<IncidentView | undefined> {
      const inc = await incidents.get(id);
      if (!inc) return undefined;
      const [hooks, feedback] = await Promise.all([
        remediations.ofIncident(id),
        readFeedbackView(stores, id),
      ]);
      const json = incidentJson(inc);
      const series = [
        ...new Set(json.timeline.filter((a) => a.kind !== 'log').map((a) => a.series)),
      ];
      const history = await loadSeriesPoints(status, series.slice(0, 12));
      return {
        incident:
          hooks.length > 0 ? { ...json, remediations: hooks.map(asIncidentRemediation) } : json,
        generatedAt: Date.now(),
        threshold,
        history,
        feedback: feedback.feedback.map((f) => ({
          verdict: f.verdict,
          note: f.note,
          by: f.by,
          at: f.at,
          suppression_id: f.suppression_id,
        })),
        suppressions: feedback.incident_suppressions.map(suppressionView),
        writesEnabled: config.server.admin_token !== undefined,
      };
    },
  };
}

/** `correlate`: how anomalies group into incidents, and when incidents open and resolve. */
import { z } from 'zod';
import { durationMs } from './schema-common.js';

const globs = (what: string) =>
  z
    .array(z.string().min(1))
    .optional()
    .describe(`Signal-name globs (\`*\`) of ${what} signals; unset: the built-in list.`);

export const correlateSchema = z
  .strictObject({
    window_ms: durationMs
      .default(10 * 60_000)
      .describe("An anomaly joins an incident within this long of the incident's anomalies."),
    settle_ms: durationMs
      .default(60_000)
      .describe(
        'A new incident waits this long after its first anomaly before it opens (and pages).',
      ),
    min_anomalies: z
      .number()
      .int()
      .min(1)
      .default(2)
      .describe(
        'Anomalies an incident needs to open (one scoring `severe_score` or more is enough), corroborated unless `corroboration` is false.',
      ),
    corroboration: z
      .boolean()
      .default(true)
      .describe(
        'Opening needs corroboration: of the anomalies, only failing ones count (a traffic fall is a symptom of a failure elsewhere), from `min_anomalies` series or one severe anomaly on what users feel (errors, availability, latency); they must span two sample times at least (no single sample opens an incident, on any signal) and hold something other than load (traffic, and when traffic rose, the CPU, memory and time spent that follow it); an anomaly its series showed at this time of day on one of the last seven days is no evidence. `false`: any `min_anomalies` anomalies, or one severe one, open an incident (for a deployment that sends only traffic).',
      ),
    learning_ms: durationMs
      .default(24 * 3_600_000)
      .describe(
        "A service is learning for this long after its first record (event time): its anomalies are scored, shown and join an open incident, but none of them opens one, so nothing pages for a service whose detectors have not seen a day of it. The API (`/api/v1/services`, each anomaly on a timeline) and /metrics (`aiops_service_learning_until_timestamp_seconds`) say which services are learning and until when. 0: off (a service pages from its detectors' first scores).",
      ),
    severe_score: z
      .number()
      .min(0)
      .max(1)
      .default(0.99)
      .describe(
        'An anomaly scoring this or more counts as `min_anomalies` (with `corroboration`, only on errors, availability or latency, and it still needs a second sample time).',
      ),
    quiet_ms: durationMs
      .default(15 * 60_000)
      .describe('An open incident resolves after this long without a new anomaly.'),
    flap_hold_ms: durationMs
      .default(10 * 60_000)
      .describe('A related anomaly this soon after resolving reopens the same incident.'),
    max_incident_ms: durationMs
      .default(6 * 3_600_000)
      .describe('An incident open this long is resolved; new anomalies start a new one.'),
    grouping_labels: z
      .array(z.string().min(1))
      .default([])
      .describe('Labels whose equal values group anomalies even without a graph edge.'),
    lateness_ms: durationMs
      .default(15_000)
      .describe(
        'Live: how late an anomaly may arrive (after its own time) and still join before its incident opens.',
      ),
    tick_ms: durationMs
      .min(1000)
      .default(15_000)
      .describe('How often the live correlator moves event time on without new anomalies.'),
    max_timeline: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(200)
      .describe('Timeline entries kept per incident (all are counted).'),
    signals: z
      .strictObject({
        traffic: globs('traffic'),
        errors: globs('error'),
        latency: globs('latency'),
        saturation: globs('saturation (CPU, memory, utilisation; a rise is the failure)'),
      })
      .prefault({})
      .describe(
        'What a signal measures, by name: a traffic drop is a symptom, not a cause. Kinds go errors, latency, traffic, availability, saturation; the naming conventions of exporters (a duration histogram `_count` is traffic, `_sum` and `_bucket` latency, CPU seconds and memory in use saturation) come before the built-in globs, and globs set here before the conventions of their own kind or a later one (docs/incidents.md).',
      ),
  })
  .prefault({})
  .describe('Correlation of anomalies into incidents along the service graph.');

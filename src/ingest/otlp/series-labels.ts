/**
 * The service and the Prometheus labels of one OTLP data point: its attributes with names made
 * Prometheus-safe, plus the service under the first configured service label. The service is the
 * resource's `service.name`, else the first of `ingest.service_labels` among the attributes.
 * Checked against the record limits. Pure.
 */
import type { RecordLimits } from '../records.js';
import { prometheusLabelName } from './prometheus-names.js';

export type PointLabels =
  | { readonly ok: true; readonly service: string; readonly labels: Record<string, string> }
  | { readonly ok: false; readonly reason: string; readonly message: string };

export function pointLabels(
  resourceService: string | undefined,
  attributes: ReadonlyMap<string, string>,
  limits: RecordLimits,
): PointLabels {
  const service =
    resourceService ??
    limits.serviceLabels
      .map((l) => attributes.get(l) ?? attributes.get(prometheusLabelName(l)))
      .find((v) => v !== undefined && v !== '');
  if (service === undefined) {
    return {
      ok: false,
      reason: 'missing_service',
      message: `no resource attribute service.name and none of the service labels (${limits.serviceLabels.join(', ')})`,
    };
  }
  if (service.length > limits.maxLabelValueLength) {
    return {
      ok: false,
      reason: 'label_too_long',
      message: 'service.name is longer than the limit',
    };
  }
  // A Map, not an object: an attribute named `constructor` or `__proto__` is just a name.
  const labels = new Map<string, string>();
  for (const [key, value] of attributes) {
    const name = prometheusLabelName(key);
    if (name.length > limits.maxLabelNameLength || value.length > limits.maxLabelValueLength) {
      return {
        ok: false,
        reason: 'label_too_long',
        message: `attribute ${JSON.stringify(key.slice(0, 64))} is longer than the limits`,
      };
    }
    // Two keys that sanitise to one name: values joined with ';', as the OTel convention says.
    const had = labels.get(name);
    labels.set(name, had === undefined ? value : `${had};${value}`);
  }
  labels.set(limits.serviceLabels[0] ?? 'service', service);
  if (labels.size > limits.maxLabels) {
    return {
      ok: false,
      reason: 'too_many_labels',
      message: `${labels.size} labels, more than the limit of ${limits.maxLabels}`,
    };
  }
  return { ok: true, service, labels: Object.fromEntries(labels) };
}

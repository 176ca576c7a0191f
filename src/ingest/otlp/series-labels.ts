/**
 * The service and the Prometheus labels of one OTLP data point: its attributes with names made
 * Prometheus-safe, plus the service under the first configured service label. The service is the
 * resource's `service.name`, else the first of `ingest.service_labels` among the attributes.
 * As Prometheus' OTLP translation does, the resource's `service.instance.id` becomes the
 * `instance` label and `service.namespace` + `/` + `service.name` the `job` label (only with a
 * namespace: without one `job` would repeat the service), so that two instances (or namespaces)
 * of one service with equal point attributes are two series. Checked against the record limits.
 * Pure.
 */
import type { RecordLimits } from '../records.js';
import { prometheusLabelName } from './prometheus-names.js';

export type PointLabels =
  | { readonly ok: true; readonly service: string; readonly labels: Record<string, string> }
  | { readonly ok: false; readonly reason: string; readonly message: string };

/** What the resource says about where a point comes from. */
export interface ResourceIdentity {
  readonly service?: string | undefined;
  readonly instance?: string | undefined;
  readonly job?: string | undefined;
}

/** The identity in a resource's attributes (empty values count as absent). */
export function resourceIdentity(attrs: ReadonlyMap<string, string>): ResourceIdentity {
  const service = attrs.get('service.name') || undefined;
  const namespace = attrs.get('service.namespace') || undefined;
  return {
    service,
    instance: attrs.get('service.instance.id') || undefined,
    job: namespace !== undefined && service !== undefined ? `${namespace}/${service}` : undefined,
  };
}

export function pointLabels(
  resource: ResourceIdentity,
  attributes: ReadonlyMap<string, string>,
  limits: RecordLimits,
): PointLabels {
  const service =
    resource.service ??
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
  // Labels the resource sets: an attribute of the same name becomes `exported_<name>`, as
  // Prometheus does with target labels, instead of being overwritten.
  const serviceLabel = limits.serviceLabels[0] ?? 'service';
  const own = new Set<string>();
  if (resource.service !== undefined) own.add(serviceLabel);
  if (resource.instance !== undefined) own.add('instance');
  if (resource.job !== undefined) own.add('job');
  // A Map, not an object: an attribute named `constructor` or `__proto__` is just a name.
  const labels = new Map<string, string>();
  // By original key, so that keys which sanitise to one name join in a stable order.
  const sorted = [...attributes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of sorted) {
    const sanitised = prometheusLabelName(key);
    const name = own.has(sanitised) ? `exported_${sanitised}` : sanitised;
    if (name.length > limits.maxLabelNameLength || value.length > limits.maxLabelValueLength) {
      return {
        ok: false,
        reason: 'label_too_long',
        message: `attribute ${JSON.stringify(key.slice(0, 64))} is longer than the limits`,
      };
    }
    // Two keys that sanitise to one name: values joined with ';' in the sorted order of the
    // original keys, as the OpenTelemetry → Prometheus specification says.
    const had = labels.get(name);
    labels.set(name, had === undefined ? value : `${had};${value}`);
  }
  labels.set(serviceLabel, service);
  for (const [name, value] of [
    ['instance', resource.instance],
    ['job', resource.job],
  ] as const) {
    if (value === undefined) continue;
    if (value.length > limits.maxLabelValueLength) {
      return { ok: false, reason: 'label_too_long', message: `${name} is longer than the limit` };
    }
    labels.set(name, value);
  }
  if (labels.size > limits.maxLabels) {
    return {
      ok: false,
      reason: 'too_many_labels',
      message: `${labels.size} labels, more than the limit of ${limits.maxLabels}`,
    };
  }
  return { ok: true, service, labels: Object.fromEntries(labels) };
}

/**
 * OpenTelemetry names to Prometheus names, after the OpenTelemetry specification's
 * "Prometheus and OpenMetrics Compatibility" rules:
 * - metric names: every character outside `[a-zA-Z0-9_:]` becomes `_`, runs of `_` become one,
 *   a leading digit gets a `_` in front (`http.server.duration` → `http_server_duration`);
 *   monotonic cumulative sums end in `_total`. Unit suffixes are not added.
 * - label names: every character outside `[a-zA-Z0-9_]` becomes `_`, a leading digit gets `key_`
 *   in front, and a leading `__` (reserved by Prometheus) becomes `_`.
 */

export function prometheusMetricName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_:]+/g, '_').replace(/_{2,}/g, '_');
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return out;
}

export function prometheusLabelName(key: string): string {
  let out = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(out)) out = `key_${out}`;
  if (out.startsWith('__')) out = out.replace(/^_+/, '_');
  return out;
}

/** The name of a monotonic cumulative sum: `_total` added unless already there. */
export function counterName(name: string): string {
  return name.endsWith('_total') ? name : `${name}_total`;
}

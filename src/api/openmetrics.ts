/**
 * The Prometheus text exposition turned into OpenMetrics 1.0 text, for scrapers that ask for it
 * (`Accept: application/openmetrics-text`, which Prometheus sends first). prom-client renders
 * one format per registry and, in OpenMetrics mode, renames counters in place, so the text
 * form is converted instead: a counter's family is named without `_total` (its samples keep
 * it), blank lines go, and the exposition ends with `# EOF`.
 */
export const OPENMETRICS_CONTENT_TYPE =
  'application/openmetrics-text; version=1.0.0; charset=utf-8';

export function toOpenMetrics(text: string): string {
  const lines = text.split('\n');
  const counters = new Set<string>();
  for (const l of lines) {
    const m = /^# TYPE (\S+) counter$/.exec(l);
    if (m?.[1]) counters.add(m[1]);
  }
  const family = (name: string): string =>
    counters.has(name) && name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
  const out: string[] = [];
  for (const l of lines) {
    if (l === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(.*)$/.exec(l);
    if (meta) {
      const [, kind, name = '', rest = ''] = meta;
      out.push(`# ${kind} ${family(name)}${rest}`);
      continue;
    }
    out.push(l);
  }
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

/** True when the Accept header prefers OpenMetrics over the text format (q-values honoured). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    const t = type.trim().toLowerCase();
    if (t === 'application/openmetrics-text') om = Math.max(om, q);
    else if (t === 'text/plain' || t === '*/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text;
}

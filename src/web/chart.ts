/**
 * A series as an inline SVG chart: the expected band as a shaded area, the value as a line,
 * anomalous points as dots, and optionally a vertical marker (an incident's onset). Every
 * coordinate is a number we computed and the only text (the `<title>`) is escaped, so a
 * series name holding `</svg>` stays text.
 */
import { html, trusted, type SafeHtml } from './html.js';

export interface ChartPoint {
  /** Epoch ms. */
  readonly ts: number;
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
  readonly score: number;
}

export interface ChartOptions {
  readonly width: number;
  readonly height: number;
  /** The time span drawn (epoch ms); points outside are left out. */
  readonly from: number;
  readonly to: number;
  /** Points scoring this or more are drawn as anomalous. */
  readonly threshold: number;
  /** Read by screen readers and shown on hover. */
  readonly title: string;
  /** A vertical line at this time (an incident's onset). */
  readonly marker?: number;
}

/**
 * At most about `2 × bins` points that draw the same picture: per time bin the lowest and the
 * highest value (in time order), so a spike or a dip one sample wide still shows; and per bin
 * the highest-scoring anomalous point, for the dots. A 6-hour sparkline of 360 points becomes
 * about 120, which keeps a page of 200 services small.
 */
export function thin(
  points: readonly ChartPoint[],
  from: number,
  to: number,
  bins: number,
  threshold: number,
): { line: ChartPoint[]; dots: ChartPoint[] } {
  if (points.length <= 2 * bins) {
    return { line: [...points], dots: points.filter((p) => p.score >= threshold) };
  }
  const width = Math.max(1, to - from) / bins;
  const lo = new Map<number, ChartPoint>();
  const hi = new Map<number, ChartPoint>();
  const top = new Map<number, ChartPoint>();
  for (const p of points) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor((p.ts - from) / width)));
    const l = lo.get(b);
    if (!l || p.value < l.value) lo.set(b, p);
    const h = hi.get(b);
    if (!h || p.value > h.value) hi.set(b, p);
    const t = top.get(b);
    if (p.score >= threshold && (!t || p.score > t.score)) top.set(b, p);
  }
  const line = [...new Set([...lo.values(), ...hi.values()])].sort((a, b) => a.ts - b.ts);
  return { line, dots: [...top.values()] };
}

/** Half a pixel is as fine as a chart this size shows. */
const fixed = (n: number): string => (Math.round(n * 2) / 2).toString();

export function chart(points: readonly ChartPoint[], o: ChartOptions): SafeHtml {
  const shown = points
    .filter((p) => p.ts >= o.from && p.ts <= o.to && Number.isFinite(p.value))
    .sort((a, b) => a.ts - b.ts);
  const pad = 2;
  const w = o.width;
  const h = o.height;
  if (shown.length === 0) {
    return html`<svg class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">
      <title>${o.title}: no recent points</title>
      <line x1="0" y1="${h / 2}" x2="${w}" y2="${h / 2}" class="chart-empty" />
    </svg>`;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of shown) {
    for (const v of [p.value, p.lower, p.upper]) {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  if (hi - lo < 1e-12) {
    hi += 1;
    lo -= 1;
  }
  const span = Math.max(1, o.to - o.from);
  const x = (t: number): string => fixed(pad + ((t - o.from) / span) * (w - 2 * pad));
  const y = (v: number): string => fixed(h - pad - ((v - lo) / (hi - lo)) * (h - 2 * pad));
  const thinned = thin(shown, o.from, o.to, Math.max(8, Math.round(o.width / 6)), o.threshold);
  const banded = thinned.line.filter((p) => Number.isFinite(p.lower) && Number.isFinite(p.upper));
  const bandPath =
    banded.length > 1
      ? [
          ...banded.map((p) => `${x(p.ts)},${y(p.upper)}`),
          ...banded
            .slice()
            .reverse()
            .map((p) => `${x(p.ts)},${y(p.lower)}`),
        ].join(' ')
      : '';
  // Coordinate lists are numbers we formatted (nothing from outside): no need to escape them.
  const line = thinned.line.map((p) => `${x(p.ts)},${y(p.value)}`).join(' ');
  const dots = thinned.dots;
  const marker =
    o.marker !== undefined && o.marker >= o.from && o.marker <= o.to
      ? html`<line class="chart-marker" x1="${x(o.marker)}" y1="0" x2="${x(o.marker)}" y2="${h}" />`
      : '';
  return html`<svg class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img">
    <title>${o.title}</title>
    ${bandPath === '' ? '' : html`<polygon class="chart-band" points="${trusted(bandPath)}" />`}
    <polyline class="chart-line" points="${trusted(line)}" />
    ${dots.map((p) => html`<circle class="chart-dot" cx="${x(p.ts)}" cy="${y(p.value)}" r="2.5" />`)}${marker}
  </svg>`;
}

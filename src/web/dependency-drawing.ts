/**
 * An incident's dependency paths drawn as SVG: one row per path, a box per service (the root
 * cause outlined), an arrow from caller to callee. Names are escaped and clipped to fit.
 */
import { html, type SafeHtml } from './html.js';

const CHAR_W = 7.5;
const BOX_H = 28;
const ROW_H = 44;
const GAP = 46;
const MAX_CHARS = 28;

const clip = (s: string): string => (s.length > MAX_CHARS ? `${s.slice(0, MAX_CHARS - 1)}…` : s);

export function dependencyDrawing(
  paths: readonly (readonly string[])[],
  root: string,
  edges: readonly { readonly from: string; readonly to: string; readonly source: string }[],
): SafeHtml {
  if (paths.length === 0)
    return html`<p class="muted">No dependency path: the services are linked by time only.</p>`;
  const rows = paths.map((p, r) => {
    let x = 4;
    const y = 6 + r * ROW_H;
    const parts: SafeHtml[] = [];
    p.forEach((svc, i) => {
      const label = clip(svc);
      const w = Math.max(60, label.length * CHAR_W + 20);
      parts.push(
        html`<g
          ><title>${svc}</title
          ><rect
            class="${svc === root ? 'root' : ''}"
            x="${x}"
            y="${y}"
            width="${w}"
            height="${BOX_H}"
            rx="5"
          /><text x="${x + 10}" y="${y + 19}">${label}</text></g
        >`,
      );
      x += w;
      const next = p[i + 1];
      if (next !== undefined) {
        const source = edges.find((e) => e.from === svc && e.to === next)?.source ?? 'configured';
        const mid = y + BOX_H / 2;
        parts.push(
          html`<g
            ><title>${svc} calls ${next} (${source})</title
            ><line x1="${x + 4}" y1="${mid}" x2="${x + GAP - 10}" y2="${mid}" /><polygon
              points="${x + GAP - 10},${mid - 4} ${x + GAP - 3},${mid} ${x + GAP - 10},${mid + 4}"
          /></g>`,
        );
        x += GAP;
      }
    });
    return { parts, width: x + 4 };
  });
  const width = Math.max(...rows.map((r) => r.width));
  const height = paths.length * ROW_H + 4;
  return html`<svg
    class="path"
    viewBox="0 0 ${width} ${height}"
    width="${width}"
    height="${height}"
    role="img"
  >
    <title>dependency paths (an arrow: calls)</title>
    ${rows.map((r) => r.parts)}
  </svg>`;
}

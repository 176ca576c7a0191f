/** The frame every page shares: head, stylesheet, header line; no inline style or script. */
import { html, type HtmlValue, type SafeHtml } from './html.js';

export interface PageOptions {
  readonly title: string;
  readonly heading: HtmlValue;
  /** Right of the heading: when generated, links. */
  readonly meta?: HtmlValue;
  /** Reload every N seconds when JavaScript is off. */
  readonly noscriptRefreshS?: number;
  /**
   * The way from this page up to the site's root, relative (`''` for `/status`, `'../'` for
   * `/incidents/ID`): every link is relative, so the pages work behind a proxy's path prefix
   * (`https://ops.example.com/aiops/status`).
   */
  readonly root: string;
  /** Scripts under static/ to load (deferred). */
  readonly scripts?: readonly string[];
  readonly body: HtmlValue;
}

export function page(o: PageOptions): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${o.title}</title>
        <link rel="stylesheet" href="${o.root}static/aiops.css" />
        <link rel="icon" href="data:," />
        ${o.noscriptRefreshS ? html`<noscript><meta http-equiv="refresh" content="${o.noscriptRefreshS}" /></noscript>` : ''}
        ${(o.scripts ?? []).map((s) => html`<script src="${o.root}static/${s}" defer></script>`)}
      </head>
      <body>
        <header class="top">
          <h1>${o.heading}</h1>
          <span class="meta">${o.meta}</span>
        </header>
        ${o.body}
      </body>
    </html> `;
}

/**
 * HTML by tagged template, escaped by default: every interpolated value is text unless it was
 * built by `html` itself (or marked `trusted`), so a service name, a label value or a log line
 * holding `<script>` or `"><img onerror=…>` always renders as text, in element content and in
 * attribute values alike (both are quoted by the templates, and `"` and `'` are escaped).
 * Arrays are joined; null, undefined and false render nothing.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text made safe for HTML and SVG element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

/** Markup that is already safe: only `html` and `trusted` make one. */
export class SafeHtml {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | HtmlValue[];

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.toString();
  if (Array.isArray(v)) return v.map(render).join('');
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Marks a constant string of our own as markup (never a value that came from outside). */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

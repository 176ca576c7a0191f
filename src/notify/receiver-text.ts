/**
 * Wire data (service names, signal names, log lines) made safe for each receiver's text.
 *
 * - Slack: `&`, `<` and `>` are Slack's control characters (api.slack.com/reference/surfaces/
 *   formatting#escaping) and become `&amp;`, `&lt;`, `&gt;`, so a label such as
 *   `<!channel> <https://evil.example|Reset your password>` reads as text: no mention, no
 *   disguised link. A bare `@here`, `@channel` or `@everyone` gets a word joiner after the `@`,
 *   so a workspace that parses names does not ping on it either. The text is clipped to
 *   SLACK_TEXT_CHARS.
 * - PagerDuty: the summary is clipped to PAGERDUTY_SUMMARY_CHARS (the Events API v2 limit) and
 *   each custom detail to PAGERDUTY_DETAIL_CHARS; JSON carries the rest.
 * Clipping never splits a surrogate pair and ends with `…`.
 */

/** Slack's guidance for message text (it truncates far longer ones itself). */
export const SLACK_TEXT_CHARS = 3000;
/** Events API v2: `payload.summary` is at most 1024 characters. */
export const PAGERDUTY_SUMMARY_CHARS = 1024;
export const PAGERDUTY_DETAIL_CHARS = 1024;

/** At most `max` UTF-16 units, cut before a whole character, `…` marking the cut. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Text from the wire as Slack shows it: no control sequences, no mentions. */
export function slackText(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(/@(here|channel|everyone)\b/giu, '@\u2060$1');
}

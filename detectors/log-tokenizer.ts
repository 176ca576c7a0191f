/**
 * Masking and tokenising of a log message for the template miner (log-templates.ts).
 *
 * A message is split into tokens on whitespace (at most MAX_TOKENS; the rest is one variable);
 * each token is classified in one pass over its characters (no regexes on the hot path). Tokens
 * that carry a variable (a number, hex, IP and port, UUID, path, URL, e-mail, timestamp) are
 * masked to `<*>`; in `key=value` / `name[value]` tokens only the value is masked.
 */

export const WILDCARD = '<*>';

/** Tokens per message at most; the rest of a longer message is one variable. */
export const MAX_TOKENS = 128;

const CH_0 = 48;
const CH_9 = 57;

/** True for characters kept around a token's core: brackets, quotes, trailing punctuation. */
const isOpener = (c: number): boolean =>
  c === 40 /* ( */ ||
  c === 91 /* [ */ ||
  c === 123 /* { */ ||
  c === 60 /* < */ ||
  c === 34 ||
  c === 39;
const isCloser = (c: number): boolean =>
  c === 41 ||
  c === 93 ||
  c === 125 ||
  c === 62 ||
  c === 34 ||
  c === 39 ||
  c === 44 /* , */ ||
  c === 59 /* ; */ ||
  c === 46 /* . */ ||
  c === 58; /* : */

/**
 * Masks the variable part of one token, or returns it unchanged. Exported for tests.
 *
 * Variable: the core (token without surrounding brackets, quotes and trailing punctuation) has a
 * digit, is a path (`/a/b`), a URL (`x://`), or an e-mail-like `a@b.c`. In `key=value` and
 * `key:value` cores whose key has no digit, only the value is masked.
 */
export function maskToken(token: string): string {
  const n = token.length;
  let start = 0;
  let end = n;
  while (start < end && isOpener(token.charCodeAt(start))) start++;
  while (end > start && isCloser(token.charCodeAt(end - 1))) end--;
  if (start === end) return token;
  const len = end - start;
  if (len >= 3 && len <= 9 && CALENDAR_INITIALS.has(token.charCodeAt(start))) {
    const core = start === 0 && end === n ? token : token.slice(start, end);
    if (CALENDAR_WORDS.has(core)) return token.slice(0, start) + WILDCARD + token.slice(end);
  }
  let digit = -1;
  let sep = -1;
  let slashes = 0;
  let at = false;
  for (let i = start; i < end; i++) {
    const c = token.charCodeAt(i);
    if (c >= CH_0 && c <= CH_9) {
      if (digit < 0) digit = i;
    } else if (c === 61 /* = */ || c === 58 /* : */ || c === 91 /* [ */ || c === 40 /* ( */) {
      if (sep < 0 && digit < 0) sep = i;
    } else if (c === 47 /* / */) slashes++;
    else if (c === 64 /* @ */) at = true;
  }
  // A URL: mask it whole, not as `scheme:` + value.
  if (sep > start && token.startsWith('://', sep)) sep = -1;
  const pathLike =
    slashes >= 2 || (slashes === 1 && token.charCodeAt(start) === 47 && end - start > 1);
  if (digit < 0 && !pathLike && !at) return token;
  if (digit === end - 1 && digit - start >= 2 && isLetters(token, start, digit)) return token;
  // key=value / key:value: keep the key when the value holds the variable.
  if (sep > start && sep < end - 1 && (digit < 0 || digit > sep)) {
    return token.slice(0, sep + 1) + WILDCARD + token.slice(end);
  }
  return token.slice(0, start) + WILDCARD + token.slice(end);
}

/** Month and weekday names: parts of a timestamp, masked like its digits. */
const CALENDAR_WORDS = new Set(
  [
    'jan feb mar apr may jun jul aug sep sept oct nov dec',
    'january february march april june july august september october november december',
    'mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday',
  ]
    .join(' ')
    .split(' ')
    // Capitalised or upper case, as timestamps write them ("may" and "sun" are also words).
    .flatMap((w) => [w.charAt(0).toUpperCase() + w.slice(1), w.toUpperCase()]),
);

/** Units of a quantity: after a masked number they are part of the variable ("12.5 KB"). */
const UNITS = new Set('B KB MB GB TB PB KiB MiB GiB TiB kB ns us µs ms s sec secs min'.split(' '));

function isLetters(t: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i) | 32;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

/** First letters of the calendar words: most tokens are ruled out without a slice. */
const CALENDAR_INITIALS = new Set([...CALENDAR_WORDS].map((w) => w.charCodeAt(0)));

/** Splits a message on whitespace and masks each token; past MAX_TOKENS, the rest is `<*>`. */
export function tokenize(message: string): string[] {
  const out: string[] = [];
  const n = message.length;
  let i = 0;
  while (i < n) {
    if (out.length === MAX_TOKENS - 1) {
      if (message.slice(i).trim().length > 0) out.push(WILDCARD);
      break;
    }
    let c = message.charCodeAt(i);
    while (i < n && (c === 32 || c === 9 || c === 10 || c === 13)) c = message.charCodeAt(++i);
    if (i >= n) break;
    const s = i;
    // Most tokens are plain words: no digit, '/' or '@', and no capital that could start a
    // month or weekday. Those skip masking.
    let plain = !CALENDAR_INITIALS.has(c) && !isOpener(c);
    while (i < n && c !== 32 && c !== 9 && c !== 10 && c !== 13) {
      if ((c >= CH_0 && c <= CH_9) || c === 47 || c === 64) plain = false;
      c = message.charCodeAt(++i);
    }
    const token = message.slice(s, i);
    const masked = plain ? token : maskToken(token);
    const last = out.length - 1;
    const unit = last >= 0 && out[last] === WILDCARD ? unitEnd(masked) : -1;
    if (unit > 0) out[last] = WILDCARD + masked.slice(unit);
    else out.push(masked);
  }
  return out;
}

/** A unit, possibly followed by trailing punctuation ("KB,"). */
function unitEnd(token: string): number {
  let end = token.length;
  while (end > 0 && isCloser(token.charCodeAt(end - 1))) end--;
  return end > 0 && end <= 4 && UNITS.has(token.slice(0, end)) ? end : -1;
}

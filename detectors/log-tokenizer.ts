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
export function maskToken(
  token: string,
  values?: string[],
  keepKeys?: ReadonlySet<string>,
): string {
  const n = token.length;
  // Already masked (a structured record's `key=<*>`): as it is.
  if (token.includes(WILDCARD)) return token;
  // A bound before a number ("<1", ">=5", "~3") is part of the value.
  const bound = boundLength(token);
  if (bound > 0 && bound < n) {
    const c = token.charCodeAt(bound);
    if (c >= CH_0 && c <= CH_9) {
      let e = n;
      while (e > bound && isCloser(token.charCodeAt(e - 1)) && token.charCodeAt(e - 1) !== 62) e--;
      return WILDCARD + token.slice(e);
    }
  }
  let start = 0;
  let end = n;
  while (start < end && isOpener(token.charCodeAt(start))) start++;
  while (end > start && isCloser(token.charCodeAt(end - 1))) end--;
  if (start === end)
    return isEmptyValue(token) ? token.charAt(0) + WILDCARD + token.slice(1) : token;
  const len = end - start;
  if (len >= 3 && len <= 9 && CALENDAR_INITIALS.has(token.charCodeAt(start))) {
    const core = start === 0 && end === n ? token : token.slice(start, end);
    if (CALENDAR_WORDS.has(core)) return token.slice(0, start) + WILDCARD + token.slice(end);
  }
  let digit = -1;
  let sep = -1;
  let slashes = 0;
  let at = false;
  let dot = false;
  for (let i = start; i < end; i++) {
    const c = token.charCodeAt(i);
    if (c >= CH_0 && c <= CH_9) {
      if (digit < 0) digit = i;
    } else if (c === 61 /* = */ || c === 58 /* : */ || c === 91 /* [ */ || c === 40 /* ( */) {
      if (sep < 0 && digit < 0) sep = i;
    } else if (c === 47 /* / */) slashes++;
    else if (c === 64 /* @ */) at = true;
    else if (c === 46 /* . */) dot = true;
  }
  // key=value: the value is a variable whatever its shape (`method=GET`, `user=root`), unless
  // the key is configured as part of the template.
  if (sep > start && sep < end - 1 && token.charCodeAt(sep) === 61 /* = */) {
    if (keepKeys !== undefined && keepKeys.has(token.slice(start, sep))) return token;
    if (values !== undefined && digit < 0 && slashes === 0 && !at)
      values.push(token.slice(sep + 1, end));
    return token.slice(0, sep + 1) + WILDCARD + token.slice(end);
  }
  // A URL: mask it whole, not as `scheme:` + value.
  if (sep > start && token.startsWith('://', sep)) sep = -1;
  // A path: two slashes, a leading one, or one beside a dotted name (`com.example/.Main`,
  // `conf.d/app`); `TCP/IP` and `text/html` stay words.
  const pathLike =
    slashes >= 2 || (slashes === 1 && ((token.charCodeAt(start) === 47 && end - start > 1) || dot));
  if (digit < 0 && !pathLike && !at) {
    return isHostName(token, start, end)
      ? token.slice(0, start) + WILDCARD + token.slice(end)
      : token;
  }
  if (digit === end - 1 && digit - start >= 2 && isLetters(token, start, digit)) return token;
  // key=value / key:value: keep the key when the value holds the variable; a host before the
  // colon is a host and port, one variable.
  if (
    sep > start &&
    sep < end - 1 &&
    (digit < 0 || digit > sep) &&
    !(token.charCodeAt(sep) === 58 && isHostName(token, start, sep))
  ) {
    return token.slice(0, sep + 1) + WILDCARD + token.slice(end);
  }
  return token.slice(0, start) + WILDCARD + token.slice(end);
}

/** `()`, `[]`, `{}`, `""`, `''`: an empty value, a variable like a full one. */
function isEmptyValue(token: string): boolean {
  if (token.length !== 2) return false;
  const a = token.charCodeAt(0);
  const b = token.charCodeAt(1);
  return (
    (a === 40 && b === 41) ||
    (a === 91 && b === 93) ||
    (a === 123 && b === 125) ||
    (a === 34 && b === 34) ||
    (a === 39 && b === 39)
  );
}

/** Length of a leading bound: `<`, `>`, `~`, `<=`, `>=`; 0 if none. */
function boundLength(token: string): number {
  const c = token.charCodeAt(0);
  if (c !== 60 && c !== 62 && c !== 126) return 0;
  return token.charCodeAt(1) === 61 ? 2 : 1;
}

/**
 * The last labels that make a dotted name a value: top-level domains (a host, `ns.example.com`)
 * and common file extensions (a file, `chrome.exe`, `app.yaml`). Java class names
 * (`org.apache.Foo`) start with a domain and end in a class name, and stay.
 */
const VALUE_SUFFIXES = new Set(
  [
    'com net org edu gov mil int io co uk de fr jp cn ru nl br au in it es ca ch se eu us info biz',
    'local localdomain internal lan arpa',
    'exe dll so jar war class log txt conf cfg ini xml json yaml yml properties toml sh py js',
    'rb go java html htm css csv tsv gz tgz zip tar bz2 xz pid lock tmp bak db sqlite pem crt',
  ]
    .join(' ')
    .split(' '),
);

/**
 * `a.b`, `a.b.tld`: two or more dot-separated labels of letters, digits, `-` and `_`, the last
 * one a top-level domain or a file extension: a host or a file name.
 */
function isHostName(token: string, start: number, end: number): boolean {
  const dot = token.lastIndexOf('.', end - 1);
  if (dot <= start || dot === end - 1) return false;
  if (!VALUE_SUFFIXES.has(token.slice(dot + 1, end).toLowerCase())) return false;
  for (let i = start; i < end; i++) {
    const raw = token.charCodeAt(i);
    const c = raw | 32;
    const ok =
      (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || raw === 45 || raw === 46 || raw === 95;
    if (!ok) return false;
  }
  return true;
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
const UNITS = new Set(
  [
    'B KB MB GB TB PB KiB MiB GiB TiB kB b kb mb gb byte bytes Bytes',
    'ns us µs ms s sec secs second seconds min mins minute minutes h hr hrs hour hours d day days',
    'B/s KB/s MB/s GB/s % percent',
  ]
    .join(' ')
    .split(' '),
);
/** Longest unit in UNITS. */
const MAX_UNIT = 7;
/** First characters of the units: most tokens are ruled out without a slice. */
const UNIT_INITIALS = new Set([...UNITS].map((u) => u.charCodeAt(0)));

function isLetters(t: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i) | 32;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

/** First letters of the calendar words: most tokens are ruled out without a slice. */
const CALENDAR_INITIALS = new Set([...CALENDAR_WORDS].map((w) => w.charCodeAt(0)));

const BLANK = 1;
const MAYBE_VARIABLE = 2;
/** Per ASCII character: BLANK (space, tab, CR, LF), MAYBE_VARIABLE (digit, `/ @ = .`) or 0. */
const CHAR_KIND = new Uint8Array(128);
for (const c of [32, 9, 10, 13]) CHAR_KIND[c] = BLANK;
for (let c = CH_0; c <= CH_9; c++) CHAR_KIND[c] = MAYBE_VARIABLE;
for (const c of [47, 64, 61, 46]) CHAR_KIND[c] = MAYBE_VARIABLE;

/**
 * Splits a message on whitespace and masks each token; past MAX_TOKENS, the rest is `<*>`.
 * `values`, if given, receives the plain-word values of `key=value` tokens (`root` of
 * `user=root`): words the stream shows to be values. Values of `keepKeys` stay in the template.
 */
export function tokenize(
  message: string,
  values?: string[],
  keepKeys?: ReadonlySet<string>,
): string[] {
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
    // A parenthesised restatement of the quantity before it ("1536 bytes (1.50 KB)") is part of
    // that variable, so a template does not depend on whether the value was restated.
    if (c === 40 /* ( */ && out.length > 0 && out[out.length - 1] === WILDCARD) {
      const close = restatementEnd(message, i);
      if (close > 0) {
        i = close;
        continue;
      }
    }
    // Most tokens are plain words: no digit, '/' or '@', and no capital that could start a
    // month or weekday. Those skip masking.
    let plain = !CALENDAR_INITIALS.has(c) && !isOpener(c);
    // One table lookup per character: ends the token, or may make it a variable.
    let kind = 0;
    while (i < n && (kind = c < 128 ? (CHAR_KIND[c] as number) : 0) !== BLANK) {
      if (kind === MAYBE_VARIABLE) plain = false;
      c = message.charCodeAt(++i);
    }
    const token = message.slice(s, i);
    const masked = plain ? token : maskToken(token, values, keepKeys);
    const last = out.length - 1;
    const unit = last >= 0 && out[last] === WILDCARD ? unitEnd(masked) : -1;
    if (unit > 0) out[last] = WILDCARD + masked.slice(unit);
    else out.push(masked);
  }
  return out;
}

/**
 * The end of a parenthesised group at `open` that holds only numbers and units, at most
 * MAX_RESTATEMENT characters, followed by whitespace or the end; -1 if it is anything else.
 */
const MAX_RESTATEMENT = 40;
function restatementEnd(message: string, open: number): number {
  const close = message.indexOf(')', open + 1);
  if (close < 0 || close - open > MAX_RESTATEMENT) return -1;
  const after = message.charCodeAt(close + 1);
  if (close + 1 < message.length && after !== 32 && after !== 9) return -1;
  // Numbers and units only, and a unit among them: "(1.50 KB)", "(1.5KB)", not "(host-1)".
  let sawUnit = false;
  for (const word of message.slice(open + 1, close).split(' ')) {
    if (word.length === 0) continue;
    if (UNITS.has(word)) {
      sawUnit = true;
      continue;
    }
    let digits = 0;
    while (digits < word.length && isNumberChar(word.charCodeAt(digits))) digits++;
    if (digits === 0) return -1;
    if (digits < word.length) {
      if (!UNITS.has(word.slice(digits))) return -1;
      sawUnit = true;
    }
  }
  return sawUnit ? close + 1 : -1;
}

/** A digit, or `.`, `,`, `-`, `+` within a number. */
const isNumberChar = (c: number): boolean =>
  (c >= CH_0 && c <= CH_9) || c === 46 || c === 44 || c === 45 || c === 43;

/** A unit, possibly followed by trailing punctuation ("KB,"). */
function unitEnd(token: string): number {
  if (!UNIT_INITIALS.has(token.charCodeAt(0))) return -1;
  let end = token.length;
  while (end > 0 && isCloser(token.charCodeAt(end - 1))) end--;
  return end > 0 && end <= MAX_UNIT && UNITS.has(token.slice(0, end)) ? end : -1;
}

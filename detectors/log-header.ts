/**
 * Learns the header of a raw log stream (timestamp, level, pid, thread, logger, syslog host and
 * program) and splits each line into that header and the message after it, with no per-system
 * pattern: the template miner (log-templates.ts) then mines only the message, and the level
 * comes from the header.
 *
 * Principle: a header is recognised by the SHAPE of its fields, read in order from the line
 * start. One hand-written scan reads one field at a time and gives it a kind:
 *
 *   D  date/time, one field however many words it spans: ISO 8601 (`2015-10-18 18:01:47,978`,
 *      `2017-05-16T00:00:00.008Z`), syslog (`Jun 14 15:16:01`), ctime (`Sun Dec 04 04:47:44
 *      2005`, also in brackets), compact (`081109 203615`, `20171223-22:15:29:606`), `17/06/09
 *      20:10:40`, `2009/11/10`, `2005.06.03`, `01-Jan-2024`, a month-day before a clock
 *      (`03-17 16:13:38.811`), `01 Jan 2024 12:00:00`, epoch seconds or millis as the first field
 *   K  klog/glog `I1207 12:00:00.123456` (a level letter and a date, then the time)
 *   L  a level word (TRACE … EMERG, any case), bare, in brackets, or followed by `:`
 *   N  a number (a pid), `n` the same in brackets (`[123]`)
 *   B  a bracketed field (`[main]`, `[IPC Server handler 5 on 62270]`; brackets may nest)
 *   M  a dotted identifier (a logger name, `nova.osapi_compute.wsgi.server`)
 *   C  a name ending in `:` that is clearly a program or logger: `sshd[24200]:`,
 *      `sshd(pam_unix)[19939]:`, `dfs.DataNode$PacketResponder:`, `main.go:12:`, `1234#0:`,
 *      klog's `file.go:123]`; `c` a plain word ending in `:` (`kernel:`)
 *   Q  Python's default `INFO:root:` (level and logger in one word; the message follows it)
 *   P  a syslog priority `<34>` / `<34>1`
 *   -  `|`  `:`  `>`   separators (`-` also stands for an empty field: any word may take its place)
 *   W  any other word (a host, a file name, a component)
 *
 * A layout is a sequence of kinds. It is a plausible header when it has a strong field (D, K,
 * L, P, Q or C), at most one level, a program/logger (C, c, Q) only as its last field, does not
 * end in a plain word, and each run of plain words (W, M) is short: at most 3 words before a
 * D, K, L, Q or C (BGL's `node RAS KERNEL INFO`), otherwise at most 1 (syslog's host, a
 * pipe-separated component, a logger before its `[context]`).
 *
 * Learning, per stream: the kinds of the first `learnLines` non-blank lines are kept; every
 * plausible prefix of them is a candidate, and the layout is the longest candidate that at least
 * LAYOUT_SHARE of those lines fit (a `W` place fits any word, `-` fits any field, `B` fits `n`, `C`
 * fits `c`); no candidate, no layout. Once learned, a line that fits the layout loses exactly those
 * fields, and, when the layout is narrow (it has no level and nothing marks its end: a date-only
 * layout learned from lines that carried no more), the fields after them that continue it into a
 * longer header by the strict rules below, more strictly still (they must hold a level, a date, a
 * program or a logger; a plain word only as syslog's host before its program), taking their level:
 * a later `ERROR [main-1] org.foo.Db - …` loses its header and keeps its level, `Error while …` or
 * `[shard-1] moved` stay whole. While learning, a line is split by the layout learned the same way
 * from the lines so far (itself included), so that it splits as the same kind of line will once the
 * layout is learned: wholly when at least CONFIDENT_SUPPORT of them fit it, else (few lines may
 * share the start of their messages too) by its longest prefix that the line's own fields make a
 * header of by the strict rules below, relaxed for common header shapes (logcat's `pid tid D Tag:`,
 * several brackets, a logger after a `[thread]`, a padded `Info`), when that strips more than its
 * own shape; never when the layout does not start as the strict rules ask. A line that does not
 * fit, or any line when there is no layout, is split by its own shape, strictly (keep more of the
 * line when in doubt): the header must start with a date/time (or a syslog priority, or one
 * non-alphabetic word before a date); a bare level must be in capitals (`Error while …` is a
 * message); it may not end in a number or a bracket (`[shard-1] moved` is a message) unless the
 * bracket follows a logger; a plain word must be followed by a strong field, except syslog's host
 * before `prog:`, a logger before its `[context]` or a `-`, and a word between `|`s; a plain
 * `word:` is a program only after a host. Nothing here throws on input; a line with no recognised
 * header, or nothing after its header, is all message.
 *
 * Speed: after learning every line goes through the layout fit, the hot path of the raw-line
 * pipeline, where each character read costs. There, and in the date reader, the common shapes
 * (an ISO, syslog, ctime or compact date, a dotted logger or `prog[pid]:`, the rest of a long
 * word, an epoch) are matched by sticky regexes, natively, and the rest is read one character at
 * a time, each once where possible. Each fast path accepts only what the scan would read the
 * same way and leaves anything else to it, so it changes no result.
 *
 * Pure: no I/O, no clock. The state (the learned layout, or the kinds seen so far) encodes to a
 * small JSON object that decodes to a learner that behaves exactly as the one encoded.
 */

/** One line split into its message and the level its header carried. */
export interface HeaderSplit {
  /** The message after the header (the whole line when no header is recognised). */
  readonly message: string;
  /** The level the header carried, lower-case as written ("info", "warn", "error", "notice", ...), or undefined. */
  readonly level?: string;
}

/** Lines (non-blank) from which the layout is learned, by default. */
export const DEFAULT_LEARN_LINES = 50;
/** Share of the learning lines that must fit the learned layout. */
export const LAYOUT_SHARE = 0.6;
/**
 * Learning lines that must fit a provisional layout (learned from the lines so far) before it
 * splits a learning line.
 */
export const CONFIDENT_SUPPORT = 3;
/** Header fields at most. */
export const MAX_FIELDS = 12;
/** Learning lines at most (bounds the encoded state). */
const MAX_LEARN_LINES = 10_000;
/** A bracketed field longer than this is not a header field. */
const MAX_BRACKET = 512;
const STATE_VERSION = 1;

const LEVELS = new Set([
  'trace',
  'debug',
  'dbg',
  'fine',
  'finer',
  'finest',
  'verbose',
  'info',
  'notice',
  'warn',
  'warning',
  'err',
  'error',
  'crit',
  'critical',
  'fatal',
  'severe',
  'alert',
  'emerg',
  'emergency',
  'panic',
]);
/** klog's level letters (I W E F) and their words. */
const klogLevel = (c: number): string | undefined =>
  c === 73 ? 'info' : c === 87 ? 'warning' : c === 69 ? 'error' : c === 70 ? 'fatal' : undefined;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

// ---------------------------------------------------------------------------------------------
// Characters

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isLower = (c: number): boolean => c >= 97 && c <= 122;
const isAlpha = (c: number): boolean => isUpper(c) || isLower(c);
const isSpace = (c: number): boolean => c === 32 || c === 9;
/** Identifier characters of a program or logger name. */
const isNameChar = (c: number): boolean =>
  isAlpha(c) || isDigit(c) || c === 95 /* _ */ || c === 36 /* $ */ || c === 45; /* - */

/** Digits at s[i..lim), counted. */
function digitsAt(s: string, i: number, lim: number): number {
  let j = i;
  while (j < lim && isDigit(s.charCodeAt(j))) j++;
  return j - i;
}

/** Two digits at s[i..) forming a number in [lo, hi]. */
function twoDigits(s: string, i: number, lim: number, lo: number, hi: number): boolean {
  if (i + 2 > lim || digitsAt(s, i, i + 2) !== 2) return false;
  const v = (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
  return v >= lo && v <= hi;
}

/** The end of a field's word at i: a space, a `|`, or lim. */
const atBoundary = (s: string, i: number, lim: number): boolean => {
  if (i >= lim) return true;
  const c = s.charCodeAt(i);
  return isSpace(c) || c === 124; /* | */
};

/** Level words by length, lower-case. */
const LEVELS_BY_LENGTH: readonly (readonly string[])[] = (() => {
  const by: string[][] = [];
  for (const w of LEVELS) (by[w.length] ??= []).push(w);
  return by;
})();

/** Level words by their letters packed 5 bits each (a = 1; exact for up to 10 letters). */
const LEVEL_BY_KEY: ReadonlyMap<number, string> = new Map(
  [...LEVELS].map((w) => {
    let key = 0;
    for (let k = 0; k < w.length; k++) key = key * 32 + w.charCodeAt(k) - 96;
    return [key, w];
  }),
);

/** The level word s[i..j) is (any case), as its lower-case constant, or undefined. */
function levelWordAt(s: string, i: number, j: number): string | undefined {
  const words = LEVELS_BY_LENGTH[j - i];
  if (words === undefined) return undefined;
  next: for (const w of words) {
    for (let k = 0; k < w.length; k++) {
      const c = s.charCodeAt(i + k);
      if (!isAlpha(c) || (c | 32) !== w.charCodeAt(k)) continue next;
    }
    return w;
  }
  return undefined;
}

/** Whether s[i..j) is a level word (any case). */
const isLevelWord = (s: string, i: number, j: number): boolean =>
  levelWordAt(s, i, j) !== undefined;

/** A three-letter word's key, lower-cased, when written `Xxx` or `XXX`; else -1. */
function wordKey3(s: string, i: number): number {
  const a = s.charCodeAt(i);
  const b = s.charCodeAt(i + 1);
  const c = s.charCodeAt(i + 2);
  if (!isUpper(a) || !isAlpha(b) || !isAlpha(c) || isUpper(b) !== isUpper(c)) return -1;
  return ((a | 32) << 16) | ((b | 32) << 8) | (c | 32);
}
const keysOf = (words: readonly string[]): Set<number> =>
  new Set(words.map((w) => wordKey3(w.toUpperCase(), 0)));
const MONTH_KEYS = keysOf(MONTHS);
const WEEKDAY_KEYS = keysOf(WEEKDAYS);
const ZONE_KEYS = keysOf(['UTC', 'GMT']);

const MONTH = 1;
const WEEKDAY = 2;
const ZONE = 3;
/** The end of the calendar word calendarAt read. */
let calEnd = 0;
/** What calendar word is at i (a word; a `,` after it allowed): MONTH, WEEKDAY, ZONE, or 0. */
function calendarAt(s: string, i: number, lim: number): number {
  if (i + 3 <= lim) {
    const key = wordKey3(s, i);
    if (key >= 0) {
      calEnd = i + 3;
      if (calEnd < lim && s.charCodeAt(calEnd) === 44) calEnd++;
      if (!atBoundary(s, calEnd, lim)) return 0;
      if (MONTH_KEYS.has(key)) return MONTH;
      if (WEEKDAY_KEYS.has(key)) return WEEKDAY;
      return ZONE_KEYS.has(key) && calEnd === i + 3 ? ZONE : 0;
    }
  }
  const a = s.charCodeAt(i);
  if (a === 90 /* Z */ && atBoundary(s, i + 1, lim)) {
    calEnd = i + 1;
    return ZONE;
  }
  if ((a === 65 || a === 80) && s.charCodeAt(i + 1) === 77 && atBoundary(s, i + 2, lim)) {
    calEnd = i + 2; // AM PM
    return ZONE;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Date and time

/** Digits at s[i..lim) forming a number of 1 or 2 digits at most `hi`: their count, or 0. */
function smallAt(s: string, i: number, lim: number, hi: number): number {
  const n = digitsAt(s, i, lim);
  if (n === 1) return 1;
  return n === 2 && (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48 <= hi ? 2 : 0;
}

/** The two digits at s[i..i+2) as a number, or -1 (no bounds check: NaN reads are not digits). */
function twoAt(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** `H:MM[:SS][.,:frac]` (or `H:M:S`, unpadded) at i: its end, or -1. */
function clockAt(s: string, i: number, lim: number): number {
  // Fast path, `HH:MM:SS` (what the general reading below makes of it, each character read once).
  if (i + 8 <= lim && s.charCodeAt(i + 2) === 58 && s.charCodeAt(i + 5) === 58) {
    const h = twoAt(s, i);
    const m = twoAt(s, i + 3);
    const sec = twoAt(s, i + 6);
    if (h >= 0 && h <= 24 && m >= 0 && m <= 59 && sec >= 0 && sec <= 60) {
      let j = i + 8;
      if (j < lim) {
        const c = s.charCodeAt(j);
        if (c === 46 || c === 44 || c === 58) {
          const f = digitsAt(s, j + 1, lim);
          if (f > 0 && f <= 9) j += 1 + f;
        } else if (isDigit(c)) return -1; // three digits of seconds
      }
      return j;
    }
  }
  const h = smallAt(s, i, lim, 24);
  if (h === 0) return -1;
  let j = i + h;
  if (j >= lim || s.charCodeAt(j) !== 58) return -1;
  const m = smallAt(s, j + 1, lim, 59);
  if (m === 0) return -1;
  j += 1 + m;
  if (j < lim && s.charCodeAt(j) === 58) {
    const sec = smallAt(s, j + 1, lim, 60);
    if (sec === 0) return -1;
    j += 1 + sec;
    if (j < lim) {
      const c = s.charCodeAt(j);
      if (c === 46 || c === 44 || c === 58) {
        const f = digitsAt(s, j + 1, lim);
        if (f > 0 && f <= 9) j += 1 + f;
      }
    }
  } else if (m === 1) return -1;
  return j;
}

/** `HH.MM.SS[.frac]` (a time joined to a date by `-`, as in `2005-06-03-15.42.50.675872`). */
function dottedClockAt(s: string, i: number, lim: number): number {
  if (!twoDigits(s, i, lim, 0, 23) || s.charCodeAt(i + 2) !== 46) return -1;
  if (!twoDigits(s, i + 3, lim, 0, 59) || s.charCodeAt(i + 5) !== 46) return -1;
  if (!twoDigits(s, i + 6, lim, 0, 60)) return -1;
  let j = i + 8;
  if (j < lim && s.charCodeAt(j) === 46) {
    const f = digitsAt(s, j + 1, lim);
    if (f > 0) j += 1 + f;
  }
  return j;
}

/** A zone suffix (`Z`, `+0100`, `-07:00`) at j: its end, or j. */
function zoneAt(s: string, j: number, lim: number): number {
  if (j >= lim) return j;
  const c = s.charCodeAt(j);
  if (c === 90 /* Z */) return j + 1;
  if (c === 43 || c === 45) {
    const n = digitsAt(s, j + 1, lim);
    if (n === 4) return j + 5;
    if (n === 2 && s.charCodeAt(j + 3) === 58 && digitsAt(s, j + 4, lim) === 2) return j + 6;
  }
  return j;
}

/** A date at i (`2015-10-18`, `2009/11/10`, `2005.06.03`, `17/06/09`, `10/Oct/2000`): its end, or -1. */
function dateAt(s: string, i: number, lim: number): number {
  const a = digitsAt(s, i, lim);
  const j = i + a;
  if (j >= lim) return -1;
  const sep = s.charCodeAt(j);
  if (sep !== 45 && sep !== 47 && sep !== 46) return -1; // - / .
  if (a === 4) {
    const b = digitsAt(s, j + 1, lim);
    if (b < 1 || b > 2 || s.charCodeAt(j + 1 + b) !== sep) return -1;
    const c = digitsAt(s, j + 2 + b, lim);
    return c >= 1 && c <= 2 ? j + 2 + b + c : -1;
  }
  if (a === 1 || a === 2) {
    const b = digitsAt(s, j + 1, lim);
    if (b === 0 && sep !== 46 && j + 4 < lim && s.charCodeAt(j + 4) === sep) {
      // 10/Oct/2000
      if (!MONTH_KEYS.has(wordKey3(s, j + 1))) return -1;
      return digitsAt(s, j + 5, lim) === 4 ? j + 9 : -1;
    }
    if (b < 1 || b > 2 || s.charCodeAt(j + 1 + b) !== sep) return -1;
    const c = digitsAt(s, j + 2 + b, lim);
    return c === 2 || c === 4 ? j + 2 + b + c : -1;
  }
  return -1;
}

/** Whether the last stamp read had a clock. */
let stampClock = false;

/** A date/time word at i (date, date joined to a time, or a time), with its zone: end or -1. */
function stampAt(s: string, i: number, lim: number): number {
  stampClock = true;
  // Fast path, a clock word `HH:...` (no date reads two digits and a `:`).
  if (
    i + 2 < lim &&
    s.charCodeAt(i + 2) === 58 &&
    isDigit(s.charCodeAt(i + 1)) &&
    isDigit(s.charCodeAt(i))
  ) {
    const t = clockAt(s, i, lim);
    return t < 0 ? -1 : zoneAt(s, t, lim);
  }
  let j = dateAt(s, i, lim);
  if (j < 0 && digitsAt(s, i, lim) === 8) j = i + 8; // 20171223-22:15:29:606
  if (j >= 0) {
    if (j < lim) {
      const c = s.charCodeAt(j);
      if (c === 84 || c === 45 || c === 95 || c === 58) {
        // T - _ :
        let t = clockAt(s, j + 1, lim);
        if (t < 0 && c === 45) t = dottedClockAt(s, j + 1, lim);
        if (t >= 0) return zoneAt(s, t, lim);
      }
    }
    stampClock = false;
    return j === i + 8 && digitsAt(s, i, lim) === 8 ? -1 : j;
  }
  const t = clockAt(s, i, lim);
  return t < 0 ? -1 : zoneAt(s, t, lim);
}

/** Skips spaces and tabs from i. */
function skipSpaces(s: string, i: number, lim: number): number {
  while (i < lim && isSpace(s.charCodeAt(i))) i++;
  return i;
}

/** The rest of a word, for wordEnd. */
const WORD_REST = /[^ \t|]*/y;

/** The end of the word at i (a space, a `|` or lim). */
function wordEnd(s: string, i: number, lim: number): number {
  // A short word is read here; the end of a longer one is found natively.
  const stop = Math.min(lim, i + 12);
  for (; i < stop; i++) {
    const c = s.charCodeAt(i);
    if (isSpace(c) || c === 124) return i;
  }
  if (i >= lim) return i;
  WORD_REST.lastIndex = i;
  WORD_REST.test(s);
  return Math.min(WORD_REST.lastIndex, lim);
}

/** A month and day (`03-17`, `10.30`, `1/5`) followed by a clock: the end of the day, or -1. */
function monthDayAt(s: string, i: number, lim: number): number {
  const a = smallAt(s, i, lim, 12);
  if (a === 0) return -1;
  const sep = s.charCodeAt(i + a);
  if (sep !== 45 && sep !== 47 && sep !== 46) return -1;
  const b = smallAt(s, i + a + 1, lim, 31);
  const e = i + a + 1 + b;
  if (b === 0 || !atBoundary(s, e, lim) || e >= lim || s.charCodeAt(e) === 124) return -1;
  const k = skipSpaces(s, e, lim);
  const t = clockAt(s, k, lim);
  return t >= 0 && atBoundary(s, t, lim) ? e : -1;
}

/**
 * A compact date `081109` / `20081109` at i (`a` digits) followed by a compact time `203615` or
 * a clock: its end, or -1.
 */
function compactAt(s: string, i: number, a: number, lim: number): number {
  if (a !== 6 && a !== 8) return -1;
  const m = i + a - 4;
  const month = twoAt(s, m); // inside the run of digits
  const day = twoAt(s, m + 2);
  if (month < 1 || month > 12 || day < 1 || day > 31) return -1;
  const k = skipSpaces(s, i + a, lim);
  if (k === i + a) return -1;
  // `HHMMSS`: six digits then a boundary (so no seventh digit).
  if (k + 6 <= lim) {
    const h = twoAt(s, k);
    const mi = twoAt(s, k + 2);
    const sec = twoAt(s, k + 4);
    if (h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 60)
      if (atBoundary(s, k + 6, lim)) return k + 6;
  }
  const t = clockAt(s, k, lim);
  return t >= 0 && atBoundary(s, t, lim) ? t : -1;
}

/**
 * Common date/time shapes for timeFieldAt's fast path, as sticky regexes (matched natively, far
 * quicker than reading character by character). Each matches exactly what timeFieldAt's loop
 * reads as its first pieces: a clock is `HH:MM:SS` as clockAt reads it (hour 0-24, minute
 * 0-59, second 0-60, a fraction of 1-9 digits after `.`, `,` or `:`), then a zone as zoneAt
 * reads it (`Z`, `+0100`, `-07:00`); a month or weekday is written `Jan` or `JAN` as wordKey3
 * reads it, with an optional `,`; words are separated by spaces and tabs. A match counts only
 * when it ends at a boundary no further than lim (timeFieldAt checks); whatever the regex
 * looks at past its end only makes it stricter, and on no match the loop reads the line.
 */
const CLOCK_SRC =
  String.raw`(?:[01]\d|2[0-4]):[0-5]\d:(?:[0-5]\d|60)(?!\d)(?:[.,:]\d{1,9}(?!\d))?` +
  String.raw`(?:Z|[+-](?:\d{4}|\d\d:\d\d)(?!\d))?`;
const calendarSrc = (words: readonly string[]): string =>
  `(?:${words.flatMap((w) => [w, w.toUpperCase()]).join('|')}),?`;
/**
 * `2015-10-18 18:01:47,978`, `17/06/09 20:10:40`, `2005.06.03 `: a date word (4 or 2 digits
 * first) and a space, then a clock or not (the match then ends at the date).
 */
const SHAPE_DATE_CLOCK = new RegExp(
  String.raw`(?:\d{4}|\d\d)([-/.])\d\d\1\d\d(?= )(?:[ \t]+` + CLOCK_SRC + ')?',
  'y',
);
/**
 * `2017-05-16T00:00:00.008Z`, `2005-06-03-15.42.50.675872`: a date word joined to a clock by
 * `T`, `_`, `:` or `-`, or by `-` to a dotted clock `HH.MM.SS[.frac]` as dottedClockAt reads it.
 */
const SHAPE_DATE_JOINED = new RegExp(
  String.raw`(?:\d{4}|\d\d)([-/.])\d\d\1\d\d(?:[T_:-]` +
    CLOCK_SRC +
    String.raw`|-(?:[01]\d|2[0-3])\.[0-5]\d\.(?:[0-5]\d|60)(?:\.\d+)?` +
    String.raw`(?:Z|[+-](?:\d{4}|\d\d:\d\d)(?!\d))?)`,
  'y',
);
/** `081109 203615`, `20081109 203615`: a compact date and time, as compactAt reads them. */
const SHAPE_COMPACT = new RegExp(
  String.raw`\d\d(?:\d\d)?(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[ \t]+` +
    String.raw`(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d|60)`,
  'y',
);
/** `20171223-22:15:29:606`: eight digits joined to a clock by `-`. */
const SHAPE_DIGITS_CLOCK = new RegExp(String.raw`\d{8}-` + CLOCK_SRC, 'y');
/** `Jun 14 15:16:01`, `Jul  3 04:08:03`: a month, a day, a clock. */
const SHAPE_SYSLOG = new RegExp(
  calendarSrc(MONTHS) + String.raw`[ \t]+\d\d?[ \t]+` + CLOCK_SRC,
  'y',
);
/** `Sun Dec 04 04:47:44` (then the year, read by the loop): a weekday, a month, a day, a clock. */
const SHAPE_CTIME = new RegExp(
  calendarSrc(WEEKDAYS) + String.raw`[ \t]+` + SHAPE_SYSLOG.source,
  'y',
);

/**
 * A date/time field at i, however many words it spans (`Sun Dec 04 04:47:44 2005`, `Jun 14
 * 15:16:01`, `2015-10-18 18:01:47,978 +0000`, `081109 203615`): its end, or -1.
 */
function timeFieldAt(s: string, i: number, lim: number): number {
  const c0 = s.charCodeAt(i);
  let j = i;
  let end = -1;
  let hadMonth = false;
  let hadClock = false;
  let hadStamp = false;
  let pieces = 0;
  // Fast paths for the common shapes (see SHAPE_*), each matched whole by one regex, natively:
  // what the loop below makes of their words, leaving it the state it would have after them.
  let shape: RegExp | undefined;
  if (isDigit(c0)) {
    const c2 = s.charCodeAt(i + 2);
    const c4 = s.charCodeAt(i + 4);
    if (c4 === 45 || c4 === 47 || c4 === 46 || c2 === 45 || c2 === 47 || c2 === 46) {
      const after = s.charCodeAt(c4 === 45 || c4 === 47 || c4 === 46 ? i + 10 : i + 8);
      if (after === 32) shape = SHAPE_DATE_CLOCK;
      else if (after === 84 || after === 95 || after === 58 || after === 45)
        shape = SHAPE_DATE_JOINED;
    } else if (isSpace(s.charCodeAt(i + 6)) || isSpace(s.charCodeAt(i + 8))) shape = SHAPE_COMPACT;
    else if (s.charCodeAt(i + 8) === 45) shape = SHAPE_DIGITS_CLOCK;
  } else if (isUpper(c0)) shape = isUpper(s.charCodeAt(i + 4)) ? SHAPE_CTIME : SHAPE_SYSLOG;
  else return -1;
  if (shape !== undefined) {
    shape.lastIndex = i;
    const e = shape.test(s) ? shape.lastIndex : -1;
    if (e >= 0 && e <= lim && atBoundary(s, e, lim)) {
      if (shape === SHAPE_COMPACT) return e;
      end = e;
      pieces =
        shape === SHAPE_DIGITS_CLOCK || shape === SHAPE_DATE_JOINED
          ? 1
          : shape === SHAPE_DATE_CLOCK
            ? e - i <= 10 // the date alone
              ? 1
              : 2
            : shape === SHAPE_SYSLOG
              ? 3
              : 4;
      hadMonth = pieces >= 3;
      hadClock = shape !== SHAPE_DATE_CLOCK || pieces === 2;
      hadStamp = true;
      const k = skipSpaces(s, e, lim);
      if (k === e) return e; // a `|` or the end
      j = k;
    }
  }
  if (isDigit(c0) && pieces === 0) {
    const n = digitsAt(s, i, lim);
    if (n === 6 || n === 8) {
      const compact = compactAt(s, i, n, lim);
      if (compact >= 0) return compact;
    }
    if (n !== 1 && n !== 2 && n !== 4 && n !== 8) return -1;
  }
  let prevMonth = false;
  for (;;) {
    if (j >= lim) break;
    const c = s.charCodeAt(j);
    let e = -1;
    let month = false;
    let clock = false;
    let stamp = false;
    if (isUpper(c)) {
      // After a stamp only a zone may follow; only U(TC), G(MT), Z, A(M), P(M) may start one.
      if (hadStamp && c !== 85 && c !== 71 && c !== 90 && c !== 65 && c !== 80) break;
      const cal = calendarAt(s, j, lim);
      if (hadStamp ? !(hadClock && cal === ZONE) : cal !== MONTH && cal !== WEEKDAY) break;
      month = cal === MONTH;
      e = calEnd;
    } else if (isDigit(c)) {
      const n = digitsAt(s, j, lim);
      // A number word after a piece: not a stamp (a stamp has a separator after its first
      // digits), so only the cases below; decided here without reading it again.
      const t = pieces > 0 && atBoundary(s, j + n, lim) ? -1 : stampAt(s, j, lim);
      if (t >= 0 && atBoundary(s, t, lim)) {
        e = t;
        stamp = true;
        clock = stampClock;
      } else {
        const md = pieces === 0 ? monthDayAt(s, j, lim) : -1;
        if (md >= 0)
          e = md; // `03-17 16:13:38.811`: a month and day before a clock
        else if (!atBoundary(s, j + n, lim)) break;
        else if (prevMonth && n <= 2)
          e = j + n; // the day after a month
        else if (hadMonth && n === 4)
          e = j + n; // the year of a ctime date
        else if (pieces === 0 && n <= 2 && calendarAt(s, skipSpaces(s, j + n, lim), lim) === MONTH)
          e = j + n; // the day before a month
        else break;
      }
    } else if ((c === 43 || c === 45) && hadClock && pieces > 0) {
      e = zoneAt(s, j, lim);
      if (e <= j + 1) break;
    } else break;
    // `2016-09-28 04:30:30, Info`: a comma after the time ends the field.
    if (clock && e + 1 < lim && s.charCodeAt(e) === 44 && isSpace(s.charCodeAt(e + 1))) e++;
    if (!atBoundary(s, e, lim)) break;
    pieces++;
    hadMonth ||= month;
    hadClock ||= clock;
    hadStamp ||= stamp;
    prevMonth = month;
    end = e;
    const k = skipSpaces(s, e, lim);
    if (k === e) break; // a `|` or the end
    j = k;
  }
  if (end < 0) return -1;
  // A lone month or weekday word is no date.
  if (isUpper(c0) && !hadClock && !(hadMonth && pieces >= 2)) return -1;
  return end;
}

// ---------------------------------------------------------------------------------------------
// Fields

/** The field just read: its kind, end, and level word (start and end, -1 when none). */
let fKind = 'W';
let fEnd = 0;
let fLevelStart = -1;
let fLevelEnd = -1;

/** Epoch seconds or millis at i (10 or 13 digits, a fraction allowed) ending a word: end or -1. */
function epochAt(s: string, i: number, lim: number): number {
  const d = digitsAt(s, i, lim);
  let e = i + d;
  if (d !== 10 && d !== 13) return -1;
  if (e < lim && s.charCodeAt(e) === 46) {
    const f = digitsAt(s, e + 1, lim);
    if (f > 0) e += 1 + f;
  }
  return atBoundary(s, e, lim) ? e : -1;
}

/** Epoch seconds or millis as epochAt reads them, before its boundary check (a sticky regex). */
const EPOCH = /(?:\d{13}|\d{10})(?!\d)(?:\.\d+)?/y;

/** Whether s[i..w) is a separator (`-`, `--`, `|`, `:`, `::`, `>`, `->`, `=>`, `-->`); sets fKind. */
function isSepWord(s: string, i: number, w: number): boolean {
  const a = s.charCodeAt(i);
  const n = w - i;
  if (n === 1) {
    fKind = a === 45 ? '-' : a === 124 ? '|' : a === 58 ? ':' : a === 62 ? '>' : '';
    return fKind !== '';
  }
  const b = s.charCodeAt(i + 1);
  const z = s.charCodeAt(w - 1);
  if (n === 2 && a === b && (a === 45 || a === 58)) fKind = a === 45 ? '-' : ':';
  else if (z === 62 && (a === 45 || a === 61) && (n === 2 || (n === 3 && b === 45))) fKind = '>';
  else return false;
  return true;
}

/** Reads a word at [i, w) as a field (not a bracket, not a date). */
function readWord(s: string, i: number, w: number, first: boolean): void {
  fEnd = w;
  const n = w - i;
  const c0 = s.charCodeAt(i);
  const last = s.charCodeAt(w - 1);
  if (n <= 3 && isSepWord(s, i, w)) return;
  // Digits: a number, an epoch first, `1234:`, `1234#0:`.
  if (isDigit(c0)) {
    if (first && epochAt(s, i, w) === w) return void (fKind = 'D');
    const d = digitsAt(s, i, w);
    if (d === n) return void (fKind = 'N');
    if (
      last === 58 &&
      (d === n - 1 ||
        (s.charCodeAt(i + d) === 35 &&
          isDigit(s.charCodeAt(w - 2)) &&
          digitsAt(s, i + d + 1, w) === n - d - 2))
    )
      return void (fKind = 'C');
    fKind = 'W';
    return;
  }
  // A level, bare or in () / <> or before a `:`.
  let a = i;
  let b = w;
  if ((c0 === 40 && last === 41) || (c0 === 60 && last === 62)) {
    a++;
    b--;
  } else if (last === 58) b--;
  if (isLevelWord(s, a, b)) {
    fKind = 'L';
    fLevelStart = a;
    fLevelEnd = b;
    return;
  }
  // `INFO:root:message`: a level and a logger in one word.
  if (isAlpha(c0)) {
    let k = i;
    while (k < w && isAlpha(s.charCodeAt(k))) k++;
    if (k < w && s.charCodeAt(k) === 58 && isLevelWord(s, i, k)) {
      let m = k + 1;
      while (m < w && (isNameChar(s.charCodeAt(m)) || s.charCodeAt(m) === 46)) m++;
      if (m > k + 1 && m < w && s.charCodeAt(m) === 58) {
        fKind = 'Q';
        fEnd = m + 1;
        fLevelStart = i;
        fLevelEnd = k;
        return;
      }
    }
  }
  if (!isAlpha(c0) && c0 !== 95 && c0 !== 36) return void (fKind = 'W');
  fKind = nameAt(s, i, w);
}

/** The end of the name nameAt read (after its `:` or `]`). */
let nEnd = 0;

/**
 * Reads a name at i (identifier characters and dots, then `(sub)`, `[pid]`, `:line`) that ends
 * its word: C when it ends in `:` (or `:line]`) and is clearly a program or logger, c for a plain
 * word and `:`, M for a dotted name with no `:`, else W.
 */
function nameAt(s: string, i: number, lim: number): string {
  let k = i;
  let dots = 0;
  let segStart = true;
  for (; k < lim; k++) {
    const c = s.charCodeAt(k);
    if (c === 46) {
      if (segStart) break;
      dots++;
      segStart = true;
      continue;
    }
    if (!isNameChar(c) && c !== 47 /* / */ && c !== 64 /* @ */) break;
    if (segStart && isDigit(c) && dots > 0) dots = -100; // `a.1`: a version, not a name
    segStart = false;
  }
  if (atBoundary(s, k, lim)) return dots > 0 && !segStart ? 'M' : 'W';
  let strong = dots > 0 || s.charCodeAt(k - 1) === 36;
  const nameEnd = k;
  if (s.charCodeAt(k) === 40 /* ( */) {
    let close = k + 1;
    while (close < lim) {
      const c = s.charCodeAt(close);
      if (c === 41 || isSpace(c) || c === 124) break;
      close++;
    }
    if (close >= lim || s.charCodeAt(close) !== 41) return 'W';
    k = close + 1;
    strong = true;
  }
  if (k < lim && s.charCodeAt(k) === 91 /* [ */) {
    const d = digitsAt(s, k + 1, lim);
    if (d === 0 || s.charCodeAt(k + 1 + d) !== 93) return 'W';
    k += d + 2;
    strong = true;
  }
  if (k + 1 < lim && s.charCodeAt(k) === 58 && dots > 0 && isDigit(s.charCodeAt(k + 1))) {
    // main.go:12: / file.go:123]
    const e = k + 1 + digitsAt(s, k + 1, lim);
    const c = s.charCodeAt(e);
    if ((c === 58 || c === 93) && atBoundary(s, e + 1, lim)) {
      nEnd = e + 1;
      return 'C';
    }
    return 'W';
  }
  if (k < lim && s.charCodeAt(k) === 58 && atBoundary(s, k + 1, lim) && nameEnd > i) {
    nEnd = k + 1;
    return strong ? 'C' : 'c';
  }
  return 'W';
}

/**
 * Reads a bracketed field at i (a `[`): its kind (n, L, D or B), end and level range, and true;
 * false when it is no bracketed field (unclosed within MAX_BRACKET, or not ending its word).
 * Reads nothing past the field's end but the character after it.
 */
function bracketAt(s: string, i: number, lim: number): boolean {
  fLevelStart = -1;
  // The `]` closing it (brackets nest), found with indexOf rather than a loop over the text.
  const stop = Math.min(lim, i + MAX_BRACKET);
  let open = s.indexOf('[', i + 1);
  let k = s.indexOf(']', i + 1);
  let depth = 1;
  for (;;) {
    if (k < 0 || k >= stop) return false;
    if (open >= 0 && open < k) {
      depth++;
      open = s.indexOf('[', open + 1);
    } else if (--depth === 0) break;
    else k = s.indexOf(']', k + 1);
  }
  let e = k + 1;
  if (e < lim && s.charCodeAt(e) === 58) e++;
  // `[2024-01-01T12:00:00,123][INFO ]`: a bracket may follow a bracket with no space.
  if (!atBoundary(s, e, lim) && s.charCodeAt(e) !== 91) return false;
  fEnd = e;
  const a = skipSpaces(s, i + 1, k);
  let b = k;
  while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
  if (a < b) {
    if (digitsAt(s, a, b) === b - a) {
      fKind = 'n';
      return true;
    }
    if (isLevelWord(s, a, b)) {
      fKind = 'L';
      fLevelStart = a;
      fLevelEnd = b;
      return true;
    }
    if (timeFieldAt(s, a, b) === b) {
      fKind = 'D';
      return true;
    }
  }
  fKind = 'B';
  return true;
}

/** Reads the field at i (not a space): sets fKind, fEnd and the level range. */
function readField(s: string, i: number, lim: number, first: boolean): void {
  fLevelStart = -1;
  const c = s.charCodeAt(i);
  if (c === 91 /* [ */) {
    if (!bracketAt(s, i, lim)) readWord(s, i, wordEnd(s, i, lim), first);
    return;
  }
  if (c === 60 /* < */) {
    const d = digitsAt(s, i + 1, lim);
    if (d >= 1 && d <= 3 && s.charCodeAt(i + 1 + d) === 62) {
      const e = i + 2 + d + digitsAt(s, i + 2 + d, lim);
      if (atBoundary(s, e, lim)) {
        fEnd = e;
        fKind = 'P';
        return;
      }
    }
  } else if (c === 124 /* | */) {
    fEnd = i + 1;
    fKind = '|';
    return;
  } else if (isDigit(c) || isUpper(c)) {
    // klog: `I1207 12:00:00.123456`
    if (
      isUpper(c) &&
      klogLevel(c) !== undefined &&
      digitsAt(s, i + 1, lim) === 4 &&
      isSpace(s.charCodeAt(i + 5))
    ) {
      const k = skipSpaces(s, i + 5, lim);
      const t = clockAt(s, k, lim);
      if (t >= 0 && atBoundary(s, t, lim)) {
        fEnd = t;
        fKind = 'K';
        fLevelStart = i;
        fLevelEnd = i + 1;
        return;
      }
    }
    const t = timeFieldAt(s, i, lim);
    if (t >= 0) {
      fEnd = t;
      fKind = 'D';
      return;
    }
  }
  readWord(s, i, wordEnd(s, i, lim), first);
}

const isSep = (k: string): boolean => k === '-' || k === '|' || k === ':' || k === '>';
const isWordKind = (k: string): boolean => k === 'W' || k === 'M';
const isTerminal = (k: string): boolean => k === 'C' || k === 'c' || k === 'Q';
/** Kinds after which up to 3 plain words may be header fields. */
const isStrongNext = (k: string | undefined): boolean =>
  k === 'D' || k === 'K' || k === 'L' || k === 'Q' || k === 'C';

/** Whether a line's field of kind `got` fits a layout place of kind `want`. */
function fits(want: string, got: string): boolean {
  if (want === got || want === '-') return true;
  switch (want) {
    case 'W':
    case 'M':
      return !isSep(got);
    case 'C':
    case 'c':
      return got === 'C' || got === 'c';
    case 'N':
    case 'B':
      return got === 'n';
    case 'n':
      return got === 'N' || got === 'B';
    default:
      return false;
  }
}

/**
 * Whether the first `m` kinds of `k` are a plausible header (see the file comment). `strict`
 * (a line split by its own shape) also asks that it start with a date (or a priority, or one
 * non-alphabetic word before a date; `alphaAt(i)` says whether field i is all letters), that no
 * number follow the level, and that a plain word be followed by a strong field, except a
 * logger before its `[context]` or `-`, a word between `|`s and syslog's host before `prog:`.
 * `relaxed` (with strict: a provisional layout on a learning line) also lets a plain `word:`
 * and the word before it follow a number, up to two brackets (the last after a bracket), and a
 * dotted logger end the header after a bracket.
 */
function plausible(
  k: string,
  m: number,
  strict: boolean,
  alphaAt: (i: number) => boolean,
  lowerAt: (i: number) => boolean,
  relaxed = false,
): boolean {
  if (m < 1 || m > k.length) return false;
  const afterField = (i: number): boolean => {
    const p = k.charAt(i - 1);
    return p === 'D' || p === 'K' || (relaxed && (p === 'N' || p === 'n'));
  };
  let levels = 0;
  let brackets = 0;
  let strong = false;
  for (let i = 0; i < m; i++) {
    const c = k.charAt(i);
    if (isTerminal(c) && i !== m - 1) return false;
    if (c === 'L' || c === 'K' || c === 'Q') {
      if (++levels > 1) return false;
      if (strict && c === 'L' && lowerAt(i)) return false;
    }
    if (c === 'D' || c === 'K' || c === 'L' || c === 'P' || c === 'Q' || c === 'C') strong = true;
    if (c === 'B' && strict && ++brackets > (relaxed ? 2 : 1)) return false;
    if (c === 'c' && strict && !(i >= 2 && k.charAt(i - 1) === 'W' && afterField(i - 1)))
      return false;
    if (!isWordKind(c)) continue;
    let r = i;
    while (r < m && isWordKind(k.charAt(r))) r++;
    const run = r - i;
    if (r === m) {
      // A dotted logger may end a header (after a `[thread]` only, when strict and relaxed).
      if (run !== 1 || c !== 'M' || (strict && !(relaxed && k.charAt(i - 1) === 'B'))) return false;
      break;
    }
    let nx = r;
    while (nx < m && isSep(k.charAt(nx))) nx++;
    const next = nx < m ? k.charAt(nx) : undefined;
    if (isStrongNext(next)) {
      if (run > 3) return false;
    } else {
      if (run > 1) return false;
      if (
        strict &&
        !(c === 'M' && (next === 'B' || (next === undefined && nx > r))) &&
        k.charAt(r) !== '|' &&
        !(next === 'c' && nx === r && i > 0 && afterField(i))
      )
        return false;
    }
    i = r - 1;
  }
  if (!strong) return false;
  if (strict) {
    const last = k.charAt(m - 1);
    const before = k.charAt(m - 2);
    if (last === 'N' || last === 'n') return false;
    if (last === 'B' && before !== 'M' && !(relaxed && before === 'B')) return false;
    let f = 0;
    while (f < m && isSep(k.charAt(f))) f++;
    const c = k.charAt(f);
    if (c !== 'D' && c !== 'K' && c !== 'P') {
      if (c !== 'W' || alphaAt(f) || (k.charAt(f + 1) !== 'D' && k.charAt(f + 1) !== 'K'))
        return false;
    }
  }
  return true;
}

// Scratch arrays for one line's fields (the scan is single-threaded and not re-entrant).
const starts = new Int32Array(MAX_FIELDS);
const ends = new Int32Array(MAX_FIELDS);
const levelStarts = new Int32Array(MAX_FIELDS);
const levelEnds = new Int32Array(MAX_FIELDS);

/**
 * Reads up to MAX_FIELDS fields of `s` into the scratch arrays and returns their kinds; stops
 * after a program/logger field or a run of more than 3 plain words (no header goes on past
 * either).
 */
function scanKinds(s: string): string {
  const lim = s.length;
  let kinds = '';
  let i = skipSpaces(s, 0, lim);
  let first = true;
  let words = 0;
  for (let f = 0; f < MAX_FIELDS && i < lim; f++) {
    readField(s, i, lim, first);
    starts[f] = i;
    ends[f] = fEnd;
    levelStarts[f] = fLevelStart;
    levelEnds[f] = fLevelEnd;
    kinds += fKind;
    if (!isSep(fKind)) first = false;
    if (isTerminal(fKind)) break;
    words = isWordKind(fKind) ? words + 1 : 0;
    if (words > 3) break;
    i = skipSpaces(s, fEnd, lim);
  }
  return kinds;
}

/**
 * The level of a field read by the scan or the fit: s[a..b) lower-cased (a level word, so the
 * constant it matches, with no new string).
 */
function levelText(s: string, a: number, b: number, kind: string): string {
  if (kind === 'K') return klogLevel(s.charCodeAt(a)) ?? s.charAt(a).toLowerCase();
  return levelWordAt(s, a, b) ?? s.slice(a, b).toLowerCase();
}

/**
 * A split: the message from `end` on (spaces skipped), with the level when there is one. A line
 * that is all header keeps all of it as its message.
 */
function splitAt(s: string, end: number, level: string | undefined): HeaderSplit {
  const from = skipSpaces(s, end, s.length);
  const message = from < s.length ? s.slice(from) : s;
  return level === undefined ? { message } : { message, level };
}

/** Whether the scan's field f of `s` is all letters. */
function fieldAlpha(s: string, f: number): boolean {
  for (let k = starts[f]!; k < ends[f]!; k++) if (!isAlpha(s.charCodeAt(k))) return false;
  return true;
}

/**
 * Whether the scan's field f of `s` is a level written with a lower-case letter (`Error while
 * …` is a message), not in brackets (`[notice]`); `padded`: nor followed by two spaces, the
 * padding of a column (`Info                  CBS`).
 */
function fieldLower(s: string, f: number, padded: boolean): boolean {
  if (s.charCodeAt(starts[f]!) === 91) return false; // `[notice]`
  const e = levelEnds[f]!;
  if (padded && isSpace(s.charCodeAt(e)) && isSpace(s.charCodeAt(e + 1))) return false;
  for (let k = levelStarts[f]!; k < e; k++) if (isLower(s.charCodeAt(k))) return true;
  return false;
}

/** Splits a line by its own shape (strictly): the longest plausible prefix of its fields. */
function splitOwn(s: string, kinds: string): HeaderSplit {
  const alphaAt = (f: number): boolean => fieldAlpha(s, f);
  const lowerAt = (f: number): boolean => fieldLower(s, f, false);
  for (let m = kinds.length; m > 0; m--) {
    if (!plausible(kinds, m, true, alphaAt, lowerAt)) continue;
    let level: string | undefined;
    for (let f = 0; f < m; f++)
      if (levelStarts[f]! >= 0)
        level = levelText(s, levelStarts[f]!, levelEnds[f]!, kinds.charAt(f));
    return splitAt(s, ends[m - 1]!, level);
  }
  return { message: s };
}

/**
 * Whether the line's own fields (`kinds`, read by the scan) fit `layout` place by place and make
 * a header by the strict rules relaxed for the shapes of common headers that a single line does
 * not prove: a plain `tag:` after a word after a number (logcat's `1702  2395 D Tag:`), several
 * brackets (`[time][LEVEL][logger] [node]`), a dotted logger after a `[thread]`, a level in
 * capitals and small letters padded as a column (`Info      CBS`).
 */
function fitsRelaxed(s: string, kinds: string, layout: string): boolean {
  const m = layout.length;
  if (kinds.length < m) return false;
  let k = '';
  for (let i = 0; i < m; i++) {
    const want = layout.charAt(i);
    const got = kinds.charAt(i);
    if (!fits(want, got)) return false;
    // A plain `word:` where other lines had a program or logger is one.
    k += want === 'C' ? want : got;
  }
  return plausible(
    k,
    m,
    true,
    (f) => fieldAlpha(s, f),
    (f) => fieldLower(s, f, true),
    true,
  );
}

/**
 * The longest plausible prefix of the samples' kinds that LAYOUT_SHARE of them fit, or ''; with
 * `support`, how many samples fit it. Each distinct kinds string is weighed once by its count
 * (the learning lines of one stream mostly share a few), in the order first seen, so candidates
 * are tried in the order of their first sample and ties break the same way however often a
 * kinds string repeats.
 */
function learnLayout(samples: readonly string[]): string {
  const distinct = new Map<string, number>();
  for (const k of samples) distinct.set(k, (distinct.get(k) ?? 0) + 1);
  const need = Math.max(1, Math.ceil(LAYOUT_SHARE * samples.length));
  const candidates = new Set<string>();
  const never = (): boolean => false;
  for (const k of distinct.keys())
    for (let m = 1; m <= k.length; m++)
      if (plausible(k, m, false, never, never)) candidates.add(k.slice(0, m));
  let best = '';
  let bestCount = 0;
  for (const cand of candidates) {
    if (cand.length < best.length) continue;
    let count = 0;
    for (const [k, n] of distinct) {
      if (k.length < cand.length) continue;
      let ok = true;
      for (let i = 0; ok && i < cand.length; i++) ok = fits(cand.charAt(i), k.charAt(i));
      if (ok) count += n;
    }
    if (count < need) continue;
    if (cand.length > best.length || count > bestCount) {
      best = cand;
      bestCount = count;
    }
  }
  learnedSupport = bestCount;
  return best;
}
/** How many samples fit the layout learnLayout last returned. */
let learnedSupport = 0;

/**
 * Whether a layout starts as a header split by its own shape must (a date, a klog stamp or a
 * syslog priority, after any separators; or one word, not all letters, before a date): a
 * provisional layout that does not is not applied while learning (`ERROR …` in a stream of
 * messages is a message until the stream shows otherwise).
 */
function startsStrictly(layout: string, s: string): boolean {
  let f = 0;
  while (f < layout.length && isSep(layout.charAt(f))) f++;
  const c = layout.charAt(f);
  if (c === 'D' || c === 'K' || c === 'P') return true;
  if (c !== 'W' || (layout.charAt(f + 1) !== 'D' && layout.charAt(f + 1) !== 'K')) return false;
  // The line's first word (fitLayout read it as that W) must not be all letters.
  const lim = s.length;
  const i = skipSpaces(s, 0, lim);
  const e = wordEnd(s, i, lim);
  for (let k = i; k < e; k++) if (!isAlpha(s.charCodeAt(k))) return true;
  return false;
}

/** The encoded state. */
interface HeaderState {
  readonly v: number;
  readonly learnLines: number;
  /** Kinds of the learning lines seen so far (while learning). */
  readonly samples: readonly string[];
  /** The learned layout ('' for none), or null while learning. */
  readonly layout: string | null;
}

/** Learns one stream's line header and splits its lines. One instance per stream. */
export class LogHeaderLearner {
  private readonly learnLines: number;
  private samples: string[] = [];
  private layout: string | null = null;
  /** Whether the learned layout's header may go on past its fields (extensible). */
  private extend = false;
  /** Whether that asks each line's first word to be checked (the layout starts with a word). */
  private extendChecksWord = false;

  constructor(options: { learnLines?: number } = {}) {
    const n = options.learnLines ?? DEFAULT_LEARN_LINES;
    if (!Number.isInteger(n) || n < 1 || n > MAX_LEARN_LINES)
      throw new RangeError(
        `log header learnLines must be an integer in [1, ${MAX_LEARN_LINES}], got ${n}`,
      );
    this.learnLines = n;
  }

  /** Splits one raw line. */
  split(line: string): HeaderSplit {
    const layout = this.layout;
    if (layout === null) {
      // Learning. The line is split by the layout learned from the lines so far, this one
      // included (the rule that gives the final layout), when it fits it, so that it splits as
      // the same kind of line will once the layout is learned; else by its own shape.
      const kinds = scanKinds(line);
      if (kinds.length === 0) return splitOwn(line, kinds);
      this.samples.push(kinds);
      const provisional = learnLayout(this.samples);
      if (this.samples.length >= this.learnLines) {
        this.setLayout(provisional);
        this.samples = [];
      }
      if (provisional.length === 0 || !startsStrictly(provisional, line))
        return splitOwn(line, kinds);
      // fitLayout leaves the scan's fields as they are for splitOwn and fitsRelaxed.
      if (learnedSupport >= CONFIDENT_SUPPORT || this.layout !== null)
        return fitLayout(line, provisional, extensible(provisional)) ?? splitOwn(line, kinds);
      // Few lines do not prove a layout (they may share the start of their messages too): its
      // longest prefix that this line's own fields make a header of by the strict rules,
      // relaxed, when that strips more than the line's own shape.
      const own = splitOwn(line, kinds);
      for (let m = provisional.length; m > 0; m--) {
        const prefix = provisional.slice(0, m);
        if (!fitsRelaxed(line, kinds, prefix)) continue;
        const fit = fitLayout(line, prefix, extensible(prefix));
        if (fit !== undefined) return fit.message.length < own.message.length ? fit : own;
      }
      return own;
    }
    if (layout.length > 0) {
      const fit = fitLayout(
        line,
        layout,
        this.extend && (!this.extendChecksWord || startsStrictly(layout, line)),
      );
      if (fit !== undefined) return fit;
    }
    return splitOwn(line, scanKinds(line));
  }

  private setLayout(layout: string | null): void {
    this.layout = layout;
    this.extend = layout !== null && extensible(layout);
    this.extendChecksWord = this.extend && !startsStrictly(layout ?? '', 'a');
  }

  /** Small JSON-able state: the learned layout, or the kinds of the lines learned from so far. */
  encode(): unknown {
    const state: HeaderState = {
      v: STATE_VERSION,
      learnLines: this.learnLines,
      samples: [...this.samples],
      layout: this.layout,
    };
    return state;
  }

  /** A learner from `encode()`'s output; throws a RangeError on anything else. */
  static decode(state: unknown): LogHeaderLearner {
    const bad = (why: string): never => {
      throw new RangeError(`log header state: ${why}`);
    };
    if (typeof state !== 'object' || state === null || Array.isArray(state)) bad('not an object');
    const o = state as Record<string, unknown>;
    if (o.v !== STATE_VERSION) bad(`unknown version ${String(o.v)}`);
    const n = o.learnLines;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_LEARN_LINES)
      bad('learnLines is not an integer in range');
    const validKinds = (k: unknown): k is string =>
      typeof k === 'string' && k.length <= MAX_FIELDS && /^[DKLNnBMCcQPW|:>-]*$/.test(k);
    const samples = o.samples;
    if (!Array.isArray(samples) || !samples.every((k) => validKinds(k) && k.length > 0))
      bad('samples is not a list of field kinds');
    const list = samples as string[];
    const layout = o.layout;
    if (layout === null) {
      if (list.length >= (n as number)) bad('more samples than learnLines while learning');
    } else if (!validKinds(layout) || list.length > 0) bad('layout is not field kinds');
    const learner = new LogHeaderLearner({ learnLines: n as number });
    learner.samples = [...list];
    learner.setLayout(layout as string | null);
    return learner;
  }
}

/**
 * Reads the field at i the quick way when it is plainly of the kind `want` (as readField would
 * read it); false when readField must decide.
 */
function fastField(s: string, i: number, lim: number, want: string, first: boolean): boolean {
  const c = s.charCodeAt(i);
  if (c === 91 /* [ */) return false;
  fLevelStart = -1;
  switch (want) {
    case 'L': {
      let k = i;
      while (k < lim && k - i < 10 && isAlpha(s.charCodeAt(k))) k++;
      if (!isLevelWord(s, i, k)) return false;
      let e = k;
      if (e < lim && s.charCodeAt(e) === 58) e++;
      if (!atBoundary(s, e, lim)) return false;
      fKind = 'L';
      fEnd = e;
      fLevelStart = i;
      fLevelEnd = k;
      return true;
    }
    case 'C':
    case 'c': {
      if (!isAlpha(c) && c !== 95 && c !== 36) return false;
      let k = i;
      while (k < lim && isAlpha(s.charCodeAt(k))) k++;
      if (k < lim && s.charCodeAt(k) === 58 && isLevelWord(s, i, k)) return false; // `ERROR:`, `INFO:root:`
      const kind = nameAt(s, i, lim);
      if (kind !== 'C' && kind !== 'c') return false;
      fKind = kind;
      fEnd = nEnd;
      return true;
    }
    case 'N': {
      const n = digitsAt(s, i, lim);
      if (n === 0 || n === 6 || n === 8 || (first && (n === 10 || n === 13))) return false;
      if (!atBoundary(s, i + n, lim)) return false;
      fKind = 'N';
      fEnd = i + n;
      return true;
    }
    case 'D': {
      if (klogLevel(c) !== undefined && isDigit(s.charCodeAt(i + 1))) return false;
      // epochAt(s, i, lim), natively; not tried when a separator shows it has under 10 digits.
      if (
        first &&
        isDigit(c) &&
        isDigit(s.charCodeAt(i + 4)) &&
        isDigit(s.charCodeAt(i + 6)) &&
        isDigit(s.charCodeAt(i + 8))
      ) {
        EPOCH.lastIndex = i;
        const e = EPOCH.test(s) && EPOCH.lastIndex <= lim ? EPOCH.lastIndex : -1;
        if (e >= 0 && atBoundary(s, e, lim)) {
          fKind = 'D';
          fEnd = e;
          return true;
        }
      }
      const t = timeFieldAt(s, i, lim);
      if (t < 0) return false;
      fKind = 'D';
      fEnd = t;
      return true;
    }
    default:
      return false;
  }
}

/**
 * A program or logger field of the common shapes, as fastField reads them (so kind C): a dotted
 * name (`dfs.DataNode$PacketResponder:`, each segment after a dot starting with no digit), or a
 * name with `(sub)` and/or `[pid]` (`sshd[24200]:`, `sshd(pam_unix)[19939]:`), then `:` and a
 * boundary. A sticky regex, matched natively; any other shape goes to fastField.
 */
const NAME_C =
  /[A-Za-z_$][\w$\-/@]*(?:(?:\.[A-Za-z_$\-/@][\w$\-/@]*)+|\([^) \t|]*\)(?:\[\d+\])?|\[\d+\]):(?=[ \t|]|$)/y;

/**
 * Splits `s` by `layout` when its fields fit it, else undefined.
 *
 * Hand-written on purpose: this runs once per line after learning, the hot path of the raw-line
 * pipeline, where each character read costs. The common places (a word, a level, a number, a
 * `|`, a program or logger of a common shape) are read inline, each character once or by one
 * native regex or indexOf; any other place, or any doubt, goes to fastField / readField, which
 * decide exactly as the scan does. So a line splits exactly as it would field by field, and
 * nothing is allocated but the message and its object.
 */
function fitLayout(s: string, layout: string, extend: boolean): HeaderSplit | undefined {
  const lim = s.length;
  const last = layout.length - 1;
  let i = skipSpaces(s, 0, lim);
  let first = true;
  let level: string | undefined;
  for (let f = 0; f <= last; f++) {
    if (i >= lim) return undefined;
    const want = layout.charCodeAt(f);
    const c = s.charCodeAt(i);
    let end = -1;
    if (c !== 91 /* [ */) {
      switch (want) {
        case 87 /* W */:
        case 77 /* M */:
        case 45 /* - */:
          // Any word (a word layout place fits any field but a separator, `-` fits any field).
          end = wordEnd(s, i, lim);
          if (want !== 45) {
            if (end - i <= 3 && isSepWord(s, i, end)) return undefined;
            first = false;
          }
          if (end === i) end = i + 1; // a `|`
          break;
        case 76 /* L */: {
          // A level word, bare or before a `:` (as fastField reads it), its letters read once.
          let k = i;
          let key = 0;
          let ch = c;
          while (k - i < 10 && isAlpha(ch)) {
            key = key * 32 + (ch | 32) - 96;
            ch = ++k < lim ? s.charCodeAt(k) : -1;
          }
          const word = LEVEL_BY_KEY.get(key);
          if (word === undefined || word.length !== k - i) break;
          const e = ch === 58 ? k + 1 : k;
          if (e === k ? !(ch === -1 || isSpace(ch) || ch === 124) : !atBoundary(s, e, lim)) break;
          end = e;
          level = word;
          first = false;
          break;
        }
        case 78 /* N */: {
          // A number; 6 or 8 digits may start a compact date, 10 or 13 first an epoch.
          const n = digitsAt(s, i, lim);
          if (n === 0 || (first && (n === 10 || n === 13)) || !atBoundary(s, i + n, lim)) break;
          if ((n === 6 || n === 8) && compactAt(s, i, n, lim) >= 0) break;
          end = i + n;
          first = false;
          break;
        }
        case 67 /* C */:
        case 99 /* c */:
          NAME_C.lastIndex = i;
          if (NAME_C.test(s)) {
            end = NAME_C.lastIndex;
            first = false;
          }
          break;
        case 124 /* | */:
          if (c === 124) end = i + 1;
          break;
        default:
          break;
      }
    }
    if (end < 0) {
      const wantKind = layout.charAt(f);
      if (!fastField(s, i, lim, wantKind, first)) readField(s, i, lim, first);
      const kind = fKind;
      if (!fits(wantKind, kind)) return undefined;
      if (fLevelStart >= 0 && (want === 76 || want === 75 || want === 81))
        level = levelText(s, fLevelStart, fLevelEnd, kind);
      if (!isSep(wantKind) && want !== 45) first = false;
      end = fEnd;
    }
    i = f === last ? end : skipSpaces(s, end, lim);
  }
  if (extend && extendAt(s, i, layout) >= 0) return splitAt(s, extEnd, extLevel ?? level);
  return splitAt(s, i, level);
}

/** The end of the header extendAt found, and the level it took (if any). */
let extEnd = 0;
let extLevel: string | undefined;
const never = (): boolean => false;

/**
 * Whether a layout's header may go on in a line past the layout's fields (see extendAt): it
 * has no level (a layout with one is the stream's whole header: its lines were seen to carry
 * their level there), its end is not marked (by a program or logger, past which no header goes
 * on, or by a separator: `date | component | pid | message`), and it starts as a header split
 * by its own shape must (startsStrictly; for a word before a date, the line's first word is
 * checked too).
 */
function extensible(layout: string): boolean {
  const m = layout.length;
  const tail = layout.charAt(m - 1);
  if (m === 0 || m >= MAX_FIELDS || isTerminal(tail) || isSep(tail)) return false;
  for (let f = 0; f < m; f++) {
    const c = layout.charAt(f);
    if (c === 'L' || c === 'K' || c === 'Q') return false;
  }
  let f = 0;
  while (f < m && isSep(layout.charAt(f))) f++;
  const c = layout.charAt(f);
  return c === 'D' || c === 'P' || (c === 'W' && layout.charAt(f + 1) === 'D');
}

/** plainWordEnd's answer for a word that no header goes on with (see extendAt). */
const NO_HEADER = -2;

/** Whether s[i..j) has a small letter. */
function hasLower(s: string, i: number, j: number): boolean {
  for (let k = i; k < j; k++) if (isLower(s.charCodeAt(k))) return true;
  return false;
}

/**
 * The end of the number at i when the scan reads it as a number (N) and a space follows: digits
 * only, not a compact date (`081109 203615`) nor a day before a month; else -1.
 */
function plainNumberEnd(s: string, i: number, lim: number): number {
  const n = digitsAt(s, i, lim);
  const e = i + n;
  if (n === 0 || e >= lim || !isSpace(s.charCodeAt(e))) return -1;
  if ((n === 6 || n === 8) && compactAt(s, i, n, lim) >= 0) return -1;
  if (n <= 2 && calendarAt(s, skipSpaces(s, e, lim), lim) === MONTH) return -1;
  return e;
}

/** The rest of a word with no `.` (a word that has one stops before it). */
const WORD_REST_NO_DOT = /[^ \t|.]*/y;

/**
 * The end of the word at i when the scan reads it as a plain word (W): it starts with a letter,
 * has no `.` (a dotted logger or program), does not end in `:` or `]` (a program, a logger,
 * `ERROR:`), is not a level before a `:` (`INFO:root:`), nor a level, month, weekday or klog
 * word. NO_HEADER for a level with a small letter (`Error`, `warn:`) or a plain `word:` (c),
 * with which no header goes on past a layout; else (or in doubt) -1. The rest of a long word is
 * read natively.
 */
function plainWordEnd(s: string, i: number, lim: number): number {
  const c0 = s.charCodeAt(i);
  if (!isAlpha(c0)) return -1;
  let k = i + 1;
  let other = -1; // the first character that is not a letter
  const stop = Math.min(lim, i + 12);
  for (; k < stop; k++) {
    const c = s.charCodeAt(k);
    if (isAlpha(c)) continue;
    if (isSpace(c) || c === 124 || c === 46) break;
    if (other < 0) other = k;
  }
  if (k === stop && k < lim) {
    WORD_REST_NO_DOT.lastIndex = k;
    WORD_REST_NO_DOT.test(s);
    k = Math.min(WORD_REST_NO_DOT.lastIndex, lim);
  }
  if (k < lim && s.charCodeAt(k) === 46) return -1;
  const last = s.charCodeAt(k - 1);
  if (last === 93) return -1;
  if (last === 58) {
    // `Error:` (a level in small letters) or a plain `kernel:` (c, a program only after a
    // host): no header goes on with either. Any other `…:` may be a program or `INFO:root:`.
    const w = k - 1;
    if (w - i >= 3 && isLevelWord(s, i, w)) return hasLower(s, i, w) ? NO_HEADER : -1;
    for (let m = i; m < w; m++) {
      const c = s.charCodeAt(m);
      if (!isNameChar(c) && c !== 47 && c !== 64) return -1;
    }
    return w > i && s.charCodeAt(w - 1) !== 36 ? NO_HEADER : -1;
  }
  if (other >= 0 && s.charCodeAt(other) === 58 && isLevelWord(s, i, other)) return -1;
  const n = k - i;
  if (n > 9) return k;
  if (n >= 3 && isLevelWord(s, i, k)) return hasLower(s, i, k) ? NO_HEADER : -1;
  if ((n === 3 || n === 4) && isUpper(c0) && calendarAt(s, i, k) !== 0) return -1;
  if (n === 5 && klogLevel(c0) !== undefined && digitsAt(s, i + 1, k) === 4) return -1;
  return k;
}

/**
 * The header past a narrow layout's fields (see extensible): the fields after position i
 * (where the layout's last field ended), read as the scan reads them, that make the layout's
 * kinds and theirs a longer header by the strict rules (plausible, strict; the layout's own
 * fields are taken as they are), and more strictly still (keep the words when in doubt):
 *   - they hold a field that only a header has: a level (in capitals or brackets), a date, a
 *     program or logger (`sshd[42]:`, `org.foo.Db:`), a dotted logger, a syslog priority;
 *   - a plain word is syslog's host, right before a program (`host1 sshd[42]:`; not a plain
 *     `word:`, which `Animating brightness: …` also is), and a dotted logger is followed by a
 *     strong field, a `[context]` or separators only;
 *   - at most one level and one bracket in all, no level in small letters (`info:root:` too).
 * A layout learned from lines with a date only thus still strips `ERROR [main-1] org.foo.Db -`
 * or `host1 sshd[42]:` from a richer line and takes its level, while `Error while …`, `[shard-1]
 * moved`, `cache: hit`, `3 tasks`, `the ERROR count` stay in the message. The longest such
 * header's end goes to extEnd and its level to extLevel, and the end is returned; -1 when none.
 *
 * Reading stops where no longer header can follow (a program, a second level or bracket, a
 * level in small letters, a word not followed as above). A message that starts with a plain
 * word not followed by a program (the common case) is told by reading those two words once.
 */
function extendAt(s: string, i: number, layout: string): number {
  const lim = s.length;
  let j = skipSpaces(s, i, lim);
  if (j >= lim) return -1;
  // Numbers (a pid), then a plain word: the header goes on only if a program follows the word.
  let p = j;
  for (let q = 0; q < 2; q++) {
    const e = plainNumberEnd(s, p, lim);
    if (e < 0) break;
    p = skipSpaces(s, e, lim);
  }
  const e1 = p < lim ? plainWordEnd(s, p, lim) : NO_HEADER;
  if (e1 === NO_HEADER) return -1;
  if (e1 >= 0) {
    // A plain word is a header's only as syslog's host, right before the program (`prog[pid]:`,
    // `a.b:`, `file.go:12]`); the common case, a message that starts with words, is told here.
    if (e1 >= lim || !isSpace(s.charCodeAt(e1))) return -1;
    const j2 = skipSpaces(s, e1, lim);
    if (j2 >= lim) return -1;
    const last = s.charCodeAt(wordEnd(s, j2, lim) - 1);
    if (last !== 58 && last !== 93) return -1;
  }
  const m0 = layout.length;
  let brackets = 0;
  for (let f = 0; f < m0; f++) if (layout.charCodeAt(f) === 66 /* B */) brackets++;
  let kinds = layout;
  let best = -1;
  let levels = 0;
  let clear = false;
  /** Whether the last field but separators was a plain word (W) or a logger (M). */
  let afterWord = false;
  let afterM = false;
  for (let f = m0; f < MAX_FIELDS && j < lim; f++) {
    readField(s, j, lim, false);
    const k = fKind;
    if (afterWord && (afterM ? !isSep(k) && !isStrongNext(k) && k !== 'B' : k !== 'C')) break;
    starts[f] = j;
    ends[f] = fEnd;
    levelStarts[f] = fLevelStart;
    levelEnds[f] = fLevelEnd;
    if (k === 'L' || k === 'K' || k === 'Q') {
      if (++levels > 1) break;
      if (k === 'L' ? fieldLower(s, f, false) : isLower(s.charCodeAt(fLevelStart))) break;
    }
    if (k === 'B' && ++brackets > 1) break;
    kinds += k;
    clear ||= isStrongNext(k) || k === 'P' || k === 'M';
    if (clear && plausible(kinds, f + 1, true, never, never)) best = f;
    if (isTerminal(k)) break;
    if (isWordKind(k)) {
      afterWord = true;
      afterM = k === 'M';
    } else if (!isSep(k) || k === '|') afterWord = false;
    j = skipSpaces(s, fEnd, lim);
  }
  if (best < 0) return -1;
  extLevel = undefined;
  for (let f = m0; f <= best; f++)
    if (levelStarts[f]! >= 0)
      extLevel = levelText(s, levelStarts[f]!, levelEnds[f]!, kinds.charAt(f));
  extEnd = ends[best]!;
  return extEnd;
}

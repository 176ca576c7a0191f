/**
 * Structured log lines (logfmt, JSON objects) read as records, so the template miner
 * (log-templates.ts) mines a record by its keys and its message field rather than as words.
 *
 * Without this, `method=GET` and `method=PATCH` are different constant words to the miner: an
 * enumeration splits one message kind into many templates, and an unseen value is a "new
 * template". A compact JSON line is one token up to the first blank inside a string: its keys,
 * its time and the message's first word vanish into one masked variable. `readStructured`
 * turns a record into the text to mine instead:
 *
 *   level=info msg="order placed" method=POST order_id=8123 region=eu-west
 *   → "order placed method=<*> order_id=<*> region=<*>"   (level: "info")
 *
 * Which lines are records
 * - JSON: the line's first non-blank character is `{` and JSON.parse gives an object (a parse
 *   error gives undefined). Nested objects flatten to dotted keys (`http.method`), at most
 *   MAX_DEPTH levels (deeper objects are one value); an array is one value; an empty object is
 *   one value. Whitespace inside a key becomes `_`, so a pair stays one token.
 * - logfmt: whitespace-separated items, each `key=value` (value bare up to the next blank, or
 *   double-quoted with `\"`, `\\`, `\n`, `\t`, `\r` escapes; `key=` is an empty value) or a bare
 *   `key` (a flag). A key starts with a letter, `_` or `@` and holds letters, digits and
 *   `_ . - @ /`. A record has at least two pairs and fewer flags than pairs, and no prefix with
 *   two or more flags and no more pairs than flags (free text is read no further); anything else
 *   (a word that is no key, such as `10.0.0.1`, `(uid=0)`, `error:`, `/api`; an unterminated
 *   quote; text glued to a closing quote; mostly bare words, as in free text that holds a
 *   `key=value` or two) makes the whole line free text: undefined, mine it as it is. A line
 *   with a header before the pairs (`2024-05-01T… INFO a=1 b=2`) is free text too: stripping
 *   headers is another module's job. One pass over the characters, no regexes; values are
 *   found with indexOf when the line allows. About 0.6–0.7 µs for a 10-pair line (JSON:
 *   about 1.4 µs, JSON.parse's cost).
 *
 * What is mined
 * - The message field's text first: the first of `msg`, `message`, `event`, `log`, `text`,
 *   `body` present (in that order of preference; keys compare case-insensitively; in JSON its
 *   value must be a string, else it is an ordinary key). Its text is free text: the miner masks
 *   its variables.
 * - Then every other key, in line order, as `key=<*>`: values are variables, so an unseen value
 *   of an enumeration is no new template. Keys in `templateKeys` (exact, case-sensitive,
 *   dotted for nested JSON) keep their value: `key=value`, the value as read (unquoted,
 *   unescaped; JSON non-strings as JSON text). The miner still masks a kept value that holds a
 *   digit, a path, a URL or an e-mail. A flag is written as its key.
 * - Left out: level fields (`level`, `lvl`, `severity`, `log.level`, `levelname`) and time
 *   fields (`time`, `ts`, `timestamp`, `@timestamp`, `t`, `datetime`), case-insensitively,
 *   even when named in `templateKeys`. The preferred level field's value, lower-case, is
 *   returned as `level`; pino/bunyan numeric levels (10…60) become their names (`30` → `info`).
 *
 * The key set stays in the template: two kinds usually carry different keys, and without a
 * message field the keys are all that tells kinds apart.
 *
 * Optional keys (an `error=` on some lines of one kind, a `trace_id` only on sampled requests)
 * are kept. A line with the extra key is a second template of that kind (one per key
 * combination the code writes, usually two), not merged with the first. Why: this function
 * sees one line, with no state, and cannot tell an optional key from a kind-defining one; a
 * list of "optional" names (`error`, `trace_id`, …) would be a guess, wrong for some services
 * and hiding exactly the change worth seeing once: a kind that starts carrying an `error`.
 * The cost is one extra template per combination, reported as new once, then counted.
 *
 * Pure: no I/O, no state survives a call (a scratch buffer is reused); never throws (any
 * failure reads as free text).
 */

import { WILDCARD } from './log-tokenizer.js';

/** A record read from a logfmt or JSON line. */
export interface StructuredLine {
  /** The text to mine: the message field's text (if any), then each other key as `key=<*>` in line order — or `key=value` verbatim for keys in templateKeys. Time and level fields are left out. */
  readonly message: string;
  /** The level field's value, lower-case, if the record has one. */
  readonly level?: string;
}

/** JSON objects nested deeper than this are one value. */
export const MAX_DEPTH = 16;

/** Roles of keys: message fields 1..6 (rank of preference), level fields 11..15, time 20. */
const MESSAGE_FIELDS = ['msg', 'message', 'event', 'log', 'text', 'body'];
const LEVEL_FIELDS = ['level', 'lvl', 'severity', 'log.level', 'levelname'];
const TIME_FIELDS = ['time', 'ts', 'timestamp', '@timestamp', 't', 'datetime'];
const LEVEL_BASE = 10;
const TIME = 20;
const ROLES = new Map<string, number>([
  ...MESSAGE_FIELDS.map((k, i): [string, number] => [k, i + 1]),
  ...LEVEL_FIELDS.map((k, i): [string, number] => [k, LEVEL_BASE + i + 1]),
  ...TIME_FIELDS.map((k): [string, number] => [k, TIME]),
]);
/** Longest name in ROLES: longer keys have no role, without a lookup. */
const ROLE_MAX_LENGTH = Math.max(...[...ROLES.keys()].map((k) => k.length));

/** pino / bunyan numeric levels. */
const NUMERIC_LEVELS = new Map<number, string>([
  [10, 'trace'],
  [20, 'debug'],
  [30, 'info'],
  [40, 'warn'],
  [50, 'error'],
  [60, 'fatal'],
]);

/** JSON: one record's keys and values, in line order. */
interface Fields {
  readonly keys: string[];
  readonly values: unknown[];
}

const isBlank = (c: number): boolean => c === 32 || c === 9 || c === 13 || c === 10;
const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isKeyStart = (c: number): boolean => isLetter(c) || c === 95 /* _ */ || c === 64; /* @ */
const isKeyChar = (c: number): boolean =>
  isKeyStart(c) || (c >= 48 && c <= 57) || c === 46 /* . */ || c === 45 /* - */ || c === 47; /* / */

/** A logfmt or JSON-object line read as a record; undefined when the line is neither (free text: mine it as it is). Never throws. */
export function readStructured(
  line: string,
  templateKeys?: ReadonlySet<string>,
): StructuredLine | undefined {
  try {
    const n = line.length;
    let i = 0;
    while (i < n && isBlank(line.charCodeAt(i))) i++;
    if (i >= n) return undefined;
    if (line.charCodeAt(i) === 123 /* { */) {
      const f = readJson(line);
      return f && assemble(f, templateKeys);
    }
    const record = readLogfmt(line, i, templateKeys);
    // A hostile line's many items leave no large buffer behind.
    if (items.length > ITEM * 1024) items = new Int32Array(ITEM * 32);
    return record;
  } catch {
    return undefined;
  }
}

/*
 * logfmt items, scanned into a reused Int32Array (no state survives a call: every slot read
 * was written in the same call): per item its key's start and end, its value's start and end,
 * its kind and its role. Values are sliced only when needed (message, level, templateKeys).
 */
const ITEM = 6;
const KIND_FLAG = 0;
const KIND_BARE = 1;
const KIND_QUOTED = 2;
const KIND_ESCAPED = 3;
let items = new Int32Array(ITEM * 32);

/** ASCII characters in a key: a key character, its end (`=`, a blank), or neither (0). */
const KEY_CHAR = 1;
const KEY_END = 2;
const KEY_TABLE = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  KEY_TABLE[c] = isKeyChar(c) ? KEY_CHAR : c === 61 || isBlank(c) ? KEY_END : 0;
}

/** Scans a logfmt record from `start`; undefined when the line is no logfmt record. */
function readLogfmt(
  line: string,
  start: number,
  templateKeys: ReadonlySet<string> | undefined,
): StructuredLine | undefined {
  const n = line.length;
  let i = start;
  let count = 0;
  let flags = 0;
  let msgAt = -1;
  let msgRank = LEVEL_BASE;
  let levelAt = -1;
  let levelRank = TIME;
  // Whether the line has a backslash / only spaces as blanks (-1: not looked yet). Values are
  // then found with indexOf, several times faster than a loop over their characters.
  let backslash = -1;
  let spaced = -1;
  for (;;) {
    let c = 0;
    while (i < n && isBlank((c = line.charCodeAt(i)))) i++;
    if (i >= n) break;
    if (!isKeyStart(c)) return undefined;
    const ks = i;
    for (; i < n; i++) {
      c = line.charCodeAt(i);
      const t = c < 128 ? (KEY_TABLE[c] as number) : 0;
      if (t === KEY_CHAR) continue;
      if (t === KEY_END) break;
      return undefined;
    }
    const ke = i;
    let vs = i;
    let kind = KIND_FLAG;
    if (i < n && c === 61) {
      i++; // '='
      if (i < n && line.charCodeAt(i) === 34 /* " */) {
        vs = ++i;
        kind = KIND_QUOTED;
        if (backslash < 0) backslash = line.indexOf('\\') >= 0 ? 1 : 0;
        if (backslash === 0) {
          // No escapes on the line: the value ends at the next quote.
          const q = line.indexOf('"', i);
          i = q < 0 ? n : q;
        } else {
          while (i < n) {
            c = line.charCodeAt(i);
            if (c === 34) break;
            if (c === 92 /* \ */) {
              kind = KIND_ESCAPED;
              i += 2;
            } else i++;
          }
        }
        if (i >= n) return undefined; // unterminated quote
      } else {
        vs = i;
        kind = KIND_BARE;
        if (spaced < 0) spaced = hasOtherBlanks(line) ? 0 : 1;
        if (spaced === 1) {
          // Blanks on the line are spaces only: the value ends at the next one.
          const sp = line.indexOf(' ', i);
          i = sp < 0 ? n : sp;
        } else while (i < n && !isBlank(line.charCodeAt(i))) i++;
      }
    } else if (++flags > 1 && flags >= count + 1 - flags) {
      // Free text reads as a run of flags: no record has as many flags as pairs so far (the
      // final test below), so stop at the second flag that leaves pairs behind.
      return undefined;
    }
    const role = kind === KIND_FLAG ? 0 : roleAt(line, ks, ke);
    if (role !== 0) {
      if (role < LEVEL_BASE) {
        if (role < msgRank) {
          msgAt = count;
          msgRank = role;
        }
      } else if (role < levelRank) {
        levelAt = count;
        levelRank = role;
      }
    }
    if (count * ITEM === items.length) {
      const grown = new Int32Array(items.length * 2);
      grown.set(items);
      items = grown;
    }
    const at = count * ITEM;
    items[at] = ks;
    items[at + 1] = ke;
    items[at + 2] = vs;
    items[at + 3] = i;
    items[at + 4] = kind;
    items[at + 5] = role;
    count++;
    if (kind >= KIND_QUOTED) {
      i++; // closing quote
      if (i < n && !isBlank(line.charCodeAt(i))) return undefined;
    }
  }
  const pairs = count - flags;
  if (pairs < 2 || flags >= pairs) return undefined;
  let message = msgAt >= 0 ? valueAt(line, msgAt) : '';
  for (let j = 0; j < count; j++) {
    const at = j * ITEM;
    if (j === msgAt || (items[at + 5] as number) > LEVEL_BASE) continue;
    const key = line.slice(items[at], items[at + 1]);
    const kind = items[at + 4];
    const piece =
      kind === KIND_FLAG
        ? key
        : templateKeys?.has(key) === true
          ? key + '=' + valueAt(line, j)
          : keyPiece(key);
    message = message.length === 0 ? piece : message + ' ' + piece;
  }
  if (levelAt < 0) return { message };
  const level = valueAt(line, levelAt).toLowerCase();
  return level.length === 0 ? { message } : { message, level };
}

/**
 * A key and its variable value: `key=<*>`; a key with a digit (a map keyed by ids: `host-7`,
 * `shard_1_hits`, `x-req-5`) is itself a variable, `<*>`, as the tokenizer masks it in free text.
 */
function keyPiece(key: string): string {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 48 && c <= 57) return WILDCARD;
  }
  return key + '=' + WILDCARD;
}

/** Whether the line has tabs, CRs or LFs. */
const hasOtherBlanks = (line: string): boolean =>
  line.indexOf('\t') >= 0 || line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0;

/** The value of logfmt item `j` (unquoted, unescaped). */
function valueAt(line: string, j: number): string {
  const at = j * ITEM;
  const from = items[at + 2] as number;
  const to = items[at + 3] as number;
  return items[at + 4] === KIND_ESCAPED ? unescape(line, from, to) : line.slice(from, to);
}

/** Role names by length (index = length), and the first characters of all names. */
const ROLES_BY_LENGTH: (readonly [string, number])[][] = [];
const ROLE_INITIALS = new Uint8Array(128);
for (const [name, role] of ROLES) {
  (ROLES_BY_LENGTH[name.length] ??= []).push([name, role]);
  ROLE_INITIALS[name.charCodeAt(0)] = 1;
}

/** The role of the key `line[from, to)`, compared case-insensitively without a slice. */
function roleAt(line: string, from: number, to: number): number {
  const first = line.charCodeAt(from);
  // A key starts with a letter, `_` or `@`: `| 32` lower-cases a letter, keeps `_` and `@` out.
  if (ROLE_INITIALS[first] !== 1 && ROLE_INITIALS[first | 32] !== 1) return 0;
  const names = ROLES_BY_LENGTH[to - from];
  if (names === undefined) return 0;
  next: for (let r = 0; r < names.length; r++) {
    const [name, role] = names[r] as readonly [string, number];
    for (let k = 0; k < name.length; k++) {
      // Key characters are letters, digits and `_ . - @ /`: `| 32` lower-cases a letter and
      // turns no other key character into a letter.
      const c = line.charCodeAt(from + k);
      const want = name.charCodeAt(k);
      if (c !== want && (c | 32) !== want) continue next;
    }
    return role;
  }
  return 0;
}

/** The text of a quoted logfmt value between `from` and `to` with its escapes resolved. */
function unescape(line: string, from: number, to: number): string {
  let out = '';
  let run = from;
  for (let i = from; i < to; i++) {
    if (line.charCodeAt(i) !== 92) continue;
    const next = line.charCodeAt(i + 1);
    const resolved =
      next === 34
        ? '"'
        : next === 92
          ? '\\'
          : next === 110
            ? '\n'
            : next === 116
              ? '\t'
              : next === 114
                ? '\r'
                : undefined;
    if (resolved === undefined) {
      i++; // an unknown escape stays as written
      continue;
    }
    out += line.slice(run, i) + resolved;
    i++;
    run = i + 1;
  }
  return out + line.slice(run, to);
}

/** Parses a JSON object into its keys and values; undefined when the line is no JSON object. */
function readJson(line: string): Fields | undefined {
  // Most `{`-lines that are no JSON fail here without the cost of a thrown SyntaxError.
  let end = line.length - 1;
  while (end > 0 && isBlank(line.charCodeAt(end))) end--;
  if (line.charCodeAt(end) !== 125 /* } */) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const fields: Fields = { keys: [], values: [] };
  flatten(fields, parsed as Record<string, unknown>, '', 1);
  return fields;
}

function flatten(
  fields: Fields,
  obj: Record<string, unknown>,
  prefix: string,
  depth: number,
): void {
  for (const k of Object.keys(obj)) {
    const key = prefix + tokenKey(k);
    const v = obj[k];
    if (
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      depth < MAX_DEPTH &&
      hasKeys(v)
    ) {
      flatten(fields, v as Record<string, unknown>, key + '.', depth + 1);
    } else {
      fields.keys.push(key);
      fields.values.push(v);
    }
  }
}

function hasKeys(o: object): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
}

/** A JSON key as one token: whitespace becomes `_`. */
function tokenKey(k: string): string {
  for (let i = 0; i < k.length; i++) {
    if (isBlank(k.charCodeAt(i)) || k.charCodeAt(i) === 12 || k.charCodeAt(i) === 11) {
      return k.replace(/\s/g, '_');
    }
  }
  return k;
}

function roleOf(key: string): number {
  if (key.length > ROLE_MAX_LENGTH) return 0;
  return ROLES.get(key) ?? ROLES.get(key.toLowerCase()) ?? 0;
}

function levelText(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v.toLowerCase() : undefined;
  if (typeof v === 'number') return NUMERIC_LEVELS.get(v) ?? String(v);
  return undefined;
}

/** A value written verbatim (a key in templateKeys). */
function verbatim(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** A JSON record's text to mine and level. */
function assemble(f: Fields, templateKeys: ReadonlySet<string> | undefined): StructuredLine {
  const { keys, values } = f;
  const count = keys.length;
  // The preferred message and level fields (the first in line order among equals).
  let msgAt = -1;
  let msgRank = LEVEL_BASE;
  let levelAt = -1;
  let levelRank = TIME;
  const roles = keys.map(roleOf);
  for (let j = 0; j < count; j++) {
    const role = roles[j] as number;
    if (role === 0) continue;
    if (role < LEVEL_BASE) {
      if (role < msgRank && typeof values[j] === 'string') {
        msgAt = j;
        msgRank = role;
      }
    } else if (role < TIME && role < levelRank) {
      levelAt = j;
      levelRank = role;
    }
  }
  let message = msgAt >= 0 ? (values[msgAt] as string) : '';
  for (let j = 0; j < count; j++) {
    if (j === msgAt || (roles[j] as number) > LEVEL_BASE) continue;
    const key = keys[j] as string;
    const v = values[j];
    const piece = templateKeys?.has(key) === true ? key + '=' + verbatim(v) : keyPiece(key);
    message = message.length === 0 ? piece : message + ' ' + piece;
  }
  const level = levelAt >= 0 ? levelText(values[levelAt]) : undefined;
  return level === undefined ? { message } : { message, level };
}

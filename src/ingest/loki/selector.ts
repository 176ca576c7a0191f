/**
 * The stream labels of Loki's protobuf push: a LogQL stream selector of equality matchers only,
 * as promtail and Alloy write it (Go's `fmt.Sprintf("%s=%q")`, sorted, joined by ", "):
 *
 *   {job="auth", level="error", path="C:\\logs\\a \"b\"\n"}
 *
 * Values are Go string literals: double-quoted with Go's escapes (`\a \b \f \n \r \t \v \\ \"`,
 * `\xHH` and octal `\NNN` bytes, `\uHHHH`, `\UHHHHHHHH`), or back-quoted raw strings. The
 * decoded bytes must be UTF-8. Strict: anything else (another matcher, a duplicate or invalid
 * name, a missing brace or comma, trailing text) throws a LokiSelectorError. Pure.
 */

export class LokiSelectorError extends Error {
  override name = 'LokiSelectorError';
}

const NAME_START = /[a-zA-Z_]/;
const NAME_CHAR = /[a-zA-Z0-9_]/;
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
  '\\': 0x5c,
  '"': 0x22,
};
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a selector into its labels (a null-prototype-safe object built from the pairs). */
export function parseLokiSelector(text: string): Record<string, string> {
  let i = 0;
  const fail = (what: string): LokiSelectorError =>
    new LokiSelectorError(`bad stream selector ${show(text)}: ${what} at offset ${i}`);
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const expect = (ch: string): void => {
    if (text[i] !== ch) throw fail(`expected ${JSON.stringify(ch)}`);
    i++;
  };

  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  skipSpace();
  expect('{');
  skipSpace();
  while (text[i] !== '}') {
    const start = i;
    if (!NAME_START.test(text[i] ?? '')) throw fail('expected a label name');
    while (i < text.length && NAME_CHAR.test(text[i] as string)) i++;
    const name = text.slice(start, i);
    if (seen.has(name)) throw fail(`label ${name} appears twice`);
    seen.add(name);
    skipSpace();
    expect('=');
    if (text[i] === '~') throw fail('only = matchers belong in pushed stream labels');
    skipSpace();
    pairs.push([name, readString()]);
    skipSpace();
    if (text[i] === ',') {
      i++;
      skipSpace();
    } else if (text[i] !== '}') throw fail('expected "," or "}"');
  }
  i++;
  skipSpace();
  if (i !== text.length) throw fail('unexpected text after "}"');
  return Object.fromEntries(pairs);

  function readString(): string {
    const quote = text[i];
    if (quote === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) throw fail('unterminated raw string');
      const raw = text.slice(i + 1, end).replaceAll('\r', ''); // as Go drops \r in raw strings
      i = end + 1;
      return raw;
    }
    if (quote !== '"') throw fail('expected a quoted value');
    i++;
    const start = i;
    // Most values hold no escape: take them as they are.
    while (i < text.length && text[i] !== '"' && text[i] !== '\\' && text[i] !== '\n') i++;
    if (text[i] === '"') return text.slice(start, i++);
    return readEscaped(start);
  }

  function readEscaped(start: number): string {
    const bytes: number[] = [...Buffer.from(text.slice(start, i), 'utf8')];
    for (;;) {
      const ch = text[i];
      if (ch === undefined || ch === '\n') throw fail('unterminated string');
      if (ch === '"') break;
      if (ch !== '\\') {
        const cp = text.codePointAt(i) as number;
        const len = cp > 0xffff ? 2 : 1;
        bytes.push(...Buffer.from(text.slice(i, i + len), 'utf8'));
        i += len;
        continue;
      }
      const e = text[i + 1] ?? '';
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        bytes.push(simple);
        i += 2;
      } else if (e === 'x') {
        bytes.push(hex(i + 2, 2));
        i += 4;
      } else if (e >= '0' && e <= '7') {
        const digits = text.slice(i + 1, i + 4);
        if (!/^[0-7]{3}$/.test(digits)) throw fail('an octal escape needs three digits');
        const v = parseInt(digits, 8);
        if (v > 255) throw fail('an octal escape above \\377');
        bytes.push(v);
        i += 4;
      } else if (e === 'u' || e === 'U') {
        const n = e === 'u' ? 4 : 8;
        const cp = hex(i + 2, n);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw fail('an invalid code point');
        bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
        i += 2 + n;
      } else throw fail(`unknown escape \\${e}`);
    }
    i++;
    try {
      return utf8.decode(Uint8Array.from(bytes));
    } catch {
      throw fail('the value is not UTF-8');
    }
  }

  function hex(at: number, n: number): number {
    const digits = text.slice(at, at + n);
    if (digits.length !== n || !/^[0-9a-fA-F]+$/.test(digits)) {
      throw fail(`expected ${n} hex digits`);
    }
    return parseInt(digits, 16);
  }
}

function show(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_DEPTH, readStructured } from '../../detectors/log-structured.js';
import { LogTemplateMiner } from '../../detectors/log-templates.js';
import { prng } from '../helpers/series.js';

describe('readStructured: logfmt', () => {
  it('mines the message text, then each other key as key=<*> in line order', () => {
    expect(
      readStructured(
        'level=info msg="order placed" method=POST region=eu-west carrier=dhl order_id=8123 duration=12ms',
      ),
    ).toEqual({
      message: 'order placed method=<*> region=<*> carrier=<*> order_id=<*> duration=<*>',
      level: 'info',
    });
  });

  it('reads quoted values with escapes and empty values', () => {
    expect(
      readStructured('msg="say \\"hi\\" to C:\\\\tmp\\n" path="/a b" empty= other=""'),
    ).toEqual({ message: 'say "hi" to C:\\tmp\n path=<*> empty=<*> other=<*>' });
    // An unknown escape stays as written.
    expect(readStructured('msg="a\\qb" x=1')?.message).toBe('a\\qb x=<*>');
    // A quoted value with a space, kept verbatim for a template key.
    expect(readStructured('a=1 b="x y"', new Set(['b']))?.message).toBe('a=<*> b=x y');
  });

  it('keeps bare flags as their key, and needs fewer flags than pairs', () => {
    expect(readStructured('msg=started debug a=1 b=2')).toEqual({
      message: 'started debug a=<*> b=<*>',
    });
    expect(readStructured('a=1 b=2 c d')).toBeUndefined();
    // Free text that holds a key=value or two is no record.
    expect(readStructured('user alice logged in from host=web-1 port=22')).toBeUndefined();
  });

  it('takes the level (lower-case) and leaves level and time fields out', () => {
    expect(
      readStructured('ts=1714566896 Time=12:00 LEVEL=WARN severity=error MSG=disk_low used=93'),
    ).toEqual({ message: 'disk_low used=<*>', level: 'warn' });
    expect(
      readStructured('@timestamp=x t=1 datetime=y timestamp=z lvl=Debug a=1 b=2', new Set(['t'])),
    ).toEqual({ message: 'a=<*> b=<*>', level: 'debug' });
    // The preferred level field wins wherever it stands; an empty level is none.
    expect(readStructured('levelname=ERROR a=1 level=info')?.level).toBe('info');
    expect(readStructured('level="" a=1 b=2')).toEqual({ message: 'a=<*> b=<*>' });
  });

  it('picks the preferred message field; the others are ordinary keys', () => {
    expect(readStructured('event=order_placed body=x msg="order placed" id=7')).toEqual({
      message: 'order placed event=<*> body=<*> id=<*>',
    });
    expect(readStructured('Message="hello world" a=1')?.message).toBe('hello world a=<*>');
    // No message field: the keys are the whole template.
    expect(readStructured('a=1 b=2')?.message).toBe('a=<*> b=<*>');
  });

  it('keeps the values of templateKeys verbatim', () => {
    const keys = new Set(['method', 'status']);
    expect(readStructured('msg=served method=GET status=200 path=/x', keys)?.message).toBe(
      'served method=GET status=200 path=<*>',
    );
  });

  it.each([
    'Connection closed by 10.0.0.1 port 22 [preauth]',
    'session opened for user root by (uid=0)',
    '2024-05-01T12:00:00Z INFO a=1 b=2',
    'a=1',
    'a=1 b',
    'error: connection refused host=db port=5432',
    'msg="unterminated a=1 b=2',
    'a="x"y b=2',
    'a=1 b="ends in backslash\\"',
    '=1 b=2',
    'k=v 1=2',
    'a=1 b=2 /path',
    '',
    '   ',
    '{not json',
    '{"a": 1',
    '{"a": 1} trailing',
    '[1, 2, 3]',
    '{}x',
  ])('reads %j as free text', (line) => {
    expect(readStructured(line)).toBeUndefined();
  });
});

describe('readStructured: JSON', () => {
  it('flattens nested objects to dotted keys; arrays and non-strings are one variable', () => {
    const line = JSON.stringify({
      time: '2024-05-01T12:00:00Z',
      level: 'INFO',
      msg: 'request served',
      http: { method: 'GET', status: 200, headers: { 'user agent': 'curl' } },
      tags: ['a', { b: 1 }],
      ok: true,
      none: null,
      empty: {},
    });
    expect(readStructured(line)).toEqual({
      message:
        'request served http.method=<*> http.status=<*> http.headers.user_agent=<*> tags=<*> ok=<*> none=<*> empty=<*>',
      level: 'info',
    });
    const keys = new Set(['http.method', 'http.status', 'tags', 'none']);
    expect(readStructured(line, keys)?.message).toBe(
      'request served http.method=GET http.status=200 http.headers.user_agent=<*> tags=["a",{"b":1}] ok=<*> none=null empty=<*>',
    );
  });

  it('reads levels: log.level nested or dotted, pino numbers', () => {
    expect(readStructured('{"log": {"level": "WARN", "logger": "api"}, "message": "x"}')).toEqual({
      message: 'x log.logger=<*>',
      level: 'warn',
    });
    expect(readStructured('{"@timestamp": "x", "log.level": "error", "message": "y"}')).toEqual({
      message: 'y',
      level: 'error',
    });
    expect(readStructured('{"level":30,"time":1714566896000,"pid":7,"msg":"listening"}')).toEqual({
      message: 'listening pid=<*>',
      level: 'info',
    });
    expect(readStructured('{"level":35,"msg":"custom"}')?.level).toBe('35');
  });

  it('a key with a digit (a map keyed by ids) is itself a variable', () => {
    const miner = new LogTemplateMiner();
    for (let i = 0; i < 200; i++) {
      const counts = { [`host-${i % 17}`]: i, [`host-${(i * 7) % 23}`]: 1 };
      const json = JSON.stringify({ level: 'info', msg: 'stats flushed', counts });
      miner.add(readStructured(json)?.message ?? json);
      const logfmt = `msg="cache stats" shard_${i % 9}_hits=${i} total=${i * 2}`;
      miner.add(readStructured(logfmt)?.message ?? logfmt);
    }
    expect(
      miner
        .templates()
        .map((t) => t.template)
        .sort(),
    ).toEqual(['cache stats <*> total=<*>', 'stats flushed <*>']);
  });

  it('takes a message field only when it is a string', () => {
    expect(readStructured('{"msg": 42, "message": "text", "a": 1}')?.message).toBe(
      'text msg=<*> a=<*>',
    );
    // Docker's json-file lines: the `log` field is the message.
    expect(readStructured('{"log":"started on :8080\\n","stream":"stdout","time":"x"}')).toEqual({
      message: 'started on :8080\n stream=<*>',
    });
    expect(readStructured('  {}  ')).toEqual({ message: '' });
  });

  it(`is one variable deeper than ${MAX_DEPTH} levels`, () => {
    let obj: unknown = { leaf: 1 };
    for (let d = 0; d < MAX_DEPTH + 4; d++) obj = { n: obj };
    const message = readStructured(JSON.stringify(obj))?.message ?? '';
    expect(message).toBe('n'.concat('.n'.repeat(MAX_DEPTH - 1), '=<*>'));
  });
});

describe('readStructured: hostile input', () => {
  it('never throws and stays linear on long lines', () => {
    const long = 'a=1 '.repeat(200_000);
    const started = performance.now();
    expect(readStructured(long)?.message.length).toBe(200_000 * 6 - 1);
    expect(readStructured(`msg="${'x'.repeat(1_000_000)}`)).toBeUndefined();
    expect(readStructured('"'.repeat(100_000))).toBeUndefined();
    expect(readStructured('a=1 b="' + '\\'.repeat(100_001))).toBeUndefined();
    expect(readStructured('{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000))).toBeDefined();
    expect(readStructured('['.repeat(100_000))).toBeUndefined();
    expect(readStructured('{' + '"a":['.repeat(100_000))).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(5_000);
    // A later ordinary line is read as before.
    expect(readStructured('a=1 b=2')?.message).toBe('a=<*> b=<*>');
  });

  it('never throws on any string', () => {
    const alphabet = fc.constantFrom(...'ab=" \\{}[]:,.@_-/\t\n1é'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 60 }), fc.string(), (line, other) => {
        for (const l of [line, other, `{${line}}`, `a=1 ${line}`]) {
          const r = readStructured(l, new Set(['a']));
          if (r !== undefined) expect(typeof r.message).toBe('string');
        }
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Fixtures: one web service writing logfmt, the same service writing JSON.

type Value = string | number | boolean | Value[] | { [key: string]: Value };
/** One log record, keys in writing order. The message is under `msg`. */
type Record = { [key: string]: Value };

interface Enums {
  readonly method: readonly string[];
  readonly region: readonly string[];
  readonly carrier: readonly string[];
  readonly currency: readonly string[];
  readonly client: readonly string[];
}

const SEEN: Enums = {
  method: ['GET', 'POST', 'PUT', 'DELETE'],
  region: ['eu-west', 'us-east', 'ap-south'],
  carrier: ['dhl', 'ups', 'fedex'],
  currency: ['EUR', 'USD', 'GBP'],
  client: ['web', 'ios', 'android'],
};
/** Values the miner has never seen: still no new template. */
const UNSEEN: Enums = {
  method: ['PATCH'],
  region: ['sa-east'],
  carrier: ['gls'],
  currency: ['JPY'],
  client: ['tvos'],
};

/** The message kinds a person would name: one template each. */
const KINDS = [
  'request served',
  'order placed',
  'payment failed',
  'user signed in',
  'cache miss',
  'token refreshed',
  'email sent',
  'rate limited',
  'order shipped',
  'upstream timeout',
] as const;

/** A record generator for the shop service, over a seeded PRNG. */
function shop(seed: number, enums: Enums, optionalError = false) {
  const random = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const hex = (n: number): string =>
    Array.from({ length: n }, () => '0123456789abcdef'[int(0, 15)]).join('');
  const uuid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan'];
  const email = (): string =>
    `${pick(names)}.${pick(names)}${int(1, 99)}@${pick(['example.org', 'mail.example.com'])}`;
  const duration = (): string =>
    random() < 0.7 ? `${int(1, 950)}ms` : `${(random() * 9 + 1).toFixed(1)}s`;
  const amount = (): number => Math.round(random() * 50_000) / 100;
  const path = (): string =>
    pick([
      () => `/api/orders/${int(1000, 99999)}`,
      () => `/api/users/${uuid()}/cart`,
      () => `/api/products/${int(1, 5000)}/reviews`,
      () => '/healthz',
    ])();
  let clock = Date.parse('2024-05-01T00:00:00Z');

  return (): { kind: string; level: string; record: Record } => {
    clock += int(1, 400);
    const kind = pick(KINDS);
    const region = pick(enums.region);
    let level = 'info';
    let body: Record;
    switch (kind) {
      case 'request served':
        body = {
          msg: kind,
          http: { method: pick(enums.method), path: path(), status: pick([200, 201, 204, 304]) },
          duration: duration(),
          region,
          request_id: uuid(),
        };
        break;
      case 'order placed':
        body = {
          msg: kind,
          order_id: int(100_000, 999_999),
          user: email(),
          amount: amount(),
          currency: pick(enums.currency),
          carrier: pick(enums.carrier),
          region,
        };
        break;
      case 'payment failed':
        level = 'error';
        body = {
          msg: kind,
          order_id: int(100_000, 999_999),
          amount: amount(),
          currency: pick(enums.currency),
          provider: pick(['stripe', 'adyen', 'paypal']),
          reason: pick(['card_declined', 'insufficient_funds', 'expired_card', 'fraud_suspected']),
          region,
        };
        if (optionalError && random() < 0.3) body.error = pick(['gateway timeout', 'HTTP 502']);
        break;
      case 'user signed in':
        body = {
          msg: kind,
          user: email(),
          auth: pick(['password', 'sso', 'otp']),
          client: pick(enums.client),
          ip: `10.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
          region,
        };
        break;
      case 'cache miss':
        level = 'debug';
        body = {
          msg: kind,
          cache: pick(['redis', 'memcached', 'local']),
          key: `${pick(['user', 'cart', 'product'])}:${int(1, 99999)}`,
          duration: duration(),
        };
        break;
      case 'token refreshed':
        body = {
          msg: kind,
          user_id: uuid(),
          client: pick(enums.client),
          scopes: pick([['read'], ['read', 'write'], ['read', 'write', 'admin']]),
          expires_in: `${pick([900, 3600, 86400])}s`,
        };
        break;
      case 'email sent':
        // The message text itself carries a variable: the miner masks it.
        body = {
          msg: `email sent to ${email()}`,
          template: pick(['welcome', 'receipt', 'password_reset', 'shipping_update']),
          provider: pick(['ses', 'sendgrid', 'postmark']),
          duration: duration(),
        };
        break;
      case 'rate limited':
        level = 'warn';
        body = {
          msg: kind,
          client_ip: `203.0.113.${int(1, 254)}`,
          route: pick(['/api/orders', '/api/login', '/api/search']),
          method: pick(enums.method),
          limit: pick([100, 1000]),
          window: pick(['60s', '1h']),
          region,
        };
        break;
      case 'order shipped':
        body = {
          msg: kind,
          order_id: int(100_000, 999_999),
          carrier: pick(enums.carrier),
          tracking_url: `https://track.example.com/${pick(enums.carrier)}/${hex(12)}`,
          warehouse: pick(['leipzig', 'dublin', 'memphis', 'pune']),
        };
        break;
      case 'upstream timeout':
        level = 'error';
        body = {
          msg: kind,
          upstream: pick(['inventory', 'pricing', 'shipping']),
          url: `http://${pick(['inventory', 'pricing', 'shipping'])}.internal:8080/v1/items/${int(1, 9999)}`,
          attempt: int(1, 3),
          duration: duration(),
          region,
        };
        break;
    }
    const record: Record = { time: new Date(clock).toISOString(), level, ...body };
    return { kind, level, record };
  };
}

/** A logfmt line as Go's logfmt / Python's structlog write it: nested keys dotted. */
function logfmt(record: Record, prefix = ''): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(record)) {
    if (typeof v === 'object' && !Array.isArray(v)) {
      out.push(logfmt(v, `${prefix}${k}.`));
      continue;
    }
    // Lists as comma-separated text (the fixture's lists hold strings).
    const text = Array.isArray(v)
      ? v.map((x) => JSON.stringify(x).replace(/"/g, '')).join(',')
      : String(v);
    const quote = text === '' || /[\s"=\\]/.test(text);
    out.push(`${prefix}${k}=${quote ? JSON.stringify(text) : text}`);
  }
  return out.join(' ');
}

/** A JSON line as Python's json.dumps writes it: `", "` and `": "` separators. */
function spacedJson(v: Value): string {
  if (Array.isArray(v)) return `[${v.map(spacedJson).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${spacedJson(x)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(v);
}

const FORMATS = {
  logfmt,
  'JSON (json.dumps)': spacedJson,
  'JSON (compact)': (r: Record) => JSON.stringify(r),
} as const;

const LINES = 4000;

function mine(lines: readonly string[], structured: boolean): LogTemplateMiner {
  const miner = new LogTemplateMiner();
  for (const line of lines) miner.add(structured ? (readStructured(line)?.message ?? line) : line);
  return miner;
}

describe.each(Object.entries(FORMATS))('fixture: a web service writing %s', (name, write) => {
  const next = shop(name.length, SEEN);
  const records = Array.from({ length: LINES }, next);
  const lines = records.map((r) => write(r.record));

  it(`mines ${KINDS.length} templates, one per message kind`, () => {
    const miner = mine(lines, true);
    const templates = miner.templates().map((t) => t.template);
    // A person names KINDS.length kinds: the miner finds that many, give or take one.
    expect(Math.abs(miner.size - KINDS.length), templates.join('\n')).toBeLessThanOrEqual(1);
    // Each kind is one template: the lines of a kind share a template id.
    const idsByKind = new Map<string, Set<number>>();
    for (const [i, line] of lines.entries()) {
      const id = miner.match(readStructured(line)?.message ?? line)?.id ?? -1;
      const kind = (records[i] as (typeof records)[number]).kind;
      idsByKind.set(kind, (idsByKind.get(kind) ?? new Set()).add(id));
    }
    expect([...idsByKind.values()].map((ids) => ids.size)).toEqual(KINDS.map(() => 1));
    const texts = new Set(lines.map((line) => readStructured(line)?.message.split(' to ')[0]));
    expect(texts).toContain('email sent');
    expect(texts).toContain(
      'request served http.method=<*> http.path=<*> http.status=<*> duration=<*> region=<*> request_id=<*>',
    );
    // Levels come back for every line.
    for (const [i, line] of lines.entries()) {
      expect(readStructured(line)?.level).toBe((records[i] as (typeof records)[number]).level);
    }
  });

  it('an unseen enumeration value (method=PATCH, region sa-east, …) makes no new template', () => {
    const miner = mine(lines, true);
    const before = miner.size;
    const unseen = shop(7, UNSEEN);
    for (let i = 0; i < 500; i++) {
      const line = write(unseen().record);
      const match = miner.add(readStructured(line)?.message ?? line);
      expect(match.created, line).toBe(false);
    }
    expect(miner.size).toBe(before);
  });
});

describe('fixture: raw lines, without readStructured (the problem this module fixes)', () => {
  const linesOf = (write: (r: Record) => string): string[] => {
    const next = shop(3, SEEN);
    return Array.from({ length: LINES }, () => write(next().record));
  };

  it.each([['JSON (json.dumps)', spacedJson]] as const)(
    '%s: enumeration values split each kind into many templates',
    (_, write) => {
      const raw = mine(linesOf(write), false);
      const structured = mine(linesOf(write), true);
      expect(raw.size).toBeGreaterThanOrEqual(3 * KINDS.length);
      expect(structured.size).toBeLessThanOrEqual(KINDS.length + 1);
      // And an unseen value is a new template.
      const unseen = shop(7, UNSEEN);
      const created = Array.from({ length: 200 }, () => raw.add(write(unseen().record)).created);
      expect(created.filter(Boolean).length).toBeGreaterThan(0);
    },
  );

  it('logfmt: the miner alone masks every key=value value too, so kinds stay whole', () => {
    const raw = mine(linesOf(logfmt), false);
    expect(raw.size).toBeLessThanOrEqual(KINDS.length + 1);
    const unseen = shop(7, UNSEEN);
    const created = Array.from({ length: 200 }, () => raw.add(logfmt(unseen().record)).created);
    expect(created.filter(Boolean)).toEqual([]);
  });

  it('compact JSON: the first message word and all keys but one vanish into variables', () => {
    // `{"time":"2024-…","level":"info","msg":"order` holds a digit: it is masked whole, with the
    // message's first word; the next token keeps its text up to its first digit. The count
    // happens to match the kinds (each second word differs), the templates say little.
    const raw = mine(
      linesOf((r) => JSON.stringify(r)),
      false,
    );
    const templates = raw.templates().map((t) => t.template);
    expect(templates).toContain('{"time":<*> placed","order_id":<*>"}');
    expect(templates.every((t) => t.startsWith('{"time":<*> '))).toBe(true);
  });
});

describe('optional keys', () => {
  it('a kind with an optional key is two templates: with and without it', () => {
    const next = shop(11, SEEN, true);
    const records = Array.from({ length: LINES }, next);
    const miner = mine(
      records.map((r) => logfmt(r.record)),
      true,
    );
    const ids = (withError: boolean): Set<number> =>
      new Set(
        records
          .filter((r) => r.kind === 'payment failed' && 'error' in r.record === withError)
          .map((r) => miner.match(readStructured(logfmt(r.record))?.message ?? '')?.id ?? -1),
      );
    const [without, withError] = [ids(false), ids(true)];
    expect(without.size).toBe(1);
    expect(withError.size).toBe(1);
    expect(without).not.toEqual(withError);
    expect(miner.size).toBe(KINDS.length + 1);
  });
});

describe('with the template miner (its contract for key=value tokens)', () => {
  it('keeps key=<*> as written: the template is the structured text', () => {
    const text =
      'request served http.method=<*> http.path=<*> http.status=<*> duration=<*> region=<*>';
    const line = `time=2024-05-01T12:00:00Z level=info msg="request served" http.method=GET http.path=/api/orders/17 http.status=200 duration=12ms region=eu-west`;
    expect(readStructured(line)?.message).toBe(text);
    expect(new LogTemplateMiner().add(text).template).toBe(text);
  });

  it('keeps the values of templateKeys configured in the miner, digits and all', () => {
    const line = 'msg=served method=GET status=200 path=/x';
    const keys = ['method', 'status'];
    const text = readStructured(line, new Set(keys))?.message ?? line;
    // The miner keeps the configured keys' values whole, digits and all.
    expect(new LogTemplateMiner({ templateKeys: keys }).add(text).template).toBe(
      'served method=GET status=200 path=<*>',
    );
    // Without them configured in the miner too, every value is a variable.
    expect(new LogTemplateMiner().add(text).template).toBe('served method=<*> status=<*> path=<*>');
  });
});

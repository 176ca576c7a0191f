import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generalize } from '../../detectors/log-template-tokens.js';
import { LogTemplateMiner, MAX_CLUSTERS_PER_TEMPLATE } from '../../detectors/log-templates.js';
import { MAX_TOKENS, WILDCARD, maskToken, tokenize } from '../../detectors/log-tokenizer.js';
import { LogLineReader } from '../../detectors/log-line-reader.js';
import { prng } from '../helpers/series.js';

/** Whether a template covers a message's tokens: `<*>` takes one or more tokens. */
function covers(template: string, message: string): boolean {
  const t = template.length === 0 ? [] : template.split(' ');
  const m = tokenize(message);
  const tokenMatches = (pattern: string, token: string): boolean => {
    if (pattern === token) return true;
    const at = pattern.indexOf(WILDCARD);
    if (at < 0) return false;
    const before = pattern.slice(0, at);
    const after = pattern.slice(at + WILDCARD.length);
    return (
      token.startsWith(before) &&
      token.endsWith(after) &&
      token.length > before.length + after.length - 1
    );
  };
  // can[i][j]: t[0..i) covers m[0..j)
  const can = Array.from({ length: t.length + 1 }, () =>
    new Array<boolean>(m.length + 1).fill(false),
  );
  (can[0] as boolean[])[0] = true;
  for (let i = 1; i <= t.length; i++) {
    for (let j = 1; j <= m.length; j++) {
      const p = t[i - 1] as string;
      const prev = can[i - 1] as boolean[];
      const row = can[i] as boolean[];
      row[j] =
        (prev[j - 1] === true && tokenMatches(p, m[j - 1] as string)) ||
        (p === WILDCARD && (row[j - 1] === true || prev[j - 1] === true));
    }
  }
  return (can[t.length] as boolean[])[m.length] === true;
}

describe('maskToken', () => {
  it.each([
    ['1234', '<*>'],
    ['-12.5', '<*>'],
    ['0x7f3a', '<*>'],
    ['10.0.0.12:8080', '<*>'],
    ['[10.0.0.12]', '[<*>]'],
    ['123e4567-e89b-12d3-a456-426614174000', '<*>'],
    ['/var/lib/nova/instances', '<*>'],
    ['https://example.org/a', '<*>'],
    ['alice@example.org', '<*>'],
    ['2026-12-01T21:55:01Z', '<*>'],
    ['22:15:29', '<*>'],
    ['Jul', '<*>'],
    ['uid=0', 'uid=<*>'],
    ['(uid=0)', '(uid=<*>)'],
    ['size:512,', 'size:<*>,'],
    ['blk_-1608999687919862906', '<*>'],
    ['sshd[24200]:', 'sshd[<*>]:'],
    // A value after `key=` is a variable whatever its shape.
    ['tty=NODEVssh', 'tty=<*>'],
    ['method=GET', 'method=<*>'],
    // Already masked (a structured record's key): as it is.
    ['order_id=<*>', 'order_id=<*>'],
    // Empty values, bounds and host names are variables by shape.
    ['()', '(<*>)'],
    ['""', '"<*>"'],
    ['<1', '<*>'],
    ['>=250', '<*>'],
    ['ns.example.com', '<*>'],
    ['(mail.example.org)', '(<*>)'],
    // A file name and a host with its port are one variable each.
    ['config.json', '<*>'],
    ['chrome.exe', '<*>'],
    ['proxy.example.edu:5070', '<*>'],
    ['com.android.mms/.Service', '<*>'],
  ])('masks %s as %s', (token, masked) => {
    expect(maskToken(token)).toBe(masked);
  });

  it.each([
    'failed',
    'user',
    'ssh2',
    'eth0',
    '[preauth]',
    'ruser=',
    'org.apache.hadoop.Client',
    'nova.compute.manager',
    'workerEnv.init()',
    'TCP/IP',
    'text/html',
    'Bye',
    '(Lifecycle',
    '/',
  ])('keeps the constant %s', (token) => {
    expect(maskToken(token)).toBe(token);
  });

  it('keeps a unit with the number it follows', () => {
    expect(tokenize('estimated size 12.5 KB, free 300 MB')).toEqual([
      'estimated',
      'size',
      '<*>,',
      'free',
      '<*>',
    ]);
    expect(tokenize('took 5 tries')).toEqual(['took', '<*>', 'tries']);
    expect(tokenize('took 3 seconds, 12 minutes')).toEqual(['took', '<*>,', '<*>']);
  });

  it('makes a variable one token however it is written: sizes restated, durations, bounds', () => {
    const same = [
      'wrote 512 bytes in 00:01',
      'wrote 1536 bytes (1.50 KB) in <1 sec',
      'wrote 12 MB (12582912 bytes) in 3 seconds',
      'wrote 7 bytes (7B) in 2.5 s',
    ].map((m) => tokenize(m).join(' '));
    expect(new Set(same)).toEqual(new Set(['wrote <*> in <*>']));
    // Only numbers and units make a restatement: a host in brackets stays its own token.
    expect(tokenize('from 10.0.0.1 (gw-1.example.org) at noon')).toEqual([
      'from',
      '<*>',
      '(<*>)',
      'at',
      'noon',
    ]);
  });

  it('keeps the values of configured keys and reports the plain values it masked', () => {
    const values: string[] = [];
    expect(tokenize('login user=root method=GET id=42', values, new Set(['method']))).toEqual([
      'login',
      'user=<*>',
      'method=GET',
      'id=<*>',
    ]);
    expect(values).toEqual(['root']);
  });
});

describe('generalize', () => {
  it('keeps equal tokens and a shared key', () => {
    expect(generalize('a', 'a')).toBe('a');
    expect(generalize('rhost=<*>', 'rhost=example.org')).toBe('rhost=<*>');
    expect(generalize('user', 'admin')).toBe('<*>');
    expect(generalize('<*>', 'x')).toBe('<*>');
  });
});

describe('LogTemplateMiner', () => {
  it('groups messages that differ in their variables', () => {
    const m = new LogTemplateMiner();
    const a = m.add('Failed password for root from 10.0.0.1 port 22 ssh2');
    const b = m.add('Failed password for root from 10.0.0.7 port 4711 ssh2');
    expect(a.created).toBe(true);
    expect(b).toMatchObject({ id: a.id, created: false, changed: false });
    expect(b.template).toBe('Failed password for root from <*> port <*> ssh2');
    expect(m.get(a.id)?.count).toBe(2);
  });

  it('keeps templates that differ in one word apart until the word takes many values', () => {
    const m = new LogTemplateMiner({ wordValues: 4 });
    const started = m.add('[instance: 5f1c] VM Started (Lifecycle Event)');
    const paused = m.add('[instance: 77aa] VM Paused (Lifecycle Event)');
    const resumed = m.add('[instance: 99bb] VM Resumed (Lifecycle Event)');
    expect(new Set([started.id, paused.id, resumed.id]).size).toBe(3);
    expect(m.add('[instance: 1234] VM Paused (Lifecycle Event)').id).toBe(paused.id);

    // A fourth distinct word at the same place: it is a variable after all.
    const fourth = m.add('[instance: 5678] VM Stopped (Lifecycle Event)');
    expect(fourth).toMatchObject({ id: started.id, created: false, changed: true });
    expect(fourth.template).toBe('[instance: <*>] VM <*> (Lifecycle Event)');
    expect(fourth.previous).toBe('[instance: <*>] VM Started (Lifecycle Event)');
    expect(m.resolve(paused.id)).toBe(started.id);
    expect(m.get(resumed.id)?.id).toBe(started.id);
    expect(m.get(started.id)?.count).toBe(5);
    expect(m.size).toBe(1);
  });

  it('refines a template in place: it keeps its id and reports the change', () => {
    const m2 = new LogTemplateMiner();
    const a = m2.add('rhost=10.0.0.1 login failed');
    const b = m2.add('rhost=gw.example.org login failed');
    expect(b).toMatchObject({ id: a.id, changed: false });
    const c = m2.add('connection from gateway closed');
    const d = m2.add('connection from 10.0.0.1 closed');
    expect(d).toMatchObject({
      id: c.id,
      changed: true,
      previous: 'connection from gateway closed',
    });
    expect(d.template).toBe('connection from <*> closed');
  });

  it('a word seen as the value of a key is a variable where it appears next (first sight)', () => {
    const m = new LogTemplateMiner();
    m.add('authentication failure; rhost=10.0.0.1 user=root');
    // `root` is a value in this stream: its first line elsewhere already reads <*>.
    const first = m.add('Failed password for root from 10.0.0.1 port 22 ssh2');
    expect(first.template).toBe('Failed password for <*> from <*> port <*> ssh2');
    // A constant word that was never a value stays: "VM Started" is no "VM <*>".
    expect(m.add('Failed password for root from 10.0.0.2 port 22 ssh2').id).toBe(first.id);
    expect(m.add('VM Started').template).toBe('VM Started');
  });

  it('after a merge, the two words before the variable are a context: the next event starts general', () => {
    const m = new LogTemplateMiner();
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'fay']) {
      m.add(`Invalid user ${u} from 10.0.0.1`);
    }
    expect(m.templates().map((t) => t.template)).toEqual(['Invalid user <*> from <*>']);
    // Another event naming an invalid user: its first line is already `invalid user <*>`.
    const first = m.add('input_userauth_request: invalid user frank [preauth]');
    expect(first.template).toBe('input_userauth_request: invalid user <*> [preauth]');
    expect(m.add('input_userauth_request: invalid user grace [preauth]').id).toBe(first.id);
    // One word is not a context: `Service is <word>` after `Leader is <name>` merged stays apart.
    for (const n of ['ann', 'ben', 'cat', 'dan', 'eve', 'fox']) m.add(`Leader is ${n}`);
    const running = m.add('Service is running');
    const stopped = m.add('Service is stopped');
    expect(running.template).toBe('Service is running');
    expect(stopped.id).not.toBe(running.id);
    // A template started before the context was learned is absorbed by the general one.
    const m2 = new LogTemplateMiner();
    const early = m2.add('Failed password for invalid user zed from 10.0.0.9 port 22 ssh2');
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'fay']) {
      m2.add(`Invalid user ${u} from 10.0.0.1`);
    }
    const later = m2.add('Failed password for invalid user yan from 10.0.0.8 port 22 ssh2');
    expect(later.template).toBe('Failed password for invalid user <*> from <*> port <*> ssh2');
    expect(m2.resolve(early.id)).toBe(later.id);
    // Contexts survive encode/decode.
    const back = LogTemplateMiner.decode(m2.encode());
    expect(back.add('Closed session for invalid user xavier').template).toBe(
      'Closed session for invalid user <*>',
    );
  });

  it("a word known as a value never turns another template's constant into a variable", () => {
    const m = new LogTemplateMiner();
    m.add('upload finished job=backup status=failed');
    const completed = m.add('Backup completed on node');
    // `failed` is a value elsewhere: this line starts a template of its own, it does not make
    // `completed` a variable (a failure after its success twin is a new template).
    const failed = m.add('Backup failed on node');
    expect(failed.created).toBe(true);
    expect(failed.id).not.toBe(completed.id);
    expect(m.add('Backup completed on node').id).toBe(completed.id);
    // And in the other order.
    const m2 = new LogTemplateMiner();
    m2.add('upload finished job=backup status=failed');
    const f = m2.add('Backup failed on node');
    const c = m2.add('Backup completed on node');
    expect(c.created).toBe(true);
    expect(c.id).not.toBe(f.id);
  });

  it('keeps learned values and contexts short: a long value is not kept', () => {
    const m = new LogTemplateMiner();
    const long = 'x'.repeat(20_000);
    for (let i = 0; i < 50; i++)
      m.add(`request done user=${long}${String.fromCharCode(97 + (i % 26))}`);
    expect(m.encode().byteLength).toBeLessThan(2000);
  });

  it('a partial variable takes only tokens of its shape with a value there', () => {
    const m = new LogTemplateMiner();
    const withHost = m.add('authentication failure; tty=ssh ruser= rhost=10.0.0.1');
    // No value after rhost= is another event, not one more host.
    const without = m.add('authentication failure; tty=ssh ruser= rhost=');
    expect(without.id).not.toBe(withHost.id);
    const uid = m.add('session opened for user alice by (uid=0)');
    expect(m.add('session opened for user alice by LOGIN(uid=0)').id).not.toBe(uid.id);
    expect(m.add('session opened for user alice by (uid=1000)').id).toBe(uid.id);
  });

  it('gives a variable-length parameter one template', () => {
    const m = new LogTemplateMiner();
    const one = m.add('Active base files: /var/lib/nova/a');
    const three = m.add('Active base files: /var/lib/nova/a /var/lib/nova/b /var/lib/nova/c');
    expect(three.id).toBe(one.id);
    expect(three.template).toBe('Active base files: <*>');
    expect(m.size).toBe(1);
  });

  it('matches without learning', () => {
    const m = new LogTemplateMiner();
    const a = m.add('Connection closed by 10.0.0.1 [preauth]');
    expect(m.match('Connection closed by 10.9.9.9 [preauth]')?.id).toBe(a.id);
    expect(m.match('Something else entirely')).toBeUndefined();
    expect(m.get(a.id)?.count).toBe(1);
  });

  it('caps the templates it keeps, evicting the least recently seen', () => {
    const m = new LogTemplateMiner({ maxTemplates: 20 });
    const keep = m.add('heartbeat ok');
    for (let i = 0; i < 100; i++) {
      m.add(
        `event w${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))} begins`,
      );
      m.add('heartbeat ok');
    }
    expect(m.size).toBeLessThanOrEqual(20);
    expect(m.get(keep.id)?.count).toBe(101);
  });

  it('continues after encode/decode exactly as without', () => {
    const lines = [
      'Received block blk_1 of size 67108864 from /10.250.19.102',
      'PacketResponder 1 for block blk_2 terminating',
      'Received block blk_3 of size 67108864 from /10.250.19.103',
      'VM Started',
      'VM Paused',
      'Verification succeeded for blk_4',
    ];
    const later = [
      'VM Resumed',
      'VM Stopped',
      'VM Deleted',
      'PacketResponder 2 for block blk_5 terminating',
      'a new message',
    ];
    const straight = new LogTemplateMiner();
    const stored = new LogTemplateMiner();
    for (const l of lines) {
      straight.add(l);
      stored.add(l);
    }
    const restored = LogTemplateMiner.decode(stored.encode());
    expect(restored.templates()).toEqual(straight.templates());
    expect(later.map((l) => restored.add(l))).toEqual(later.map((l) => straight.add(l)));
    expect(restored.templates()).toEqual(straight.templates());
    expect(Buffer.from(restored.encode()).equals(Buffer.from(straight.encode()))).toBe(true);
  });

  it('refuses a state that is not its own with a clear error', () => {
    expect(() => LogTemplateMiner.decode(new TextEncoder().encode('{"v":2}'))).toThrow(
      /not a log template state/,
    );
    expect(() => LogTemplateMiner.decode(new Uint8Array([1, 2, 3]))).toThrow(/not JSON/);
  });

  it('rejects bad options', () => {
    expect(() => new LogTemplateMiner({ similarity: 0 })).toThrow(RangeError);
    expect(() => new LogTemplateMiner({ depth: 2 })).toThrow(RangeError);
  });

  it('never throws on arbitrary text, and its state always round-trips', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 80 }), { maxLength: 40 }),
        (msgs) => {
          const m = new LogTemplateMiner({ maxTemplates: 8, wordValues: 2 });
          for (const msg of msgs) {
            const r = m.add(msg);
            expect(m.get(r.id)?.template).toBe(r.template);
          }
          const back = LogTemplateMiner.decode(m.encode());
          expect(back.templates()).toEqual(m.templates());
        },
      ),
      { numRuns: 500 },
    );
  });

  it('merges user names at the start of a line (the routed tokens) too', () => {
    const m = new LogTemplateMiner();
    const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
    for (const u of users) m.add(`User ${u} logged in from 10.0.0.7`);
    for (const u of users) m.add(`${u} logged out`);
    expect(m.templates().map((t) => [t.template, t.count])).toEqual([
      ['User <*> logged in from <*>', 8],
      ['<*> logged out', 8],
    ]);
    expect(m.add('User zed logged in from 10.0.0.9')).toMatchObject({ id: 1, created: false });
  });

  it('does not make event names variables: a merge keeps half the tokens constant', () => {
    const m = new LogTemplateMiner();
    for (const e of ['onStart', 'onStop', 'onPause', 'onResume', 'onCreate', 'onDestroy']) {
      m.add(`${e} 17`);
    }
    expect(m.size).toBe(6);
  });

  it('keeps one text for a template across token counts (a refined count leaves if it differs)', () => {
    const m = new LogTemplateMiner();
    m.add('foo 1 2 bar');
    m.add('foo 1 bar');
    const r = m.add('foo 1 2');
    expect(covers(r.template, 'foo 1 2')).toBe(true);
    expect(m.get(r.id)?.template).toBe(r.template);
  });

  it('bounds a template with many token counts, and the tokens of a message', () => {
    const m = new LogTemplateMiner();
    for (let n = 1; n <= 400; n++) {
      const files = Array.from({ length: n }, (_, i) => `/var/lib/nova/f${i}`).join(' ');
      m.add(`Active base files: ${files}`);
    }
    expect(m.size).toBe(1);
    const state = JSON.parse(new TextDecoder().decode(m.encode())) as {
      templates: [number, number, unknown[]][];
    };
    expect(state.templates[0]?.[2].length).toBeLessThanOrEqual(MAX_CLUSTERS_PER_TEMPLATE);
    expect(
      tokenize(
        Array.from({ length: 1000 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}`).join(' '),
      ),
    ).toHaveLength(MAX_TOKENS);
  });

  it('stays bounded and quick on free text (a full leaf folds new messages in)', () => {
    const m = new LogTemplateMiner({ maxTemplates: 2000 });
    let seed = 7;
    const word = (): string => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (
        String(['alpha', 'beta', 'gamma', 'delta', 'omega', 'kappa', 'sigma', 'theta'][seed % 8]) +
        String.fromCharCode(97 + ((seed >> 8) % 26)) +
        String.fromCharCode(97 + ((seed >> 13) % 26))
      );
    };
    for (let i = 0; i < 20_000; i++) m.add(`error: ${word()} ${word()} ${word()} ${word()}`);
    expect(m.size).toBeLessThanOrEqual(2000);
    expect(m.encode().byteLength).toBeLessThan(2_000_000);
  });

  it('property: every template covers its message; decode continues exactly; match agrees with add', () => {
    const vocab = ['a', 'b', 'c', 'k=v', 'k=w', '7', '8', '9', 'x', '[p]', 'ok'];
    const message = fc
      .array(fc.constantFrom(...vocab), { minLength: 1, maxLength: 5 })
      .map((ws) => ws.join(' '));
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 20, maxLength: 150 }),
        fc.array(message, { maxLength: 30 }),
        fc.record({
          depth: fc.integer({ min: 3, max: 5 }),
          maxChildren: fc.integer({ min: 1, max: 4 }),
          maxTemplates: fc.integer({ min: 2, max: 12 }),
          wordValues: fc.integer({ min: 2, max: 4 }),
        }),
        (first, then, options) => {
          const straight = new LogTemplateMiner(options);
          for (const msg of first) {
            const r = straight.add(msg);
            expect(covers(r.template, msg)).toBe(true);
            expect(straight.get(r.id)?.template).toBe(r.template);
            expect(straight.match(msg)?.id).toBe(r.id);
            expect(straight.size).toBeLessThanOrEqual(options.maxTemplates);
          }
          const restored = LogTemplateMiner.decode(straight.encode(), options);
          for (const msg of then) expect(restored.add(msg)).toEqual(straight.add(msg));
          expect(restored.encode()).toEqual(straight.encode());
        },
      ),
      { numRuns: 1000 },
    );
  }, 60_000);

  it('keeps the cluster cap when refinements move token counts between templates', () => {
    const m = new LogTemplateMiner();
    const ones = (k: number): string => Array.from({ length: k }, () => '1').join(' ');
    for (let k = 1; k <= 16; k++) m.add(`a b ${ones(k)} c`);
    for (let k = 0; k <= 100; k++) {
      m.add(`a b q ${ones(k)} c`);
      m.add(`a b 5 ${ones(k)} c`);
    }
    const state = JSON.parse(new TextDecoder().decode(m.encode())) as {
      templates: [number, number, unknown[]][];
    };
    for (const [, , clusters] of state.templates) {
      expect(clusters.length).toBeLessThanOrEqual(MAX_CLUSTERS_PER_TEMPLATE);
    }
  });

  it('reports a template that appears through a merge as created, not changed', () => {
    const m = new LogTemplateMiner({ wordValues: 2 });
    const first = m.add('u alice x 1');
    m.add('u alice x 1 1');
    const r = m.add('u bob x 1');
    // alice's 4-token count and bob's merge into a new template; alice's 5-token count stays.
    expect(r).toMatchObject({ template: 'u <*> x <*>', created: true, changed: false });
    expect(r.id).not.toBe(first.id);
    expect(m.get(first.id)?.template).toBe('u alice x <*>');
  });
});

describe('a proxy log (program names, host:port, restated sizes, durations)', () => {
  // The shape of a desktop proxy's log: the class of system where one message became eight
  // templates (sizes and durations of varying token counts) and a program name split the rest.
  it('gives one template per kind of message, within one', () => {
    const r = prng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const programs = ['chrome.exe', 'firefox.exe', 'svchost.exe', 'Skype.exe', 'outlook.exe'];
    const hosts = [
      'www.google.com:443',
      'clients4.google.com:443',
      '183.62.156.108:22',
      'qq.com:80',
    ];
    const size = (b: number): string =>
      b < 1024 ? `${b} bytes` : `${b} bytes (${(b / 1024).toFixed(2)} KB)`;
    const lifetime = (): string => pick(['00:01', '<1 sec', '00:12', '01:02:03']);
    const kinds = [
      (p: string, h: string) => `${p} - ${h} open through proxy proxy.example.edu:5070 HTTPS`,
      (p: string, h: string) =>
        `${p} - ${h} close, ${size(Math.floor(r() * 5000))} sent, ${size(Math.floor(r() * 90000))} received, lifetime ${lifetime()}`,
      (p: string, h: string) =>
        `${p} - ${h} error : Could not connect through proxy proxy.example.edu:5070 - Proxy server cannot establish a connection with the target, status code 403`,
      (p: string, h: string) =>
        `${p} - ${h} error : A connection request was canceled before the completion.`,
      (p: string, h: string) => `${p} - ${h} open directly`,
      (p: string, h: string) => `${p} - ${h} matching rule Default`,
    ];
    const reader = new LogLineReader();
    const miner = new LogTemplateMiner();
    for (let i = 0; i < 4000; i++) {
      const stamp = `[10.${10 + (i % 20)} ${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:0${i % 10}]`;
      // One program writes most lines: a constant-looking word that is a variable.
      const program = r() < 0.6 ? 'chrome.exe' : pick(programs);
      const line = `${stamp} ${pick(kinds)(program, pick(hosts))}`;
      miner.add(reader.read(line).message);
    }
    expect(miner.size).toBeGreaterThanOrEqual(kinds.length);
    expect(miner.size).toBeLessThanOrEqual(kinds.length + 1);
  });
});

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LEARN_LINES,
  LogHeaderLearner,
  type HeaderSplit,
} from '../../detectors/log-header.js';
import { LogLineReader } from '../../detectors/log-line-reader.js';
import { LogTemplateMiner } from '../../detectors/log-templates.js';

/** One generated line and what the learner should make of it. */
interface Case {
  readonly line: string;
  readonly message: string;
  readonly level?: string;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length] as T;

/**
 * Messages, some of which start like header fields: a level-looking word, a number, a word
 * with a colon, a bracket. A header layout must not eat them.
 */
function message(i: number): string {
  return pick(
    [
      `Started worker ${i} in ${(i * 37) % 900} ms`,
      `Connection from 10.0.${i % 250}.${i % 7} closed`,
      `Error while flushing segment ${i * 13}`,
      `${i % 9} tasks pending in queue q${i % 5}`,
      `cache: hit ratio ${i % 100} percent`,
      `[shard-${i % 4}] rebalanced after ${i} moves`,
      `warning threshold reached for queue q${i % 5}`,
      `user=u${i} action=login result=ok`,
    ],
    i,
  );
}

const expected = (msg: string, level?: string): Pick<Case, 'message' | 'level'> =>
  level === undefined ? { message: msg } : { message: msg, level };

/** Feeds `cases` to one learner and returns what it said for each. */
function run(cases: readonly Case[], learner = new LogHeaderLearner()): HeaderSplit[] {
  return cases.map((c) => learner.split(c.line));
}

/** Asserts the exact message and level of every line, learning phase included. */
function expectSplits(cases: readonly Case[], learner = new LogHeaderLearner()): void {
  const got = run(cases, learner);
  got.forEach((g, i) => {
    const c = cases[i] as Case;
    expect({ line: c.line, ...g }).toEqual({ line: c.line, ...expected(c.message, c.level) });
  });
}

const N = 80;
const levels = ['INFO', 'WARN', 'ERROR', 'DEBUG'] as const;
const level = (i: number): string => pick(levels, i);
const clock = (i: number): string => `${pad(10 + (i % 12))}:${pad(i % 60)}:${pad((i * 7) % 60)}`;
const millis = (i: number): string => pad((i * 37) % 1000, 3);

const log4j = (i: number): Case => {
  const thread = pick(
    ['main', 'pool-2-thread-1', 'IPC Server handler 5 on 8020', 'Timer-0'],
    i * 3,
  );
  const logger = pick(['com.example.app.Server', 'org.acme.db.Pool$Evictor', 'io.x.Y'], i);
  const msg = message(i);
  return {
    line: `2024-03-${pad(1 + (i % 28))} ${clock(i)},${millis(i)} ${level(i).padEnd(5)} [${thread}] ${logger}: ${msg}`,
    message: msg,
    level: level(i).toLowerCase(),
  };
};

const logback = (i: number): Case => {
  const msg = message(i);
  return {
    line: `${clock(i)}.${millis(i)} [worker-${i % 6}] ${level(i)} c.e.app.Job${i % 3} - ${msg}`,
    message: msg,
    level: level(i).toLowerCase(),
  };
};

const python = (i: number): Case => {
  const msg = message(i);
  const name = pick(['root', 'app.db', 'urllib3.connectionpool'], i);
  return {
    line: `2024-01-0${1 + (i % 9)} ${clock(i)},${millis(i)} - ${name} - ${level(i)} - ${msg}`,
    message: msg,
    level: level(i).toLowerCase(),
  };
};

const syslog = (i: number): Case => {
  const msg = message(i);
  const day = 1 + (i % 28);
  const prog = pick(['sshd[4242]', 'cron[81]', 'kernel', 'su(pam_unix)[977]', 'systemd'], i);
  return {
    line: `Mar ${day < 10 ? ` ${day}` : day} ${clock(i)} web${i % 3} ${prog}: ${msg}`,
    message: msg,
  };
};

const rfc3339 = (i: number): Case => {
  const msg = message(i);
  return {
    line: `2024-05-${pad(1 + (i % 28))}T${clock(i)}.${millis(i)}Z api-${i % 4} app[${100 + i}]: ${msg}`,
    message: msg,
  };
};

const apache = (i: number): Case => {
  const lv = pick(['notice', 'error', 'warn'], i);
  const msg =
    i % 5 === 0 ? `[client 10.1.1.${i % 200}] File does not exist: /var/www/x${i}` : message(i);
  return {
    line: `[${pick(['Mon', 'Tue', 'Wed'], i)} Mar ${pad(1 + (i % 28))} ${clock(i)} 2024] [${lv}] ${msg}`,
    message: msg,
    level: lv,
  };
};

const klog = (i: number): Case => {
  const msg = message(i);
  const l = pick(['I', 'W', 'E'], i);
  return {
    line: `${l}0${1 + (i % 9)}${pad(10 + (i % 18))} ${clock(i)}.${pad(i * 91, 6)}    ${1000 + i} controller.go:${100 + i}] ${msg}`,
    message: msg,
    level: l === 'I' ? 'info' : l === 'W' ? 'warning' : 'error',
  };
};

const golog = (i: number): Case => {
  const msg = message(i);
  return { line: `2024/01/${pad(1 + (i % 28))} ${clock(i)} ${msg}`, message: msg };
};

const pipes = (i: number): Case => {
  const msg = message(i);
  return {
    line: `20240102-${clock(i)}:${i % 1000}|${pick(['AuthService', 'Step_Counter', 'db-pool'], i)}|${30000 + (i % 3)}|${msg}`,
    message: msg,
  };
};

const nginx = (i: number): Case => {
  const lv = pick(['error', 'notice', 'warn'], i);
  const msg = `*${i} open() "/usr/share/nginx/html/f${i}.png" failed (2: No such file or directory)`;
  return {
    line: `2024/02/${pad(1 + (i % 28))} ${clock(i)} [${lv}] ${500 + (i % 4)}#${i % 2}: ${msg}`,
    message: msg,
    level: lv,
  };
};

const epoch = (i: number): Case => {
  const msg = message(i);
  const stamp = i % 2 ? `${1704067200 + i * 17}` : `${1704067200 + i}.${millis(i)}`;
  return { line: `${stamp} ${level(i)} ${msg}`, message: msg, level: level(i).toLowerCase() };
};

const logcat = (i: number): Case => {
  const msg = message(i);
  return {
    line: `0${1 + (i % 9)}-${pad(10 + (i % 18))} ${clock(i)}.${millis(i)}  ${1700 + (i % 5)}  ${2300 + i} ${pick(['D', 'I', 'W'], i)} ${pick(['WindowManager', 'ActivityManager', 'Vold'], i)}: ${msg}`,
    message: msg,
  };
};

const elastic = (i: number): Case => {
  const msg = message(i);
  return {
    line: `[2024-06-${pad(1 + (i % 28))}T${clock(i)},${millis(i)}][${level(i).padEnd(5)}][o.e.n.Node${i % 3}   ] [node-${i % 2}] ${msg}`,
    message: msg,
    level: level(i).toLowerCase(),
  };
};

const gen = (f: (i: number) => Case, n = N): Case[] => Array.from({ length: n }, (_, i) => f(i));

describe('LogHeaderLearner: one format per stream, exact message and level', () => {
  it.each([
    ['log4j', log4j],
    ['logback', logback],
    ['Python logging', python],
    ['syslog RFC 3164, with and without pid', syslog],
    ['RFC 3339 with Z and a syslog program', rfc3339],
    ['Apache error log', apache],
    ['klog', klog],
    ["Go's log", golog],
    ['pipe-separated', pipes],
    ['nginx error log', nginx],
    ['epoch-prefixed', epoch],
  ])('%s', (_name, f) => {
    expectSplits(gen(f));
  });

  it.each([
    ['Android logcat', logcat],
    ['adjacent brackets (Elasticsearch)', elastic],
  ])('%s: learning lines split as the learned layout splits them', (_name, f) => {
    expectSplits(gen(f));
  });

  it('gives a logcat line the same message while learning as after', () => {
    const line = (tid: number, lv: string, tag: string, msg: string): string =>
      `03-17 16:13:38.811  1702  ${tid} ${lv} ${tag}: ${msg}`;
    const kinds: [string, string, string][] = [
      [
        'D',
        'WindowManager',
        'printFreezingDisplayLogsopening app wtoken = AppWindowToken{9f4ef63}',
      ],
      ['I', 'DisplayPowerController', 'Animating brightness: target=120, rate=40'],
      ['V', 'ActivityManager', 'Skipped 3 frames'],
      ['W', 'Vold', 'cache: hit ratio 40 percent'],
      ['E', 'PowerManagerService', '[shard-1] moved'],
    ];
    const learner = new LogHeaderLearner();
    const first = kinds.map(([lv, tag, msg], i) => learner.split(line(2395 + i, lv, tag, msg)));
    for (let i = kinds.length; i < 2 * DEFAULT_LEARN_LINES; i++) {
      const [lv, tag, msg] = pick(kinds, i);
      learner.split(line(8000 + i, lv, tag, msg));
    }
    kinds.forEach(([lv, tag, msg], i) => {
      expect(first[i]).toEqual({ message: msg });
      expect(learner.split(line(9999, lv, tag, msg))).toEqual(first[i]);
    });
  });

  it('gives an Elasticsearch line the same message while learning as after', () => {
    const line = (lv: string, logger: string, msg: string): string =>
      `[2024-01-01T12:00:00,123][${lv.padEnd(5)}][${logger.padEnd(20)}] [node-1] ${msg}`;
    const learner = new LogHeaderLearner();
    const first = learner.split(line('INFO', 'o.e.n.Node', 'started'));
    expect(first).toEqual({ message: 'started', level: 'info' });
    for (let i = 0; i < DEFAULT_LEARN_LINES; i++)
      learner.split(line(level(i), 'o.e.c.r.a.AllocationService', message(i)));
    expect(learner.split(line('INFO', 'o.e.n.Node', 'started'))).toEqual(first);
  });

  it('keeps a message start that looks like a header field while a date-only stream is learned', () => {
    const learner = new LogHeaderLearner();
    const odd = ['cache: hit ratio 9 percent', '3 tasks pending', '[shard-1] moved'];
    odd.forEach((msg, i) => {
      expect(learner.split(`2024/01/0${i + 1} 10:00:00 ${msg}`)).toEqual({ message: msg });
    });
    expectSplits(gen(golog), learner);
  });

  it('takes the level as written, lower-cased, from every form a header carries it in', () => {
    const l = new LogHeaderLearner({ learnLines: 1 });
    expect(l.split('2024-01-01 00:00:00 WARNING disk at 91%')).toEqual({
      message: 'disk at 91%',
      level: 'warning',
    });
    const forms: [string, string][] = [
      ['[Fatal]', 'fatal'],
      ['NOTICE:', 'notice'],
      ['<CRIT>', 'crit'],
      ['severe', 'severe'],
      ['[TRACE]', 'trace'],
      ['Emerg', 'emerg'],
    ];
    for (const [form, lv] of forms)
      expect(l.split(`2024-01-01 00:00:01 ${form} disk at 91%`)).toEqual({
        message: 'disk at 91%',
        level: lv,
      });
  });

  it('strips multi-word and nested bracketed threads whole', () => {
    const threads = [
      '[IPC Server handler 5 on 62270]',
      '[RMCommunicator Allocator]',
      '[QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:Election@774]',
      '[Timer for "jobs" (every 5s)]',
      '[main]',
    ];
    const cases = gen((i) => ({
      line: `2024-04-02 ${clock(i)},${millis(i)} - ${level(i)}  ${pick(threads, i)} - ${message(i)}`,
      message: message(i),
      level: level(i).toLowerCase(),
    }));
    expectSplits(cases);
  });
});

describe('LogHeaderLearner: no header, odd lines', () => {
  it('strips nothing from a message-only stream, even from messages that start with a level word or a number', () => {
    const msgs = gen((i) => ({ line: message(i), message: message(i) }));
    const extra = [
      'Error: disk quota exceeded on /home',
      'ERROR failed to open socket',
      '404 not found: /index.php',
      '2 of 3 replicas ready',
      'WARN: slow query 1200 ms',
      '[INFO] plugin loaded',
    ].map((line) => ({ line, message: line }));
    const learner = new LogHeaderLearner();
    expectSplits([...extra, ...msgs, ...extra], learner);
  });

  it('splits a line that does not fit the learned layout by its own shape, and never loses it', () => {
    const learner = new LogHeaderLearner();
    run(gen(log4j), learner);
    const odd: Case[] = [
      {
        line: '\tat com.example.app.Server.start(Server.java:42)',
        message: '\tat com.example.app.Server.start(Server.java:42)',
      },
      {
        line: 'java.lang.IllegalStateException: pool closed',
        message: 'java.lang.IllegalStateException: pool closed',
      },
      { line: '2024-03-09 10:00:00,001 ERROR pool closed', message: 'pool closed', level: 'error' },
      { line: '2024-03-09 10:00:00 done', message: 'done' },
      { line: '2024-03-09', message: '2024-03-09' },
      {
        line: '2024-03-09 10:00:00,001 INFO [main] x.Y:',
        message: '2024-03-09 10:00:00,001 INFO [main] x.Y:',
        level: 'info',
      },
      { line: '', message: '' },
      { line: '   ', message: '   ' },
      { line: 'INFO', message: 'INFO' },
      { line: '[unclosed bracket INFO x', message: '[unclosed bracket INFO x' },
    ];
    for (const c of odd) expect(learner.split(c.line)).toEqual(expected(c.message, c.level));
  });

  it('takes a level in capitals after a level-less layout, but no other level-looking word', () => {
    const learner = new LogHeaderLearner();
    run(gen(golog), learner);
    expect(learner.split('2024/01/30 10:00:00 ERROR connecting to db')).toEqual({
      message: 'connecting to db',
      level: 'error',
    });
    for (const msg of [
      'Error while connecting to db',
      'error: connecting to db',
      'the ERROR count rose',
      '404 for /x',
    ])
      expect(learner.split(`2024/01/30 10:00:00 ${msg}`)).toEqual({ message: msg });
  });

  it('strips a stream of the same layout after a few odd lines at its start', () => {
    const banner = ['=== service starting ===', 'version 1.2.3', 'config: /etc/app.yaml'].map(
      (line) => ({ line, message: line }),
    );
    expectSplits([...banner, ...gen(log4j)]);
  });

  it('learns from learnLines lines, then applies the layout (and the header a richer line goes on with)', () => {
    // Learned from Go-style lines: a date and then the message.
    const learner = new LogHeaderLearner({ learnLines: 3 });
    run(gen(golog, 3), learner);
    expect(learner.split('2024/01/31 10:00:00 INFO [main] x.Y: hello')).toEqual({
      message: 'hello',
      level: 'info',
    });
    expect(learner.split('2024/01/31 10:00:00 INFO: [main] x.Y hello')).toEqual({
      message: '[main] x.Y hello',
      level: 'info',
    });
    // The same line in a stream that learned the log4j layout.
    const other = new LogHeaderLearner({ learnLines: 3 });
    run(gen(log4j, 3), other);
    expect(other.split('2024/01/31 10:00:00 INFO [main] x.Y: hello')).toEqual({
      message: 'hello',
      level: 'info',
    });
  });

  it('rejects a learnLines that is not a positive integer', () => {
    expect(() => new LogHeaderLearner({ learnLines: 0 })).toThrow(RangeError);
    expect(() => new LogHeaderLearner({ learnLines: 2.5 })).toThrow(RangeError);
    expect(DEFAULT_LEARN_LINES).toBeGreaterThan(0);
  });
});

describe('LogHeaderLearner: a richer header than the learned layout', () => {
  /** A learner that learned a date-only layout from lines such as `… boot step 7 ok`. */
  const dateOnly = (learnLines = DEFAULT_LEARN_LINES): LogHeaderLearner => {
    const learner = new LogHeaderLearner({ learnLines });
    for (let i = 0; i < learnLines; i++)
      learner.split(`2024-03-01 12:00:${pad(i % 60)},000 boot step ${i} ok`);
    expect((learner.encode() as { layout: string }).layout).toBe('D');
    return learner;
  };

  it('strips the fields a later line carries past the layout and takes its level', () => {
    const learner = dateOnly();
    expect(
      learner.split('2024-03-01 12:01:00,000 ERROR [main-1] org.foo.Db - Connection to db lost'),
    ).toEqual({ message: 'Connection to db lost', level: 'error' });
    // What a fresh reader makes of the line.
    expect(
      new LogHeaderLearner().split(
        '2024-03-01 12:01:00,000 ERROR [main-1] org.foo.Db - Connection to db lost',
      ),
    ).toEqual({ message: 'Connection to db lost', level: 'error' });
    const more: [string, HeaderSplit][] = [
      ['WARN  [pool-2] io.x.Y: slow query', { message: 'slow query', level: 'warn' }],
      ['[ERROR] disk full', { message: 'disk full', level: 'error' }],
      [
        '[main] INFO org.foo.Db - Connection restored',
        { message: 'Connection restored', level: 'info' },
      ],
      ['web1 sshd[4242]: Accepted password for u1', { message: 'Accepted password for u1' }],
      ['org.foo.Db - pool resized', { message: 'pool resized' }],
      ['boot step 51 ok', { message: 'boot step 51 ok' }],
    ];
    for (const [rest, want] of more)
      expect(learner.split(`2024-03-01 12:01:00,000 ${rest}`)).toEqual(want);
  });

  it('keeps message words that the strict rules do not make a header of', () => {
    const learner = dateOnly();
    const kept = [
      'Error while flushing segment 7',
      'error: disk quota exceeded',
      'warn: disk at 91%',
      '[shard-1] rebalanced after 3 moves',
      'cache: hit ratio 40 percent',
      '3 tasks pending in queue q1',
      '- item one',
      'the ERROR count rose',
      'Disk sda FATAL error corrected',
      'user ERROR: bad input',
      'java.lang.IllegalStateException pool closed',
      'Started worker 3 in 40 ms',
      'Animating brightness: target=120',
      // A word and a plain `word:` may be syslog's host and program, or a message: kept.
      'web1 kernel: Out of memory',
    ];
    for (const msg of kept)
      expect(learner.split(`2024-03-01 12:01:00,000 ${msg}`)).toEqual({ message: msg });
    // A level in capitals is a header field by the strict rules (as a fresh reader has it).
    expect(learner.split('2024-03-01 12:01:00,000 WARN: disk at 91%')).toEqual({
      message: 'disk at 91%',
      level: 'warn',
    });
  });

  it('splits a richer line while learning as it does once the layout is learned', () => {
    const rich = [
      '2024-03-01 12:00:30,000 ERROR [main-1] org.foo.Db - Connection to db lost',
      '2024-03-01 12:00:31,000 web1 sshd[42]: Accepted password for u1',
      '2024-03-01 12:00:32,000 [shard-1] rebalanced after 3 moves',
      '2024-03-01 12:00:33,000 Error while flushing segment 7',
    ];
    const learner = new LogHeaderLearner();
    const during: HeaderSplit[] = [];
    for (let i = 0; i < 2 * DEFAULT_LEARN_LINES; i++) {
      const r = rich[i - 10];
      if (r !== undefined) during.push(learner.split(r));
      else learner.split(`2024-03-01 12:00:${pad(i % 60)},000 boot step ${i} ok`);
    }
    expect((learner.encode() as { layout: string }).layout).toBe('D');
    expect(rich.map((l) => learner.split(l))).toEqual(during);
    expect(during[0]).toEqual({ message: 'Connection to db lost', level: 'error' });
    const decoded = LogHeaderLearner.decode(JSON.parse(JSON.stringify(learner.encode())));
    expect(rich.map((l) => decoded.split(l))).toEqual(during);
  });

  it('leaves a layout with a level, or one whose end is marked, as it is', () => {
    const learner = new LogHeaderLearner();
    run(gen(epoch), learner);
    expect(learner.split('1704067999 INFO [main] x.Y - hello')).toEqual({
      message: '[main] x.Y - hello',
      level: 'info',
    });
    const piped = new LogHeaderLearner();
    run(gen(pipes), piped);
    expect(piped.split('20240102-10:00:00:1|db-pool|30001|ERROR lost')).toEqual({
      message: 'ERROR lost',
    });
  });

  it('mines a stream of mixed formats (syslog, log4j, JSON, logfmt) into one template per message kind', () => {
    const kinds: ((i: number) => string)[] = [
      (i) =>
        `Mar  ${1 + (i % 9)} 12:00:${pad(i % 60)} host1 sshd[${4000 + i}]: Accepted password for u${i} from 10.0.0.${i % 250} port ${5000 + i} ssh2`,
      (i) =>
        `Mar  ${1 + (i % 9)} 12:00:${pad(i % 60)} host1 sshd[${4000 + i}]: Connection closed by 10.0.1.${i % 250}`,
      (i) =>
        `Mar  ${1 + (i % 9)} 12:00:${pad(i % 60)} host2 systemd[1]: Started session ${900 + i} of user root`,
      (i) =>
        `2024-03-0${1 + (i % 9)} 12:00:${pad(i % 60)},${millis(i)} ERROR [main-${i % 4}] org.foo.Db - Connection to db lost after ${i * 7} ms`,
      (i) =>
        `2024-03-0${1 + (i % 9)} 12:00:${pad(i % 60)},${millis(i)} INFO  [pool-${i % 3}-thread-1] org.foo.Worker - Started worker ${i} in ${i * 3} ms`,
      (i) =>
        `2024-03-0${1 + (i % 9)} 12:00:${pad(i % 60)},${millis(i)} WARN  [main-${i % 4}] com.acme.Cache: hit ratio ${i % 100} percent`,
      (i) =>
        `{"ts":"2024-03-01T12:00:${pad(i % 60)}Z","level":"info","msg":"order placed","order_id":${8000 + i}}`,
      (i) =>
        `{"ts":"2024-03-01T12:00:${pad(i % 60)}Z","level":"error","msg":"payment failed","code":${400 + (i % 5)}}`,
      (i) =>
        `ts=2024-03-01T12:00:${pad(i % 60)}Z level=info msg="request served" path=/api/v${i % 3} status=200`,
      (i) =>
        `ts=2024-03-01T12:00:${pad(i % 60)}Z level=warn msg="slow request" path=/api/v${i % 3} ms=${i * 11}`,
    ];
    const levels = ['', '', '', 'error', 'info', 'warn', 'info', 'error', 'info', 'warn'];
    const reader = new LogLineReader();
    const miner = new LogTemplateMiner();
    const idsOf = kinds.map(() => new Set<number>());
    for (let i = 0; i < 200; i++) {
      const k = (i * 7) % kinds.length;
      const line = reader.read(pick(kinds, k)(i));
      expect(line.level ?? '').toBe(levels[k]);
      pick(idsOf, k).add(miner.add(line.message).id);
    }
    expect((reader.encode() as { layout: string }).layout).toBe('D');
    expect(miner.size).toBe(kinds.length);
    for (const ids of idsOf) expect(ids.size).toBe(1);
    const templates = [
      ...new Set(idsOf.flatMap((ids) => [...ids].map((id) => miner.get(id)?.template))),
    ];
    expect(templates).toHaveLength(kinds.length);
    for (const t of templates)
      expect(t).not.toMatch(/host|sshd|systemd|\[|org\.|com\.|INFO|ERROR|WARN/);
  });
});

describe('LogHeaderLearner: state', () => {
  const mixed = [...gen(syslog, 30), ...gen(log4j, 40), ...gen(syslog, 40)];

  it.each([0, 10, 49, 50, 51, 110])(
    'decode(encode()) after %i lines behaves exactly as the original',
    (at) => {
      const a = new LogHeaderLearner();
      run(mixed.slice(0, at), a);
      const state = a.encode();
      const b = LogHeaderLearner.decode(JSON.parse(JSON.stringify(state)));
      expect(b.encode()).toEqual(state);
      const rest = mixed.slice(at);
      expect(run(rest, b)).toEqual(run(rest, a));
      expect(b.encode()).toEqual(a.encode());
    },
  );

  it('keeps the learned state small', () => {
    const a = new LogHeaderLearner();
    run(gen(log4j, 200), a);
    expect(JSON.stringify(a.encode()).length).toBeLessThan(100);
  });

  it.each([
    null,
    42,
    'x',
    [],
    {},
    { v: 2, learnLines: 50, samples: [], layout: 'DL' },
    { v: 1, learnLines: 0, samples: [], layout: 'DL' },
    { v: 1, learnLines: 50, samples: [], layout: 'DLX' },
    { v: 1, learnLines: 50, samples: [], layout: 7 },
    { v: 1, learnLines: 50, samples: ['DL'], layout: 'DL' },
    { v: 1, learnLines: 50, samples: ['D', 3], layout: null },
    { v: 1, learnLines: 50, samples: [''], layout: null },
    { v: 1, learnLines: 2, samples: ['D', 'D'], layout: null },
    { v: 1, learnLines: 50, samples: ['DDDDDDDDDDDDDDDDDDDD'], layout: null },
  ])('decode throws a RangeError on %j', (state) => {
    expect(() => LogHeaderLearner.decode(state)).toThrow(RangeError);
  });
});

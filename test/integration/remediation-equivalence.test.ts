/**
 * Replay decides hooks with the pure GuardrailBook (guardrails.ts); the live service with one
 * Lua script in Redis (RemediationStore.request / release / block / setKillSwitch). Replay's
 * hooks.ndjson is only worth reading if both decide alike, so: random sequences of operations
 * over a few hooks, targets and incidents, applied to both, the same decision at every step.
 *
 * Every request has `lockMs` and `cooldownMs` of an hour (or no cooldown) and time moves on by
 * a few ms per step: Redis expires keys on the real clock while the book uses `now`, so every
 * TTL stays far longer than the test and neither side sees anything expire.
 */
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  GuardrailBook,
  HOUR_MS,
  type GuardrailDecision,
  type RunRequest,
} from '../../src/remediate/guardrails.js';
import { RemediationStore } from '../../src/remediate/remediation-store.js';
import { deletePrefix, randomPrefix, TEST_REDIS_URL } from '../helpers/redis.js';

const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });

afterAll(() => {
  redis.disconnect();
});

const INCIDENTS = ['inc-1', 'inc-2', 'inc-3'];
const HOOKS = ['restart', 'rollback'];
/** A service name may hold `:` (and the key names hold it too), so one target does. */
const TARGETS = ['auth', 'routing', 'ns:billing'];

type Op =
  | { readonly op: 'request'; readonly r: RunRequest }
  /** Of the `nth` (mod their number) request made so far; none yet: nothing happens. */
  | { readonly op: 'release'; readonly nth: number }
  | { readonly op: 'block'; readonly incident: string; readonly hook: string }
  | { readonly op: 'kill'; readonly on: boolean }
  | { readonly op: 'tick'; readonly ms: number };

const request: fc.Arbitrary<Op> = fc
  .record({
    incident: fc.constantFrom(...INCIDENTS),
    hook: fc.constantFrom(...HOOKS),
    target: fc.constantFrom(...TARGETS),
    maxTargets: fc.integer({ min: 1, max: 3 }),
    hookMaxPerHour: fc.integer({ min: 1, max: 4 }),
    allMaxPerHour: fc.integer({ min: 1, max: 6 }),
    cooldownMs: fc.constantFrom(0, HOUR_MS),
  })
  .map((x) => ({
    op: 'request' as const,
    // As hook-match.ts names a remediation: the same (incident, hook, target) is the same run.
    r: { ...x, id: `${x.incident}.${x.hook}.0.${x.target}`, lockMs: HOUR_MS },
  }));

const op: fc.Arbitrary<Op> = fc.oneof(
  // Requests are most of it: the guardrails only show in what they decide.
  { arbitrary: request, weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('release' as const), nth: fc.nat(39) }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant('block' as const),
      incident: fc.constantFrom(...INCIDENTS),
      hook: fc.constantFrom(...HOOKS),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('kill' as const), on: fc.boolean() }), weight: 1 },
  {
    arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 3 }) }),
    weight: 1,
  },
);

const show = (d: GuardrailDecision): string =>
  'start' in d ? d.start : 'wait' in d ? d.wait : d.skip;

describe('guardrails: the replay book and the Redis script decide alike', () => {
  it('every step of random operation sequences', async () => {
    // Which decisions the runs reached: a generator that never reached one would prove little.
    const reached = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const prefix = randomPrefix();
        const store = new RemediationStore(redis, prefix, 100);
        const book = new GuardrailBook();
        const requests: RunRequest[] = [];
        let now = Date.now();
        try {
          for (const [step, o] of ops.entries()) {
            switch (o.op) {
              case 'request': {
                requests.push(o.r);
                const want = show(book.request(o.r, now));
                const got = show(await store.request(o.r, now));
                reached.add(want);
                expect(got, `step ${step}: ${JSON.stringify(o.r)}`).toBe(want);
                break;
              }
              case 'release': {
                const r = requests[o.nth % Math.max(1, requests.length)];
                if (!r) break;
                book.release(r);
                await store.release(r);
                break;
              }
              case 'block':
                book.block(o.incident, o.hook);
                await store.block(o.incident, o.hook);
                break;
              case 'kill':
                book.killSwitch = o.on;
                await store.setKillSwitch(o.on);
                break;
              case 'tick':
                now += o.ms;
                break;
            }
          }
        } finally {
          await deletePrefix(prefix);
        }
      }),
      { numRuns: 200 },
    );
    expect([...reached].sort()).toEqual(
      [
        'new',
        'resume',
        'in_progress',
        'kill_switch',
        'blocked',
        'blast_radius',
        'busy',
        'cooldown',
        'hook_rate_limit',
        'rate_limit',
      ].sort(),
    );
  });

  // Hand-picked sequences where an off-by-one would show (the fuzz may or may not find them).
  it.each([
    {
      name: 'a released run frees its target, its cooldown stays',
      steps: [
        ['request', 'inc-1', 'restart', 'auth', { cooldownMs: HOUR_MS }, 'new'],
        ['request', 'inc-1', 'rollback', 'auth', {}, 'busy'],
        ['release', 'inc-1', 'restart', 'auth'],
        ['request', 'inc-1', 'rollback', 'auth', {}, 'new'],
        ['release', 'inc-1', 'rollback', 'auth'],
        ['request', 'inc-2', 'restart', 'auth', {}, 'cooldown'],
      ],
    },
    {
      name: 'a started run waits while it holds its target, then resumes past every guardrail',
      steps: [
        ['request', 'inc-1', 'restart', 'auth', {}, 'new'],
        ['request', 'inc-1', 'restart', 'auth', {}, 'in_progress'],
        ['kill', true],
        ['block', 'inc-1', 'restart'],
        ['release', 'inc-1', 'restart', 'auth'],
        ['request', 'inc-1', 'restart', 'auth', {}, 'resume'],
        ['request', 'inc-1', 'restart', 'auth', {}, 'in_progress'],
        ['request', 'inc-2', 'restart', 'routing', {}, 'kill_switch'],
        ['kill', false],
        ['request', 'inc-1', 'restart', 'routing', {}, 'blocked'],
      ],
    },
    {
      name: 'hook limit before the overall one; a released lock frees nothing hourly',
      steps: [
        ['request', 'inc-1', 'restart', 'auth', { hookMaxPerHour: 1, allMaxPerHour: 2 }, 'new'],
        ['release', 'inc-1', 'restart', 'auth'],
        ['request', 'inc-2', 'restart', 'routing', { hookMaxPerHour: 1 }, 'hook_rate_limit'],
        ['request', 'inc-2', 'rollback', 'routing', { allMaxPerHour: 2 }, 'new'],
        ['request', 'inc-3', 'rollback', 'ns:billing', { allMaxPerHour: 2 }, 'rate_limit'],
      ],
    },
  ] as const)('$name', async ({ steps }) => {
    const prefix = randomPrefix();
    const store = new RemediationStore(redis, prefix, 100);
    const book = new GuardrailBook();
    const now = Date.now();
    const base = { maxTargets: 3, lockMs: HOUR_MS, cooldownMs: 0, hookMaxPerHour: 4 };
    try {
      for (const s of steps) {
        if (s[0] === 'kill') {
          book.killSwitch = s[1];
          await store.setKillSwitch(s[1]);
        } else if (s[0] === 'block') {
          book.block(s[1], s[2]);
          await store.block(s[1], s[2]);
        } else {
          const [, incident, hookName, target] = s;
          const id = `${incident}.${hookName}.0.${target}`;
          if (s[0] === 'release') {
            book.release({ id, target });
            await store.release({ id, target });
            continue;
          }
          const r: RunRequest = {
            ...base,
            allMaxPerHour: 6,
            ...s[4],
            id,
            incident,
            hook: hookName,
            target,
          };
          expect([show(book.request(r, now)), show(await store.request(r, now))]).toEqual([
            s[5],
            s[5],
          ]);
        }
      }
    } finally {
      await deletePrefix(prefix);
    }
  });
});

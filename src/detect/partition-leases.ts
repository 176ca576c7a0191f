/**
 * Which detect process scores which sample partition: each process leases a fair share of the
 * partitions and runs workers for those only, so a partition's states stay in one process's
 * cache (write-behind, state-store.ts) and batches do not alternate between processes that
 * would each reload them.
 *
 * One script a tick (`renewMs`) does it all on the server's clock: the process's heartbeat in
 * the leases hash, the renewal of the leases it holds, and, while it holds less than its fair
 * share (partitions ÷ live members, rounded up), the leases nobody holds or that expired. A
 * process holding more than its share (a new member came) hands the extras over: its workers for
 * them stop, their states are checkpointed, then the lease is deleted, and the newcomer takes
 * them on its next tick. A process that dies stops renewing; its leases expire after `leaseMs`
 * and the others take them. A process that finds a partition held by another (it was frozen past
 * its lease) stops scoring it at once; the epoch fence keeps whatever it still writes from
 * overwriting the new holder's states.
 *
 * The leases and heartbeats are one hash of the main prefix (one slot on a Redis Cluster); the
 * hooks run in the tick, one tick at a time.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../telemetry/logger.js';
import { fnv1a32 } from '../queues/partition.js';

/**
 * KEYS[1] leases (hash: partition → "<holder>|<expires at ms>", and "m:<process>" → its last
 *   heartbeat ms)
 * ARGV[1] this process, ARGV[2] lease ms, ARGV[3] partitions, ARGV[4] '1' to take up to a fair
 *   share and beat, '0' to renew only (stopping: no heartbeat), ARGV[5] where to start looking
 *   for free partitions, ARGV[6] and ARGV[7] the members and fair share of this process's last
 *   tick (0 at the first), ARGV[8..] partitions to take first if free (those it held)
 * Fewer members than at the last tick (one died, or Redis lost the heartbeats with the leases)
 * caps the share at the last one for this tick: after a wipe every process takes its own
 * partitions back, and none grabs them all. The next tick takes the new share. A process that
 * stops says so (`m:<process>` → `left:<ms>`, kept for a lease), so its partitions are taken at
 * once.
 * Returns { live members, fair share, the partitions held after the tick... }. Five commands in
 * all (with TIME, HGETALL, HSET, PEXPIRE), so an idle process spends one a second on it.
 */
const TICK_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local me, lease, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local owners, dead = {}, {}
local members, departed = 1, 0
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  local f, v = flat[i], flat[i + 1]
  if string.sub(f, 1, 2) == 'm:' then
    if f ~= 'm:' .. me then
      local left = string.sub(v, 1, 5) == 'left:'
      local at = tonumber(left and string.sub(v, 6) or v)
      if at <= now - lease then dead[#dead + 1] = f
      elseif left then departed = departed + 1
      else members = members + 1 end
    end
  else
    owners[f] = v
  end
end
local fair = math.ceil(n / members)
if members + departed < tonumber(ARGV[6]) then fair = math.min(fair, tonumber(ARGV[7])) end
local held, free, wanted = {}, {}, {}
for i = 8, #ARGV do wanted[tonumber(ARGV[i])] = true end
for k = 0, n - 1 do
  local p = (k + tonumber(ARGV[5])) % n
  local v = owners[tostring(p)]
  if v == nil then
    free[#free + 1] = p
  else
    local sep = string.find(v, '|', 1, true)
    local holder, expires = string.sub(v, 1, sep - 1), tonumber(string.sub(v, sep + 1))
    if holder == me then held[#held + 1] = p
    elseif expires <= now then free[#free + 1] = p end
  end
end
if ARGV[4] == '1' then
  for _, p in ipairs(free) do
    if #held < fair and wanted[p] then held[#held + 1] = p end
  end
  for _, p in ipairs(free) do
    if #held < fair and not wanted[p] then held[#held + 1] = p end
  end
end
local fields = {}
if ARGV[4] == '1' then fields = { 'm:' .. me, now } end
for _, p in ipairs(held) do
  fields[#fields + 1] = p
  fields[#fields + 1] = me .. '|' .. (now + lease)
end
if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
if #dead > 0 then redis.call('HDEL', KEYS[1], unpack(dead)) end
redis.call('PEXPIRE', KEYS[1], lease * 2)
local out = { members, fair }
for _, p in ipairs(held) do out[#out + 1] = p end
return out
`;

/**
 * KEYS[1] leases; ARGV[1] this process, ARGV[2] '1' to mark it as left (it stops: the others
 * take its partitions at once), ARGV[3..] partitions to give up if still held.
 */
const RELEASE_LUA = `
if ARGV[2] == '1' then
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[1], 'm:' .. ARGV[1], 'left:' .. (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
end
local n = 0
for i = 3, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
    redis.call('HDEL', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n
`;

/** What the process does when it gains or gives up a partition. */
export interface LeaseHooks {
  /** Start scoring `p` (its cache is empty: states load from Redis). */
  acquired(p: number): Promise<void>;
  /** Stop scoring `p` and checkpoint its states; the lease is deleted after it resolves. */
  released(p: number): Promise<void>;
  /** `p` is held by another process now: stop scoring it and drop what is unsaved. */
  lost(p: number): Promise<void>;
}

export interface PartitionLeasesOptions {
  readonly partitions: number;
  /** A lease not renewed for this long is free (ms; also how long a member counts as live). */
  readonly leaseMs: number;
  /** How often the tick runs (ms); a few ticks fit in a lease. */
  readonly renewMs: number;
}

export class PartitionLeases {
  readonly #redis: Redis;
  readonly #me: string;
  readonly #leasesKey: string;
  readonly #opts: PartitionLeasesOptions;
  readonly #hooks: LeaseHooks;
  readonly #log: Logger;
  readonly #held = new Set<number>();
  /** Being handed over: still leased (renewed) until their states are checkpointed. */
  readonly #handing = new Set<number>();
  #handovers: Promise<void> = Promise.resolve();
  readonly #start: number;
  /** The fair share at the last tick (with `#members`: a drop in members caps the next). */
  #fair = 0;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #members = 0;
  #stopped = false;

  constructor(
    redis: Redis,
    prefix: string,
    me: string,
    hooks: LeaseHooks,
    log: Logger,
    opts: PartitionLeasesOptions,
  ) {
    this.#redis = redis;
    this.#me = me;
    this.#leasesKey = `${prefix}:detect:leases`;
    this.#hooks = hooks;
    this.#log = log;
    this.#opts = opts;
    // Processes start looking at different partitions, so that they rarely race for one.
    this.#start = fnv1a32(me) % opts.partitions;
  }

  /** Partitions this process holds, in ascending order. */
  get held(): number[] {
    return [...this.#held].sort((a, b) => a - b);
  }

  /** Detect processes seen alive at the last tick. */
  get members(): number {
    return this.#members;
  }

  /** Runs the first tick (taking a share of the partitions), then one every `renewMs`. */
  async start(): Promise<void> {
    await this.tick();
    this.#timer = setInterval(() => {
      void this.tick().catch((err: unknown) => {
        this.#log.debug({ err }, 'partition lease tick failed; the next one tries again');
      });
    }, this.#opts.renewMs);
    this.#timer.unref();
  }

  /** One tick; ticks never overlap (a second call waits for the running one). */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const take = this.#stopped ? '0' : '1';
    const n = this.#opts.partitions;
    const reply = (await this.#redis.eval(
      TICK_LUA,
      1,
      this.#leasesKey,
      this.#me,
      this.#opts.leaseMs,
      n,
      take,
      this.#start,
      this.#members,
      Math.max(this.#fair, this.#held.size),
      ...this.#held,
      ...this.#handing,
    )) as number[];
    const [members = 1, fair = n, ...now] = reply.map(Number);
    this.#members = members;
    this.#fair = fair;
    const nowHeld = new Set(now);
    for (const p of [...this.#held]) {
      if (nowHeld.has(p)) continue;
      this.#held.delete(p);
      this.#log.warn(
        { partition: p },
        'another detect process holds this partition now (this one was frozen or cut off past its lease); it stops scoring it',
      );
      await this.#hooks.lost(p);
    }
    for (const p of [...nowHeld].sort((a, b) => a - b)) {
      if (this.#held.has(p) || this.#handing.has(p)) continue;
      this.#held.add(p);
      await this.#hooks.acquired(p);
    }
    // More than a fair share: hand the highest over, after their states are checkpointed. In
    // the background: a worker finishing its batch must not hold up the renewals.
    const extras = this.held.slice(fair);
    if (extras.length > 0 && !this.#stopped) void this.#give(extras);
  }

  /** Queues the handover of `partitions`; `#handovers` settles when all queued are done. */
  #give(partitions: readonly number[], why = 'another detect process takes them'): Promise<void> {
    for (const p of partitions) {
      this.#held.delete(p);
      this.#handing.add(p);
    }
    const one = async (p: number): Promise<void> => {
      try {
        await this.#hooks.released(p);
      } catch (err) {
        // The epoch fence guards what was not checkpointed: the next holder reads the last.
        this.#log.warn(
          { err, partition: p },
          'partition handover: its states could not all be checkpointed',
        );
      }
      try {
        await this.#redis.eval(RELEASE_LUA, 1, this.#leasesKey, this.#me, '0', p);
      } catch (err) {
        this.#log.warn({ err, partition: p }, 'partition handover: lease not deleted; it expires');
      } finally {
        this.#handing.delete(p);
      }
    };
    const run = async (): Promise<void> => {
      // Side by side: each waits for its worker's batch and its checkpoint.
      await Promise.all(partitions.map(one));
      this.#log.info({ partitions }, `handed partitions over (states checkpointed); ${why}`);
    };
    this.#handovers = this.#handovers.then(run);
    return this.#handovers;
  }

  /**
   * Hands every partition over (for a new holder to take at once), then stops ticking. The
   * heartbeat goes first, so the others count this process out at once; the ticks go on
   * renewing (taking nothing) until the last handover is done, so no lease lapses meanwhile.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#ticking?.catch(() => undefined);
    await this.#redis.eval(RELEASE_LUA, 1, this.#leasesKey, this.#me, '1').catch(() => undefined);
    await this.#give(this.held, 'this process stops');
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Per-device rate accounting shared by every worker through Redis, with bounded memory.
 *
 * Same semantics as `MemoryDeviceCounterStore` (src/engine/device-store.ts): a window `{count, perMs}` is
 * cut into K = 8 sub-window buckets of `perMs / K`, and a send is admitted only while the last K + 1
 * buckets (the current one included) hold fewer than `count` sends. Any sliding window of `perMs` overlaps
 * at most K + 1 consecutive buckets, so no sliding window ever holds more than `count` sends, whichever
 * worker sent them. Bucket numbers come from absolute time (`floor(now * K / perMs)`, `now` being the
 * caller's clock), so every worker shares the same bucket boundaries.
 *
 * One Redis string per device (`<prefix>dev:<hash(key)>`) holds, per window, the number (mod 2^32) of its
 * latest bucket and the K + 1 counts ending there, packed in binary (little endian, 4 bytes for the bucket
 * number, 2 bytes per count, 4 when `count` > 65535): 44 bytes with FCM's two windows, which Redis still
 * stores inline with its object header (embstr). The key expires when the latest bucket of every window
 * has left the reach, i.e. when its state is back to "never seen", so idle devices cost nothing and memory
 * is bounded by the devices active within the longest window. One atomic Lua call (one round trip) per
 * reservation or peek.
 */
import type { Redis } from 'ioredis';
import type { DeviceCounterStore } from '../engine/types.js';
import { DEFAULT_PREFIX, hashKey } from './redis-key.js';
import { defineScript, type Script } from './script.js';

type Windows = readonly { count: number; perMs: number }[];

/**
 * KEYS[1] device key; ARGV[1] now (integer ms); ARGV[2] '1' to reserve, '0' to peek; then count_i, perMs_i
 * for each window. Returns 0 (admitted; reserved when ARGV[2] is '1') or the ms until the earliest bucket
 * in which every window would admit one send (nothing reserved).
 *
 * Per window, the state is `last` (mod 2^32) and c[0..K], c[j] being the count of bucket `last - j`.
 * With the current bucket `no` and d = no - last (mod 2^32, signed):
 * - d > K: every bucket in reach is empty;
 * - 0 <= d <= K: the counts shift by d;
 * - -K <= d < 0 (a worker whose clock is a little behind the one that wrote): counted in `last`'s bucket,
 *   which only makes the limit stricter;
 * - d < -K (a clock far behind, or windows that changed): the old state means nothing, start over.
 * A value whose length does not match the windows' layout (windows changed) also starts over.
 */
const BUCKETS = `
local K = 8
local TWO32 = 4294967296
local now = tonumber(ARGV[1])
local take = ARGV[2] == '1'
local n = (#ARGV - 2) / 2
local fmt, len = '<', 0
local counts, pers = {}, {}
for i = 1, n do
  counts[i], pers[i] = tonumber(ARGV[2 * i + 1]), tonumber(ARGV[2 * i + 2])
  local w = counts[i] > 65535 and 'I4' or 'I2'
  fmt = fmt .. 'I4' .. string.rep(w, K + 1)
  len = len + 4 + (K + 1) * (counts[i] > 65535 and 4 or 2)
end
local v
local raw = redis.call('GET', KEYS[1])
if raw and #raw == len then v = { struct.unpack(fmt, raw) } end
local wait, ttl, out = 0, 1, {}
for i = 1, n do
  local count, per = counts[i], pers[i]
  local no = math.floor(now * K / per)
  local cur, d = no, K + 1
  local o = (i - 1) * (K + 2)
  if v then
    d = (no - v[o + 1]) % TWO32
    if d >= TWO32 / 2 then d = d - TWO32 end
    if d < -K then d = K + 1 elseif d < 0 then cur, d = no - d, 0 end
  end
  -- c[j]: the count of bucket cur - j, j = 0..K.
  local c, sum = {}, 0
  for j = 0, K do
    local x = 0
    if j >= d then x = v[o + 2 + j - d] end
    c[j] = x
    sum = sum + x
  end
  if sum >= count then
    -- The earliest bucket cur + m whose reach (cur + m - K .. cur) holds fewer than count.
    local m = 0
    while sum >= count and m <= K do
      sum = sum - c[K - m]
      m = m + 1
    end
    local w = math.ceil((cur + m) * per / K) - now
    if w > wait then wait = w end
  end
  c[0] = c[0] + 1
  out[#out + 1] = cur % TWO32
  for j = 0, K do out[#out + 1] = c[j] end
  -- The latest bucket leaves the reach when bucket cur + K + 1 starts.
  local t = math.ceil((cur + K + 1) * per / K) - now
  if t > ttl then ttl = t end
end
if wait > 0 or not take then return wait end
redis.call('SET', KEYS[1], struct.pack(fmt, unpack(out)), 'PX', ttl)
return 0
`;

export interface RedisStoreOptions {
  /** An ioredis client (shared: commands are pipelined on it). */
  redis: Redis;
  /** Key prefix; default `pushback:`. Use one per environment/application sharing the Redis. */
  prefix?: string;
}

export class RedisDeviceCounterStore implements DeviceCounterStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #script: Script;

  constructor(options: RedisStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = `${options.prefix ?? DEFAULT_PREFIX}dev:`;
    this.#script = defineScript(options.redis, 'pushbackDeviceBuckets', 1, BUCKETS);
  }

  /** The Redis key holding `key`'s state (the key is hashed: tokens never appear in key names). */
  keyOf(key: string): string {
    return this.#prefix + hashKey(key);
  }

  /** Reserve one send to `key` at `now`: 0 if reserved, else the ms until one would be (nothing reserved). */
  reserve(key: string, windows: Windows, now: number): Promise<number> {
    return this.#call(key, windows, now, 1);
  }

  /** How long until `reserve` would admit one send to `key` (0: now), without reserving anything. */
  wait(key: string, windows: Windows, now: number): Promise<number> {
    return this.#call(key, windows, now, 0);
  }

  async #call(key: string, windows: Windows, now: number, take: 0 | 1): Promise<number> {
    const args: number[] = [Math.floor(now), take];
    for (const w of windows) {
      if (!(w.count > 0) || !(w.perMs > 0) || w.count > 0xffffffff) throw new RangeError(`invalid rate window ${w.count}/${w.perMs}ms`);
      args.push(w.count, w.perMs);
    }
    if (args.length === 2) return 0;
    return Number(await this.#script([this.keyOf(key)], args));
  }

  /** Devices tracked now. SCANs the prefix: O(keys in the database); for diagnostics, not the hot path. */
  async size(): Promise<number> {
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${this.#prefix}*`, 'COUNT', 1000);
      cursor = next;
      n += keys.length;
    } while (cursor !== '0');
    return n;
  }
}

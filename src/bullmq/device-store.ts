/**
 * Per-device rate accounting shared by every worker through Redis, with bounded memory.
 *
 * One Redis string per device (`<prefix>dev:<hash(key)>`) holds one number per window: its GCRA
 * "theoretical arrival time" (the generic cell rate algorithm, a token bucket of `count` per `perMs` that
 * needs one number instead of a log of sends). The key expires exactly when the state it holds becomes
 * equal to "never seen" (the latest TAT), so idle devices cost nothing and memory is bounded by the devices
 * active within the longest window. One atomic Lua call (one round trip) per reservation.
 */
import type { Redis } from 'ioredis';
import type { DeviceCounterStore } from '../engine/types.js';
import { DEFAULT_PREFIX, hashKey } from './redis-key.js';
import { defineScript, type Script } from './script.js';

// KEYS[1] device key; ARGV[1] now (ms); then count_i, perMs_i for each window.
// Allowed iff, for every window, the new TAT is at most perMs ahead of now (burst up to `count`).
// Returns 0 (reserved) or the ms until every window would allow one more send (nothing reserved).
const GCRA = `
local now = tonumber(ARGV[1])
local n = (#ARGV - 1) / 2
local tats = {}
local raw = redis.call('GET', KEYS[1])
if raw then for v in string.gmatch(raw, '[^,]+') do tats[#tats + 1] = tonumber(v) end end
local wait, ttl, out = 0, 1, {}
for i = 1, n do
  local count, per = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local tat = tats[i]
  if tat == nil or tat < now then tat = now end
  local nextTat = tat + per / count
  local w = nextTat - per - now
  if w > wait then wait = w end
  out[i] = string.format('%.3f', nextTat)
  if nextTat - now > ttl then ttl = nextTat - now end
end
if wait > 0 then return math.ceil(wait) end
redis.call('SET', KEYS[1], table.concat(out, ','), 'PX', math.ceil(ttl))
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
  readonly #gcra: Script;

  constructor(options: RedisStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = `${options.prefix ?? DEFAULT_PREFIX}dev:`;
    this.#gcra = defineScript(options.redis, 'pushbackGcra', 1, GCRA);
  }

  /** The Redis key holding `key`'s state (the key is hashed: tokens never appear in key names). */
  keyOf(key: string): string {
    return this.#prefix + hashKey(key);
  }

  async reserve(key: string, windows: readonly { count: number; perMs: number }[], now: number): Promise<number> {
    const args: number[] = [Math.floor(now)];
    for (const w of windows) {
      if (!(w.count > 0) || !(w.perMs > 0)) throw new RangeError(`invalid rate window ${w.count}/${w.perMs}ms`);
      args.push(w.count, w.perMs);
    }
    if (args.length === 1) return 0;
    return Number(await this.#gcra([this.keyOf(key)], args));
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

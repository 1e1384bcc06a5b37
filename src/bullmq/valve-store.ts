/**
 * The prune safety valve's state shared by every worker through Redis.
 *
 * Window counts: one small hash per valve key (provider+credential) with a sent and a dropped counter per
 * bucket (`buckets` per window, default 10: a sliding window with 10% granularity), updated and summed in
 * one atomic Lua call, which also sums the window's recent part (this bucket and the one before). Old
 * buckets are deleted on the way and the hash expires one window after the last send, so memory is
 * bounded (at most 2 x (buckets + 1) fields per credential) and idle keys vanish.
 * One atomic Lua call per send also reads the suspension (see `isSuspended`). Suspension is a plain key with no expiry: it lasts until a human (or a healthy window, as the engine
 * decides) clears it, whichever worker sees it.
 */
import type { Redis } from 'ioredis';
import type { ValveCounts, ValveStore } from '../engine/types.js';
import type { RedisStoreOptions } from './device-store.js';
import { DEFAULT_PREFIX } from './redis-key.js';
import { defineScript, type Script } from './script.js';

// KEYS[1] window hash, KEYS[2] suspension key; ARGV now, windowMs, dropped (0|1), buckets.
// Returns {sends, drops, suspended (0|1), recent sends, recent drops} (recent: this bucket and the one before).
const RECORD = `
local now, windowMs, dropped, nb = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1', tonumber(ARGV[4])
local width = windowMs / nb
local current = math.floor(now / width)
local oldest = current - nb + 1
local sends, drops, rsends, rdrops, stale = 0, 0, 0, 0, {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local kind, b = string.sub(all[i], 1, 1), tonumber(string.sub(all[i], 2))
  if b == nil or b < oldest then stale[#stale + 1] = all[i]
  else
    local n = tonumber(all[i + 1])
    local recent = b >= current - 1
    if kind == 's' then
      sends = sends + n
      if recent then rsends = rsends + n end
    elseif kind == 'd' then
      drops = drops + n
      if recent then rdrops = rdrops + n end
    end
  end
end
if #stale > 0 then redis.call('HDEL', KEYS[1], unpack(stale)) end
redis.call('HINCRBY', KEYS[1], 's' .. current, 1)
sends, rsends = sends + 1, rsends + 1
if dropped then
  redis.call('HINCRBY', KEYS[1], 'd' .. current, 1)
  drops, rdrops = drops + 1, rdrops + 1
end
redis.call('PEXPIRE', KEYS[1], math.ceil(windowMs + width))
return {sends, drops, redis.call('EXISTS', KEYS[2]), rsends, rdrops}
`;

export interface RedisValveStoreOptions extends RedisStoreOptions {
  /** Buckets per window (granularity of the sliding window). Default 10. */
  buckets?: number;
}

export class RedisValveStore implements ValveStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #buckets: number;
  readonly #record: Script;
  /** Suspension read atomically with the last `record` of a key, for the engine's `isSuspended` that
   * follows it: one round trip per send instead of two. Used once. */
  readonly #fresh = new Map<string, boolean>();

  constructor(options: RedisValveStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = `${options.prefix ?? DEFAULT_PREFIX}valve:`;
    this.#buckets = Math.max(1, Math.floor(options.buckets ?? 10));
    this.#record = defineScript(options.redis, 'pushbackValveRecord3', 2, RECORD);
  }

  async record(key: string, dropped: boolean, now: number, windowMs: number): Promise<ValveCounts> {
    if (!(windowMs > 0)) throw new RangeError(`invalid valve window ${windowMs}ms`);
    const r = (await this.#record(
      [`${this.#prefix}w:${key}`, `${this.#prefix}suspended:${key}`],
      [Math.floor(now), windowMs, dropped ? 1 : 0, this.#buckets],
    )) as [number, number, number, number, number];
    this.#fresh.set(key, Number(r[2]) === 1);
    return { sends: Number(r[0]), drops: Number(r[1]), recent: { sends: Number(r[3]), drops: Number(r[4]) } };
  }

  async isSuspended(key: string): Promise<boolean> {
    const fresh = this.#fresh.get(key);
    if (fresh !== undefined) {
      this.#fresh.delete(key);
      return fresh;
    }
    return (await this.#redis.exists(`${this.#prefix}suspended:${key}`)) === 1;
  }

  async setSuspended(key: string, suspended: boolean): Promise<void> {
    const k = `${this.#prefix}suspended:${key}`;
    this.#fresh.delete(key);
    if (suspended) await this.#redis.set(k, String(Date.now()));
    else await this.#redis.del(k);
  }

  /** Valve keys suspended now (SCAN; for dashboards and the CLI). */
  async suspendedKeys(): Promise<string[]> {
    const head = `${this.#prefix}suspended:`;
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${head}*`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) out.push(k.slice(head.length));
    } while (cursor !== '0');
    return out;
  }
}

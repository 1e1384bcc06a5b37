/**
 * Cool-downs shared by every worker: when one worker gets a project-level rate limit (a 429 with its
 * Retry-After), it publishes `{ key, until }`; every worker keeps the latest `until` per key in memory and
 * hands it to its engine (`sender.coolDownUntil`), so messages already queued in other processes wait too,
 * not only the jobs BullMQ has yet to hand out. A plain key with the same expiry lets a worker that starts
 * (or reconnects) during a cool-down learn it.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_PREFIX } from './redis-key.js';

export interface SharedCoolDownsOptions {
  /** Commands (SET, SCAN on start). */
  redis: Redis;
  /** A connection for SUBSCRIBE; default `redis.duplicate()` (closed by `close()`). */
  subscriber?: Redis;
  prefix?: string;
  /** Called for every cool-down learned from another worker (or this one). */
  onCoolDown?: (key: string, untilMs: number) => void;
  now?: () => number;
}

export class SharedCoolDowns {
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #ownSub: boolean;
  readonly #channel: string;
  readonly #keyPrefix: string;
  readonly #until = new Map<string, number>();
  readonly #listeners = new Set<(key: string, untilMs: number) => void>();
  readonly #now: () => number;
  readonly ready: Promise<void>;

  constructor(options: SharedCoolDownsOptions) {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    this.#redis = options.redis;
    this.#ownSub = !options.subscriber;
    this.#sub = options.subscriber ?? options.redis.duplicate();
    this.#channel = `${prefix}cooldown`;
    this.#keyPrefix = `${prefix}cool:`;
    this.#now = options.now ?? Date.now;
    if (options.onCoolDown) this.#listeners.add(options.onCoolDown);
    this.#sub.on('message', (channel: string, payload: string) => {
      if (channel !== this.#channel) return;
      try {
        const { key, until } = JSON.parse(payload) as { key: string; until: number };
        if (typeof key === 'string' && Number.isFinite(until)) this.#learn(key, until);
      } catch {
        // Not ours: ignore.
      }
    });
    this.ready = this.#start();
  }

  async #start(): Promise<void> {
    await this.#sub.subscribe(this.#channel);
    // Cool-downs published before this worker subscribed.
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${this.#keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) {
        const values = await this.#redis.mget(...keys);
        keys.forEach((k, i) => {
          const until = Number(values[i]);
          if (Number.isFinite(until)) this.#learn(k.slice(this.#keyPrefix.length), until);
        });
      }
    } while (cursor !== '0');
  }

  #learn(key: string, until: number): void {
    const prev = this.#until.get(key);
    if (prev !== undefined && prev >= until) return;
    this.#until.set(key, until);
    for (const l of this.#listeners) {
      try {
        l(key, until);
      } catch {
        // A listener must not break the others.
      }
    }
  }

  /** Adds a listener; returns a function that removes it. */
  listen(fn: (key: string, untilMs: number) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Cools `key` (e.g. a project) down until `untilMs` for every worker. */
  async publish(key: string, untilMs: number): Promise<void> {
    const ms = Math.ceil(untilMs - this.#now());
    if (ms <= 0) return;
    this.#learn(key, untilMs);
    const payload = JSON.stringify({ key, until: untilMs });
    // SET keeps the later of two cool-downs only approximately (last writer wins); the in-memory max is exact.
    await this.#redis.multi().set(`${this.#keyPrefix}${key}`, String(untilMs), 'PX', ms).publish(this.#channel, payload).exec();
  }

  /** When `key`'s cool-down ends, or 0 when it is not cooling down. */
  until(key: string): number {
    const u = this.#until.get(key);
    if (u === undefined) return 0;
    if (u <= this.#now()) {
      this.#until.delete(key);
      return 0;
    }
    return u;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    if (this.#ownSub) this.#sub.disconnect();
    else await this.#sub.unsubscribe(this.#channel);
  }
}

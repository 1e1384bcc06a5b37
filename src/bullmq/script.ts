import type { Redis } from 'ioredis';

/** A Lua script bound to one client: EVALSHA with EVAL fallback on NOSCRIPT (ioredis `defineCommand`). */
export type Script = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/**
 * Registers `lua` on `redis` under `name` (idempotent: same name, same body) and returns a caller.
 * ioredis keeps the SHA and falls back to EVAL when the server has lost the script (restart, SCRIPT FLUSH).
 */
export function defineScript(redis: Redis, name: string, numberOfKeys: number, lua: string): Script {
  const client = redis as unknown as Record<string, unknown>;
  if (typeof client[name] !== 'function') redis.defineCommand(name, { numberOfKeys, lua });
  return (keys, args) => (client[name] as (...a: unknown[]) => Promise<unknown>).call(redis, ...keys, ...args);
}

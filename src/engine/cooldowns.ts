/**
 * Cool-downs of targets (a project, a topic, a device): after a 429 / quota verdict nothing is sent to
 * the target before its time. Only cooled-down targets are stored (a handful), and expired entries
 * are dropped when read.
 */
export class CoolDowns {
  private readonly until = new Map<string, number>();

  /** Cools `key` down until `untilMs` (keeps the later of two cool-downs). Returns whether it changed. */
  set(key: string, untilMs: number): boolean {
    const prev = this.until.get(key);
    if (prev !== undefined && prev >= untilMs) return false;
    this.until.set(key, untilMs);
    return true;
  }

  /** The latest cool-down end among `keys` that is still in the future, or 0. */
  latest(keys: readonly string[], now: number): number {
    let max = 0;
    for (const k of keys) {
      const u = this.until.get(k);
      if (u === undefined) continue;
      if (u <= now) this.until.delete(k);
      else if (u > max) max = u;
    }
    return max;
  }

  get size(): number {
    return this.until.size;
  }

  clear(): void {
    this.until.clear();
  }
}

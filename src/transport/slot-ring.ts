/** What the ring needs to know of a pool's connection. */
export interface RingSlot {
  /** Resolves when the connection's warm-up request finished; undefined once warm. */
  warming?: Promise<void> | undefined;
  /** A liveness PING is unanswered: take no new requests while another connection can. */
  probing: boolean;
}

/**
 * A pool's fixed set of connection slots and the round-robin choice among them, shared by both HTTP/2
 * pools (`H2SessionPool` on node:http2, `FramesPool` on its own frames). Each pool says what makes its
 * connection usable and how to open one in a slot.
 */
export class SlotRing<S extends RingSlot> {
  /** The slots; an entry is undefined until opened and after its connection closed. */
  readonly slots: (S | undefined)[];
  #next = 0;

  constructor(
    size: number,
    private readonly usable: (s: S | undefined) => s is S,
    private readonly open: (index: number) => S,
  ) {
    this.slots = new Array<S | undefined>(size).fill(undefined);
  }

  /** A warm, answering connection that can take a request now, without waiting (the common case). */
  pick(): S | undefined {
    const slots = this.slots;
    const n = slots.length;
    // While a slot is empty or dead, `acquire` opens it, so that every connection gets used.
    for (let i = 0; i < n; i++) if (!this.usable(slots[i])) return undefined;
    for (let k = 0; k < n; k++) {
      const i = (this.#next + k) % n;
      const slot = slots[i]!;
      if (slot.warming || slot.probing) continue;
      this.#next = (i + 1) % n;
      return slot;
    }
    return undefined;
  }

  /**
   * A connection that can take a request: an empty (or dead) slot is opened first, with this request as
   * its warm-up, so the pool grows to its size as soon as there is concurrency (Apple: spread pushes over
   * several connections); else a warm connection (one being probed only if no other is warm); else wait
   * for the first warm-up to finish, whichever it is.
   */
  async acquire(): Promise<S> {
    for (;;) {
      const free = this.slots.findIndex((s) => !this.usable(s));
      if (free !== -1) return this.open(free);
      const n = this.slots.length;
      const warming: Promise<void>[] = [];
      let probing: S | undefined;
      for (let k = 0; k < n; k++) {
        const i = (this.#next + k) % n;
        const slot = this.slots[i]!;
        if (slot.warming) {
          warming.push(slot.warming);
          continue;
        }
        if (slot.probing) {
          probing ??= slot;
          continue;
        }
        this.#next = (i + 1) % n;
        return slot;
      }
      if (probing) return probing;
      await Promise.race(warming);
    }
  }
}

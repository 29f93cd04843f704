/**
 * A small per-isolate cache: an entry lives `ttlMs` from the moment its load started, at most
 * `max` entries are kept (the oldest goes first). Concurrent misses of one key share one load; a
 * failed load, and a value `keep` refuses, is not kept.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: Promise<V>; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The value of `key`, loaded by `load` when it is missing or expired; kept only when `keep(value)`. */
  get(key: K, load: () => Promise<V>, keep: (value: V) => boolean = () => true): Promise<V> {
    const now = this.clock();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    if (hit) this.entries.delete(key);
    const value = load();
    const entry = { value, until: now + this.ttlMs };
    this.entries.set(key, entry);
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as K);
    const drop = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    value.then((v) => {
      if (!keep(v)) drop();
    }, drop);
    return value;
  }

  /**
   * Keeps `value` for `key` as if a load of it had just started, unless a live entry is there (a
   * value read on its own, or a load under way, is not replaced by one read in bulk).
   */
  prime(key: K, value: V): void {
    const now = this.clock();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return;
    if (hit) this.entries.delete(key);
    this.entries.set(key, { value: Promise.resolve(value), until: now + this.ttlMs });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as K);
  }

  /** Forgets `key` (its next `get` loads afresh). */
  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Forgets every key. */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

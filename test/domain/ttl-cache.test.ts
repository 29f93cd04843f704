import { describe, expect, it } from "vitest";
import { newIds } from "../../src/lib/ids";
import { TtlCache } from "../../src/lib/ttl-cache";

/** A cache on a clock the test moves, and a loader that counts its calls. */
function setUp(ttlMs = 5_000, max = 100) {
  let now = 1_000_000;
  const cache = new TtlCache<string, string | undefined>(ttlMs, max, () => now);
  const loads: string[] = [];
  let version = 0;
  const load = (key: string) => () => {
    loads.push(key);
    return Promise.resolve(`${key}@${version}`);
  };
  return {
    cache,
    loads,
    load,
    advance: (ms: number) => (now += ms),
    change: () => (version += 1),
  };
}

describe("TtlCache", () => {
  it("serves a value for exactly its time to live, then loads it again", async () => {
    const t = setUp(5_000);
    expect(await t.cache.get("svc", t.load("svc"))).toBe("svc@0");
    t.change(); // the source changes right after the load
    t.advance(4_999);
    expect(await t.cache.get("svc", t.load("svc"))).toBe("svc@0"); // still within the bound
    t.advance(1);
    expect(await t.cache.get("svc", t.load("svc"))).toBe("svc@1"); // never older than 5 s
    expect(t.loads).toEqual(["svc", "svc"]);
  });

  it("forgets a key at once when told", async () => {
    const t = setUp();
    await t.cache.get("svc", t.load("svc"));
    t.change();
    t.cache.delete("svc");
    expect(await t.cache.get("svc", t.load("svc"))).toBe("svc@1");
    expect(t.loads).toHaveLength(2);
  });

  it("shares one load between concurrent misses", async () => {
    const t = setUp();
    const all = await Promise.all(Array.from({ length: 20 }, () => t.cache.get("svc", t.load("svc"))));
    expect(new Set(all)).toEqual(new Set(["svc@0"]));
    expect(t.loads).toEqual(["svc"]);
  });

  it("keeps neither a failed load nor a value it is told not to keep", async () => {
    const t = setUp();
    await expect(t.cache.get("bad", () => Promise.reject(new Error("D1 down")))).rejects.toThrow("D1 down");
    expect(await t.cache.get("bad", t.load("bad"))).toBe("bad@0");
    const missing = () => Promise.resolve(undefined);
    expect(await t.cache.get("gone", missing, (v) => v !== undefined)).toBeUndefined();
    expect(t.cache.size).toBe(1);
    expect(await t.cache.get("gone", t.load("gone"), (v) => v !== undefined)).toBe("gone@0");
  });

  it("holds at most `max` entries, dropping the oldest first", async () => {
    const t = setUp(5_000, 3);
    for (const k of ["a", "b", "c", "d"]) await t.cache.get(k, t.load(k));
    expect(t.cache.size).toBe(3);
    await t.cache.get("a", t.load("a"));
    expect(t.loads).toEqual(["a", "b", "c", "d", "a"]);
  });

  it("primes a key with a value read in bulk, for the time to live, without replacing a live entry", async () => {
    const t = setUp(5_000, 3);
    expect(await t.cache.get("a", t.load("a"))).toBe("a@0");
    t.cache.prime("a", "a@bulk"); // a live entry stays
    t.cache.prime("b", "b@bulk"); // a missing one is kept
    expect(await t.cache.get("a", t.load("a"))).toBe("a@0");
    expect(await t.cache.get("b", t.load("b"))).toBe("b@bulk");
    expect(t.loads).toEqual(["a"]);
    t.advance(5_000); // both expired: the bulk value no longer counts, and an expired entry is primed again
    t.cache.prime("a", "a@bulk2");
    expect(await t.cache.get("a", t.load("a"))).toBe("a@bulk2");
    expect(await t.cache.get("b", t.load("b"))).toBe("b@0");
    // At most `max` entries, the oldest going first.
    t.cache.prime("c", "c@bulk");
    t.cache.prime("d", "d@bulk");
    expect(t.cache.size).toBe(3);
    expect(await t.cache.get("a", t.load("a"))).toBe("a@0");
  });
});

describe("newIds", () => {
  it("mints ids of one instant in ascending order", () => {
    for (let i = 0; i < 50; i++) {
      const ids = newIds("evt", 3, 1_700_000_000_000);
      expect([...ids].sort()).toEqual(ids);
      expect(new Set(ids).size).toBe(3);
    }
  });
});

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";

describe("the drizzle client", () => {
  it("is built once per D1 binding, and a request with another binding gets its own", async () => {
    expect(getDb(env)).toBe(getDb({ DB: env.DB }));
    const other = { DB: { ...env.DB } as D1Database };
    expect(getDb(other)).not.toBe(getDb(env));
    expect(getDb(other)).toBe(getDb(other));
  });
});

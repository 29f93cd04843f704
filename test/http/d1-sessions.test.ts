/**
 * Reads near the user: every /v1 request runs in a D1 session; reads start from the client's
 * bookmark (or anywhere), writes on the primary, and every answer carries the session's bookmark.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { config, deriveEnv } from "../../src/config";
import { call, callWith, expectProblem, signIn } from "../support/http";

/** `env` whose D1 binding records the constraint or bookmark each session was started with. */
function recordingSessions() {
  const started: string[] = [];
  const DB = Object.create(env.DB) as D1Database;
  DB.withSession = (constraint) => {
    started.push(String(constraint));
    return env.DB.withSession(constraint);
  };
  return { bindings: { ...env, DB } as Env, started };
}

const bookmarkOf = (res: { headers: Headers }) => res.headers.get("x-d1-bookmark");

describe("D1 sessions", () => {
  afterEach(() => vi.restoreAllMocks());

  it("reads start from the client's bookmark, writes on the primary, and every answer carries the newest bookmark", async () => {
    const me = await signIn();
    const { bindings, started } = recordingSessions();

    const write = await callWith(bindings, "POST", "/v1/me/addresses", {
      token: me.token,
      body: { label: "家", text: "测试路 2 号", lat: 31.23, lng: 121.47, contactName: "李四", contactPhone: "13912345678" },
    });
    expect(write.status).toBe(201);
    expect(started).toEqual(["first-primary"]);
    const afterWrite = bookmarkOf(write);
    expect(afterWrite).toMatch(/^[\w.:-]+$/);

    // The client sends the bookmark of its write back: the read starts from it and sees the write.
    const read = await callWith(bindings, "GET", "/v1/me/addresses", { token: me.token, headers: { "X-D1-Bookmark": afterWrite! } });
    expect(read.status).toBe(200);
    expect(started).toEqual(["first-primary", afterWrite]);
    expect(read.body.items.map((a: { id: string }) => a.id)).toContain(write.body.id);
    // Bookmarks only move forward (fixed-width hex: string order is their order).
    expect(bookmarkOf(read)! >= afterWrite!).toBe(true);

    // Without a bookmark a read may go to any replica.
    expect((await callWith(bindings, "GET", "/v1/me", { token: me.token })).status).toBe(200);
    expect(started.at(-1)).toBe("first-unconstrained");
  });

  it("refuses a header that is not a bookmark, before anything runs", async () => {
    const me = await signIn();
    const res = await call("GET", "/v1/me", { token: me.token, headers: { "X-D1-Bookmark": "not a bookmark; drop table" } });
    expectProblem(res, 400, "VALIDATION_FAILED");
    expect(res.body.errors[0].path).toBe("header.X-D1-Bookmark");
  });

  it("browsers may send and read the bookmark across origins", async () => {
    const res = await call("OPTIONS", "/v1/me", {
      headers: {
        Origin: "https://app.example.test",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-d1-bookmark",
      },
    });
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-d1-bookmark");
  });

  it("an env derived for a request shares the parsed configuration", () => {
    const derived = deriveEnv(env, { DB: env.DB.withSession("first-primary") as unknown as D1Database });
    expect(config(derived)).toBe(config(env));
    expect(config(deriveEnv(derived, {}))).toBe(config(env));
  });
});

/**
 * Access tokens can be revoked: each carries the account's token version, checked on every request
 * through a per-isolate cache (src/http/token-state.ts). Signing out everywhere and refresh-token
 * reuse raise the version; refresh-token reuse also revokes the whole family, even when the reuse
 * races the legitimate rotation.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { forgetTokenState } from "../../src/http/token-state";
import { countedCall } from "../support/counting";
import { signAccessToken } from "../../src/lib/jwt";
import { call, callWith, expectProblem, signIn } from "../support/http";

const me = (token: string) => call("GET", "/v1/me", { token });
const rotate = (refreshToken: string) => call("POST", "/v1/auth/token", { body: { grantType: "refresh_token", refreshToken } });
const versionOf = async (accountId: string) =>
  (await env.DB.prepare("SELECT token_version AS v FROM accounts WHERE id = ?").bind(accountId).first<{ v: number }>())!.v;
/** A sign-out made through another isolate: straight to D1, as the service writes it. */
const bumpElsewhere = (accountId: string) =>
  env.DB.prepare("UPDATE accounts SET token_version = token_version + 1 WHERE id = ?").bind(accountId).run();

describe("revoking access tokens", () => {
  it("signing out everywhere ends every access and refresh token of the account at once; signing in again works", async () => {
    const phone = (await signIn()).phone;
    const phoneA = await signIn(phone);
    const phoneB = await signIn(phone);
    expect((await me(phoneA.token)).status).toBe(200);
    expect((await me(phoneB.token)).status).toBe(200);

    const out = await call("POST", "/v1/auth/logout-all", { token: phoneA.token });
    expect(out.status).toBe(204);
    for (const s of [phoneA, phoneB]) {
      expectProblem(await me(s.token), 401, "TOKEN_REVOKED");
      expectProblem(await rotate(s.refreshToken), 401, "INVALID_REFRESH_TOKEN");
    }
    const again = await signIn(phone);
    expect((await me(again.token)).status).toBe(200);
    expectProblem(await call("POST", "/v1/auth/logout-all", {}), 401, "UNAUTHENTICATED");
  });

  it("TOKEN_REVOKED reads in both languages", async () => {
    const s = await signIn();
    await call("POST", "/v1/auth/logout-all", { token: s.token });
    const zh = await call("GET", "/v1/me", { token: s.token, headers: { "Accept-Language": "zh-CN" } });
    expectProblem(zh, 401, "TOKEN_REVOKED");
    expect(zh.body.detail).toContain("访问令牌已失效");
    const en = await call("GET", "/v1/me", { token: s.token, headers: { "Accept-Language": "en" } });
    expect(en.body.detail).toContain("revoked");
  });

  it("a token revoked elsewhere works at most TOKEN_VERSION_CACHE_SECONDS longer on an isolate that just checked it", async () => {
    const s = await signIn();
    const cached = { ...env, TOKEN_VERSION_CACHE_SECONDS: "3" } as Env;
    const first = await callWith(cached, "GET", "/v1/me", { token: s.token });
    expect(first.status).toBe(200);
    const read = Date.now();
    await bumpElsewhere(s.accountId);
    // This isolate's copy is still fresh: the token still works …
    expect((await callWith(cached, "GET", "/v1/me", { token: s.token })).status).toBe(200);
    // … until the copy is older than the staleness, then it is read again and the token refused.
    await new Promise((r) => setTimeout(r, Math.max(0, read + 3_050 - Date.now())));
    expectProblem(await callWith(cached, "GET", "/v1/me", { token: s.token }), 401, "TOKEN_REVOKED");
  });

  it("with TOKEN_VERSION_CACHE_SECONDS=0 a revocation elsewhere counts from the next request", async () => {
    const s = await signIn();
    const uncached = { ...env, TOKEN_VERSION_CACHE_SECONDS: "0" } as Env;
    expect((await callWith(uncached, "GET", "/v1/me", { token: s.token })).status).toBe(200);
    await bumpElsewhere(s.accountId);
    expectProblem(await callWith(uncached, "GET", "/v1/me", { token: s.token }), 401, "TOKEN_REVOKED");
  });

  it("a token issued elsewhere after a bump is accepted although this isolate still holds the older version", async () => {
    const s = await signIn();
    expect((await me(s.token)).status).toBe(200); // this isolate now holds version 0
    await bumpElsewhere(s.accountId);
    // Signed by another isolate after the bump: it carries version 1.
    const roles = s.roles;
    const newer = await signAccessToken(env, { accountId: s.accountId, roles, merchantId: null, technicianId: null, tokenVersion: 1 }, 60);
    expect((await me(newer)).status).toBe(200);
    // Reading the newer version refreshed the copy: the old token is refused here from now on.
    expectProblem(await me(s.token), 401, "TOKEN_REVOKED");
  });

  it("the check costs no D1 statement on a warm isolate, and one read of the version when the copy is missing", async () => {
    const s = await signIn();
    const warm = await countedCall("GET", "/v1/me/favourites", { token: s.token });
    expect(warm.status).toBe(200);
    forgetTokenState(s.accountId);
    const cold = await countedCall("GET", "/v1/me/favourites", { token: s.token });
    expect(cold.status).toBe(200);
    expect(cold.counts.d1 - warm.counts.d1).toBe(1);
    expect(cold.counts.sql.filter((q) => q.includes('"token_version"'))).toHaveLength(1);
    expect(warm.counts.sql.filter((q) => q.includes('"token_version"'))).toHaveLength(0);
  });
});

describe("refresh-token reuse", () => {
  it("presenting a rotated refresh token again revokes the family and the access tokens it gave", async () => {
    const s = await signIn();
    const other = await signIn(s.phone); // another device: its own family
    const rotated = await rotate(s.refreshToken);
    expect(rotated.status).toBe(200);
    expect((await me(rotated.body.accessToken)).status).toBe(200);

    expectProblem(await rotate(s.refreshToken), 401, "REFRESH_TOKEN_REUSED");
    // The family is dead: the token the rotation gave no longer rotates …
    expectProblem(await rotate(rotated.body.refreshToken), 401);
    // … and every access token of the account stops working (a thief may hold one).
    expectProblem(await me(rotated.body.accessToken), 401, "TOKEN_REVOKED");
    expectProblem(await me(other.token), 401, "TOKEN_REVOKED");
    // Another device's family is untouched: it rotates and carries on.
    const otherRotated = await rotate(other.refreshToken);
    expect(otherRotated.status).toBe(200);
    expect((await me(otherRotated.body.accessToken)).status).toBe(200);
  });

  it("parallel use of one refresh token: at most one wins, and afterwards nothing of the family works", async () => {
    for (let round = 0; round < 3; round++) {
      const s = await signIn();
      const answers = await Promise.all(Array.from({ length: 6 }, () => rotate(s.refreshToken)));
      const won = answers.filter((a) => a.status === 200);
      expect(won.length).toBeLessThanOrEqual(1);
      for (const a of answers.filter((x) => x.status !== 200)) expectProblem(a, 401, "REFRESH_TOKEN_REUSED");
      for (const w of won) {
        expectProblem(await rotate(w.body.refreshToken), 401);
        expectProblem(await me(w.body.accessToken), 401, "TOKEN_REVOKED");
      }
      expectProblem(await me(s.token), 401, "TOKEN_REVOKED");
      const live = await env.DB.prepare(
        "SELECT count(*) AS n FROM refresh_tokens WHERE account_id = ? AND revoked_at IS NULL AND used_at IS NULL",
      )
        .bind(s.accountId)
        .first<{ n: number }>();
      expect(live!.n).toBe(0);
      expect(await versionOf(s.accountId)).toBeGreaterThan(0);
    }
  });
});

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signIn, signInAdmin, uniquePhone } from "../support/http";

describe("POST /v1/auth/otp", () => {
  it("sends a code and echoes it in dev", async () => {
    const res = await call("POST", "/v1/auth/otp", { body: { phone: uniquePhone() } });
    expect(res.status).toBe(202);
    expect(res.body.expiresIn).toBe(300);
    expect(res.body.devCode).toMatch(/^\d{6}$/);
  });

  it("accepts a bare 11-digit mainland number and stores it normalised", async () => {
    const e164 = uniquePhone();
    const bare = e164.slice(3);
    const otp = await call("POST", "/v1/auth/otp", { body: { phone: bare } });
    const tok = await call("POST", "/v1/auth/token", { body: { phone: e164, code: otp.body.devCode } });
    expect(tok.status).toBe(200);
    const me = await call("GET", "/v1/me", { token: tok.body.accessToken });
    expect(me.body.phone).toBe(e164);
  });

  it("rejects a malformed phone with 400 INVALID_PHONE", async () => {
    expectProblem(await call("POST", "/v1/auth/otp", { body: { phone: "12345" } }), 400, "INVALID_PHONE");
    expectProblem(await call("POST", "/v1/auth/otp", { body: { phone: "+86123" } }), 400, "INVALID_PHONE");
  });

  it("rejects unknown fields", async () => {
    const res = await call("POST", "/v1/auth/otp", { body: { phone: uniquePhone(), role: "admin" } });
    expectProblem(res, 400, "VALIDATION_FAILED");
    expect(res.body.errors[0].path).toBe("body");
  });

  it("limits sends per phone with 429 and Retry-After", async () => {
    const phone = uniquePhone();
    for (let i = 0; i < 5; i++) expect((await call("POST", "/v1/auth/otp", { body: { phone } })).status).toBe(202);
    const res = await call("POST", "/v1/auth/otp", { body: { phone } });
    expectProblem(res, 429, "RATE_LIMITED");
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(Number(res.headers.get("Retry-After"))).toBeLessThanOrEqual(3600);
  });

  it("limits sends per IP across phones", async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 200)}`;
    // The test configuration allows 1000 per IP per hour; fill the window directly, then one more is refused.
    await env.DB.prepare("INSERT OR REPLACE INTO rate_limits (key, window_start, count) VALUES (?, ?, 1000)")
      .bind(`otp:ip:${ip}`, Date.now())
      .run();
    const res = await call("POST", "/v1/auth/otp", { body: { phone: uniquePhone() }, headers: { "CF-Connecting-IP": ip } });
    expectProblem(res, 429, "RATE_LIMITED");
    expect(res.headers.get("Retry-After")).not.toBeNull();
    // another IP is unaffected
    expect(
      (await call("POST", "/v1/auth/otp", { body: { phone: uniquePhone() }, headers: { "CF-Connecting-IP": "198.51.100.7" } })).status,
    ).toBe(202);
  });

  it("serves concurrent sends for one phone without losing counts", async () => {
    const phone = uniquePhone();
    const results = await Promise.all(Array.from({ length: 12 }, () => call("POST", "/v1/auth/otp", { body: { phone } })));
    expect(results.filter((r) => r.status === 202)).toHaveLength(5);
    expect(results.filter((r) => r.status === 429)).toHaveLength(7);
  });
});

describe("POST /v1/auth/token", () => {
  it("signs in a new customer", async () => {
    const s = await signIn();
    expect(s.roles).toEqual(["customer"]);
    const me = await call("GET", "/v1/me", { token: s.token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(s.accountId);
  });

  it("rejects a wrong code and burns the code after the attempt limit", async () => {
    const phone = uniquePhone();
    const otp = await call("POST", "/v1/auth/otp", { body: { phone } });
    const wrong = otp.body.devCode === "000000" ? "111111" : "000000";
    for (let i = 0; i < 4; i++) expectProblem(await call("POST", "/v1/auth/token", { body: { phone, code: wrong } }), 400, "OTP_INVALID");
    expectProblem(await call("POST", "/v1/auth/token", { body: { phone, code: wrong } }), 400, "OTP_ATTEMPTS_EXCEEDED");
    // even the right code no longer works
    expectProblem(await call("POST", "/v1/auth/token", { body: { phone, code: otp.body.devCode } }), 400, "OTP_EXPIRED");
  });

  it("rejects an expired code", async () => {
    const phone = uniquePhone();
    const otp = await call("POST", "/v1/auth/otp", { body: { phone } });
    await env.DB.prepare("UPDATE otp_codes SET expires_at = ?")
      .bind(Date.now() - 1)
      .run();
    expectProblem(await call("POST", "/v1/auth/token", { body: { phone, code: otp.body.devCode } }), 400, "OTP_EXPIRED");
  });

  it("lets a code sign in only once, even concurrently", async () => {
    const phone = uniquePhone();
    const otp = await call("POST", "/v1/auth/otp", { body: { phone } });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => call("POST", "/v1/auth/token", { body: { phone, code: otp.body.devCode } })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it("gives bootstrap phones admin and operator", async () => {
    const s = await signInAdmin();
    expect(s.roles).toEqual(expect.arrayContaining(["admin", "operator", "customer"]));
  });

  it("rotates refresh tokens and revokes the family on reuse", async () => {
    const s = await signIn();
    const r1 = await call("POST", "/v1/auth/token", { body: { grantType: "refresh_token", refreshToken: s.refreshToken } });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(s.refreshToken);
    // reuse of the rotated token: rejected, and the family is revoked
    expectProblem(
      await call("POST", "/v1/auth/token", { body: { grantType: "refresh_token", refreshToken: s.refreshToken } }),
      401,
      "REFRESH_TOKEN_REUSED",
    );
    // so the newest token of that family no longer works either
    expectProblem(
      await call("POST", "/v1/auth/token", { body: { grantType: "refresh_token", refreshToken: r1.body.refreshToken } }),
      401,
      "INVALID_REFRESH_TOKEN",
    );
  });

  it("lets at most one of concurrent refreshes with the same token win (the others are reuse: test/identity/token-revocation.test.ts)", async () => {
    const s = await signIn();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        call("POST", "/v1/auth/token", { body: { grantType: "refresh_token", refreshToken: s.refreshToken } }),
      ),
    );
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(results.length - results.filter((r) => r.status === 200).length);
  });

  it("rejects an unknown refresh token", async () => {
    expectProblem(
      await call("POST", "/v1/auth/token", { body: { grantType: "refresh_token", refreshToken: "x".repeat(43) } }),
      401,
      "INVALID_REFRESH_TOKEN",
    );
  });

  it("logout revokes the session", async () => {
    const s = await signIn();
    expect((await call("POST", "/v1/auth/logout", { body: { refreshToken: s.refreshToken } })).status).toBe(204);
    expectProblem(await call("POST", "/v1/auth/token", { body: { grantType: "refresh_token", refreshToken: s.refreshToken } }), 401);
  });
});

describe("access tokens", () => {
  it("rejects a tampered, foreign or unsigned token with 401", async () => {
    const s = await signIn();
    const [h, p, sig] = s.token.split(".");
    const claims = JSON.parse(atob(p!.replaceAll("-", "+").replaceAll("_", "/")));
    const forged = btoa(JSON.stringify({ ...claims, roles: ["admin"] }))
      .replaceAll("=", "")
      .replaceAll("+", "-")
      .replaceAll("/", "_");
    expectProblem(await call("GET", "/v1/me", { token: `${h}.${forged}.${sig}` }), 401, "INVALID_TOKEN");
    const none = btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replaceAll("=", "");
    expectProblem(await call("GET", "/v1/me", { token: `${none}.${p}.` }), 401, "INVALID_TOKEN");
    expectProblem(await call("GET", "/v1/me", { token: "garbage" }), 401, "INVALID_TOKEN");
  });

  it("rejects a token for another audience", async () => {
    const { SignJWT } = await import("jose");
    const bad = await new SignJWT({ roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("acc_x")
      .setIssuer("doorstep")
      .setAudience("someone-else")
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(env.JWT_SECRET));
    expectProblem(await call("GET", "/v1/me", { token: bad }), 401, "INVALID_TOKEN");
  });

  it("answers 401 without a token", async () => {
    expectProblem(await call("GET", "/v1/me"), 401, "UNAUTHENTICATED");
  });
});

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import wranglerToml from "../../wrangler.toml?raw";
import benchToml from "../../bench/wrangler.toml?raw";
import { LIMIT_BINDINGS, limitClassOf } from "../../src/http/rate-limit";
import { RATE_LIMIT_PERIOD_SECONDS } from "../../src/lib/rate-limit";
import { countingEnv } from "../support/counting";
import { call, callWith, expectProblem, signIn, type Called, uniquePhone } from "../support/http";
import { freshWindow, LOW_LIMIT, uniqueIp, withLowLimit } from "../support/rate-limits";

/** `[[ratelimits]]` blocks of a wrangler.toml: name, period and limit. */
function rateLimitsOf(toml: string) {
  return [
    ...toml.matchAll(/\[\[ratelimits\]\]\s*\nname = "(\w+)"\s*\nnamespace_id = "(\d+)"\s*\nsimple = \{ limit = (\d+), period = (\d+) \}/g),
  ].map((m) => ({ name: m[1]!, namespace: m[2]!, limit: Number(m[3]), period: Number(m[4]) }));
}

function expectLimited(res: Called) {
  expectProblem(res, 429, "RATE_LIMITED");
  const retryAfter = Number(res.headers.get("Retry-After"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(RATE_LIMIT_PERIOD_SECONDS);
  expect(res.body.retryAfter).toBe(retryAfter);
}

const address = () => ({
  label: "家",
  text: "上海市黄浦区南京东路 100 号 8 楼",
  lat: 31.2304,
  lng: 121.4737,
  contactName: "王女士",
  contactPhone: uniquePhone(),
});

describe("rate-limit configuration", () => {
  it("binds every limiter in production and the benchmark with the period the code assumes", () => {
    const production = rateLimitsOf(wranglerToml);
    const bench = rateLimitsOf(benchToml);
    const names = [...Object.values(LIMIT_BINDINGS), "RATE_LIMIT_SIGNIN_PHONE"].sort();
    expect(production.map((r) => r.name).sort()).toEqual(names);
    expect(bench.map((r) => r.name).sort()).toEqual(names);
    for (const r of [...production, ...bench]) expect(r.period).toBe(RATE_LIMIT_PERIOD_SECONDS);
    // Safe defaults in production; the benchmark never reaches its limits.
    for (const r of production) expect(r.limit).toBeLessThanOrEqual(120);
    for (const r of bench) expect(r.limit).toBeGreaterThanOrEqual(1_000_000);
    expect(bench.map((r) => r.namespace).sort()).toEqual(production.map((r) => r.namespace).sort());
  });

  it("limits every write except the providers' webhooks, availability and list pages, and documents 429 on them", async () => {
    const doc = (await call("GET", "/openapi.json")).body;
    const unlimitedWrites: string[] = [];
    for (const [path, ops] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const limit = limitClassOf(method.toUpperCase(), path);
        const isWrite = ["post", "put", "patch", "delete"].includes(method);
        if (isWrite && !limit) unlimitedWrites.push(`${method} ${path}`);
        if (limit) expect(op.responses["429"]?.description, `${method} ${path}`).toContain(LIMIT_BINDINGS[limit]);
        else expect(op.responses["429"], `${method} ${path}`).toBeUndefined();
      }
    }
    expect(unlimitedWrites.every((w) => w.startsWith("post /v1/webhooks/"))).toBe(true);
    expect(unlimitedWrites.length).toBeGreaterThan(0);
    expect(limitClassOf("GET", "/v1/availability")).toBe("expensive");
    expect(limitClassOf("GET", "/v1/admin/orders")).toBe("expensive");
    expect(limitClassOf("GET", "/v1/orders")).toBe("expensive");
    expect(limitClassOf("GET", "/v1/orders/ord_1")).toBeNull();
    expect(limitClassOf("POST", "/v1/auth/token")).toBe("signIn");
    expect(limitClassOf("POST", "/v1/orders")).toBe("write");
    expect(limitClassOf("GET", "/healthz")).toBeNull();
  });
});

describe("writes (RATE_LIMIT_WRITE)", () => {
  it("passes under the limit, then answers 429 with Retry-After, costing no D1 statement and writing nothing", async () => {
    await freshWindow();
    const me = await signIn();
    const low = withLowLimit("RATE_LIMIT_WRITE");
    for (let i = 0; i < LOW_LIMIT; i++) {
      expect((await callWith(low, "POST", "/v1/me/addresses", { token: me.token, body: address() })).status).toBe(201);
    }
    const counted = countingEnv(low);
    const refused = await callWith(counted.env, "POST", "/v1/me/addresses", { token: me.token, body: address() });
    expectLimited(refused);
    expect(counted.counts.d1).toBe(0);
    expect(counted.counts.drain).toBe(0);
    expect(counted.counts.rpc).toEqual([]);
    expect((await call("GET", "/v1/me/addresses", { token: me.token })).body.items).toHaveLength(LOW_LIMIT);
  });

  it("counts a signed-in caller per account, whatever its IP, and others from that IP apart", async () => {
    await freshWindow();
    const [a, b] = [await signIn(), await signIn()];
    const low = withLowLimit("RATE_LIMIT_WRITE");
    for (let i = 0; i < LOW_LIMIT; i++) {
      const res = await callWith(low, "POST", "/v1/me/addresses", {
        token: a.token,
        body: address(),
        headers: { "CF-Connecting-IP": uniqueIp() },
      });
      expect(res.status).toBe(201);
    }
    expectLimited(
      await callWith(low, "POST", "/v1/me/addresses", { token: a.token, body: address(), headers: { "CF-Connecting-IP": uniqueIp() } }),
    );
    // Another account is not affected.
    expect((await callWith(low, "POST", "/v1/me/addresses", { token: b.token, body: address() })).status).toBe(201);
  });

  it("counts an anonymous caller per IP", async () => {
    await freshWindow();
    const low = withLowLimit("RATE_LIMIT_WRITE");
    const ip = uniqueIp();
    const logout = (from: string) =>
      callWith(low, "POST", "/v1/auth/logout", { body: { refreshToken: "x".repeat(43) }, headers: { "CF-Connecting-IP": from } });
    for (let i = 0; i < LOW_LIMIT; i++) expect((await logout(ip)).status).toBe(204);
    expectLimited(await logout(ip));
    expect((await logout(uniqueIp())).status).toBe(204);
  });

  it("never limits the payment providers' webhooks", async () => {
    await freshWindow();
    const low = withLowLimit("RATE_LIMIT_WRITE");
    const ip = uniqueIp();
    for (let i = 0; i < LOW_LIMIT + 2; i++) {
      const res = await callWith(low, "POST", "/v1/webhooks/stripe", {
        raw: "{}",
        headers: { "Content-Type": "application/json", "CF-Connecting-IP": ip },
      });
      expect(res.status).not.toBe(429);
      expect(res.status).toBeLessThan(500);
    }
  });
});

describe("expensive reads (RATE_LIMIT_EXPENSIVE)", () => {
  it("limits list pages per account and leaves ordinary reads alone", async () => {
    await freshWindow();
    const me = await signIn();
    const low = withLowLimit("RATE_LIMIT_EXPENSIVE");
    for (let i = 0; i < LOW_LIMIT; i++) expect((await callWith(low, "GET", "/v1/orders", { token: me.token })).status).toBe(200);
    const counted = countingEnv(low);
    expectLimited(await callWith(counted.env, "GET", "/v1/orders", { token: me.token }));
    expect(counted.counts.d1).toBe(0);
    // /v1/me is an ordinary read: not limited.
    for (let i = 0; i < LOW_LIMIT + 1; i++) expect((await callWith(low, "GET", "/v1/me", { token: me.token })).status).toBe(200);
  });

  it("limits availability per IP before it reaches any cell", async () => {
    await freshWindow();
    const low = withLowLimit("RATE_LIMIT_EXPENSIVE");
    const ip = uniqueIp();
    const query = "/v1/availability?serviceId=svc_none&lat=31.23&lng=121.47&date=2031-01-06";
    for (let i = 0; i < LOW_LIMIT; i++) {
      expect((await callWith(low, "GET", query, { headers: { "CF-Connecting-IP": ip } })).status).not.toBe(429);
    }
    const counted = countingEnv(low);
    expectLimited(await callWith(counted.env, "GET", query, { headers: { "CF-Connecting-IP": ip } }));
    expect(counted.counts.d1).toBe(0);
    expect(counted.counts.rpc).toEqual([]);
    expect((await callWith(low, "GET", query, { headers: { "CF-Connecting-IP": uniqueIp() } })).status).not.toBe(429);
  });
});

describe("sign-in (RATE_LIMIT_SIGNIN, RATE_LIMIT_SIGNIN_PHONE)", () => {
  it("limits POST /v1/auth/token per IP, signed in or not", async () => {
    await freshWindow();
    const low = withLowLimit("RATE_LIMIT_SIGNIN");
    const ip = uniqueIp();
    const me = await signIn();
    const refresh = (from: string) =>
      callWith(low, "POST", "/v1/auth/token", {
        token: me.token,
        body: { grantType: "refresh_token", refreshToken: "x".repeat(43) },
        headers: { "CF-Connecting-IP": from },
      });
    for (let i = 0; i < LOW_LIMIT; i++) expectProblem(await refresh(ip), 401, "INVALID_REFRESH_TOKEN");
    expectLimited(await refresh(ip));
    expectProblem(await refresh(uniqueIp()), 401, "INVALID_REFRESH_TOKEN");
  });

  it("limits code sends per IP in bursts", async () => {
    await freshWindow();
    const low = withLowLimit("RATE_LIMIT_SIGNIN");
    const ip = uniqueIp();
    for (let i = 0; i < LOW_LIMIT; i++) {
      expect(
        (await callWith(low, "POST", "/v1/auth/otp", { body: { phone: uniquePhone() }, headers: { "CF-Connecting-IP": ip } })).status,
      ).toBe(202);
    }
    const counted = countingEnv(low);
    expectLimited(
      await callWith(counted.env, "POST", "/v1/auth/otp", { body: { phone: uniquePhone() }, headers: { "CF-Connecting-IP": ip } }),
    );
    expect(counted.counts.d1).toBe(0);
  });

  it("limits code guesses per phone from any IP; a refused guess is not judged", async () => {
    await freshWindow();
    const phone = uniquePhone();
    const otp = await call("POST", "/v1/auth/otp", { body: { phone } });
    const code: string = otp.body.devCode;
    const wrong = (i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0");
    const low = withLowLimit("RATE_LIMIT_SIGNIN_PHONE");
    const guess = (bindings: Env, c: string) =>
      callWith(bindings, "POST", "/v1/auth/token", { body: { phone, code: c }, headers: { "CF-Connecting-IP": uniqueIp() } });
    for (let i = 0; i < LOW_LIMIT; i++) expectProblem(await guess(low, wrong(i)), 400, "OTP_INVALID");
    expectLimited(await guess(low, wrong(10)));
    expectLimited(await guess(low, code));
    // The refused guesses took none of the code's five attempts: one more wrong guess is the fourth,
    // and the right code (the fifth) still signs in.
    expectProblem(await guess(env, wrong(11)), 400, "OTP_INVALID");
    expect((await guess(env, code)).status).toBe(200);
  });
});

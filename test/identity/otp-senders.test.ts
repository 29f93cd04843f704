import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { config, ConfigError } from "../../src/config";
import { call, callWith, expectProblem, uniquePhone } from "../support/http";
import { uniqueIp } from "../support/rate-limits";

const send = (phone: string, ip: string, extra: { deviceId?: string; lang?: string } = {}, bindings: Env = env) =>
  callWith(bindings, "POST", "/v1/auth/otp", {
    body: { phone, ...(extra.deviceId ? { deviceId: extra.deviceId } : {}) },
    headers: { "CF-Connecting-IP": ip, ...(extra.lang ? { "Accept-Language": extra.lang } : {}) },
  });

const rateLimitRows = async () => (await env.DB.prepare("SELECT count(*) AS n FROM rate_limits").first<{ n: number }>())!.n;
const otpRows = async () => (await env.DB.prepare("SELECT count(*) AS n FROM otp_codes").first<{ n: number }>())!.n;

describe("OTP sends: countries (SMS pumping)", () => {
  it("refuses a number of a country not in OTP_COUNTRIES with 422, in both languages, counting and storing nothing", async () => {
    const [limits, codes] = [await rateLimitRows(), await otpRows()];
    const en = await send("+12025550123", uniqueIp(), { lang: "en" });
    expectProblem(en, 422, "PHONE_COUNTRY_NOT_SUPPORTED");
    expect(en.body.detail).toBe("Sign-in codes can only be sent to numbers with the country code +86.");
    const zh = await send("+447700900123", uniqueIp(), { lang: "zh-CN" });
    expectProblem(zh, 422, "PHONE_COUNTRY_NOT_SUPPORTED");
    expect(zh.body.detail).toBe("验证码仅支持发送至以下国家/地区代码的手机号：+86。");
    expect([await rateLimitRows(), await otpRows()]).toEqual([limits, codes]);
  });

  it("sends to the countries configured, and only those", async () => {
    const hk = { ...env, OTP_COUNTRIES: "86, 852" } as Env;
    expect((await send("+85291234567", uniqueIp(), {}, hk)).status).toBe(202);
    expect((await send(uniquePhone(), uniqueIp(), {}, hk)).status).toBe(202);
    expectProblem(await send("+85391234567", uniqueIp(), {}, hk), 422, "PHONE_COUNTRY_NOT_SUPPORTED");
    // The default is mainland China only.
    expectProblem(await send("+85291234567", uniqueIp()), 422, "PHONE_COUNTRY_NOT_SUPPORTED");
  });

  it("refuses a malformed OTP_COUNTRIES as a configuration error, and defaults to 86", () => {
    expect(() => config({ ...env, OTP_COUNTRIES: "+86" } as Env)).toThrow(ConfigError);
    expect(config({ ...env, OTP_COUNTRIES: "" } as Env).OTP_COUNTRIES).toEqual(["86"]);
    expect(config({ ...env, OTP_COUNTRIES: "86, 852,853" } as Env).OTP_COUNTRIES).toEqual(["86", "852", "853"]);
  });
});

describe("OTP sends: the limit falls on the sender", () => {
  it("an attacker's IP spending sends against a number does not lock its owner out", async () => {
    const victim = uniquePhone();
    const attacker = uniqueIp();
    const spent = [];
    for (let i = 0; i < 20; i++) spent.push((await send(victim, attacker)).status);
    // OTP_PHONE_LIMIT (5/3600) per phone from one IP: the attacker gets five, then 429.
    expect(spent.filter((s) => s === 202)).toHaveLength(5);
    expect(spent.filter((s) => s === 429)).toHaveLength(15);
    // The owner, from their own network, still gets a code and signs in with it.
    const own = await send(victim, uniqueIp());
    expect(own.status).toBe(202);
    const token = await call("POST", "/v1/auth/token", { body: { phone: victim, code: own.body.devCode } });
    expect(token.status).toBe(200);
  });

  it("counts only sends the sender's limits allowed against the phone's safety cap (OTP_PHONE_CAP)", async () => {
    const victim = uniquePhone();
    // Two attacker IPs: five each get through, every refused send costs the phone nothing.
    for (const ip of [uniqueIp(), uniqueIp()]) {
      const statuses = [];
      for (let i = 0; i < 8; i++) statuses.push((await send(victim, ip)).status);
      expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    }
    // Ten texts reached the number within the hour: that is the cap (10/3600), from anywhere.
    const res = await send(victim, uniqueIp());
    expectProblem(res, 429, "RATE_LIMITED");
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(Number(res.headers.get("Retry-After"))).toBeLessThanOrEqual(3600);
  });

  it("refused senders never reach the cap: one IP's 30 sends leave the owner their codes", async () => {
    const victim = uniquePhone();
    const attacker = uniqueIp();
    for (let i = 0; i < 30; i++) await send(victim, attacker);
    // 5 counted against the cap of 10: the owner can still receive 5 more from their own IP.
    const owner = uniqueIp();
    for (let i = 0; i < 5; i++) expect((await send(victim, owner)).status).toBe(202);
  });

  it("limits sends per device (deviceId), across IPs and phones", async () => {
    const low = { ...env, OTP_DEVICE_LIMIT: "3/3600" } as Env;
    const deviceId = `test-device-${crypto.randomUUID()}`;
    for (let i = 0; i < 3; i++) expect((await send(uniquePhone(), uniqueIp(), { deviceId }, low)).status).toBe(202);
    const res = await send(uniquePhone(), uniqueIp(), { deviceId }, low);
    expectProblem(res, 429, "RATE_LIMITED");
    expect(res.headers.get("Retry-After")).not.toBeNull();
    // Another device is not affected.
    expect((await send(uniquePhone(), uniqueIp(), { deviceId: `test-device-${crypto.randomUUID()}` }, low)).status).toBe(202);
  });

  it("keeps the gap between sends per phone and IP", async () => {
    const gap = { ...env, OTP_PHONE_COOLDOWN_SECONDS: "60" } as Env;
    const phone = uniquePhone();
    const ip = uniqueIp();
    expect((await send(phone, ip, {}, gap)).status).toBe(202);
    const again = await send(phone, ip, {}, gap);
    expectProblem(again, 429, "RATE_LIMITED");
    expect(Number(again.headers.get("Retry-After"))).toBeLessThanOrEqual(60);
    // Someone else asking for a code to that phone from elsewhere is not held up by this IP's gap.
    expect((await send(phone, uniqueIp(), {}, gap)).status).toBe(202);
  });

  it("refuses a malformed deviceId with 400", async () => {
    const res = await send(uniquePhone(), uniqueIp(), { deviceId: "bad id!" });
    expectProblem(res, 400, "VALIDATION_FAILED");
    expect(res.body.errors[0].path).toBe("body.deviceId");
  });
});

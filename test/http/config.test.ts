import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { config, ConfigError, parseConfig } from "../../src/config";
import { DEFAULT_WEIGHTS } from "../../src/domain/dispatch";

const JWT_SECRET = "a-test-secret-of-at-least-32-characters";

describe("configuration", () => {
  afterEach(() => vi.restoreAllMocks());

  it("takes the documented defaults for every variable that is unset or empty", () => {
    const c = parseConfig({ JWT_SECRET, DISPATCH_MAX_ROUNDS: "", CORS_ORIGINS: "" });
    expect(c).toMatchObject({
      DISPATCH_MAX_ROUNDS: 3,
      DISPATCH_STRATEGY: "greedy",
      DISPATCH_WEIGHTS: DEFAULT_WEIGHTS,
      H3_RESOLUTION: 5,
      OTP_PHONE_LIMIT: { limit: 5, windowSeconds: 3600 },
      OTP_IP_LIMIT: { limit: 20, windowSeconds: 3600 },
      OTP_DEV_ECHO: false,
      CORS_ORIGINS: [],
      MAX_BODY_BYTES: 65_536,
      TRAVEL_ROAD_FACTOR: 1.4,
      WITHDRAWAL_PAYOUT_PROVIDER: "wechatpay",
      WECHATPAY_PUBLIC_KEYS: {},
    });
  });

  it("parses the given values into their types", () => {
    const c = parseConfig({
      JWT_SECRET,
      DISPATCH_MAX_ROUNDS: "7",
      DISPATCH_STRATEGY: " Batch ",
      DISPATCH_WEIGHTS: '{"travel":0.5}',
      OTP_IP_LIMIT: "200/60",
      CORS_ORIGINS: "https://a.test, https://b.test",
    });
    expect(c.DISPATCH_MAX_ROUNDS).toBe(7);
    expect(c.DISPATCH_STRATEGY).toBe("batch");
    expect(c.DISPATCH_WEIGHTS).toEqual({ ...DEFAULT_WEIGHTS, travel: 0.5 });
    expect(c.OTP_IP_LIMIT).toEqual({ limit: 200, windowSeconds: 60 });
    expect(c.CORS_ORIGINS).toEqual(["https://a.test", "https://b.test"]);
  });

  it("refuses a malformed value with a message naming the variable, never falling back to the default", () => {
    const bad = (vars: Record<string, string>) => () => parseConfig({ JWT_SECRET, ...vars });
    expect(bad({ DISPATCH_MAX_ROUNDS: "abc" })).toThrow(ConfigError);
    expect(bad({ DISPATCH_MAX_ROUNDS: "abc" })).toThrow(/DISPATCH_MAX_ROUNDS="abc": expected a whole number/);
    expect(bad({ DISPATCH_MAX_ROUNDS: "0" })).toThrow(/DISPATCH_MAX_ROUNDS="0"/);
    expect(bad({ DISPATCH_STRATEGY: "fastest" })).toThrow(/DISPATCH_STRATEGY="fastest": expected "greedy" or "batch"/);
    expect(bad({ DISPATCH_WEIGHTS: "{travel:1}" })).toThrow(/DISPATCH_WEIGHTS=.*expected JSON/);
    expect(bad({ DISPATCH_WEIGHTS: '{"travel":2}' })).toThrow(/DISPATCH_WEIGHTS/);
    expect(bad({ OTP_PHONE_LIMIT: "5 per hour" })).toThrow(/OTP_PHONE_LIMIT="5 per hour"/);
    expect(bad({ H3_RESOLUTION: "16" })).toThrow(/H3_RESOLUTION="16"/);
    expect(() => parseConfig({})).toThrow(/JWT_SECRET is required/);
  });

  it("lists every problem at once", () => {
    expect(() => parseConfig({ JWT_SECRET, DISPATCH_MAX_ROUNDS: "abc", GEOFENCE_METERS: "-1" })).toThrow(
      /DISPATCH_MAX_ROUNDS.*; GEOFENCE_METERS/,
    );
  });

  it("is parsed once per env object", () => {
    expect(config(env)).toBe(config(env));
    const copy = { ...env, DISPATCH_STRATEGY: "batch" };
    expect(config(copy).DISPATCH_STRATEGY).toBe("batch");
    expect(config(env).DISPATCH_STRATEGY).toBe("greedy");
  });

  it("fails the first request with a bare 500 and a log line naming the variable", async () => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void logged.push(line));
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request("http://doorstep.test/healthz"), { ...env, DISPATCH_MAX_ROUNDS: "abc" }, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    const body = await res.json<{ code: string; detail: string }>();
    expect(body.code).toBe("INTERNAL");
    expect(body.detail).not.toContain("DISPATCH_MAX_ROUNDS");
    const line = logged.map((l) => JSON.parse(l) as { msg: string; problems?: string[] }).find((l) => l.msg === "configuration");
    expect(line?.problems).toEqual([expect.stringContaining('DISPATCH_MAX_ROUNDS="abc"')]);
  });
});

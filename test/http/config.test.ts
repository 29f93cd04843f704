import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { config, ConfigError, parseConfig } from "../../src/config";
import { DEFAULT_WEIGHTS } from "../../src/domain/dispatch";

const JWT_SECRET = "a-test-secret-of-at-least-32-characters";
/** The local stand-ins (local payments, the sandbox, console SMS and push, OTP echo) are development-only. */
const ENVIRONMENT = "development";

/** What a real deployment sets instead of the stand-ins (and the secrets that selection requires). */
const LIVE = {
  PII_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  SMS_WEBHOOK_TOKEN: "a-webhook-token",
  PAYMENT_PROVIDER_CLIENT: "live",
  SANDBOX_WEBHOOK_SECRET: "",
  SMS_PROVIDER: "webhook",
  PUSH_PROVIDER: "live",
  OTP_DEV_ECHO: "0",
};
/** Each development-only stand-in, as a deployment might set it. */
const STAND_INS: [name: string, value: string][] = [
  ["PAYMENT_PROVIDER_CLIENT", "local"],
  ["SANDBOX_WEBHOOK_SECRET", "whsec_sandbox_do_not_show_me"],
  ["SMS_PROVIDER", "console"],
  ["PUSH_PROVIDER", "console"],
  ["OTP_DEV_ECHO", "1"],
  ["WEBHOOK_ALLOW_LOCAL_HTTP", "1"],
];

/** The problems `parseConfig` reports for `vars` (none when they parse). */
function problemsOf(vars: Record<string, string>): string[] {
  try {
    parseConfig(vars);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

/** Runs one request through the Worker with `vars` over the test bindings; returns the answer and the error log lines. */
async function requestWith(path: string, vars: Record<string, string>) {
  const logged: string[] = [];
  // The configuration's own lines: every answer also writes its request line (a 5xx at error level).
  vi.spyOn(console, "error").mockImplementation((line: string) => {
    if (!line.includes('"msg":"request"')) logged.push(line);
  });
  vi.spyOn(console, "log").mockImplementation(() => undefined);
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://doorstep.test${path}`), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  const configuration = logged.map((l) => JSON.parse(l) as { msg: string; problems?: string[] }).find((l) => l.msg === "configuration");
  return { res, problems: configuration?.problems, logged };
}

describe("configuration", () => {
  afterEach(() => vi.restoreAllMocks());

  it("takes the documented defaults for every variable that is unset or empty", () => {
    const c = parseConfig({ ENVIRONMENT, JWT_SECRET, DISPATCH_MAX_ROUNDS: "", CORS_ORIGINS: "" });
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
      ENVIRONMENT,
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
    const bad = (vars: Record<string, string>) => () => parseConfig({ ENVIRONMENT, JWT_SECRET, ...vars });
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
    expect(() => parseConfig({ ENVIRONMENT, JWT_SECRET, DISPATCH_MAX_ROUNDS: "abc", GEOFENCE_METERS: "-1" })).toThrow(
      /DISPATCH_MAX_ROUNDS.*; GEOFENCE_METERS/,
    );
  });

  it("is parsed once per env object", () => {
    expect(config(env)).toBe(config(env));
    const copy = { ...env, DISPATCH_STRATEGY: "batch" };
    expect(config(copy).DISPATCH_STRATEGY).toBe("batch");
    expect(config(env).DISPATCH_STRATEGY).toBe("greedy");
  });

  it("answers every request 503 MISCONFIGURED naming the variable (not its value), and logs the problem once per isolate", async () => {
    const value = `abc-${crypto.randomUUID()}`;
    const first = await requestWith("/healthz", { DISPATCH_MAX_ROUNDS: value });
    expect(first.res.status).toBe(503);
    expect(first.res.headers.get("Content-Type")).toContain("application/problem+json");
    const body = await first.res.json<{ code: string; status: number; detail: string; variables: string[] }>();
    expect(body).toMatchObject({ code: "MISCONFIGURED", status: 503, variables: ["DISPATCH_MAX_ROUNDS"] });
    expect(body.detail).toContain("DISPATCH_MAX_ROUNDS");
    expect(JSON.stringify(body)).not.toContain(value);
    expect(first.problems).toEqual([expect.stringContaining(`DISPATCH_MAX_ROUNDS="${value}"`)]);
    vi.restoreAllMocks();
    // the next request is refused the same way, without another log line
    const second = await requestWith("/v1/services", { DISPATCH_MAX_ROUNDS: value });
    expect(second.res.status).toBe(503);
    expect(second.logged).toEqual([]);
  });

  it("names a secret variable that is wrong, never its value", () => {
    expect(problemsOf({ ENVIRONMENT, JWT_SECRET: "too-short-secret" })).toEqual([
      "JWT_SECRET (value not shown) must be at least 32 characters",
    ]);
  });
});

describe("ENVIRONMENT", () => {
  afterEach(() => vi.restoreAllMocks());

  it("is production when unset, and only development, staging or production", () => {
    expect(parseConfig({ JWT_SECRET, ...LIVE }).ENVIRONMENT).toBe("production");
    expect(parseConfig({ JWT_SECRET, ...LIVE, ENVIRONMENT: "staging" }).ENVIRONMENT).toBe("staging");
    expect(parseConfig({ JWT_SECRET, ENVIRONMENT }).ENVIRONMENT).toBe("development");
    expect(() => parseConfig({ JWT_SECRET, ...LIVE, ENVIRONMENT: "prod" })).toThrow(
      /ENVIRONMENT="prod": expected "development", "staging" or "production"/,
    );
  });

  it("development accepts every stand-in at once (the local defaults)", () => {
    const c = parseConfig({ JWT_SECRET, ENVIRONMENT, ...Object.fromEntries(STAND_INS) });
    expect(c).toMatchObject({ PAYMENT_PROVIDER_CLIENT: "local", SMS_PROVIDER: "console", PUSH_PROVIDER: "console", OTP_DEV_ECHO: true });
    expect(c.SANDBOX_WEBHOOK_SECRET).not.toBe("");
    // the defaults are the stand-ins
    expect(parseConfig({ JWT_SECRET, ENVIRONMENT })).toMatchObject({ PAYMENT_PROVIDER_CLIENT: "local", SMS_PROVIDER: "console" });
  });

  for (const deployment of ["staging", "production"]) {
    for (const [name, value] of STAND_INS) {
      it(`${deployment} refuses ${name}=${name === "SANDBOX_WEBHOOK_SECRET" ? "(a secret)" : value}, naming the variable`, () => {
        const parse = () => parseConfig({ JWT_SECRET, ...LIVE, ENVIRONMENT: deployment, [name]: value });
        expect(parse).toThrow(ConfigError);
        expect(parse).toThrow(new RegExp(`${name}.*development only, ENVIRONMENT=${deployment}`));
        // the same variables are fine in development
        expect(() => parseConfig({ JWT_SECRET, ...LIVE, ENVIRONMENT, [name]: value })).not.toThrow();
      });
    }
  }

  it("refuses the stand-ins a deployment gets by default, and the missing PII_KEY, each named", () => {
    const names = problemsOf({ JWT_SECRET }).map((p) => p.split(/[ =]/)[0]);
    expect(names).toEqual(["PAYMENT_PROVIDER_CLIENT", "SMS_PROVIDER", "PUSH_PROVIDER", "PII_KEY"]);
  });

  for (const deployment of ["staging", "production"]) {
    it(`a ${deployment} Worker with a stand-in answers every request, /healthz too, 503 naming it, and logs it once`, async () => {
      for (const [name, value] of STAND_INS) {
        for (const path of ["/healthz", "/v1/services"]) {
          const { res, problems, logged } = await requestWith(path, { ...LIVE, ENVIRONMENT: deployment, [name]: value });
          expect(res.status).toBe(503);
          const body = await res.json<{ code: string; detail: string; variables: string[] }>();
          expect(body.code).toBe("MISCONFIGURED");
          expect(body.variables).toEqual([name]);
          expect(body.detail).toContain(name);
          if (path === "/healthz") {
            expect(problems).toEqual([expect.stringMatching(new RegExp(`^${name}\\b.*ENVIRONMENT=${deployment}`))]);
          } else {
            expect(logged).toEqual([]);
          }
          // a secret is named, never shown
          expect(logged.join("\n")).not.toContain("whsec_sandbox_do_not_show_me");
          expect(JSON.stringify(body)).not.toContain("whsec_sandbox_do_not_show_me");
          vi.restoreAllMocks();
        }
      }
    });
  }

  it("a development Worker with every stand-in answers /healthz", async () => {
    const { res, problems } = await requestWith("/healthz", { ENVIRONMENT, ...Object.fromEntries(STAND_INS) });
    expect(res.status).toBe(200);
    expect(problems).toBeUndefined();
  });
});

/**
 * The Worker with wrangler.toml's staging and production variables (as wrangler resolves them,
 * passed in by vitest.config.ts): it serves once the secrets its providers need are set, and refuses
 * every request, 503 MISCONFIGURED naming the variable, when a development stand-in or a required
 * secret is missing. Also: the queue names of each deployment reach the right consumer.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { secrets } from "../../src/config";
import { queueRole } from "../../src/domain/cell-events";

const DEPLOYMENTS = JSON.parse(env.TEST_DEPLOYMENT_VARS) as Record<"staging" | "production", Record<string, string>>;

/** The secrets each deployment needs, with values (the test bindings' JWT_SECRET and PII_KEY, made-up provider keys). */
const SECRETS: Record<string, string> = {
  JWT_SECRET: env.JWT_SECRET,
  PII_KEY: env.PII_KEY,
  ALIYUN_ACCESS_KEY_SECRET: "aliyun-secret-not-shown",
  JPUSH_MASTER_SECRET: "jpush-master-secret-not-shown",
};

/** The test bindings as the deployment would have them: its [vars], its secrets, no sandbox secret (the tests' bindings set one). */
function deployed(name: "staging" | "production", change: Record<string, string> = {}): Env {
  return { ...env, ...DEPLOYMENTS[name], ...SECRETS, SANDBOX_WEBHOOK_SECRET: "", ...change } as Env;
}

async function get(path: string, e: Env, headers: Record<string, string> = {}) {
  const logged: string[] = [];
  // The configuration's own lines: every answer also writes its request line (a 5xx at error level).
  vi.spyOn(console, "error").mockImplementation((line: string) => {
    if (!line.includes('"msg":"request"')) logged.push(line);
  });
  vi.spyOn(console, "log").mockImplementation(() => undefined);
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://doorstep.test${path}`, { headers }), e, ctx);
  await waitOnExecutionContext(ctx);
  return { res, logged };
}

describe("the deployments of wrangler.toml", () => {
  afterEach(() => vi.restoreAllMocks());

  for (const name of ["staging", "production"] as const) {
    it(`${name}: variables safe by default (no code echo, no local payments, no console SMS or push)`, () => {
      const vars = DEPLOYMENTS[name];
      expect(vars.ENVIRONMENT).toBe(name);
      expect(vars.OTP_DEV_ECHO).toBe("0");
      expect(vars.PAYMENT_PROVIDER_CLIENT).toBe("live");
      expect(vars.SMS_PROVIDER).not.toBe("console");
      expect(vars.PUSH_PROVIDER).not.toBe("console");
      expect(vars.SANDBOX_WEBHOOK_SECRET ?? "").toBe("");
      // no secret is written into wrangler.toml
      expect(Object.keys(vars).filter((v) => (secrets.all as readonly string[]).includes(v))).toEqual([]);
      expect(secrets.required(vars).map((s) => s.name)).toEqual(Object.keys(SECRETS));
    });

    it(`${name}: serves /healthz once its required secrets are set`, async () => {
      const { res, logged } = await get("/healthz", deployed(name));
      expect(res.status).toBe(200);
      expect(logged).toEqual([]);
    });

    it(`${name}: refuses to serve without a required secret, naming it (no value) in the answer and the log`, async () => {
      for (const missing of Object.keys(SECRETS)) {
        const { res, logged } = await get("/v1/services", deployed(name, { [missing]: "" }));
        expect(res.status).toBe(503);
        const body = await res.json<{ code: string; detail: string; variables: string[] }>();
        expect(body).toMatchObject({ code: "MISCONFIGURED", variables: [missing] });
        expect(body.detail).toContain(missing);
        // logged once per isolate: the staging run logs each; production's identical JWT_SECRET problem was logged already
        if (name === "staging" || missing !== "JWT_SECRET") expect(logged.join("\n")).toContain(`wrangler secret put ${missing}`);
        else expect(logged).toEqual([]);
        for (const value of Object.values(SECRETS)) expect(JSON.stringify(body) + logged.join("\n")).not.toContain(value);
        vi.restoreAllMocks();
      }
    });

    it(`${name}: refuses to serve with a development provider or the code echo, in the reader's language`, async () => {
      const unsafe: Record<string, string>[] = [
        { SMS_PROVIDER: "console" },
        { PUSH_PROVIDER: "console" },
        { PAYMENT_PROVIDER_CLIENT: "local" },
        { OTP_DEV_ECHO: "1" },
        { SANDBOX_WEBHOOK_SECRET: "whsec_sandbox_value_not_shown" },
      ];
      for (const change of unsafe) {
        const variable = Object.keys(change)[0]!;
        const { res, logged } = await get("/healthz", deployed(name, change), { "Accept-Language": "zh-CN" });
        expect(res.status).toBe(503);
        expect(res.headers.get("Content-Type")).toContain("application/problem+json");
        const body = await res.json<{ code: string; status: number; detail: string; variables: string[] }>();
        expect(body).toMatchObject({ code: "MISCONFIGURED", status: 503, variables: [variable] });
        expect(body.detail).toContain("配置");
        expect(body.detail).toContain(variable);
        expect(JSON.stringify(body) + logged.join("\n")).not.toContain("whsec_sandbox_value_not_shown");
        expect(logged.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["configuration"]);
        vi.restoreAllMocks();
      }
    });
  }
});

describe("queue names", () => {
  it("each deployment's queues reach the consumer of their role", () => {
    for (const prefix of ["doorstep", "doorstep-staging", "doorstep-production"]) {
      expect(queueRole(`${prefix}-notifications`)).toBe("notifications");
      expect(queueRole(`${prefix}-notifications-dlq`)).toBe("notifications-dlq");
      expect(queueRole(`${prefix}-cell-events`)).toBe("cell-events");
      expect(queueRole(`${prefix}-cell-events-dlq`)).toBe("cell-events-dlq");
      expect(queueRole(`${prefix}-route-plans`)).toBe("route-plans");
    }
    expect(queueRole("other-cell-events")).toBeNull();
    expect(queueRole("doorstep-something")).toBeNull();
  });
});

import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, expectProblem, signIn, uniquePhone } from "../support/http";

const ALLOWED_ORIGIN = "https://app.example.test";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("problem+json errors", () => {
  it("an unknown route is 404 ROUTE_NOT_FOUND with every problem member", async () => {
    const res = await call("GET", "/v1/no-such-thing");
    expectProblem(res, 404, "ROUTE_NOT_FOUND");
    expect(res.body).toMatchObject({
      type: "https://doorstep.dev/problems/route-not-found",
      status: 404,
      code: "ROUTE_NOT_FOUND",
      requestId: res.headers.get("X-Request-Id"),
    });
    expect(res.body.errors).toBeUndefined();
  });

  it("a body that is not JSON is 400 MALFORMED_JSON", async () => {
    const res = await call("POST", "/v1/auth/otp", { raw: '{"phone": "+86138', headers: { "Content-Type": "application/json" } });
    expectProblem(res, 400, "MALFORMED_JSON");
  });

  it("a body that is not declared as JSON is 415", async () => {
    const res = await call("POST", "/v1/auth/otp", {
      raw: "phone=13800000000",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expectProblem(res, 415, "UNSUPPORTED_MEDIA_TYPE");
    const plain = await call("POST", "/v1/auth/otp", {
      raw: JSON.stringify({ phone: uniquePhone() }),
      headers: { "Content-Type": "text/plain" },
    });
    expectProblem(plain, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("a body over MAX_BODY_BYTES (65536) is 413; one at the limit is read and validated", async () => {
    const padding = (total: number) => "x".repeat(total - JSON.stringify({ phone: "" }).length);
    const over = JSON.stringify({ phone: padding(65_537) });
    expect(new TextEncoder().encode(over).length).toBe(65_537);
    expectProblem(
      await call("POST", "/v1/auth/otp", { raw: over, headers: { "Content-Type": "application/json" } }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
    const atLimit = JSON.stringify({ phone: padding(65_536) });
    const res = await call("POST", "/v1/auth/otp", { raw: atLimit, headers: { "Content-Type": "application/json" } });
    expectProblem(res, 400, "VALIDATION_FAILED");
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(["body.phone"]);
  });

  it("invalid input is 400 VALIDATION_FAILED listing each field's path and message", async () => {
    const res = await call("POST", "/v1/auth/otp", { body: { phone: 13800000000, role: "admin" } });
    expectProblem(res, 400, "VALIDATION_FAILED");
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toContain("body.phone");
    expect(paths).toContain("body");
    for (const e of res.body.errors) expect(typeof e.message).toBe("string");
  });

  it("an unexpected fault is 500 INTERNAL that reveals nothing, and is logged with its request id", async () => {
    const secret = "no such table: internal_ledger_shadow";
    vi.spyOn(env.DB, "withSession").mockImplementation(() => {
      throw new Error(`D1_ERROR: ${secret}`);
    });
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await call("GET", "/v1/skills", { headers: { "Accept-Language": "en" } });
    expectProblem(res, 500, "INTERNAL");
    expect(res.body.detail).toBe("Something went wrong on our side.");
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(secret);
    expect(text).not.toContain("D1_ERROR");
    expect(text).not.toMatch(/\.ts:\d+|at .*\(/);
    const line = logged.mock.calls.map((args) => JSON.parse(String(args[0]))).find((l) => l.requestId === res.body.requestId);
    expect(line).toMatchObject({ level: "error", msg: "unhandled" });
    expect(line.error).toContain(secret);
  });
});

describe("request ids", () => {
  it("keeps a sane incoming X-Request-Id and echoes it in the header and the problem body", async () => {
    const res = await call("GET", "/v1/nowhere", { headers: { "X-Request-Id": "client-42.retry:1" } });
    expect(res.headers.get("X-Request-Id")).toBe("client-42.retry:1");
    expect(res.body.requestId).toBe("client-42.retry:1");
  });

  it("generates one when it is missing or not sane", async () => {
    const missing = await call("GET", "/healthz");
    expect(missing.headers.get("X-Request-Id")).toMatch(/^req_[0-9A-Z]{26}$/);
    for (const bad of ["has spaces in it", "x".repeat(65), "<script>"]) {
      const res = await call("GET", "/healthz", { headers: { "X-Request-Id": bad } });
      expect(res.headers.get("X-Request-Id")).toMatch(/^req_[0-9A-Z]{26}$/);
    }
    const a = await call("GET", "/healthz");
    expect(a.headers.get("X-Request-Id")).not.toBe(missing.headers.get("X-Request-Id"));
  });
});

describe("security headers", () => {
  it("are set on answers and on errors", async () => {
    for (const res of [await call("GET", "/healthz"), await call("GET", "/v1/nowhere")]) {
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("X-Frame-Options")).toBe("SAMEORIGIN");
      expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
      expect(res.headers.get("Strict-Transport-Security")).toMatch(/^max-age=\d+/);
      expect(res.headers.get("Cross-Origin-Opener-Policy")).toBe("same-origin");
    }
  });
});

describe("CORS", () => {
  it("allows a configured origin and exposes the request id", async () => {
    const res = await call("GET", "/healthz", { headers: { Origin: ALLOWED_ORIGIN } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED_ORIGIN);
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("X-Request-Id");
    expect(res.headers.get("Vary")).toContain("Origin");
  });

  it("does not allow any other origin", async () => {
    for (const origin of ["https://evil.example", "https://app.example.test.evil.example", "null"]) {
      const res = await call("GET", "/healthz", { headers: { Origin: origin } });
      expect(res.status).toBe(200);
      expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    }
  });

  it("answers a preflight for an allowed origin, and only for it", async () => {
    const preflight = (origin: string) =>
      call("OPTIONS", "/v1/auth/otp", {
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type,authorization",
        },
      });
    const ok = await preflight(ALLOWED_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED_ORIGIN);
    expect(ok.headers.get("Access-Control-Allow-Methods")).toContain("POST");
    expect(ok.headers.get("Access-Control-Allow-Headers")).toMatch(/Authorization/);
    expect(ok.headers.get("Access-Control-Allow-Headers")).toMatch(/Idempotency-Key/);
    expect(ok.headers.get("Access-Control-Max-Age")).toBe("600");
    const refused = await preflight("https://evil.example");
    expect(refused.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});

describe("Accept-Language", () => {
  it("chooses English or Chinese problem text, Chinese by default", async () => {
    const en = await call("GET", "/v1/nowhere", { headers: { "Accept-Language": "en-US,en;q=0.9" } });
    expect(en.body.title).toBe("Not Found");
    expect(en.body.detail).toBe("No route for GET /v1/nowhere.");
    const zh = await call("GET", "/v1/nowhere", { headers: { "Accept-Language": "zh-CN,zh;q=0.9" } });
    expect(zh.body.title).toBe("未找到");
    expect(zh.body.detail).toBe("没有 GET /v1/nowhere 这个接口。");
    expect((await call("GET", "/v1/nowhere")).body.title).toBe("未找到");
    const invalid = await call("POST", "/v1/auth/otp", { body: {}, headers: { "Accept-Language": "en" } });
    expect(invalid.body).toMatchObject({ title: "Bad Request", detail: "The request is not valid." });
    const invalidZh = await call("POST", "/v1/auth/otp", { body: {}, headers: { "Accept-Language": "zh-CN" } });
    expect(invalidZh.body).toMatchObject({ title: "请求无效", detail: "请求参数不合法。" });
  });
});

describe("request log", () => {
  function requestLines(spy: { mock: { calls: unknown[][] } }, requestId: string | null) {
    return spy.mock.calls
      .map((args) => {
        try {
          return JSON.parse(String(args[0])) as Record<string, unknown>;
        } catch {
          return null;
        }
      })
      .filter((l) => l?.msg === "request" && l.requestId === requestId);
  }

  it("writes one JSON line per request with method, route pattern, status, time, request id, account and roles", async () => {
    const session = await signIn();
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const me = await call("GET", "/v1/me", { token: session.token });
    expect(me.status).toBe(200);
    const lines = requestLines(log, me.headers.get("X-Request-Id"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      method: "GET",
      route: "/v1/me",
      status: 200,
      accountId: session.accountId,
      roles: ["customer"],
    });
    expect(typeof lines[0]!.ms).toBe("number");
    expect(lines[0]!.ms).toBeGreaterThanOrEqual(0);

    const anonymous = await call("POST", "/v1/auth/otp", { body: { phone: "nope" } });
    const [line] = requestLines(log, anonymous.headers.get("X-Request-Id"));
    expect(line).toMatchObject({ method: "POST", route: "/v1/auth/otp", status: 400, accountId: null, roles: [] });
  });
});

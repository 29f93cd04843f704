/**
 * Aliyun and Tencent Cloud SMS against local fakes of their HTTP contracts (test/support/sms-fakes.ts).
 * Each fake checks the request signature the way the provider documents it, with its own copy of
 * the shared secret, and answers in the provider's shape. `fetch` is replaced for the test: the
 * configured endpoint goes to the fake, anything else to the real `fetch`.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { smsSender, SmsError, type SmsMessage } from "../../src/adapters/channels";
import { ConfigError, parseConfig } from "../../src/config";
import { noticesFor } from "../../src/domain/notifications";
import { smsParams } from "../../src/notifications/delivery.service";
import { callWith, expectProblem, uniquePhone } from "../support/http";
import { installSmsFakes, SMS_VARS, TEMPLATES, type AliyunFake, type TencentFake } from "../support/sms-fakes";

function senderFor(provider: string, vars: Record<string, string> = {}) {
  return smsSender(parseConfig({ ENVIRONMENT: "development", JWT_SECRET: "x".repeat(32), SMS_PROVIDER: provider, ...SMS_VARS, ...vars }));
}

const OTP: SmsMessage = { kind: "otp", params: { code: "428913", minutes: "5" }, text: "code 428913" };

let aliyun: AliyunFake;
let tencent: TencentFake;

beforeEach(() => {
  ({ aliyun, tencent } = installSmsFakes());
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function failure(p: Promise<unknown>): Promise<SmsError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SmsError);
  return err as SmsError;
}

describe("Aliyun SMS", () => {
  it("sends the approved template with its named parameters, signed with ACS3-HMAC-SHA256", async () => {
    await senderFor("aliyun").send("+8613912345678", OTP);
    expect(aliyun.received).toHaveLength(1);
    const q = aliyun.received[0]!.url.searchParams;
    expect(q.get("PhoneNumbers")).toBe("13912345678");
    expect(q.get("SignName")).toBe("Doorstep");
    expect(q.get("TemplateCode")).toBe("SMS_154950909");
    expect(JSON.parse(q.get("TemplateParam")!)).toEqual({ code: "428913" });
  });

  it("is refused when the secret does not match", async () => {
    const err = await failure(senderFor("aliyun", { ALIYUN_ACCESS_KEY_SECRET: "not-the-shared-secret" }).send("+8613912345678", OTP));
    expect(err.message).toContain("SignatureDoesNotMatch");
    expect(err.retryable).toBe(false);
    expect(aliyun.received).toHaveLength(0);
  });

  it("reports a refused template as a failure that is not retried as is", async () => {
    aliyun.mode = "template-refused";
    const err = await failure(senderFor("aliyun").send("+8613912345678", OTP));
    expect(err.message).toContain("isv.SMS_TEMPLATE_ILLEGAL");
    expect(err.retryable).toBe(false);
  });

  it("reports a 5xx answer as a retryable failure", async () => {
    aliyun.mode = "unavailable";
    const err = await failure(senderFor("aliyun").send("+8613912345678", OTP));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain("503");
  });
});

describe("Tencent Cloud SMS", () => {
  it("sends the approved template with its parameters in order, signed with TC3-HMAC-SHA256", async () => {
    await senderFor("tencent").send("+8613912345678", { kind: "order.cancelled", params: { orderId: "ord_1", title: "t" }, text: "" });
    expect(tencent.received).toHaveLength(1);
    expect(tencent.received[0]!.json).toEqual({
      PhoneNumberSet: ["+8613912345678"],
      SmsSdkAppId: "1400000001",
      SignName: "Doorstep",
      TemplateId: "2000001",
      TemplateParamSet: ["ord_1"],
    });
    expect(tencent.received[0]!.headers.get("X-TC-Region")).toBe("ap-guangzhou");
  });

  it("is refused when the secret does not match", async () => {
    const err = await failure(senderFor("tencent", { TENCENTCLOUD_SECRET_KEY: "not-the-shared-secret" }).send("+8613912345678", OTP));
    expect(err.message).toContain("AuthFailure.SignatureFailure");
    expect(err.retryable).toBe(false);
    expect(tencent.received).toHaveLength(0);
  });

  it("reports a refused template as a failure that is not retried as is", async () => {
    tencent.mode = "template-refused";
    const err = await failure(senderFor("tencent").send("+8613912345678", OTP));
    expect(err.message).toContain("FailedOperation.TemplateIncorrectOrUnapproved");
    expect(err.retryable).toBe(false);
  });

  it("reports a 5xx answer as a retryable failure", async () => {
    tencent.mode = "unavailable";
    const err = await failure(senderFor("tencent").send("+8613912345678", OTP));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain("502");
  });
});

describe("templates", () => {
  it("fail clearly for a kind without a template, before any request", async () => {
    const err = await failure(senderFor("aliyun").send("+8613912345678", { kind: "reminder.1h", params: {}, text: "" }));
    expect(err.message).toContain('no aliyun SMS template for "reminder.1h"');
    expect(aliyun.received).toHaveLength(0);
  });

  it("of a notice are filled from its data: a cancelled order reaches the provider with its order id", async () => {
    const [cancelled] = noticesFor({
      id: "msg_1",
      topic: "order.status",
      payload: { orderId: "ord_42", from: "confirmed", to: "cancelled", reason: "no technician" },
    }).filter((n) => n.kind === "order.cancelled" && n.channels.includes("sms"));
    expect(cancelled).toBeDefined();
    await senderFor("tencent").send("+8613912345678", { kind: cancelled!.kind, params: smsParams(cancelled!), text: "" });
    expect(tencent.received[0]!.json).toMatchObject({ TemplateId: "2000001", TemplateParamSet: ["ord_42"] });
  });

  it("are validated with the configuration", () => {
    expect(() =>
      parseConfig({ ENVIRONMENT: "development", JWT_SECRET: "x".repeat(32), SMS_TEMPLATES: '{"otp":{"aliyun":"SMS_1","text":"free"}}' }),
    ).toThrow(ConfigError);
    expect(() => parseConfig({ ENVIRONMENT: "development", JWT_SECRET: "x".repeat(32), SMS_TEMPLATES: "not json" })).toThrow(
      /SMS_TEMPLATES/,
    );
    expect(() => parseConfig({ ENVIRONMENT: "development", JWT_SECRET: "x".repeat(32), SMS_PROVIDER: "carrier-pigeon" })).toThrow(
      /SMS_PROVIDER/,
    );
    expect(parseConfig({ ENVIRONMENT: "development", JWT_SECRET: "x".repeat(32), ...SMS_VARS }).SMS_TEMPLATES.otp).toEqual(TEMPLATES.otp);
  });
});

describe("POST /v1/auth/otp through a real provider", () => {
  const ip = () => ({ "CF-Connecting-IP": `10.77.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` });

  it("reaches Aliyun with the OTP template and the code as its parameter", async () => {
    const bindings = { ...env, ...SMS_VARS, SMS_PROVIDER: "aliyun" } as Env;
    const res = await callWith(bindings, "POST", "/v1/auth/otp", { body: { phone: uniquePhone() }, headers: ip() });
    expect(res.status).toBe(202);
    expect(aliyun.received).toHaveLength(1);
    const q = aliyun.received[0]!.url.searchParams;
    expect(q.get("TemplateCode")).toBe("SMS_154950909");
    expect(JSON.parse(q.get("TemplateParam")!)).toEqual({ code: res.body.devCode });
  });

  it("reaches Tencent Cloud with the OTP template and the code as its parameter", async () => {
    const phone = uniquePhone();
    const bindings = { ...env, ...SMS_VARS, SMS_PROVIDER: "tencent" } as Env;
    const res = await callWith(bindings, "POST", "/v1/auth/otp", { body: { phone }, headers: ip() });
    expect(res.status).toBe(202);
    expect(tencent.received).toHaveLength(1);
    expect(tencent.received[0]!.json).toMatchObject({
      PhoneNumberSet: [phone],
      TemplateId: "1234567",
      TemplateParamSet: [res.body.devCode],
    });
  });
});

describe("POST /v1/auth/otp when the provider fails", () => {
  it("answers 503 SMS_UNAVAILABLE with Retry-After, and logs neither the phone nor the code", async () => {
    aliyun.mode = "template-refused";
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const phone = uniquePhone();
    const bindings = { ...env, ...SMS_VARS, SMS_PROVIDER: "aliyun" } as Env;
    const res = await callWith(bindings, "POST", "/v1/auth/otp", { body: { phone }, headers: { "CF-Connecting-IP": "10.79.0.1" } });
    expectProblem(res, 503, "SMS_UNAVAILABLE");
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(res.body.devCode).toBeUndefined();
    const lines = errors.mock.calls.map((args) => args.map(String).join(" "));
    const failed = lines.find((l) => l.includes('"msg":"sms.failed"'));
    expect(failed).toContain("isv.SMS_TEMPLATE_ILLEGAL");
    const sent = JSON.parse(aliyun.received[0]!.url.searchParams.get("TemplateParam")!) as { code: string };
    for (const line of lines) {
      expect(line).not.toContain(phone.slice(3));
      expect(line).not.toContain(sent.code);
    }
  });
});

describe("the console provider", () => {
  it("logs a masked phone and the kind, never the number or the code", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const phone = uniquePhone();
    const res = await callWith(env, "POST", "/v1/auth/otp", { body: { phone }, headers: { "CF-Connecting-IP": "10.78.0.1" } });
    expect(res.status).toBe(202);
    const code = String(res.body.devCode);
    const lines = log.mock.calls.map((args) => args.map(String).join(" "));
    const sms = lines.filter((l) => l.includes('"msg":"sms"'));
    expect(sms).toHaveLength(1);
    expect(JSON.parse(sms[0]!)).toMatchObject({ provider: "console", kind: "otp", to: `${phone.slice(0, 6)}****${phone.slice(-4)}` });
    expect(sms[0]).not.toContain(code);
    for (const line of lines) expect(line).not.toContain(phone.slice(3));
  });
});

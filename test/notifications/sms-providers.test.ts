/**
 * Aliyun and Tencent Cloud SMS against local fakes of their HTTP contracts. Each fake checks the
 * request signature the way the provider documents it, with its own copy of the shared secret,
 * and answers in the provider's shape. `fetch` is replaced for the test: the configured endpoint
 * goes to the fake, anything else to the real `fetch`.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { smsSender, SmsError, type SmsMessage } from "../../src/adapters/channels";
import { ConfigError, parseConfig } from "../../src/config";
import { noticesFor } from "../../src/domain/notifications";
import { smsParams } from "../../src/notifications/delivery.service";
import { callWith, expectProblem, uniquePhone } from "../support/http";

const ALIYUN_ENDPOINT = "https://dysmsapi.aliyun.fake.test";
const TENCENT_ENDPOINT = "https://sms.tencent.fake.test";
const ALIYUN_KEY_ID = "LTAI5tFakeKeyId";
const ALIYUN_SECRET = "aliyun-fake-access-key-secret-0123";
const TENCENT_SECRET_ID = "AKIDfakeSecretId0123";
const TENCENT_SECRET_KEY = "tencent-fake-secret-key-0123456789";

const TEMPLATES = {
  otp: { aliyun: "SMS_154950909", tencent: "1234567", params: ["code"] },
  "order.cancelled": { aliyun: "SMS_200000001", tencent: "2000001", params: ["orderId"] },
};

const SMS_VARS = {
  SMS_TEMPLATES: JSON.stringify(TEMPLATES),
  ALIYUN_SMS_ENDPOINT: ALIYUN_ENDPOINT,
  ALIYUN_ACCESS_KEY_ID: ALIYUN_KEY_ID,
  ALIYUN_ACCESS_KEY_SECRET: ALIYUN_SECRET,
  ALIYUN_SMS_SIGN_NAME: "Doorstep",
  TENCENT_SMS_ENDPOINT: TENCENT_ENDPOINT,
  TENCENTCLOUD_SECRET_ID: TENCENT_SECRET_ID,
  TENCENTCLOUD_SECRET_KEY: TENCENT_SECRET_KEY,
  TENCENT_SMS_SDK_APP_ID: "1400000001",
  TENCENT_SMS_SIGN_NAME: "Doorstep",
};

function senderFor(provider: string, vars: Record<string, string> = {}) {
  return smsSender(parseConfig({ ENVIRONMENT: "development", JWT_SECRET: "x".repeat(32), SMS_PROVIDER: provider, ...SMS_VARS, ...vars }));
}

const OTP: SmsMessage = { kind: "otp", params: { code: "428913", minutes: "5" }, text: "code 428913" };

// ---- signing as the providers document it (independent of the code under test) -------------

const enc = new TextEncoder();
const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
const sha256 = async (s: string) => hex(await crypto.subtle.digest("SHA-256", enc.encode(s)));
async function hmac(key: ArrayBuffer | string, data: string): Promise<ArrayBuffer> {
  const raw = typeof key === "string" ? enc.encode(key) : key;
  const k = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(data));
}
/** Aliyun's percent-encoding: RFC 3986 unreserved kept, everything else %XX (space as %20). */
const pct = (s: string) =>
  Array.from(enc.encode(s), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");

type Mode = "ok" | "template-refused" | "unavailable";

interface Received {
  url: URL;
  headers: Headers;
  body: string;
}

/** Aliyun Dysmsapi SendSms, ACS3-HMAC-SHA256. */
function aliyunFake(secret: string) {
  const received: Received[] = [];
  let mode: Mode = "ok";
  const requestId = "F655A8D5-B967-440B-8683-DAD6FF8DE990";
  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const body = await req.text();
    if (mode === "unavailable") return new Response("Service Unavailable", { status: 503 });
    const auth = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(
      req.headers.get("Authorization") ?? "",
    );
    if (!auth) return Response.json({ Code: "MissingAuthorization", RequestId: requestId }, { status: 400 });
    const [, keyId, signedHeaders, signature] = auth;
    const query = [...url.searchParams.entries()]
      .map(([k, v]) => [pct(k), pct(v)] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join("&");
    const names = signedHeaders!.split(";");
    const value = (n: string) => (n === "host" ? (req.headers.get("host") ?? url.host) : (req.headers.get(n) ?? "")).trim();
    const canonicalHeaders = names.map((n) => `${n}:${value(n)}\n`).join("");
    const hashedPayload = await sha256(body);
    const canonical = [req.method, url.pathname, query, canonicalHeaders, signedHeaders, hashedPayload].join("\n");
    const expected = hex(await hmac(secret, `ACS3-HMAC-SHA256\n${await sha256(canonical)}`));
    const required = ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"];
    if (
      keyId !== ALIYUN_KEY_ID ||
      signature !== expected ||
      !required.every((h) => names.includes(h)) ||
      req.headers.get("x-acs-content-sha256") !== hashedPayload
    ) {
      return Response.json(
        { Code: "SignatureDoesNotMatch", Message: "Specified signature is not matched with our calculation.", RequestId: requestId },
        { status: 400 },
      );
    }
    received.push({ url, headers: req.headers, body });
    if (req.headers.get("x-acs-action") !== "SendSms" || req.headers.get("x-acs-version") !== "2017-05-25") {
      return Response.json({ Code: "InvalidAction.NotFound", RequestId: requestId }, { status: 404 });
    }
    if (mode === "template-refused") {
      return Response.json({ Code: "isv.SMS_TEMPLATE_ILLEGAL", Message: "该账号下找不到对应模板", RequestId: requestId });
    }
    return Response.json({ Code: "OK", Message: "OK", BizId: "900619746936498440^0", RequestId: requestId });
  }
  return {
    handle,
    received,
    set mode(m: Mode) {
      mode = m;
    },
  };
}

/** Tencent Cloud SMS SendSms (2021-01-11), TC3-HMAC-SHA256. */
function tencentFake(secretKey: string) {
  const received: (Received & { json: Record<string, unknown> })[] = [];
  let mode: Mode = "ok";
  const requestId = "a0aabda6-cf91-4f3e-a81f-9198114a2279";
  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const body = await req.text();
    if (mode === "unavailable") return new Response("Bad Gateway", { status: 502 });
    const error = (Code: string, Message: string) => Response.json({ Response: { Error: { Code, Message }, RequestId: requestId } });
    const auth =
      /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/sms\/tc3_request, SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(
        req.headers.get("Authorization") ?? "",
      );
    if (!auth) return error("AuthFailure.InvalidAuthorization", "Authorization malformed");
    const [, secretId, date, signedHeaders, signature] = auth;
    const timestamp = req.headers.get("X-TC-Timestamp") ?? "";
    const names = signedHeaders!.split(";");
    const value = (n: string) => (n === "host" ? (req.headers.get("host") ?? url.host) : (req.headers.get(n) ?? "")).trim().toLowerCase();
    const canonicalHeaders = names.map((n) => `${n}:${value(n)}\n`).join("");
    const canonical = [req.method, url.pathname, url.search.slice(1), canonicalHeaders, signedHeaders, await sha256(body)].join("\n");
    const scope = `${date}/sms/tc3_request`;
    const stringToSign = ["TC3-HMAC-SHA256", timestamp, scope, await sha256(canonical)].join("\n");
    const kDate = await hmac(`TC3${secretKey}`, date!);
    const kService = await hmac(kDate, "sms");
    const kSigning = await hmac(kService, "tc3_request");
    const expected = hex(await hmac(kSigning, stringToSign));
    if (secretId !== TENCENT_SECRET_ID) return error("AuthFailure.SecretIdNotFound", "The SecretId is not found");
    if (
      signature !== expected ||
      !names.includes("host") ||
      !names.includes("content-type") ||
      new Date(Number(timestamp) * 1000).toISOString().slice(0, 10) !== date
    ) {
      return error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.");
    }
    const json = JSON.parse(body) as Record<string, unknown>;
    received.push({ url, headers: req.headers, body, json });
    if (
      req.headers.get("X-TC-Action") !== "SendSms" ||
      req.headers.get("X-TC-Version") !== "2021-01-11" ||
      !req.headers.get("X-TC-Region")
    ) {
      return error("InvalidAction", "The action is not supported.");
    }
    const phone = (json.PhoneNumberSet as string[])[0];
    const status =
      mode === "template-refused"
        ? {
            Code: "FailedOperation.TemplateIncorrectOrUnapproved",
            Message: "template is not approved or request content does not match the approved template content",
          }
        : { Code: "Ok", Message: "send success" };
    return Response.json({
      Response: {
        SendStatusSet: [
          { SerialNo: "5000:1045710669157053657849499619", PhoneNumber: phone, Fee: 1, SessionContext: "", IsoCode: "CN", ...status },
        ],
        RequestId: requestId,
      },
    });
  }
  return {
    handle,
    received,
    set mode(m: Mode) {
      mode = m;
    },
  };
}

let aliyun: ReturnType<typeof aliyunFake>;
let tencent: ReturnType<typeof tencentFake>;

beforeEach(() => {
  aliyun = aliyunFake(ALIYUN_SECRET);
  tencent = tencentFake(TENCENT_SECRET_KEY);
  const original = globalThis.fetch.bind(globalThis);
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const req = new Request(input, init);
    if (req.url.startsWith(ALIYUN_ENDPOINT)) return aliyun.handle(req);
    if (req.url.startsWith(TENCENT_ENDPOINT)) return tencent.handle(req);
    return original(input, init);
  });
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

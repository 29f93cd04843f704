/**
 * The log scan that runs after every test file (test/setup.ts): it must flag each kind of leak, let
 * the masked forms through, and see lines written while a test spies on the console.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { smsSender } from "../../src/adapters/channels";
import { parseConfig } from "../../src/config";
import { maskPhone } from "../../src/domain/phone";
import { captureConsole, FIXTURE_ADDRESSES, forbiddenFrom, lineOf, scanLogLines } from "../support/log-scan";

const forbidden = forbiddenFrom(env as unknown as Record<string, unknown>);
const kinds = (line: string) => scanLogLines([line], forbidden).flatMap((f) => f.kinds);

describe("the log scan", () => {
  afterEach(() => vi.restoreAllMocks());

  it("flags a full mainland phone number, with or without +86", () => {
    expect(kinds('{"msg":"sms","to":"+8613912345678"}')).toEqual(["phone number"]);
    expect(kinds("电话 13912345678 随时找我")).toEqual(["phone number"]);
    expect(kinds('{"msg":"sms","to":"13912345678"}')).toEqual(["phone number"]);
  });

  it("lets masked numbers, ids and timestamps through", () => {
    expect(kinds(JSON.stringify({ msg: "sms", to: maskPhone("+8613912345678"), kind: "otp" }))).toEqual([]);
    expect(kinds('{"msg":"request","ms":12,"at":1767225600000,"id":"ord_01JD3K13912345678X","mchid":"1900000109"}')).toEqual([]);
    expect(kinds('{"error":"JPush refused the push (400, code 1003)"}')).toEqual([]);
  });

  it("flags a sign-in code next to code or otp", () => {
    expect(kinds('{"kind":"otp","params":{"code":"428913","minutes":"5"}}')).toEqual(["sign-in code"]);
    expect(kinds("otp=428913")).toEqual(["sign-in code"]);
    expect(kinds("【Doorstep】验证码 428913，5 分钟内有效")).toEqual(["sign-in code"]);
  });

  it("flags tokens, private keys and the configured secrets, and blanks them in its report", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY2NfMSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    expect(kinds(`{"authorization":"${jwt}"}`)).toEqual(["token (JWT)"]);
    expect(kinds("Authorization: Bearer ya29.a0AfH6SMBx")).toEqual(["bearer token"]);
    expect(kinds(String(env.WECHATPAY_MERCHANT_PRIVATE_KEY))).toContain("private key");
    for (const name of ["JWT_SECRET", "PII_KEY", "STRIPE_WEBHOOK_SECRET", "SANDBOX_WEBHOOK_SECRET", "WECHATPAY_APIV3_KEY"] as const) {
      const secret = String(env[name]);
      const [finding] = scanLogLines([`{"msg":"oops","value":"${secret}"}`], forbidden);
      expect(finding?.kinds).toEqual(["secret"]);
      expect(finding?.line).not.toContain(secret);
    }
    // a PEM's body, even without its markers and with escaped line breaks
    const body = String(env.ALIPAY_APP_PRIVATE_KEY).split("\n").slice(1, -2).join("\\n");
    expect(kinds(body)).toEqual(["secret"]);
  });

  it("flags the fixtures' address strings and street addresses", () => {
    for (const address of FIXTURE_ADDRESSES) expect(kinds(`{"address":"${address}"}`).length).toBeGreaterThan(0);
    expect(kinds("上海市徐汇区衡山路 8 弄 3 号 502 室")).toContain("address");
    expect(kinds("测试路 1 号 101 室")).toContain("address");
    expect(kinds("广州市天河区体育西路 191 号")).toEqual(["street address"]);
  });

  it("flags an SMS gateway's body written as a log line would show it", () => {
    // The webhook gateway is the one channel that carries the phone and the text; its body is what
    // a careless log line would repeat.
    const body = { to: "+8613912345678", text: "【Doorstep】验证码 428913，5 分钟内有效。", kind: "otp" };
    expect(kinds(lineOf(["sms.sent", body]))).toEqual(["phone number", "sign-in code"]);
  });

  it("sees every line, also while a test has replaced a console method with a spy", async () => {
    const capture = captureConsole();
    const before = capture.peek().length;
    const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
    // the console SMS provider through its real code path, and a plain line
    await smsSender(parseConfig({ ENVIRONMENT: "development", JWT_SECRET: "x".repeat(32) })).send("+8613912345678", {
      kind: "otp",
      params: { code: "428913" },
      text: "",
    });
    console.error("log-scan marker");
    expect(spy).toHaveBeenCalledWith("log-scan marker");
    const lines = capture.peek().slice(before);
    expect(lines).toContain("log-scan marker");
    const sms = lines.find((l) => l.includes('"msg":"sms"'));
    expect(sms).toBeDefined();
    // what the console provider writes passes the scan
    expect(scanLogLines([sms!], forbidden)).toEqual([]);
  });
});

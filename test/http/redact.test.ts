/** The PII redaction every log line goes through (src/lib/redact.ts, src/lib/log.ts). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { logLine } from "../../src/lib/log";
import { isSecretKey, redact, redactText } from "../../src/lib/redact";

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(""));
/** Mainland mobiles with and without +86, and international numbers with their +. */
const phone = fc.oneof(
  fc.tuple(fc.integer({ min: 3, max: 9 }), digits(9)).map(([second, rest]) => `1${second}${rest}`),
  fc.tuple(fc.integer({ min: 3, max: 9 }), digits(9)).map(([second, rest]) => `+861${second}${rest}`),
  fc.tuple(fc.constantFrom("+1", "+44", "+852", "+65"), digits(9)).map(([cc, rest]) => `${cc}${rest}`),
);
const b64url = fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/);
const jwt = fc.tuple(b64url, b64url, b64url).map(([h, p, s]) => `eyJ${h}.${p}.${s}`);
const bearer = fc.stringMatching(/^[A-Za-z0-9._~+/=-]{12,60}$/).map((t) => `Bearer ${t}`);
const code = fc.tuple(fc.constantFrom("code=", "code: ", "验证码 ", '"devCode":"', "otp "), digits(6)).map(([label, d]) => `${label}${d}`);
/** Text around a secret that must not join with it into something else. */
const filler = fc.constantFrom("", " ", "sent to ", "failed: ", "(", "x ", "；");

/** A card number of `length` digits that passes Luhn's check. */
function luhnComplete(body: string): string {
  for (let last = 0; last <= 9; last++) {
    const candidate = `${body}${last}`;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let d = Number(candidate[candidate.length - 1 - i]);
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error("unreachable");
}
const card = fc
  .tuple(fc.constantFrom("4", "5", "62"), fc.integer({ min: 14, max: 17 }))
  .chain(([prefix, n]) => digits(n - prefix.length).map((d) => luhnComplete(`${prefix}${d}`)));

describe("redact", () => {
  it("leaves no generated phone number, token, JWT, code or card number in a text", () => {
    fc.assert(
      fc.property(fc.oneof(phone, jwt, bearer, code, card), filler, filler, (secret, before, after) => {
        const out = redactText(`${before}${secret}${after}`);
        const bare = secret.replace(/^(code=|code: |验证码 |"devCode":"|otp |Bearer )/, "");
        expect(out).not.toContain(bare);
      }),
      { numRuns: 500 },
    );
  });

  it("leaves no generated secret anywhere in a log line, whatever field or depth it sits in", () => {
    fc.assert(
      fc.property(
        fc.oneof(phone, jwt, bearer, card),
        fc.constantFrom("error", "detail", "note", "message", "what"),
        fc.integer({ min: 0, max: 3 }),
        (secret, key, depth) => {
          let value: unknown = { [key]: `failed for ${secret}` };
          for (let i = 0; i < depth; i++) value = { nested: [value] };
          const line = logLine("info", "test", { value });
          const bare = secret.replace(/^Bearer /, "");
          expect(line).not.toContain(bare);
          expect(() => JSON.parse(line)).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });

  it("replaces fields named after what they hold, whole, and keeps ids", () => {
    const out = redact({
      phone: "+8613800000000",
      contactPhone: "x",
      address: { text: "上海市黄浦区南京东路 100 号" },
      code: "123456",
      accessToken: "opaque",
      refresh_token: "opaque",
      Authorization: "opaque",
      password: "hunter2",
      clientSecret: "s",
      apiKey: "k",
      addressId: "adr_1",
      tokenIds: ["t1"],
      holdKey: "ord_1:1",
      status: 200,
    }) as Record<string, unknown>;
    for (const key of [
      "phone",
      "contactPhone",
      "address",
      "code",
      "accessToken",
      "refresh_token",
      "Authorization",
      "password",
      "clientSecret",
      "apiKey",
    ]) {
      expect(out[key], key).toBe("[redacted]");
    }
    expect(out).toMatchObject({ addressId: "adr_1", tokenIds: ["t1"], holdKey: "ord_1:1", status: 200 });
    expect(isSecretKey("errorCode")).toBe(false);
    expect(isSecretKey("startCode")).toBe(true);
  });

  it("keeps what a log needs: ids, timestamps, amounts, error codes, route patterns", () => {
    const fields = {
      id: "ord_01JD3K13912345678X",
      at: 1767225600000,
      amount: 12800,
      mchid: "1900000109",
      errorCode: "VALIDATION_FAILED",
      route: "/v1/orders/:id",
      requestId: "req_01JD3K1391",
    };
    expect(redact(fields)).toEqual(fields);
  });

  it("masks phone and card numbers stored as numbers, and errors' messages and stacks", () => {
    expect(redact({ n: 13800000000 })).toEqual({ n: "[phone]" });
    expect(redact({ n: 4111111111111111 })).toEqual({ n: "[card]" });
    const err = new Error("SMS to +8613800000000 refused");
    const out = redact({ err }) as { err: { message: string; stack: string } };
    expect(out.err.message).toBe("SMS to [phone] refused");
    expect(out.err.stack).not.toContain("13800000000");
  });

  it("survives cycles", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    expect(redact(a)).toEqual({ name: "a", self: "[…]" });
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { abuseWordsIn, DEFAULT_ABUSE_WORDS, MASK, maskChatText, PAYMENT_PHRASES } from "../../src/domain/chat-safety";

const digits = (s: string) => s.replace(/[^0-9]/g, "");
/** A mainland mobile number: 1, then 3–9, then nine digits. */
const mobile = fc
  .tuple(fc.integer({ min: 3, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 9 }))
  .map(([second, rest]) => `1${second}${rest.join("")}`);
/** Characters people type around a number (no digits). */
const prose = fc.string({ unit: fc.constantFrom(..."请联系我好的师傅明天见 hello,!？。abc") });

describe("maskChatText", () => {
  it.each([
    ["我的电话 13812345678 打给我", "13812345678"],
    ["call +86 138 1234 5678 now", "13812345678"],
    ["手机：138-1234-5678", "13812345678"],
    ["全角 １３８１２３４５６７８", "１３８１２３４５６７８"],
    ["座机 021-62345678", "021-62345678"],
  ])("masks the number in %s", (input, number) => {
    const r = maskChatText(input);
    expect(r.masked).toBe(true);
    expect(r.text).toContain(MASK);
    expect(r.text).not.toContain(number);
    expect(digits(r.text)).toBe("");
  });

  it.each([
    ["加我微信 zhang_san88", "zhang_san88"],
    ["VX: abc12345 聊", "abc12345"],
    ["wechat id is tom-2024x", "tom-2024x"],
    ["微信号是wxid_abcdef", "wxid_abcdef"],
  ])("masks the WeChat id in %s", (input, id) => {
    const r = maskChatText(input);
    expect(r.masked).toBe(true);
    expect(r.text).not.toContain(id);
  });

  it.each(["你直接转账给我吧", "微信付就行", "支付宝转我200", "Just pay me directly, cheaper", "私下交易便宜点"])(
    "masks the payment request in %s",
    (input) => {
      const r = maskChatText(input);
      expect(r.masked).toBe(true);
      expect(r.text).toContain(MASK);
      for (const phrase of PAYMENT_PHRASES) expect(r.text.toLowerCase()).not.toContain(phrase.toLowerCase());
    },
  );

  it.each(["师傅明天 14:30 到吗？", "订单 2026-12-04 的服务", "一共 128 元，平台上付", "门牌 3 栋 1201 室", "I'll be there at 9"])(
    "leaves ordinary text alone: %s",
    (input) => {
      expect(maskChatText(input)).toEqual({ text: input, masked: false });
    },
  );

  it("never lets a mobile number through, whatever surrounds it (property)", () => {
    fc.assert(
      fc.property(prose, mobile, prose, fc.constantFrom("", " ", "-", " - "), (before, number, after, sep) => {
        const spaced = `${number.slice(0, 3)}${sep}${number.slice(3, 7)}${sep}${number.slice(7)}`;
        const r = maskChatText(`${before}${spaced}${after}`);
        expect(r.masked).toBe(true);
        expect(digits(r.text)).not.toContain(number);
        expect(digits(r.text)).toBe("");
      }),
    );
  });

  it("is idempotent and changes nothing in text without digits or listed words (property)", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const once = maskChatText(s).text;
        expect(maskChatText(once).text).toBe(once);
      }),
    );
    fc.assert(
      fc.property(prose, (s) => {
        fc.pre(!/(vx|wx)/i.test(s));
        expect(maskChatText(s)).toEqual({ text: s, masked: false });
      }),
    );
  });
});

describe("abuseWordsIn", () => {
  it("finds listed words case-insensitively, each once", () => {
    expect(abuseWordsIn("You IDIOT, idiot!", DEFAULT_ABUSE_WORDS)).toEqual(["idiot"]);
    expect(abuseWordsIn("你这个傻逼", DEFAULT_ABUSE_WORDS)).toEqual(["傻逼"]);
    expect(abuseWordsIn("谢谢师傅", DEFAULT_ABUSE_WORDS)).toEqual([]);
    expect(abuseWordsIn("bad word", ["", " ", "bad"])).toEqual(["bad"]);
  });
});

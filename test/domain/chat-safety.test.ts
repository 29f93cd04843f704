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

/** Every character that stands for a digit, as the masking reads it, by digit. */
const SPELLINGS: Record<string, string[]> = {
  "0": ["0", "０", "〇", "零"],
  "1": ["1", "１", "一", "幺", "壹"],
  "2": ["2", "２", "二", "贰"],
  "3": ["3", "３", "三", "叁"],
  "4": ["4", "４", "四", "肆"],
  "5": ["5", "５", "五", "伍"],
  "6": ["6", "６", "六", "陆"],
  "7": ["7", "７", "七", "柒"],
  "8": ["8", "８", "八", "捌"],
  "9": ["9", "９", "九", "玖"],
};
const DIGIT_OF = new Map(Object.entries(SPELLINGS).flatMap(([d, cs]) => cs.map((c) => [c, d] as const)));
/** The digits a reader sees in a text, whatever they are written with. */
const readDigits = (s: string) => [...s].map((c) => DIGIT_OF.get(c) ?? "").join("");
/** What people put between digits (nothing, spaces, dashes, dots, emoji with modifiers and joiners). */
const gap = fc.constantFrom("", "", " ", "  ", "-", " - ", ".", "·", "—", "_", "📞", "😀", "👍🏻", "❤️", "👨‍👩‍👧", "/", "　");
/** A number spelt one digit at a time: each digit in any of its spellings, any gap after it. */
const spelt = (number: string) =>
  fc
    .tuple(
      fc.array(fc.nat(), { minLength: number.length, maxLength: number.length }),
      fc.array(gap, { minLength: number.length, maxLength: number.length }),
    )
    .map(([picks, gaps]) =>
      [...number]
        .map((d, i) => {
          const forms = SPELLINGS[d]!;
          return forms[picks[i]! % forms.length]! + (i < number.length - 1 ? gaps[i]! : "");
        })
        .join(""),
    );
/** A mobile number, sometimes with +86 in front. */
const mobileNumber = fc.tuple(mobile, fc.boolean()).map(([n, cc]) => (cc ? `86${n}` : n));

describe("maskChatText: phones in every spelling", () => {
  it.each([
    ["加我 一三八一二三四五六七八", "13812345678"],
    ["电话幺三八幺二三四五六七八", "13812345678"],
    ["１３８ １２３４ ５６７８ 打给我", "13812345678"],
    ["1📞3😀8-1.2 3_4·5—6 7👍🏻8", "13812345678"],
    ["一3八 1２三4 五６七8", "13812345678"],
    ["座机 〇二一 六二三四五六七八", "02162345678"],
    ["零五七一-八八八八七七七七", "057188887777"],
    ["+86 壹叁捌 壹贰叁肆 伍陆柒捌", "8613812345678"],
  ])("masks %s", (input, number) => {
    const r = maskChatText(input);
    expect(r.masked).toBe(true);
    expect(r.text).toContain(MASK);
    expect(readDigits(r.text)).not.toContain(number.slice(-8));
    expect(readDigits(r.text)).toBe("");
  });

  it("never lets a mobile number through in any spelling, separated any way, inside any text (property)", () => {
    fc.assert(
      fc.property(prose, mobileNumber.chain(spelt), prose, (before, number, after) => {
        const r = maskChatText(`${before}${number}${after}`);
        expect(r.masked).toBe(true);
        // The prose has no digit of any kind: whatever digit is left came from the number.
        expect(readDigits(r.text)).toBe("");
        expect(maskChatText(r.text).text).toBe(r.text);
      }),
      { numRuns: 500 },
    );
  });

  it("never lets a landline with its area code through in any spelling (property)", () => {
    const landline = fc
      .tuple(fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 10 }))
      .map(([area, rest]) => `0${area}${rest.join("")}`);
    fc.assert(
      fc.property(prose, landline.chain(spelt), prose, (before, number, after) => {
        const r = maskChatText(`${before}${number}${after}`);
        expect(r.masked).toBe(true);
        expect(readDigits(r.text)).toBe("");
      }),
      { numRuns: 300 },
    );
  });

  it("leaves ordinary text alone: prices, dates, times, quantities and order numbers shorter than a phone (property)", () => {
    const n = (min: number, max: number) => fc.integer({ min, max });
    const token = fc.oneof(
      n(1, 99_999).map((v) => `${v}元`),
      n(1, 99_999).map((v) => `¥${v}.50`),
      fc.tuple(n(2000, 2099), n(1, 12), n(1, 28)).map(([y, m, d]) => `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`),
      fc.tuple(n(2000, 2099), n(1, 12), n(1, 28)).map(([y, m, d]) => `${y}年${m}月${d}日`),
      fc.tuple(n(0, 23), n(0, 59)).map(([h, m]) => `${h}:${String(m).padStart(2, "0")}`),
      fc.constantFrom("三个", "一百二十元", "二〇二六年", "两点半", "第一次", "十二月四日", "3 栋 1201 室"),
      // an order or ticket number: 4 to 10 digits, not a landline (which starts with 0)
      fc.tuple(n(1, 9), fc.array(n(0, 9), { minLength: 3, maxLength: 9 })).map(([a, rest]) => `订单号 ${a}${rest.join("")}`),
    );
    const word = fc.constantFrom("师傅", "明天见", "好的", "请问", "谢谢", "hello", "价格是", "在吗？");
    fc.assert(
      fc.property(fc.array(fc.tuple(word, token), { minLength: 1, maxLength: 6 }), word, (parts, last) => {
        const text = parts.map(([w, t]) => `${w} ${t} `).join("") + last;
        expect(maskChatText(text)).toEqual({ text, masked: false });
      }),
      { numRuns: 500 },
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

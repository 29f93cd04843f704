/**
 * Chat safety rules (pure): what is masked in a message before it is stored or delivered, and what
 * flags it to staff. The platform keeps the deal on the platform: phone numbers, WeChat ids and
 * requests to pay outside the platform are replaced by `MASK`. Abusive words (a configured list) do
 * not change the message; they flag the conversation for staff.
 */

/** What replaces a masked part of a message. */
export const MASK = "［已隐藏］";

/** Payment requests outside the platform (matched case-insensitively). */
export const PAYMENT_PHRASES: readonly string[] = [
  "转账",
  "转帐",
  "微信付",
  "微信支付给我",
  "微信转我",
  "支付宝转我",
  "支付宝付",
  "私下交易",
  "私下付",
  "线下付款",
  "现金给我",
  "扫码付给我",
  "pay me directly",
  "pay directly",
  "pay me in cash",
  "bank transfer",
  "wire me",
];

/** The abuse words flagged by default (CHAT_ABUSE_WORDS replaces the list). */
export const DEFAULT_ABUSE_WORDS: readonly string[] = [
  "傻逼",
  "操你",
  "去死",
  "滚蛋",
  "妈的",
  "杀了你",
  "fuck",
  "idiot",
  "kill you",
  "bitch",
];

/**
 * The digit each character people use for a digit stands for: ASCII and full-width digits, Chinese
 * numerals (〇/零 for 0, 幺 for 1 as said on the phone), the financial numerals, circled digits.
 */
const DIGITS: ReadonlyMap<string, string> = new Map(
  [
    ["0０〇零○⓪", "0"],
    ["1１一幺壹①", "1"],
    ["2２二贰貳②", "2"],
    ["3３三叁參③", "3"],
    ["4４四肆④", "4"],
    ["5５五伍⑤", "5"],
    ["6６六陆陸⑥", "6"],
    ["7７七柒⑦", "7"],
    ["8８八捌⑧", "8"],
    ["9９九玖⑨", "9"],
  ].flatMap(([chars, d]) => [...chars!].map((c) => [c, d!] as const)),
);
/**
 * What people put between the digits of a number to get it past a filter: spaces, dashes, dots,
 * slashes, brackets, plus signs, emoji (with their joiners, variation selectors and keycaps).
 * Commas and 、 are not among them: they separate lists of prices, not the digits of one number.
 */
const SEPARATOR =
  /^(?:[\s\-‐‑‒–—―_.·•・/\\|+()（）［］[\]~～*#＊＃－．\u3000]|\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u200d|\ufe0f|\u20e3)$/u;
/** At most this many separator characters between two digits of one number (an emoji can take several). */
const MAX_GAP = 8;

/**
 * True for a run of digits that is a phone number or could hide one: 11 digits or more (a mainland
 * mobile is 11, with +86 13), or a landline with its area code (0, then 1–9, 10 digits or more).
 * Prices, dates, times and order numbers are shorter.
 */
function phoneLike(digits: string): boolean {
  return digits.length >= 11 || (digits.length >= 10 && digits[0] === "0" && digits[1] !== "0");
}

/**
 * Replaces every phone-like run of digits, whatever they are spelt with and whatever is put between
 * them, by `MASK`. A run is digits with at most `MAX_GAP` separator characters between neighbours.
 */
function maskPhones(input: string): string {
  const chars = [...input];
  let out = "";
  let i = 0;
  while (i < chars.length) {
    const first = DIGITS.get(chars[i]!);
    if (first === undefined) {
      out += chars[i++];
      continue;
    }
    let digits = first;
    let end = i + 1;
    for (;;) {
      let k = end;
      while (k < chars.length && k - end < MAX_GAP && SEPARATOR.test(chars[k]!)) k++;
      const next = k < chars.length ? DIGITS.get(chars[k]!) : undefined;
      if (next === undefined) break;
      digits += next;
      end = k + 1;
    }
    out += phoneLike(digits) ? MASK : chars.slice(i, end).join("");
    i = end;
  }
  return out;
}

/** A WeChat id after a word that announces one: 微信/威信/VX/WX/weixin/wechat, then an id of 5–20 characters. */
const WECHAT = /(微信号?|威信|薇信|v信|vx|wx|weixin|wechat)\s*(?:号|id)?\s*(?:[:：是为]|is)?\s*([a-zA-Z0-9][-_a-zA-Z0-9]{4,19})/gi;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
const PAYMENT = new RegExp(PAYMENT_PHRASES.map(escape).join("|"), "gi");

export interface MaskResult {
  text: string;
  /** True when anything was replaced. */
  masked: boolean;
}

/**
 * Masks phone numbers (in ASCII, full-width or Chinese numerals, digits separated by spaces, dashes,
 * dots or emoji, or any mix), WeChat ids and payment requests in a chat message. Idempotent: masking
 * a masked text changes nothing more.
 */
export function maskChatText(input: string): MaskResult {
  let text = input.replace(WECHAT, (_m, word: string) => `${word}${MASK}`);
  text = maskPhones(text);
  text = text.replace(PAYMENT, MASK);
  return { text, masked: text !== input };
}

/** The abuse words found in a message (each once, as listed), case-insensitively. */
export function abuseWordsIn(text: string, words: readonly string[]): string[] {
  const lower = text.toLowerCase();
  return [...new Set(words.filter((w) => w.trim() !== "" && lower.includes(w.trim().toLowerCase())))];
}

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

// Digits as people type them: ASCII and full-width, with spaces, dots, dashes between.
const D = "[0-9０-９]";
const SEP = "[\\s\\-.·—_]*";
/** A mainland mobile number (optionally +86/0086), digits possibly separated. */
const MOBILE = new RegExp(`(?:(?:\\+|00)?86${SEP})?1${SEP}[3-9０-９]${SEP}(?:${D}${SEP}){9}(?<=${D})`, "g");
/** A landline with its area code (021-12345678, 0571 8888 7777). */
const LANDLINE = new RegExp(`[0０]${SEP}[1-9１-９]${SEP}${D}${SEP}${D}?${SEP}[\\-\\s)）]*(?:${D}${SEP}){6}${D}(?:${SEP}${D})?`, "g");
/** Any other run of 11 or more digits (numbers in other formats); dates and prices are shorter. */
const LONG_DIGITS = new RegExp(`(?:${D}${SEP}){10,}${D}`, "g");
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
 * Masks phone numbers, WeChat ids and payment requests in a chat message. Idempotent: masking a
 * masked text changes nothing more.
 */
export function maskChatText(input: string): MaskResult {
  let text = input.replace(WECHAT, (_m, word: string) => `${word}${MASK}`);
  text = text.replace(MOBILE, MASK);
  text = text.replace(LANDLINE, MASK);
  text = text.replace(LONG_DIGITS, MASK);
  text = text.replace(PAYMENT, MASK);
  return { text, masked: text !== input };
}

/** The abuse words found in a message (each once, as listed), case-insensitively. */
export function abuseWordsIn(text: string, words: readonly string[]): string[] {
  const lower = text.toLowerCase();
  return [...new Set(words.filter((w) => w.trim() !== "" && lower.includes(w.trim().toLowerCase())))];
}

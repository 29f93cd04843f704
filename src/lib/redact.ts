/**
 * PII redaction for log lines: the one function every line goes through (src/lib/log.ts). A log
 * may say who (an account id), what and how long, never a phone number, an address, a sign-in or
 * start code, a token, a secret or a card number.
 *
 * Two nets, so a field named innocently still cannot leak:
 * - by key: a field whose name says what it holds (phone, address, code, token, secret,
 *   authorization, password, …) is replaced whole, whatever its value; ids (`…Id`, `…Ids`) are kept;
 * - by value: inside every other string (messages, errors, stacks), anything that looks like a phone
 *   number, a bearer token, a JWT, a private key, a card number or a code next to its label is masked.
 */

/** What a masked value becomes: the kind stays readable, the value is gone. */
export const MASK = (kind: string) => `[${kind}]`;

/** Field names whose values are never logged (matched case-insensitively, `_`/`-` ignored). */
const SECRET_KEY =
  /^(?:.*(?:phone|mobile|address|addr|token|ticket|secret|authorization|password|passwd|cookie|apikey|privatekey|signature|credential|otp|devcode|startcode|idcard|cardnumber)|code|codes|pin|cvv|key)$/;
/** Ids name a row, they hold nothing: `addressId`, `tokenIds` are kept. */
const ID_KEY = /(?:id|ids)$/;

const normalise = (key: string) => key.replace(/[_-]/g, "").toLowerCase();

/** Each field name's verdict, worked out once per isolate: log lines use the same few names again and again. */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 1_000;

/** True when a field of this name is replaced whole. */
export function isSecretKey(key: string): boolean {
  let secret = verdicts.get(key);
  if (secret === undefined) {
    const k = normalise(key);
    secret = SECRET_KEY.test(k) && !ID_KEY.test(k);
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(key, secret);
  }
  return secret;
}

/** Values that give themselves away, in the order they are masked (longest shapes first). */
const VALUE_PATTERNS: [kind: string, pattern: RegExp][] = [
  ["private-key", /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g],
  ["jwt", /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g],
  ["token", /\b(?:Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi],
  // A code with its label: "code=123456", "code: 123456", "验证码 123456", "\"devCode\":\"123456\"".
  ["code", /(?:\b(?:code|otp|devcode|startcode|pin)\b|验证码)["']?\s*[:=]?\s*["']?\d{4,8}(?!\d)/gi],
  // International numbers with their +: +86 138…, +1 415 555 0100.
  ["phone", /\+\d{1,3}[\s-]?\d(?:[\s-]?\d){6,13}(?!\d)/g],
  // Mainland mobile numbers without the country code (not inside an id: "ord_…K13912345678X").
  ["phone", /(?<![0-9A-Za-z_])1[3-9]\d{9}(?!\d)/g],
  // Card-like: 15 to 19 digits (spaces or dashes between groups allowed) that pass Luhn's check
  // (13-digit millisecond timestamps stay readable).
  ["card", /(?<![0-9A-Za-z_])\d(?:[ -]?\d){14,18}(?!\d)/g],
];

/** Luhn's check: true for a plausible card number (so timestamps and ids of digits are kept). */
function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * What every value pattern above needs somewhere in its match: a private key's BEGIN line, a JWT's
 * `eyJ`, a token's scheme, or four digits in a row with at most single spaces or dashes between them
 * (a code has 4 to 8 digits together; a phone or card number has at least 8 digits, so 4 together
 * or with single separators). A text without any of them has nothing to mask, and most log fields
 * (messages, routes, topics, short ids) are such texts: one test instead of seven replaces.
 */
const MAY_HOLD_A_VALUE = /-----BEGIN|eyJ|bearer|basic|token|\d[\s-]?\d[\s-]?\d[\s-]?\d/i;

/** A text with every phone number, token, JWT, private key, labelled code and card number masked. */
export function redactText(text: string): string {
  if (!MAY_HOLD_A_VALUE.test(text)) return text;
  let out = text;
  for (const [kind, pattern] of VALUE_PATTERNS) {
    out = out.replace(pattern, (m) => {
      if (kind !== "card") return MASK(kind);
      return luhn(m.replace(/[ -]/g, "")) ? MASK(kind) : m;
    });
  }
  return out;
}

const MAX_DEPTH = 8;

/**
 * A copy of `value` safe to log: secret fields replaced whole, every string (and every number that
 * reads as a phone or card number) masked where it looks like one, errors turned into their
 * message and stack (masked too). Cycles and depth beyond 8 become "[…]".
 */
export function redact(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === "string") return redactText(value);
  if (typeof value === "number" || typeof value === "bigint") {
    // A phone or card number stored as a number; counts, amounts and timestamps are kept.
    const text = String(value);
    if (/^1[3-9]\d{9}$/.test(text)) return MASK("phone");
    if (/^\d{15,19}$/.test(text) && luhn(text)) return MASK("card");
    return value;
  }
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), stack: value.stack === undefined ? undefined : redactText(value.stack) };
  }
  if (depth >= MAX_DEPTH || seen.has(value)) return "[…]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && v !== null && v !== undefined ? MASK("redacted") : redact(v, depth + 1, seen);
  }
  return out;
}

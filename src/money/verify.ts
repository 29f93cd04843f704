/**
 * Verifying provider notifications exactly as each provider specifies (see PAYMENTS.md), over the
 * raw body as received and before anything else reads it. Every function answers a discriminated
 * union; a failure says why (for the log), never what the right signature would have been.
 */
import { aesGcmOpen, hmacVerifyHex, rsaPublicKey, rsaVerify } from "../lib/provider-crypto";
import { verifyWechatSignature } from "../lib/wechatpay-signature";

export { WECHAT_SIGNATURE_TYPE, WECHAT_TOLERANCE_MS } from "../lib/wechatpay-signature";

export type Verified<T> = { ok: true; value: T } | { ok: false; reason: string };

const fail = (reason: string) => ({ ok: false as const, reason });

// ——— Stripe ———

export const STRIPE_TOLERANCE_SECONDS = 300;

export interface StripeEvent {
  id: string;
  type: string;
  created?: number;
  data: { object: Record<string, unknown> };
}

/** `t=…,v1=…[,v1=…][,v0=…]`: split on `,`, each item on its first `=`; every v1 is kept. */
export function parseStripeSignature(header: string): { t: string | null; v1: string[] } {
  let t: string | null = null;
  const v1: string[] = [];
  for (const item of header.split(",")) {
    const at = item.indexOf("=");
    if (at < 0) continue;
    const key = item.slice(0, at).trim();
    const value = item.slice(at + 1).trim();
    if (key === "t" && t === null) t = value;
    else if (key === "v1") v1.push(value);
  }
  return { t, v1 };
}

/** Stripe-Signature over `t + "." + rawBody`, HMAC-SHA256 keyed with the whole endpoint secret. */
export async function verifyStripe(
  rawBody: string,
  header: string | undefined,
  secret: string,
  nowMs: number,
): Promise<Verified<StripeEvent>> {
  if (!secret) return fail("no endpoint secret configured");
  if (!header) return fail("Stripe-Signature header missing");
  const { t, v1 } = parseStripeSignature(header);
  if (t === null || !/^\d{1,12}$/.test(t) || v1.length === 0) return fail("Stripe-Signature header malformed");
  if (Math.abs(nowMs / 1000 - Number(t)) > STRIPE_TOLERANCE_SECONDS) return fail("timestamp outside the tolerance");
  let matched = false;
  for (const sig of v1) if (await hmacVerifyHex(secret, sig, `${t}.${rawBody}`)) matched = true;
  if (!matched) return fail("no v1 signature matches");
  const event = parseJson(rawBody) as Partial<StripeEvent> | null;
  if (!event || typeof event.id !== "string" || typeof event.type !== "string" || !isObject(event.data?.object)) {
    return fail("event malformed");
  }
  return { ok: true, value: event as StripeEvent };
}

// ——— WeChat Pay API v3 ———

export interface WechatNotification {
  id: string;
  create_time?: string;
  event_type: string;
  resource_type: string;
  summary?: string;
  resource: { original_type?: string; algorithm: string; ciphertext: string; nonce: string; associated_data?: string };
}

export interface WechatConfig {
  apiV3Key: string;
  /** Wechatpay-Serial → SPKI public key PEM (several during a key switch). */
  publicKeys: Record<string, string>;
}

/** The notification's signature verified (see verifyWechatSignature), then the resource decrypted. */
export async function verifyWechat(
  header: (name: string) => string | undefined,
  rawBody: string,
  cfg: WechatConfig,
  nowMs: number,
): Promise<Verified<{ notification: WechatNotification; resource: Record<string, unknown> }>> {
  const signed = await verifyWechatSignature(header, rawBody, cfg.publicKeys, nowMs);
  if (!signed.ok) return signed;
  const n = parseJson(rawBody) as Partial<WechatNotification> | null;
  const r = n?.resource;
  if (
    !n ||
    typeof n.id !== "string" ||
    typeof n.event_type !== "string" ||
    !isObject(r) ||
    r.algorithm !== "AEAD_AES_256_GCM" ||
    typeof r.ciphertext !== "string" ||
    typeof r.nonce !== "string"
  ) {
    return fail("notification malformed");
  }
  if (!cfg.apiV3Key) return fail("no APIv3 key configured");
  const plain = await aesGcmOpen(cfg.apiV3Key, r.nonce, typeof r.associated_data === "string" ? r.associated_data : "", r.ciphertext);
  if (plain === null) return fail("resource does not decrypt");
  const resource = parseJson(plain);
  if (!isObject(resource)) return fail("resource malformed");
  return { ok: true, value: { notification: n as WechatNotification, resource } };
}

// ——— Alipay (RSA2) ———

/**
 * Parameters URL-decoded once; `sign` and `sign_type` dropped, empty values left out, the rest
 * sorted by key and joined as `k=v&…`, verified with Alipay's public key.
 */
export async function verifyAlipay(rawBody: string, publicKeyPem: string): Promise<Verified<Record<string, string>>> {
  if (!publicKeyPem) return fail("no Alipay public key configured");
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawBody)) {
    if (Object.hasOwn(params, k)) return fail(`parameter ${k} repeated`);
    params[k] = v;
  }
  const sign = params.sign;
  if (!sign) return fail("sign missing");
  if (params.sign_type !== undefined && params.sign_type !== "RSA2") return fail("sign_type is not RSA2");
  const key = await rsaPublicKey(publicKeyPem);
  if (!key) return fail("ALIPAY_PUBLIC_KEY is not a public key");
  if (!(await rsaVerify(key, sign, alipaySignedString(params, ["sign", "sign_type"])))) return fail("signature invalid");
  return { ok: true, value: params };
}

/** The string Alipay signs: non-empty parameters except `omit`, sorted by key (code units), `k=v` joined by `&`. */
export function alipaySignedString(params: Record<string, string>, omit: string[]): string {
  return Object.keys(params)
    .filter((k) => !omit.includes(k) && params[k] !== "")
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${params[k]}`)
    .join("&");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

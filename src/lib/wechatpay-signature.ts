/**
 * The signature WeChat Pay API v3 puts on its notifications and on every API answer (PAYMENTS.md):
 * RSASSA-PKCS1-v1_5 / SHA-256 over `timestamp\nnonce\nbody\n` with the platform key of the serial
 * it names. Shared by the webhook and the API client, so both refuse exactly the same things.
 */
import { rsaPublicKey, rsaVerify } from "./provider-crypto";

export const WECHAT_TOLERANCE_MS = 5 * 60_000;
export const WECHAT_SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048";

const fail = (reason: string) => ({ ok: false as const, reason });

/**
 * The signature WeChat Pay puts on notifications and on every API answer: headers present,
 * timestamp within 5 minutes, a known serial, a valid RSA signature over `timestamp\nnonce\nbody\n`
 * with that serial's platform key (never the merchant's own key).
 */
export async function verifyWechatSignature(
  header: (name: string) => string | null | undefined,
  rawBody: string,
  publicKeys: Record<string, string>,
  nowMs: number,
  { requireType = true }: { requireType?: boolean } = {},
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const timestamp = header("Wechatpay-Timestamp");
  const nonce = header("Wechatpay-Nonce");
  const signature = header("Wechatpay-Signature");
  const serial = header("Wechatpay-Serial");
  const type = header("Wechatpay-Signature-Type");
  if (!timestamp || !nonce || !signature || !serial || (requireType && !type)) return fail("a Wechatpay-* header is missing");
  if (type && type !== WECHAT_SIGNATURE_TYPE) return fail("unsupported signature type");
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Number(timestamp) * 1000 - nowMs) >= WECHAT_TOLERANCE_MS) {
    return fail("timestamp outside the tolerance");
  }
  const pem = Object.hasOwn(publicKeys, serial) ? publicKeys[serial] : undefined;
  if (!pem) return fail("unknown Wechatpay-Serial");
  const key = await rsaPublicKey(pem);
  if (!key) return fail("platform key for this serial is not a public key");
  // Probes (WECHATPAY/SIGNTEST/…) are deliberately bad signatures: they fail here like any other.
  if (!(await rsaVerify(key, signature, `${timestamp}\n${nonce}\n${rawBody}\n`))) return fail("signature invalid");
  return { ok: true };
}

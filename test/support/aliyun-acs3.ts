/**
 * Aliyun's gateway side of the V3 request signature (ACS3-HMAC-SHA256), for the fakes of Aliyun
 * APIs (SMS, Phone Number Protection): it recomputes the signature of a request from the request
 * as received, with the fake's own copy of the AccessKey secret, exactly as Aliyun documents it.
 * Written independently of the code under test (no import from src/).
 */

const enc = new TextEncoder();
export const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
export const sha256 = async (s: string) => hex(await crypto.subtle.digest("SHA-256", enc.encode(s)));
export async function hmac(key: ArrayBuffer | string, data: string): Promise<ArrayBuffer> {
  const raw = typeof key === "string" ? enc.encode(key) : key;
  const k = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(data));
}

/** Aliyun's percent-encoding: RFC 3986 unreserved kept, everything else %XX (space as %20). */
export const pct = (s: string) =>
  Array.from(enc.encode(s), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");

const AUTH = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/;
const REQUIRED = ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"];

/**
 * Why Aliyun's gateway would refuse `req` (with its body as received), or null when its signature
 * holds for the AccessKey pair: `MissingAuthorization` without an ACS3 Authorization header,
 * `SignatureDoesNotMatch` when the key id, the signed headers, the body hash or the signature is
 * wrong.
 */
export async function acs3Refusal(
  req: Request,
  body: string,
  key: { keyId: string; secret: string },
): Promise<"MissingAuthorization" | "SignatureDoesNotMatch" | null> {
  const auth = AUTH.exec(req.headers.get("Authorization") ?? "");
  if (!auth) return "MissingAuthorization";
  const [, keyId, signedHeaders, signature] = auth;
  const url = new URL(req.url);
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
  const expected = hex(await hmac(key.secret, `ACS3-HMAC-SHA256\n${await sha256(canonical)}`));
  const ok =
    keyId === key.keyId &&
    signature === expected &&
    REQUIRED.every((h) => names.includes(h)) &&
    req.headers.get("x-acs-content-sha256") === hashedPayload;
  return ok ? null : "SignatureDoesNotMatch";
}

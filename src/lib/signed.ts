import { fromBase64Url, toBase64Url, utf8 } from "./encoding";

const keys = new Map<string, Promise<CryptoKey>>();

/** An HMAC key for one purpose, derived from JWT_SECRET (so no extra secret to manage). */
function keyFor(secret: string, purpose: string): Promise<CryptoKey> {
  const id = `${purpose}|${secret}`;
  let key = keys.get(id);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey("raw", utf8(secret), "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: utf8("doorstep"), info: utf8(purpose) },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign", "verify"],
      );
    })();
    keys.set(id, key);
  }
  return key;
}

/** `<prefix><payload>.<signature>`: tamper-evident, not secret. */
export async function sign(secret: string, purpose: string, prefix: string, payload: unknown): Promise<string> {
  const body = toBase64Url(utf8(JSON.stringify(payload)));
  const sig = await crypto.subtle.sign("HMAC", await keyFor(secret, purpose), utf8(body));
  return `${prefix}${body}.${toBase64Url(new Uint8Array(sig))}`;
}

/** The payload when the token is intact, else null. */
export async function verify<T>(secret: string, purpose: string, prefix: string, token: string): Promise<T | null> {
  if (!token.startsWith(prefix)) return null;
  const [body, sig] = token.slice(prefix.length).split(".");
  if (!body || !sig) return null;
  try {
    const ok = await crypto.subtle.verify("HMAC", await keyFor(secret, purpose), fromBase64Url(sig), utf8(body));
    return ok ? (JSON.parse(new TextDecoder().decode(fromBase64Url(body))) as T) : null;
  } catch {
    return null;
  }
}

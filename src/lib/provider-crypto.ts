/**
 * The WebCrypto operations payment providers use: PEM keys, RSASSA-PKCS1-v1_5 with SHA-256
 * (WeChat Pay v3, Alipay RSA2), HMAC-SHA256 (Stripe), AES-256-GCM (WeChat Pay resources) and
 * RSA-OAEP with SHA-1 (WeChat Pay's encrypted request fields).
 */
import { fromBase64, toBase64, utf8 } from "./encoding";

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/** PEM text (real newlines or literal `\n`) → DER bytes of its first block; null when it is not PEM. */
export function pemToDer(pem: string): Uint8Array<ArrayBuffer> | null {
  const text = pem.replaceAll("\\n", "\n");
  const m = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) return null;
  try {
    return fromBase64(m[2]!.replace(/\s+/g, ""));
  } catch {
    return null;
  }
}

export function derToPem(der: Uint8Array, label: "PUBLIC KEY" | "PRIVATE KEY"): string {
  const b64 = toBase64(der);
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

const keyCache = new Map<string, Promise<CryptoKey | null>>();

function cached(id: string, make: () => Promise<CryptoKey>): Promise<CryptoKey | null> {
  let key = keyCache.get(id);
  if (!key) {
    key = make().catch(() => null);
    keyCache.set(id, key);
  }
  return key;
}

/** An RSA public key (SPKI PEM) for verifying, or null when the text is not one. */
export function rsaPublicKey(pem: string): Promise<CryptoKey | null> {
  const der = pemToDer(pem);
  if (!der) return Promise.resolve(null);
  return cached(`spki|${pem}`, () => crypto.subtle.importKey("spki", der, RSA, false, ["verify"]));
}

/** An RSA private key (PKCS#8 PEM) for signing, or null when the text is not one. */
export function rsaPrivateKey(pem: string): Promise<CryptoKey | null> {
  const der = pemToDer(pem);
  if (!der) return Promise.resolve(null);
  return cached(`pkcs8|${pem}`, () => crypto.subtle.importKey("pkcs8", der, RSA, false, ["sign"]));
}

/**
 * base64 of `plain` (UTF-8) encrypted RSA-OAEP with SHA-1 (and MGF1-SHA-1) under the public key
 * (SPKI PEM): how WeChat Pay wants sensitive fields such as a payee's name. Null when the text is
 * not a public key.
 */
export async function rsaOaepEncrypt(pem: string, plain: string): Promise<string | null> {
  const der = pemToDer(pem);
  if (!der) return null;
  const key = await cached(`oaep|${pem}`, () =>
    crypto.subtle.importKey("spki", der, { name: "RSA-OAEP", hash: "SHA-1" }, false, ["encrypt"]),
  );
  if (!key) return null;
  return toBase64(new Uint8Array(await crypto.subtle.encrypt({ name: "RSA-OAEP" }, key, utf8(plain))));
}

/** base64 of the RSASSA-PKCS1-v1_5 / SHA-256 signature of `message`. */
export async function rsaSign(key: CryptoKey, message: string): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.sign(RSA.name, key, utf8(message))));
}

/** Whether `signatureB64` is a valid RSASSA-PKCS1-v1_5 / SHA-256 signature of `message`; false for bad base64. */
export async function rsaVerify(key: CryptoKey, signatureB64: string, message: string): Promise<boolean> {
  let sig: Uint8Array<ArrayBuffer>;
  try {
    sig = fromBase64(signatureB64);
  } catch {
    return false;
  }
  return crypto.subtle.verify(RSA.name, key, sig, utf8(message));
}

function hmacKey(secret: string): Promise<CryptoKey | null> {
  return cached(`hmac|${secret}`, () =>
    crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]),
  );
}

/** Hex HMAC-SHA256 of `message` keyed with the UTF-8 bytes of `secret`. */
export async function hmacHex(secret: string, message: string): Promise<string> {
  const key = (await hmacKey(secret))!;
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(message)));
  return Array.from(sig, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Constant-time check of a hex HMAC-SHA256 (crypto.subtle.verify on the decoded bytes). */
export async function hmacVerifyHex(secret: string, hex: string, message: string): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/i.test(hex)) return false;
  const key = await hmacKey(secret);
  if (!key) return false;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return crypto.subtle.verify("HMAC", key, bytes, utf8(message));
}

/**
 * AES-256-GCM decryption as WeChat Pay uses it: key, IV and associated data are UTF-8 strings,
 * `ciphertextB64` is base64 of the ciphertext followed by its 16-byte tag. Null when it does not open.
 */
export async function aesGcmOpen(key32: string, nonce: string, associatedData: string, ciphertextB64: string): Promise<string | null> {
  const keyBytes = utf8(key32);
  if (keyBytes.length !== 32) return null;
  try {
    const key = await crypto.subtle.importKey("raw", keyBytes, "AES-GCM", false, ["decrypt"]);
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: utf8(nonce), additionalData: utf8(associatedData), tagLength: 128 },
      key,
      fromBase64(ciphertextB64),
    );
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(plain);
  } catch {
    return null;
  }
}

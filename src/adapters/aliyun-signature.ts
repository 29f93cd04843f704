/**
 * Aliyun OpenAPI request signature V3 (ACS3-HMAC-SHA256), shared by the Aliyun clients of RPC-style
 * APIs (Dysmsapi SendSms, Dyplsapi BindAxb / UnbindSubscription): the parameters travel in the query
 * string, the body is empty, and the Authorization header signs the canonical request with the
 * AccessKey secret.
 */
import { hmacSha256, sha256Hex, toHex } from "../lib/encoding";

const ALGORITHM = "ACS3-HMAC-SHA256";

/** RFC 3986 encoding as Aliyun signs it: spaces as %20, `*` as %2A, `~` kept. */
export function aliyunEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The canonical query string: encoded pairs sorted by name. */
export function aliyunCanonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${aliyunEncode(k)}=${aliyunEncode(params[k]!)}`)
    .join("&");
}

/**
 * The ACS3-HMAC-SHA256 signature of a request: hex HMAC-SHA256, under the AccessKey secret, of
 * "ACS3-HMAC-SHA256\n" + hex SHA-256 of the canonical request.
 */
export async function aliyunSignature(
  secret: string,
  request: { method: string; path: string; query: string; headers: Record<string, string>; hashedPayload: string },
): Promise<{ signedHeaders: string; signature: string }> {
  const names = Object.keys(request.headers)
    .map((n) => n.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  const canonicalHeaders = names.map((n) => `${n}:${lower[n]}\n`).join("");
  const signedHeaders = names.join(";");
  const canonicalRequest = [request.method, request.path, request.query, canonicalHeaders, signedHeaders, request.hashedPayload].join("\n");
  const stringToSign = `${ALGORITHM}\n${await sha256Hex(canonicalRequest)}`;
  return { signedHeaders, signature: toHex(await hmacSha256(secret, stringToSign)) };
}

/** An AccessKey pair (the secret signs, the id names it). */
export interface AliyunCredentials {
  keyId: string;
  secret: string;
}

/** One call of an RPC-style Aliyun API: which action of which version, with its parameters. */
export interface AliyunCall {
  action: string;
  version: string;
  params: Record<string, string>;
}

/**
 * The signed POST of `call` to `endpoint`: the URL (parameters in its query) and the fetch init.
 * The URL holds the parameters, phone numbers included: never log it.
 */
export async function signedAliyunRequest(
  endpoint: URL,
  credentials: AliyunCredentials,
  call: AliyunCall,
  now = new Date(),
): Promise<{ url: string; init: RequestInit }> {
  const query = aliyunCanonicalQuery(call.params);
  const hashedPayload = await sha256Hex("");
  const headers: Record<string, string> = {
    host: endpoint.host,
    "x-acs-action": call.action,
    "x-acs-version": call.version,
    "x-acs-date": now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    "x-acs-signature-nonce": crypto.randomUUID(),
    "x-acs-content-sha256": hashedPayload,
  };
  const path = endpoint.pathname || "/";
  const { signedHeaders, signature } = await aliyunSignature(credentials.secret, { method: "POST", path, query, headers, hashedPayload });
  // The runtime sets Host from the URL; it is signed all the same.
  const { host: _host, ...sent } = headers;
  return {
    url: `${endpoint.origin}${path}?${query}`,
    init: {
      method: "POST",
      headers: {
        ...sent,
        Authorization: `${ALGORITHM} Credential=${credentials.keyId},SignedHeaders=${signedHeaders},Signature=${signature}`,
      },
    },
  };
}

/** Aliyun takes mainland numbers without a prefix and others as country code + number. */
export function aliyunPhone(e164: string): string {
  return e164.startsWith("+86") ? e164.slice(3) : e164.replace(/^\+/, "");
}

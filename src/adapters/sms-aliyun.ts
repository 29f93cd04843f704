/**
 * Aliyun SMS (Dysmsapi 2017-05-25, SendSms), signed with the V3 request signature
 * ACS3-HMAC-SHA256. Parameters travel in the query string; the body is empty.
 */
import type { Config } from "../config";
import { sha256Hex, toHex } from "../lib/encoding";
import { callProvider, configured, hmacSha256, SmsError, templateFor, type SmsSender } from "./sms";

type AliyunConfig = Pick<
  Config,
  "SMS_TEMPLATES" | "ALIYUN_SMS_ENDPOINT" | "ALIYUN_ACCESS_KEY_ID" | "ALIYUN_ACCESS_KEY_SECRET" | "ALIYUN_SMS_SIGN_NAME"
>;

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

/** Aliyun takes mainland numbers without a prefix and others as country code + number. */
function aliyunPhone(e164: string): string {
  return e164.startsWith("+86") ? e164.slice(3) : e164.replace(/^\+/, "");
}

export function aliyunSms(env: AliyunConfig): SmsSender {
  const keyId = configured(env.ALIYUN_ACCESS_KEY_ID, "ALIYUN_ACCESS_KEY_ID");
  const secret = configured(env.ALIYUN_ACCESS_KEY_SECRET, "ALIYUN_ACCESS_KEY_SECRET");
  const signName = configured(env.ALIYUN_SMS_SIGN_NAME, "ALIYUN_SMS_SIGN_NAME");
  const endpoint = new URL(env.ALIYUN_SMS_ENDPOINT);
  return {
    async send(phone, message) {
      const template = templateFor(env.SMS_TEMPLATES, "aliyun", message);
      const query = aliyunCanonicalQuery({
        PhoneNumbers: aliyunPhone(phone),
        SignName: signName,
        TemplateCode: template.code,
        TemplateParam: JSON.stringify(Object.fromEntries(template.params)),
      });
      const hashedPayload = await sha256Hex("");
      const headers: Record<string, string> = {
        host: endpoint.host,
        "x-acs-action": "SendSms",
        "x-acs-version": "2017-05-25",
        "x-acs-date": new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
        "x-acs-signature-nonce": crypto.randomUUID(),
        "x-acs-content-sha256": hashedPayload,
      };
      const path = endpoint.pathname || "/";
      const { signedHeaders, signature } = await aliyunSignature(secret, { method: "POST", path, query, headers, hashedPayload });
      // The runtime sets Host from the URL; it is signed all the same.
      const { host: _host, ...sent } = headers;
      const answer = await callProvider("aliyun", `${endpoint.origin}${path}?${query}`, {
        method: "POST",
        headers: { ...sent, Authorization: `${ALGORITHM} Credential=${keyId},SignedHeaders=${signedHeaders},Signature=${signature}` },
      });
      const body = answer.body as { Code?: unknown; Message?: unknown };
      if (body.Code !== "OK") {
        // Throttling and the provider's own faults pass; anything else (a template refused, a
        // bad signature, a number barred) fails the same way next time.
        const code = String(body.Code ?? answer.status);
        const retryable = /^(isv\.BUSINESS_LIMIT_CONTROL|Throttling|ServiceUnavailable|InternalError)/.test(code);
        throw new SmsError(`aliyun refused the message (${message.kind}): ${code} ${String(body.Message ?? "")}`.trim(), retryable);
      }
    },
  };
}

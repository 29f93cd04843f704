/**
 * Tencent Cloud SMS (API 2021-01-11, SendSms), signed with TC3-HMAC-SHA256 over the JSON body.
 */
import type { Config } from "../config";
import { hmacSha256, sha256Hex, toHex } from "../lib/encoding";
import { callProvider, configured, SmsError, templateFor, type SmsSender } from "./sms";

type TencentConfig = Pick<
  Config,
  | "SMS_TEMPLATES"
  | "TENCENT_SMS_ENDPOINT"
  | "TENCENT_SMS_REGION"
  | "TENCENTCLOUD_SECRET_ID"
  | "TENCENTCLOUD_SECRET_KEY"
  | "TENCENT_SMS_SDK_APP_ID"
  | "TENCENT_SMS_SIGN_NAME"
>;

const ALGORITHM = "TC3-HMAC-SHA256";
const SERVICE = "sms";
const CONTENT_TYPE = "application/json; charset=utf-8";

/**
 * The TC3-HMAC-SHA256 signature of a POST with a JSON body, signing content-type and host. The
 * key is derived per day and service: HMAC("TC3" + secret, date) → service → "tc3_request".
 */
export async function tencentSignature(
  secretKey: string,
  request: { host: string; path: string; contentType: string; payload: string; timestamp: number },
): Promise<{ scope: string; signedHeaders: string; signature: string }> {
  const date = new Date(request.timestamp * 1000).toISOString().slice(0, 10);
  const scope = `${date}/${SERVICE}/tc3_request`;
  const signedHeaders = "content-type;host";
  const canonicalHeaders = `content-type:${request.contentType}\nhost:${request.host}\n`;
  const canonicalRequest = ["POST", request.path, "", canonicalHeaders, signedHeaders, await sha256Hex(request.payload)].join("\n");
  const stringToSign = [ALGORITHM, String(request.timestamp), scope, await sha256Hex(canonicalRequest)].join("\n");
  const secretDate = await hmacSha256(`TC3${secretKey}`, date);
  const secretService = await hmacSha256(secretDate, SERVICE);
  const secretSigning = await hmacSha256(secretService, "tc3_request");
  return { scope, signedHeaders, signature: toHex(await hmacSha256(secretSigning, stringToSign)) };
}

export function tencentSms(env: TencentConfig): SmsSender {
  const secretId = configured(env.TENCENTCLOUD_SECRET_ID, "TENCENTCLOUD_SECRET_ID");
  const secretKey = configured(env.TENCENTCLOUD_SECRET_KEY, "TENCENTCLOUD_SECRET_KEY");
  const appId = configured(env.TENCENT_SMS_SDK_APP_ID, "TENCENT_SMS_SDK_APP_ID");
  const signName = configured(env.TENCENT_SMS_SIGN_NAME, "TENCENT_SMS_SIGN_NAME");
  const endpoint = new URL(env.TENCENT_SMS_ENDPOINT);
  return {
    async send(phone, message) {
      const template = templateFor(env.SMS_TEMPLATES, "tencent", message);
      const payload = JSON.stringify({
        PhoneNumberSet: [phone],
        SmsSdkAppId: appId,
        SignName: signName,
        TemplateId: template.code,
        // Tencent fills the template's {1}, {2}, … in order.
        TemplateParamSet: template.params.map(([, value]) => value),
      });
      const timestamp = Math.floor(Date.now() / 1000);
      const path = endpoint.pathname || "/";
      const { scope, signedHeaders, signature } = await tencentSignature(secretKey, {
        host: endpoint.host,
        path,
        contentType: CONTENT_TYPE,
        payload,
        timestamp,
      });
      const answer = await callProvider("tencent", `${endpoint.origin}${path}`, {
        method: "POST",
        headers: {
          "Content-Type": CONTENT_TYPE,
          "X-TC-Action": "SendSms",
          "X-TC-Version": "2021-01-11",
          "X-TC-Timestamp": String(timestamp),
          "X-TC-Region": env.TENCENT_SMS_REGION,
          Authorization: `${ALGORITHM} Credential=${secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
        },
        body: payload,
      });
      const response = (answer.body as { Response?: { Error?: { Code?: unknown; Message?: unknown }; SendStatusSet?: unknown } }).Response;
      const error = response?.Error;
      if (error) {
        const code = String(error.Code ?? answer.status);
        const retryable = /^(InternalError|RequestLimitExceeded|LimitExceeded)/.test(code);
        throw new SmsError(`tencent refused the message (${message.kind}): ${code} ${String(error.Message ?? "")}`.trim(), retryable);
      }
      const status = Array.isArray(response?.SendStatusSet) ? (response.SendStatusSet[0] as { Code?: unknown; Message?: unknown }) : null;
      if (status?.Code !== "Ok") {
        const code = String(status?.Code ?? "no send status");
        const retryable = code.startsWith("InternalError");
        throw new SmsError(`tencent refused the message (${message.kind}): ${code} ${String(status?.Message ?? "")}`.trim(), retryable);
      }
    },
  };
}

/**
 * Aliyun SMS (Dysmsapi 2017-05-25, SendSms), signed with the V3 request signature
 * ACS3-HMAC-SHA256 (`aliyun-signature.ts`). Parameters travel in the query string; the body is empty.
 */
import type { Config } from "../config";
import { aliyunPhone, signedAliyunRequest } from "./aliyun-signature";
import { callProvider, configured, SmsError, templateFor, type SmsSender } from "./sms";

type AliyunConfig = Pick<
  Config,
  "SMS_TEMPLATES" | "ALIYUN_SMS_ENDPOINT" | "ALIYUN_ACCESS_KEY_ID" | "ALIYUN_ACCESS_KEY_SECRET" | "ALIYUN_SMS_SIGN_NAME"
>;

export function aliyunSms(env: AliyunConfig): SmsSender {
  const credentials = {
    keyId: configured(env.ALIYUN_ACCESS_KEY_ID, "ALIYUN_ACCESS_KEY_ID"),
    secret: configured(env.ALIYUN_ACCESS_KEY_SECRET, "ALIYUN_ACCESS_KEY_SECRET"),
  };
  const signName = configured(env.ALIYUN_SMS_SIGN_NAME, "ALIYUN_SMS_SIGN_NAME");
  const endpoint = new URL(env.ALIYUN_SMS_ENDPOINT);
  return {
    async send(phone, message) {
      const template = templateFor(env.SMS_TEMPLATES, "aliyun", message);
      const { url, init } = await signedAliyunRequest(endpoint, credentials, {
        action: "SendSms",
        version: "2017-05-25",
        params: {
          PhoneNumbers: aliyunPhone(phone),
          SignName: signName,
          TemplateCode: template.code,
          TemplateParam: JSON.stringify(Object.fromEntries(template.params)),
        },
      });
      const answer = await callProvider("aliyun", url, init);
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

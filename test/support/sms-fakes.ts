/**
 * Local fakes of Aliyun SMS (Dysmsapi SendSms, ACS3-HMAC-SHA256) and Tencent Cloud SMS (SendSms
 * 2021-01-11, TC3-HMAC-SHA256). Each checks the request signature the way the provider documents
 * it, with its own copy of the shared secret (a request signed with another secret is refused as
 * the provider refuses it), and answers in the provider's shape. `installSmsFakes()` routes the
 * configured endpoints (`SMS_VARS`) to fresh fakes through a `fetch` spy.
 */
import { acs3Refusal, hex, hmac, sha256 } from "./aliyun-acs3";
import { routeFetch, type FetchRoute } from "./fetch-routes";

export const ALIYUN_ENDPOINT = "https://dysmsapi.aliyun.fake.test";
export const TENCENT_ENDPOINT = "https://sms.tencent.fake.test";
export const ALIYUN_KEY_ID = "LTAI5tFakeKeyId";
export const ALIYUN_SECRET = "aliyun-fake-access-key-secret-0123";
export const TENCENT_SECRET_ID = "AKIDfakeSecretId0123";
export const TENCENT_SECRET_KEY = "tencent-fake-secret-key-0123456789";

export const TEMPLATES = {
  otp: { aliyun: "SMS_154950909", tencent: "1234567", params: ["code"] },
  "order.cancelled": { aliyun: "SMS_200000001", tencent: "2000001", params: ["orderId"] },
  "order.en_route": { aliyun: "SMS_200000002", tencent: "2000002", params: ["title", "orderId"] },
  "task.offered": { aliyun: "SMS_200000003", tencent: "2000003", params: ["orderId"] },
};

export const SMS_VARS = {
  SMS_TEMPLATES: JSON.stringify(TEMPLATES),
  ALIYUN_SMS_ENDPOINT: ALIYUN_ENDPOINT,
  ALIYUN_ACCESS_KEY_ID: ALIYUN_KEY_ID,
  ALIYUN_ACCESS_KEY_SECRET: ALIYUN_SECRET,
  ALIYUN_SMS_SIGN_NAME: "Doorstep",
  TENCENT_SMS_ENDPOINT: TENCENT_ENDPOINT,
  TENCENTCLOUD_SECRET_ID: TENCENT_SECRET_ID,
  TENCENTCLOUD_SECRET_KEY: TENCENT_SECRET_KEY,
  TENCENT_SMS_SDK_APP_ID: "1400000001",
  TENCENT_SMS_SIGN_NAME: "Doorstep",
};

// ---- signing as the providers document it (independent of the code under test) -------------

/** How a fake answers: accepts, refuses the template for good, or fails with a 5xx. */
export type SmsMode = "ok" | "template-refused" | "unavailable";

export interface Received {
  url: URL;
  headers: Headers;
  body: string;
}

/** Aliyun Dysmsapi SendSms, ACS3-HMAC-SHA256. */
export function aliyunFake(secret: string) {
  const received: Received[] = [];
  let mode: SmsMode = "ok";
  const requestId = "F655A8D5-B967-440B-8683-DAD6FF8DE990";
  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const body = await req.text();
    if (mode === "unavailable") return new Response("Service Unavailable", { status: 503 });
    const refusal = await acs3Refusal(req, body, { keyId: ALIYUN_KEY_ID, secret });
    if (refusal === "MissingAuthorization") return Response.json({ Code: refusal, RequestId: requestId }, { status: 400 });
    if (refusal) {
      return Response.json(
        { Code: refusal, Message: "Specified signature is not matched with our calculation.", RequestId: requestId },
        { status: 400 },
      );
    }
    received.push({ url, headers: req.headers, body });
    if (req.headers.get("x-acs-action") !== "SendSms" || req.headers.get("x-acs-version") !== "2017-05-25") {
      return Response.json({ Code: "InvalidAction.NotFound", RequestId: requestId }, { status: 404 });
    }
    if (mode === "template-refused") {
      return Response.json({ Code: "isv.SMS_TEMPLATE_ILLEGAL", Message: "该账号下找不到对应模板", RequestId: requestId });
    }
    return Response.json({ Code: "OK", Message: "OK", BizId: "900619746936498440^0", RequestId: requestId });
  }
  return {
    handle,
    received,
    set mode(m: SmsMode) {
      mode = m;
    },
  };
}

/** Tencent Cloud SMS SendSms (2021-01-11), TC3-HMAC-SHA256. */
export function tencentFake(secretKey: string) {
  const received: (Received & { json: Record<string, unknown> })[] = [];
  let mode: SmsMode = "ok";
  const requestId = "a0aabda6-cf91-4f3e-a81f-9198114a2279";
  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const body = await req.text();
    if (mode === "unavailable") return new Response("Bad Gateway", { status: 502 });
    const error = (Code: string, Message: string) => Response.json({ Response: { Error: { Code, Message }, RequestId: requestId } });
    const auth =
      /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/sms\/tc3_request, SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(
        req.headers.get("Authorization") ?? "",
      );
    if (!auth) return error("AuthFailure.InvalidAuthorization", "Authorization malformed");
    const [, secretId, date, signedHeaders, signature] = auth;
    const timestamp = req.headers.get("X-TC-Timestamp") ?? "";
    const names = signedHeaders!.split(";");
    const value = (n: string) => (n === "host" ? (req.headers.get("host") ?? url.host) : (req.headers.get(n) ?? "")).trim().toLowerCase();
    const canonicalHeaders = names.map((n) => `${n}:${value(n)}\n`).join("");
    const canonical = [req.method, url.pathname, url.search.slice(1), canonicalHeaders, signedHeaders, await sha256(body)].join("\n");
    const scope = `${date}/sms/tc3_request`;
    const stringToSign = ["TC3-HMAC-SHA256", timestamp, scope, await sha256(canonical)].join("\n");
    const kDate = await hmac(`TC3${secretKey}`, date!);
    const kService = await hmac(kDate, "sms");
    const kSigning = await hmac(kService, "tc3_request");
    const expected = hex(await hmac(kSigning, stringToSign));
    if (secretId !== TENCENT_SECRET_ID) return error("AuthFailure.SecretIdNotFound", "The SecretId is not found");
    if (
      signature !== expected ||
      !names.includes("host") ||
      !names.includes("content-type") ||
      new Date(Number(timestamp) * 1000).toISOString().slice(0, 10) !== date
    ) {
      return error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.");
    }
    const json = JSON.parse(body) as Record<string, unknown>;
    received.push({ url, headers: req.headers, body, json });
    if (
      req.headers.get("X-TC-Action") !== "SendSms" ||
      req.headers.get("X-TC-Version") !== "2021-01-11" ||
      !req.headers.get("X-TC-Region")
    ) {
      return error("InvalidAction", "The action is not supported.");
    }
    const phone = (json.PhoneNumberSet as string[])[0];
    const status =
      mode === "template-refused"
        ? {
            Code: "FailedOperation.TemplateIncorrectOrUnapproved",
            Message: "template is not approved or request content does not match the approved template content",
          }
        : { Code: "Ok", Message: "send success" };
    return Response.json({
      Response: {
        SendStatusSet: [
          { SerialNo: "5000:1045710669157053657849499619", PhoneNumber: phone, Fee: 1, SessionContext: "", IsoCode: "CN", ...status },
        ],
        RequestId: requestId,
      },
    });
  }
  return {
    handle,
    received,
    set mode(m: SmsMode) {
      mode = m;
    },
  };
}

export type AliyunFake = ReturnType<typeof aliyunFake>;
export type TencentFake = ReturnType<typeof tencentFake>;

/** Fresh fakes and their `fetch` routes: `ALIYUN_ENDPOINT` and `TENCENT_ENDPOINT`. */
export function smsFakes(): { aliyun: AliyunFake; tencent: TencentFake; routes: FetchRoute[] } {
  const aliyun = aliyunFake(ALIYUN_SECRET);
  const tencent = tencentFake(TENCENT_SECRET_KEY);
  return {
    aliyun,
    tencent,
    routes: [
      [ALIYUN_ENDPOINT, (req) => aliyun.handle(req)],
      [TENCENT_ENDPOINT, (req) => tencent.handle(req)],
    ],
  };
}

/** Fresh fakes behind `ALIYUN_ENDPOINT` and `TENCENT_ENDPOINT` (other hosts reach the real `fetch`). */
export function installSmsFakes(): { aliyun: AliyunFake; tencent: TencentFake } {
  const fakes = smsFakes();
  routeFetch(fakes.routes);
  return fakes;
}

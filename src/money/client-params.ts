/**
 * What the app needs to pay, per provider, exactly as the providers' SDKs take it:
 * - WeChat Pay APIv3 JSAPI (`wx.requestPayment` / WeixinJSBridge): appId, timeStamp, nonceStr,
 *   package `prepay_id=…`, signType `RSA`, paySign = RSA-SHA256 of `appId\ntimeStamp\nnonceStr\npackage\n`;
 *   app (OpenSDK PayReq): appid, partnerid, prepayid, package `Sign=WXPay`, noncestr, timestamp,
 *   sign = RSA-SHA256 of `appid\ntimestamp\nnoncestr\nprepayid\n`; both with the merchant API key.
 *   Native: the code_url WeChat Pay answered, to show as a QR code.
 * - Alipay app pay: the order string of `alipay.trade.app.pay`, signed RSA2 with the app's private key;
 *   WAP / page pay: the gateway URL of `alipay.trade.wap.pay` / `alipay.trade.page.pay`, every
 *   parameter signed RSA2, for the browser to open.
 * - Stripe: the PaymentIntent's id and client secret for `confirmPayment`.
 */
import { config } from "../config";
import { fenToYuan, type PaymentProvider } from "../domain/money";
import { randomToken } from "../lib/encoding";
import { rsaPrivateKey, rsaSign } from "../lib/provider-crypto";
import { alipaySignedString } from "./verify";
import type { Prepared } from "../adapters/payment-provider";
import { alipayPayUrl } from "../adapters/alipay";

export interface ParamsInput {
  paymentId: string;
  provider: PaymentProvider;
  channel: string;
  amount: number;
  description: string;
  notifyUrl: string;
  /** Alipay wap/page: return_url. */
  returnUrl?: string;
  prepared: Prepared;
  now: number;
}

const nonce = () =>
  randomToken(24)
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, 32)
    .padEnd(32, "0");

async function signWith(pem: string, message: string): Promise<string> {
  const key = await rsaPrivateKey(pem);
  if (!key) throw new Error("the configured private key is not a PKCS#8 RSA key");
  return rsaSign(key, message);
}

/** Alipay's timestamp: `yyyy-MM-dd HH:mm:ss` in Beijing time. */
export function beijingTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace("T", " ");
}

export async function clientParams(env: Env, p: ParamsInput): Promise<Record<string, unknown>> {
  const cfg = config(env);
  const timestamp = String(Math.floor(p.now / 1000));
  switch (p.provider) {
    case "wechatpay": {
      if (p.channel === "native") {
        if (!p.prepared.codeUrl) throw new Error("native prepay without code_url");
        return { codeUrl: p.prepared.codeUrl };
      }
      const prepayId = p.prepared.providerRef!;
      const noncestr = nonce();
      if (p.channel === "jsapi") {
        const pkg = `prepay_id=${prepayId}`;
        const appId = cfg.WECHATPAY_APPID;
        return {
          appId,
          timeStamp: timestamp,
          nonceStr: noncestr,
          package: pkg,
          signType: "RSA",
          paySign: await signWith(cfg.WECHATPAY_MERCHANT_PRIVATE_KEY, `${appId}\n${timestamp}\n${noncestr}\n${pkg}\n`),
        };
      }
      return {
        appid: cfg.WECHATPAY_APPID,
        partnerid: cfg.WECHATPAY_MCHID,
        prepayid: prepayId,
        package: "Sign=WXPay",
        noncestr,
        timestamp,
        sign: await signWith(cfg.WECHATPAY_MERCHANT_PRIVATE_KEY, `${cfg.WECHATPAY_APPID}\n${timestamp}\n${noncestr}\n${prepayId}\n`),
      };
    }
    case "alipay": {
      if (p.channel === "wap" || p.channel === "page") {
        return {
          payUrl: await alipayPayUrl(env, {
            kind: p.channel,
            paymentId: p.paymentId,
            amount: p.amount,
            subject: p.description,
            notifyUrl: p.notifyUrl,
            returnUrl: p.returnUrl,
            now: p.now,
          }),
        };
      }
      const params: Record<string, string> = {
        app_id: cfg.ALIPAY_APP_ID,
        method: "alipay.trade.app.pay",
        format: "JSON",
        charset: "utf-8",
        sign_type: "RSA2",
        timestamp: beijingTime(p.now),
        version: "1.0",
        notify_url: p.notifyUrl,
        biz_content: JSON.stringify({
          out_trade_no: p.paymentId,
          total_amount: fenToYuan(p.amount),
          subject: p.description,
          product_code: "QUICK_MSECURITY_PAY",
        }),
      };
      // Requests sign everything but `sign` (sign_type included), unlike notifications.
      const sign = await signWith(cfg.ALIPAY_APP_PRIVATE_KEY, alipaySignedString(params, ["sign"]));
      const orderString = [...Object.keys(params).sort(), "sign"]
        .map((k) => `${k}=${encodeURIComponent(k === "sign" ? sign : params[k]!)}`)
        .join("&");
      return { orderString };
    }
    case "stripe":
    case "sandbox":
      return {
        paymentIntentId: p.prepared.providerRef,
        clientSecret: p.prepared.clientSecret,
        ...(p.provider === "stripe" && cfg.STRIPE_PUBLISHABLE_KEY ? { publishableKey: cfg.STRIPE_PUBLISHABLE_KEY } : {}),
        ...(p.provider === "sandbox" ? { payUrl: `/v1/sandbox/payments/${p.paymentId}/pay` } : {}),
      };
  }
}

import { z } from "@hono/zod-openapi";
import {
  PAYMENT_CHANNELS,
  PAYMENT_PROVIDERS,
  PAYMENT_STAGES,
  PAYMENT_STATUSES,
  REFUND_KINDS,
  REFUND_STATUSES,
  WITHDRAWAL_STATUSES,
} from "../domain/money";
import { MoneySchema } from "../http/openapi";

export const PaymentRequest = z
  .object({
    provider: z.enum(PAYMENT_PROVIDERS),
    stage: z
      .enum(PAYMENT_STAGES)
      .optional()
      .openapi({ description: "Default: deposit or full before confirmation, balance after (full for pay-after-service)" }),
    channel: z.enum(PAYMENT_CHANNELS).optional().openapi({
      description:
        "How the payer pays. wechatpay: `app` (default; OpenSDK), `jsapi` (mini program / official account; needs openId) or `native` (a QR code to scan). alipay: `app` (default; the SDK's order string), `wap` (phone browser) or `page` (desktop browser): a signed redirect URL to Alipay's cashier. stripe and sandbox: `default`.",
    }),
    openId: z.string().min(1).max(128).optional().openapi({
      description:
        "WeChat Pay JSAPI: the payer's openid under WECHATPAY_APPID; absent, the openid the customer bound with POST /v1/me/wechat (400 when neither)",
    }),
    returnUrl: z
      .url({ protocol: /^https?$/ })
      .max(512)
      .optional()
      .openapi({
        description:
          "Alipay wap/page: where Alipay's cashier sends the payer back (return_url). The payment is confirmed by the notification, never by this return.",
      }),
  })
  .strict()
  .openapi("PaymentRequest");

export const Payment = z
  .object({
    id: z.string().openapi({ description: "out_trade_no (WeChat Pay, Alipay) or PaymentIntent metadata.paymentId (Stripe)" }),
    orderId: z.string().nullable().openapi({ description: "The order paid for; null for a package's payment" }),
    packageId: z.string().nullable().openapi({ description: "The customer's package paid for (次卡/套餐); null for an order's payment" }),
    provider: z.enum(PAYMENT_PROVIDERS),
    channel: z.string(),
    stage: z.enum(PAYMENT_STAGES),
    amount: MoneySchema,
    status: z.enum(PAYMENT_STATUSES),
    disposition: z.string().nullable().openapi({ description: "applied, refunded_late or refunded_duplicate once the money is settled" }),
    providerTxnId: z.string().nullable(),
    refunded: MoneySchema,
    clientParams: z.record(z.string(), z.unknown()).optional().openapi({
      description:
        "Only when created; its shape depends on provider and channel. wechatpay app: {appid, partnerid, prepayid, package: 'Sign=WXPay', noncestr, timestamp, sign} for OpenSDK PayReq; jsapi: {appId, timeStamp, nonceStr, package: 'prepay_id=…', signType: 'RSA', paySign} for wx.requestPayment; native: {codeUrl} (`weixin://wxpay/bizpayurl?pr=…`: show it as a QR code; valid 2 hours). alipay app: {orderString} for the Alipay SDK; wap and page: {payUrl} (Alipay's gateway URL with every parameter signed RSA2: open or redirect the browser to it, GET). stripe: {paymentIntentId, clientSecret, publishableKey?}; sandbox: {paymentIntentId, clientSecret, payUrl}.",
    }),
    createdAt: z.string(),
    succeededAt: z.string().nullable(),
  })
  .openapi("Payment");

export const Refund = z
  .object({
    id: z.string().openapi({ description: "out_refund_no at the provider" }),
    orderId: z.string().nullable().openapi({ description: "The order whose money goes back; null for a package's refund" }),
    packageId: z.string().nullable().openapi({ description: "The customer's package refunded; null for an order's refund" }),
    paymentId: z.string(),
    provider: z.enum(PAYMENT_PROVIDERS),
    kind: z.enum(REFUND_KINDS),
    amount: MoneySchema,
    status: z.enum(REFUND_STATUSES),
    reason: z.string(),
    failureReason: z.string().nullable(),
    createdAt: z.string(),
    decidedAt: z.string().nullable(),
    succeededAt: z.string().nullable(),
  })
  .openapi("Refund");

export const Withdrawal = z
  .object({
    id: z.string(),
    technicianId: z.string(),
    amount: MoneySchema,
    status: z.enum(WITHDRAWAL_STATUSES),
    payoutProvider: z.string(),
    payoutRef: z.string().nullable(),
    reason: z.string().nullable(),
    createdAt: z.string(),
    decidedAt: z.string().nullable(),
    paidAt: z.string().nullable(),
  })
  .openapi("Withdrawal");

/** A technician's own withdrawal: a Withdrawal with what confirming a WeChat Pay transfer needs. */
export const OwnWithdrawal = Withdrawal.extend({
  confirmation: z.object({ mchId: z.string(), appId: z.string(), package: z.string() }).nullable().openapi({
    description:
      "Set while the withdrawal is `processing` and WeChat Pay waits for the technician to confirm the transfer (WAIT_USER_CONFIRM): the mini program calls `wx.requestMerchantTransfer({ mchId, appId, package })`. Null otherwise.",
  }),
}).openapi("OwnWithdrawal");

export const IdempotencyHeader = z.object({
  "idempotency-key": z.string().optional().openapi({ description: "Required. A bare or quoted string, 1–255 visible characters" }),
});

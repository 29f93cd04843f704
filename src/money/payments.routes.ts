import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireRole } from "../http/auth";
import { authErrors, bearer, errorResponses, jsonBody, jsonContent } from "../http/openapi";
import { OrderId } from "../orders/orders.schemas";
import { IdempotencyHeader, Payment, PaymentRequest, Refund } from "./payments.schemas";

export const createPayment = createRoute({
  operationId: "createPayment",
  method: "post",
  path: "/v1/orders/{id}/payments",
  tags: ["Payments"],
  summary: "Pay my order (a stage: full, deposit or balance) through a provider (Idempotency-Key required)",
  description:
    "Creates the provider-side trade and returns what the app needs to pay (`clientParams`). The provider's verified notification (or the reconciliation job's query) completes it: a paid full or deposit payment confirms the order and dispatches it. 409 NOTHING_TO_PAY when the stage is not due, 409 PROVIDER_NOT_CONFIGURED for a provider without keys here, 400 VALIDATION_FAILED for a channel the provider does not have (see `channel`), 503 PROVIDER_UNAVAILABLE when the provider does not answer in time or answers 5xx (nothing recorded; retry with the same key), 502 PROVIDER_REFUSED when it refuses the request (nothing recorded).",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: OrderId, headers: IdempotencyHeader, body: jsonBody(PaymentRequest) },
  responses: { 201: jsonContent(Payment, "Created; pay with clientParams"), ...authErrors(404, 409, 413, 415, 422, 502, 503) },
});

const PackageId = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "pkg_01JD3Q8Z6X9V4M2K7T5R1N0PAB" }),
});

export const createPackagePayment = createRoute({
  operationId: "payMyPackage",
  method: "post",
  path: "/v1/me/packages/{id}/payments",
  tags: ["Payments"],
  summary: "Pay my pending package (次卡/套餐) through a provider (Idempotency-Key required)",
  description:
    "The package's whole price, through the same providers, verified webhooks and reconciliation as an order's payment. The provider's notification activates the package once (its money deferred, earned per visit drawn); a second payment of a package paid already is refunded in full. `stage` is ignored (always `full`). 409 PACKAGE_NOT_PENDING once the package is paid, 409 PROVIDER_NOT_CONFIGURED, 400 VALIDATION_FAILED for a channel the provider does not have, 503 PROVIDER_UNAVAILABLE, 502 PROVIDER_REFUSED (nothing recorded).",
  security: bearer,
  middleware: [requireRole("customer")] as const,
  request: { params: PackageId, headers: IdempotencyHeader, body: jsonBody(PaymentRequest) },
  responses: { 201: jsonContent(Payment, "Created; pay with clientParams"), ...authErrors(404, 409, 413, 415, 422, 502, 503) },
});

export const listPayments = createRoute({
  operationId: "listOrderPayments",
  method: "get",
  path: "/v1/orders/{id}/payments",
  tags: ["Payments"],
  summary: "The payments and refunds of my order",
  security: bearer,
  middleware: [requireAuth] as const,
  request: { params: OrderId },
  responses: { 200: jsonContent(z.object({ items: z.array(Payment), refunds: z.array(Refund) }), "Payments"), ...authErrors(404) },
});

export const complain = createRoute({
  operationId: "fileComplaint",
  method: "post",
  path: "/v1/orders/{id}/complaints",
  tags: ["Payments"],
  summary: "Complain about my completed order and ask for a refund (after-sales)",
  description:
    "Within COMPLAINT_WINDOW_DAYS of completion. The order becomes after_sales and refund requests (in all, everything paid or `amount`; one per payment the money goes back to) wait for an operator's approval. 409 when the order is not completed, nothing was paid, or a complaint is open.",
  security: bearer,
  middleware: [requireRole("customer")] as const,
  request: {
    params: OrderId,
    headers: z.object({
      "idempotency-key": z.string().optional().openapi({ description: "Optional: a retry with it gets the stored answer" }),
    }),
    body: jsonBody(
      z
        .object({
          reason: z.string().trim().min(1).max(1000),
          amount: z.number().int().min(1).optional().openapi({ description: "分; default: all that was paid" }),
        })
        .strict(),
    ),
  },
  responses: {
    201: jsonContent(z.object({ items: z.array(Refund) }), "Refunds requested, one per payment the money goes back to"),
    ...authErrors(404, 409, 413, 415, 422),
  },
});

const PaymentParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "pay_01JD3Q8Z6X9V4M2K7T5R1N0PAB" }),
});

export const sandboxPay = createRoute({
  operationId: "paySandboxPayment",
  method: "post",
  path: "/v1/sandbox/payments/{id}/pay",
  tags: ["Payments"],
  summary: "Sandbox provider: pay (or fail) my sandbox payment",
  description:
    "Development and demos (only where SANDBOX_WEBHOOK_SECRET is set; 404 elsewhere). Marks the trade paid at the local provider and delivers a signed Stripe-format event to the verifying webhook code. `notify: false` loses the notification, for the reconciliation job to find.",
  security: bearer,
  middleware: [requireAuth] as const,
  request: {
    params: PaymentParam,
    body: jsonBody(z.object({ outcome: z.enum(["succeeded", "failed"]).optional(), notify: z.boolean().optional() }).strict()),
  },
  responses: {
    200: jsonContent(z.object({ paymentId: z.string(), outcome: z.string(), notified: z.boolean() }), "Done"),
    ...authErrors(404, 409, 413, 415),
  },
});

const webhook = (provider: string, description: string, ok: Parameters<typeof createRoute>[0]["responses"]) =>
  createRoute({
    operationId: `receive${provider[0]!.toUpperCase()}${provider.slice(1)}Webhook`,
    method: "post",
    path: `/v1/webhooks/${provider}`,
    tags: ["Webhooks"],
    summary: `${provider} payment notifications (verified, applied once)`,
    description,
    responses: { ...ok, ...errorResponses(413) },
  });

export const stripeWebhook = webhook(
  "stripe",
  "Stripe events, `Stripe-Signature: t=…,v1=…` (HMAC-SHA256 of `t.rawBody` with STRIPE_WEBHOOK_SECRET, any v1, 300 s tolerance). payment_intent.succeeded/payment_failed/canceled and refund.* are applied once per event id; others are acknowledged. 400 for a bad signature or an event that disagrees with our payment.",
  { 200: jsonContent(z.object({ received: z.literal(true), duplicate: z.boolean() }), "Recorded") },
);

export const wechatWebhook = webhook(
  "wechatpay",
  "WeChat Pay APIv3 notifications: Wechatpay-Timestamp/Nonce/Signature/Serial/Signature-Type headers, RSA-SHA256 over `timestamp\\nnonce\\nbody\\n` with the platform key of that serial (WECHATPAY_PUBLIC_KEYS), 5 min tolerance, resource decrypted with AES-256-GCM (WECHATPAY_APIV3_KEY). TRANSACTION.SUCCESS and REFUND.* applied once per notification id; MCHTRANSFER.BILL.FINISHED (a merchant transfer's final state: SUCCESS pays the withdrawal, FAIL/CANCELLED fails it and returns the money to the technician's balance) applied once to the withdrawal whose out_bill_no it names. 204 on success; failures answer 4xx with `code: FAIL` and a `message`.",
  { 204: { description: "Recorded" } },
);

export const alipayWebhook = webhook(
  "alipay",
  "Alipay asynchronous notifications (application/x-www-form-urlencoded, RSA2 with ALIPAY_PUBLIC_KEY over the sorted parameters without sign and sign_type). TRADE_SUCCESS/TRADE_FINISHED and refunds applied once per notify_id; the answer is the body `success`, also for a duplicate.",
  { 200: { description: "Recorded", content: { "text/plain": { schema: z.literal("success") } } } },
);

import { AppError } from "../errors";
import { authOf } from "../http/auth";
import { idempotent, parseIdempotencyKey } from "../orders/idempotency.service";
import { complain } from "./complaints.service";
import { createPayment, moneyOfOrder } from "./payments.service";
import { createPackagePayment } from "./package-money.service";
import { sandboxPay } from "./sandbox.service";
import { receiveAlipay, receiveStripe, receiveWechat } from "./webhooks.service";
import { METRICS, recordMetrics } from "../observability";
import { logger } from "../lib/log";
import { ownOrder } from "../orders/orders.service";
import { createRouter } from "../http/openapi";
import * as routes from "./payments.routes";

/** Counts a refused provider webhook in the metrics (webhook_failure), then hands back the error to throw. */
async function webhookRefused(env: Env, provider: string, error: AppError): Promise<AppError> {
  await recordMetrics(env, [{ name: `${METRICS.webhookFailure}`, cityId: null, value: 1 }]);
  logger.info("webhook.refused", { provider });
  return error;
}

const rejectedBy = (code: "WEBHOOK_REJECTED" | "FAIL", reason: string) => AppError.of(code, { reason }, { extra: { message: reason } });

export default createRouter()
  .openapi(routes.createPayment, async (c) => {
    const auth = authOf(c);
    const body = c.req.valid("json");
    const orderId = c.req.valid("param").id;
    const key = parseIdempotencyKey(c.req.header("Idempotency-Key"), true)!;
    const origin = new URL(c.req.url).origin;
    const outcome = await idempotent(c.env, auth.accountId, key, { orderId, ...body }, async () => ({
      status: 201,
      body: await createPayment(c.env, auth.accountId, orderId, body, origin),
    }));
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(outcome.body as Awaited<ReturnType<typeof createPayment>>, 201);
  })
  .openapi(routes.createPackagePayment, async (c) => {
    const auth = authOf(c);
    const body = c.req.valid("json");
    const packageId = c.req.valid("param").id;
    const key = parseIdempotencyKey(c.req.header("Idempotency-Key"), true)!;
    const origin = new URL(c.req.url).origin;
    const outcome = await idempotent(c.env, auth.accountId, key, { packageId, ...body }, async () => ({
      status: 201,
      body: await createPackagePayment(c.env, auth.accountId, packageId, body, origin),
    }));
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(outcome.body as Awaited<ReturnType<typeof createPackagePayment>>, 201);
  })
  .openapi(routes.listPayments, async (c) => {
    const order = await ownOrder(c.env, authOf(c).accountId, c.req.valid("param").id);
    const money = await moneyOfOrder(c.env, order.id);
    return c.json({ items: money.payments, refunds: money.refunds }, 200);
  })
  .openapi(routes.complain, async (c) => {
    const auth = authOf(c);
    const orderId = c.req.valid("param").id;
    const body = c.req.valid("json");
    const run = async () => ({ status: 201, body: await complain(c.env, auth.accountId, orderId, body) });
    // Optional here: a retry without a key meets the order in after_sales (409) and changes nothing.
    const key = parseIdempotencyKey(c.req.header("Idempotency-Key"), false);
    const outcome = key
      ? await idempotent(c.env, auth.accountId, key, { complaint: orderId, ...body }, run)
      : { ...(await run()), replayed: false };
    if (outcome.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(outcome.body as Awaited<ReturnType<typeof complain>>, 201);
  })
  .openapi(routes.sandboxPay, async (c) =>
    c.json(await sandboxPay(c.env, authOf(c).accountId, c.req.valid("param").id, c.req.valid("json")), 200),
  )
  // Webhooks read the raw body as received: verification comes before any parsing.
  .openapi(routes.stripeWebhook, async (c) => {
    const outcome = await receiveStripe(c.env, "stripe", await c.req.text(), c.req.header("Stripe-Signature"));
    if (!outcome.ok) throw await webhookRefused(c.env, "stripe", rejectedBy("WEBHOOK_REJECTED", outcome.reason));
    return c.json({ received: true as const, duplicate: outcome.duplicate }, 200);
  })
  .openapi(routes.wechatWebhook, async (c) => {
    const outcome = await receiveWechat(c.env, (name) => c.req.header(name), await c.req.text());
    // WeChat Pay reads `code` and `message` of a failure; anything but 2xx is retried.
    if (!outcome.ok) throw await webhookRefused(c.env, "wechatpay", rejectedBy("FAIL", outcome.reason));
    return c.body(null, 204);
  })
  .openapi(routes.alipayWebhook, async (c) => {
    const outcome = await receiveAlipay(c.env, await c.req.text());
    if (!outcome.ok) throw await webhookRefused(c.env, "alipay", rejectedBy("WEBHOOK_REJECTED", outcome.reason));
    return c.text("success", 200);
  });

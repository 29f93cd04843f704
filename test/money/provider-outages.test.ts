/**
 * A provider that times out or answers 5xx: nothing is recorded as done, the work is tried again
 * (a new payment by the customer with the same Idempotency-Key, refunds and payouts by the cron),
 * and the person asking gets a catalogued problem in their language, never a 500. Payouts are
 * covered in payouts-live.test.ts and payouts-alipay.test.ts, Alipay refunds in
 * provider-outages-alipay.test.ts (its own file: a pass asks every pending item's provider).
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { derToPem } from "../../src/lib/provider-crypto";
import { reconcilePendingPayments } from "../../src/money/reconcile.service";
import { at, orderOf } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { callWith, expectProblem } from "../support/http";
import { completeVisit, pendingOrder } from "../support/payments";
import { WechatPayFake, liveEnv } from "../support/wechatpay-fake";
import { addTechnician, createWorld, type World } from "../support/world";

const payments = async (orderId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM payments WHERE order_id = ?").bind(orderId).first<{ n: number }>())?.n;
const refundOf = (orderId: string) =>
  env.DB.prepare("SELECT id, status, provider_refund_id AS ref FROM refunds WHERE order_id = ?")
    .bind(orderId)
    .first<{ id: string; status: string; ref: string | null }>();

describe("WeChat Pay not answering", () => {
  let fake: WechatPayFake;
  beforeEach(() => {
    fake = new WechatPayFake().install();
  });
  afterEach(() => fake.uninstall());
  const live = liveEnv();

  const payWith = (e: Env, customer: { session: { token: string } }, orderId: string, key: string, lang = "zh-CN") =>
    callWith(e, "POST", `/v1/orders/${orderId}/payments`, {
      token: customer.session.token,
      headers: { "Idempotency-Key": key, "Accept-Language": lang },
      body: { provider: "wechatpay" },
    });

  it("prepay timing out answers 503 PROVIDER_UNAVAILABLE in both languages and records nothing; refused answers 502 PROVIDER_REFUSED", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const quick = liveEnv({ WECHATPAY_TIMEOUT_MS: "50" });
    fake.faults = { hang: true };
    const key = `outage-prepay-${order.id}`;
    const zh = await payWith(quick, customer, order.id, key);
    expectProblem(zh, 503, "PROVIDER_UNAVAILABLE");
    expect(zh.body.detail).toBe("微信支付暂时无响应，请稍后重试。");
    expect(zh.headers.get("Retry-After")).toBe("5");
    const en = await payWith(quick, customer, order.id, key, "en");
    expect(en.body.detail).toBe("WeChat Pay did not answer; try again shortly.");
    expect(await payments(order.id)).toBe(0);
    expect(fake.trades.size).toBe(0);

    // Signed with a key WeChat Pay does not know: refused (401 SIGN_ERROR), not worth retrying.
    fake.faults = {};
    const pair = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const stranger = derToPem(new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer), "PRIVATE KEY");
    const refused = await payWith(liveEnv({ WECHATPAY_MERCHANT_PRIVATE_KEY: stranger }), customer, order.id, `${key}-x`, "en");
    expectProblem(refused, 502, "PROVIDER_REFUSED");
    expect(refused.body.detail).toBe("WeChat Pay refused the payment request; try another payment method.");
    expect(await payments(order.id)).toBe(0);

    // Once WeChat Pay answers, the same key creates the payment.
    const ok = await payWith(live, customer, order.id, key);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(await payments(order.id)).toBe(1);
  });

  /** A WeChat Pay-paid, completed order with a complaint's refund waiting for approval. */
  async function complaintOf(w: World, tech: Awaited<ReturnType<typeof addTechnician>>, time: string) {
    const { customer, order } = await pendingOrder(w, { start: at(w, 2, time) });
    const pay = await payWith(live, customer, order.id, `outage-refund-${order.id}`);
    expect(pay.status, JSON.stringify(pay.body)).toBe(201);
    fake.pay(pay.body.id);
    await reconcilePendingPayments(live);
    await completeVisit(w, await tech.session(), await orderOf(customer, order.id));
    const complaint = await callWith(live, "POST", `/v1/orders/${order.id}/complaints`, {
      token: customer.session.token,
      body: { reason: "the kitchen was skipped", amount: 3000 },
    });
    expect(complaint.status, JSON.stringify(complaint.body)).toBe(201);
    return { order, refundId: complaint.body.items[0].id as string };
  }

  it("a refund approved while WeChat Pay times out or answers 5xx: 503 REFUND_DELAYED, processing and unsent, sent by reconciliation", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const down = await complaintOf(w, tech, "09:00");
    const slow = await complaintOf(w, tech, "14:00");
    const approveWith = (e: Env, refundId: string, lang: string) =>
      callWith(e, "POST", `/v1/admin/refunds/${refundId}/approve`, {
        token: w.admin.token,
        headers: { "Accept-Language": lang },
        body: {},
      });

    fake.faults = { serverError: true };
    const a = await approveWith(live, down.refundId, "en");
    expectProblem(a, 503, "REFUND_DELAYED");
    expect(a.body.detail).toBe(
      "The refund is recorded, but WeChat Pay did not answer; it is sent automatically once the provider answers.",
    );
    expect(a.body.refunds).toMatchObject([{ id: down.refundId, status: "processing" }]);

    fake.faults = { hang: true };
    const b = await approveWith(liveEnv({ WECHATPAY_TIMEOUT_MS: "50" }), slow.refundId, "zh-CN");
    expectProblem(b, 503, "REFUND_DELAYED");
    expect(b.body.detail).toBe("退款已记录，但微信支付暂时无响应；恢复后系统将自动发起退款。");

    for (const o of [down, slow]) expect(await refundOf(o.order.id)).toMatchObject({ status: "processing", ref: null });
    expect(fake.refunds.size).toBe(0);
    // The decision stands: approving again is a conflict.
    fake.faults = {};
    expectProblem(await approveWith(live, down.refundId, "en"), 409, "REFUND_DECIDED");

    expect((await reconcilePendingPayments(live)).refundsSent).toBe(2);
    for (const o of [down, slow]) {
      fake.settleRefund(o.refundId);
      expect(await refundOf(o.order.id)).toMatchObject({ status: "processing", ref: fake.refunds.get(o.refundId)!.refund_id });
    }
    await reconcilePendingPayments(live);
    for (const o of [down, slow]) expect(await refundOf(o.order.id)).toMatchObject({ status: "succeeded" });
    expect(fake.refunds.size).toBe(2);
  });
});

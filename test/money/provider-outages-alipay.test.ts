/**
 * Alipay timing out or answering 5xx while a refund is sent: the cancellation stands, its refund
 * stays processing and unsent (nothing recorded as done), a reconciliation pass counts it as failed
 * and goes on, and the first pass after Alipay answers sends it.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reconcilePendingPayments } from "../../src/money/reconcile.service";
import { FakeAlipay, alipayLiveEnv } from "../support/alipay-fake";
import { at, orderOf } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { callWith } from "../support/http";
import { pendingOrder } from "../support/payments";
import { addTechnician, createWorld } from "../support/world";

const refundOf = (orderId: string) =>
  env.DB.prepare("SELECT id, status, provider_refund_id AS ref FROM refunds WHERE order_id = ?")
    .bind(orderId)
    .first<{ id: string; status: string; ref: string | null }>();

describe("Alipay not answering", () => {
  let fake: FakeAlipay;
  beforeEach(() => {
    fake = new FakeAlipay().install();
  });
  afterEach(() => fake.uninstall());

  it("a cancellation's refund while Alipay times out or answers 5xx stays processing and unsent; reconciliation sends it", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const quick = alipayLiveEnv({ ALIPAY_TIMEOUT_MS: "50" });
    const orders = [];
    for (const time of ["09:00", "14:00"]) {
      const { customer, order } = await pendingOrder(w, { start: at(w, 2, time) });
      const pay = await callWith(quick, "POST", `/v1/orders/${order.id}/payments`, {
        token: customer.session.token,
        headers: { "Idempotency-Key": `outage-alipay-${order.id}` },
        body: { provider: "alipay" },
      });
      expect(pay.status, JSON.stringify(pay.body)).toBe(201);
      fake.open(pay.body.id, pay.body.amount.amount, true);
      orders.push({ customer, order });
    }
    await reconcilePendingPayments(quick);
    const [slow, down] = orders as [(typeof orders)[number], (typeof orders)[number]];
    for (const o of orders) expect((await orderOf(o.customer, o.order.id)).payments).toMatchObject([{ status: "succeeded" }]);

    fake.hang = true;
    const c1 = await callWith(quick, "POST", `/v1/orders/${slow.order.id}/cancel`, {
      token: slow.customer.session.token,
      body: { reason: "plans changed" },
    });
    fake.hang = false;
    fake.status = 503;
    const c2 = await callWith(quick, "POST", `/v1/orders/${down.order.id}/cancel`, {
      token: down.customer.session.token,
      body: { reason: "plans changed" },
    });
    // The cancellations stand; their refunds wait, unsent, and the customer sees them processing.
    for (const c of [c1, c2]) {
      expect(c.status, JSON.stringify(c.body)).toBe(200);
      expect(c.body.refunds).toMatchObject([{ status: "processing", provider: "alipay" }]);
    }
    for (const o of orders) expect(await refundOf(o.order.id)).toMatchObject({ status: "processing", ref: null });
    expect(fake.refunds.size).toBe(0);
    // Still down: the pass counts both as failed and goes on.
    expect(await reconcilePendingPayments(quick)).toMatchObject({ failed: 2, refundsSent: 0 });

    fake.status = 200;
    expect(await reconcilePendingPayments(quick)).toMatchObject({ refundsSent: 2, failed: 0 });
    for (const o of orders) expect(await refundOf(o.order.id)).toMatchObject({ status: "succeeded" });
    expect(fake.refunds.size).toBe(2);
  });
});

import { createScheduledController, env } from "cloudflare:test";
import worker from "../../src/index";
import { describe, expect, it } from "vitest";
import { createPayment } from "../../src/money/payments.service";
import { reconcilePendingPayments } from "../../src/money/reconcile.service";
import { at, book, newCustomer, orderOf, quote } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signIn } from "../support/http";
import { addTechnician, createWorld } from "../support/world";
import { scheduleOf } from "../support/visit";
import {
  balanceOf,
  expectBalanced,
  expireHold,
  ledgerOf,
  pay,
  pendingOrder,
  postWebhook,
  sandboxPay,
  wechatNotification,
  wechatTransaction,
} from "../support/payments";

describe("POST /v1/orders/{id}/payments", () => {
  it("pays through the sandbox's verified webhook path: confirmed, booked, dispatched", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const res = await pay(customer, order.id, { provider: "sandbox" }, "k-sandbox");
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ provider: "sandbox", stage: "full", amount: { amount: 12000, currency: "CNY" }, status: "pending" });
    expect(res.body.clientParams.payUrl).toBe(`/v1/sandbox/payments/${res.body.id}/pay`);
    // the same key replays the same payment
    const again = await pay(customer, order.id, { provider: "sandbox" }, "k-sandbox");
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body.id).toBe(res.body.id);
    expectProblem(await pay(customer, order.id, { provider: "alipay" }, "k-sandbox"), 422, "IDEMPOTENCY_KEY_REUSED");

    expect((await sandboxPay(customer, res.body.id)).status).toBe(200);
    const after = await orderOf(customer, order.id);
    expect(after).toMatchObject({ status: "assigned", technician: { id: tech.id } });
    expect(after.payments).toMatchObject([{ id: res.body.id, status: "succeeded", disposition: "applied" }]);
    expect((await scheduleOf(w, tech.id)).map((i) => i[3])).toEqual(["booked"]);
    const event = await env.DB.prepare("SELECT provider, type FROM provider_events WHERE payment_id = ?").bind(res.body.id).first();
    expect(event).toEqual({ provider: "sandbox", type: "payment_intent.succeeded" });
    // paid: nothing more is due, and the sandbox payment cannot be paid twice
    expectProblem(await pay(customer, order.id, { provider: "sandbox" }), 409, "NOTHING_TO_PAY");
    expectProblem(await sandboxPay(customer, res.body.id), 409, "PAYMENT_NOT_PENDING");
    const list = await call("GET", `/v1/orders/${order.id}/payments`, { token: customer.session.token });
    expect(list.body.items.map((p: { status: string }) => p.status)).toEqual(["succeeded"]);
  });

  it("refuses bad input, strangers and missing keys", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    expectProblem(await pay(customer, order.id, { provider: "paypal" }), 400, "VALIDATION_FAILED");
    expectProblem(await pay(customer, order.id, { provider: "sandbox", extra: 1 }), 400, "VALIDATION_FAILED");
    expectProblem(await pay(customer, order.id, { provider: "sandbox", stage: "balance" }), 409, "NOTHING_TO_PAY");
    expectProblem(await pay(customer, order.id, { provider: "sandbox", stage: "deposit" }), 409, "NOTHING_TO_PAY");
    expectProblem(
      await call("POST", `/v1/orders/${order.id}/payments`, { token: customer.session.token, body: { provider: "sandbox" } }),
      400,
      "IDEMPOTENCY_KEY_REQUIRED",
    );
    expectProblem(
      await call("POST", `/v1/orders/${order.id}/payments`, { headers: { "Idempotency-Key": "x" }, body: { provider: "sandbox" } }),
      401,
    );
    const stranger = { session: await signIn(), addressId: "" };
    expectProblem(await pay(stranger, order.id, { provider: "sandbox" }), 404, "NOT_FOUND");
    expectProblem(await pay(customer, "ord_missing", { provider: "sandbox" }), 404, "NOT_FOUND");
    const payment = (await pay(customer, order.id, { provider: "sandbox" })).body;
    expectProblem(await sandboxPay(stranger, payment.id), 404);
    expectProblem(await call("GET", `/v1/orders/${order.id}/payments`, { token: stranger.session.token }), 404);
  });

  it("offers a provider only where its signing keys are configured (409 PROVIDER_NOT_CONFIGURED)", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const bare = { ...env, ALIPAY_APP_PRIVATE_KEY: "", WECHATPAY_MERCHANT_PRIVATE_KEY: "", SANDBOX_WEBHOOK_SECRET: "" };
    for (const provider of ["alipay", "wechatpay", "sandbox"] as const) {
      await expect(createPayment(bare, customer.session.accountId, order.id, { provider }, "http://doorstep.test")).rejects.toMatchObject({
        status: 409,
        code: "PROVIDER_NOT_CONFIGURED",
      });
    }
    expect(await env.DB.prepare("SELECT count(*) AS n FROM payments WHERE order_id = ?").bind(order.id).first()).toEqual({ n: 0 });
  });

  it("takes a deposit that confirms the order, then the balance; a cancellation refunds both by policy", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    await env.DB.prepare("UPDATE services SET payment_options = ? WHERE id = ?")
      .bind(JSON.stringify({ full: true, depositPercent: 30, afterService: true }), w.serviceId)
      .run();
    const { customer, order } = await pendingOrder(w, { plan: "deposit" });
    const deposit = (await pay(customer, order.id, { provider: "sandbox" })).body;
    expect(deposit).toMatchObject({ stage: "deposit", amount: { amount: 3600 } });
    await sandboxPay(customer, deposit.id);
    expect((await orderOf(customer, order.id)).status).toBe("assigned");
    const balance = (await pay(customer, order.id, { provider: "sandbox" })).body;
    expect(balance).toMatchObject({ stage: "balance", amount: { amount: 8400 } });
    await sandboxPay(customer, balance.id);
    expectProblem(await pay(customer, order.id, { provider: "sandbox" }), 409, "NOTHING_TO_PAY");
    const cancelled = await call("POST", `/v1/orders/${order.id}/cancel`, {
      token: customer.session.token,
      body: { reason: "plans changed" },
    });
    expect(cancelled.body).toMatchObject({ refund: { percent: 100, amount: { amount: 12000 } } });
    const after = await orderOf(customer, order.id);
    expect(after.status).toBe("refunded");
    expect(after.refunds.map((r: { amount: { amount: number }; status: string }) => [r.amount.amount, r.status]).sort()).toEqual([
      [3600, "succeeded"],
      [8400, "succeeded"],
    ]);
    const txs = await ledgerOf(order.id);
    expectBalanced(txs);
    expect(await balanceOf("customer_funds", order.id)).toBe(0);
    expect(await balanceOf("provider_clearing:sandbox", order.id)).toBe(0);
  });

  it("refunds a second payment of the same stage in full", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const a = (await pay(customer, order.id, { provider: "sandbox" })).body;
    const b = (await pay(customer, order.id, { provider: "sandbox" })).body;
    await sandboxPay(customer, a.id);
    await sandboxPay(customer, b.id);
    const after = await orderOf(customer, order.id);
    expect(after.status).toBe("assigned");
    expect(after.payments.map((p: { disposition: string }) => p.disposition)).toEqual(["applied", "refunded_duplicate"]);
    expect(after.refunds).toMatchObject([{ paymentId: b.id, kind: "duplicate", status: "succeeded", amount: { amount: 12000 } }]);
    expect(await balanceOf("customer_funds", order.id)).toBe(-12000);
    const told = await env.DB.prepare("SELECT count(*) AS n FROM outbox WHERE topic = 'payment.refunded_duplicate' AND payload LIKE ?")
      .bind(`%${order.id}%`)
      .first<{ n: number }>();
    expect(told?.n).toBe(1);
  });
});

describe("a payment after its hold expired", () => {
  it("holds the same interval again when it is still free, and confirms", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const payment = (await pay(customer, order.id, { provider: "wechatpay" })).body;
    await expireHold(tech.homeCell, order.id);
    // an open payment keeps the order waiting for the provider instead of cancelling it
    expect((await orderOf(customer, order.id)).status).toBe("pending_payment");
    expect(await scheduleOf(w, tech.id)).toEqual([]);
    const n = await wechatNotification(wechatTransaction(payment));
    expect((await postWebhook("wechatpay", n.body, n.headers)).status).toBe(204);
    const after = await orderOf(customer, order.id);
    expect(after).toMatchObject({ status: "assigned", technician: { id: tech.id } });
    expect(after.timeline.find((e: { to: string }) => e.to === "confirmed").reason).toBe(
      "paid after the hold expired: the same time is held again",
    );
    expect((await scheduleOf(w, tech.id)).map((i) => i[3])).toEqual(["booked"]);
  });

  it("refunds automatically and tells the customer when the interval was taken meanwhile", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const start = at(w, 2, "10:00");
    const { customer, order } = await pendingOrder(w, { start });
    const payment = (await pay(customer, order.id, { provider: "wechatpay" })).body;
    await expireHold(tech.homeCell, order.id);
    const other = await newCustomer(w.center);
    expect((await book(other, await quote(w, other, start))).status).toBe(201);
    const n = await wechatNotification(wechatTransaction(payment));
    expect((await postWebhook("wechatpay", n.body, n.headers)).status).toBe(204);
    let after = await orderOf(customer, order.id);
    expect(after).toMatchObject({
      status: "cancelled",
      cancelReason: "paid_after_hold_expired",
      refund: { percent: 100, amount: { amount: 12000 } },
    });
    expect(after.refunds).toMatchObject([{ kind: "late_payment", status: "processing", amount: { amount: 12000 } }]);
    const told = await env.DB.prepare("SELECT payload FROM outbox WHERE topic = 'payment.refunded_late' AND payload LIKE ?")
      .bind(`%${order.id}%`)
      .first<{ payload: string }>();
    expect(JSON.parse(told!.payload)).toMatchObject({ orderId: order.id, customerId: customer.session.accountId, amount: 12000 });
    // WeChat Pay confirms the refund later
    const refund = after.refunds[0];
    const notice = await wechatNotification(
      {
        mchid: env.WECHATPAY_MCHID,
        out_trade_no: payment.id,
        transaction_id: "4200000001",
        out_refund_no: refund.id,
        refund_id: "50300000001",
        refund_status: "SUCCESS",
        success_time: "2026-11-20T13:30:35+08:00",
        amount: { total: 12000, refund: 12000, payer_total: 12000, payer_refund: 12000 },
      },
      { eventType: "REFUND.SUCCESS", associatedData: "refund" },
    );
    expect((await postWebhook("wechatpay", notice.body, notice.headers)).status).toBe(204);
    after = await orderOf(customer, order.id);
    expect(after.status).toBe("refunded");
    expectBalanced(await ledgerOf(order.id));
    expect(await balanceOf("customer_funds", order.id)).toBe(0);
    expect(await balanceOf("provider_clearing:wechatpay", order.id)).toBe(0);
  });

  it("refunds a payment that arrives after the customer cancelled", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const payment = (await pay(customer, order.id, { provider: "sandbox" })).body;
    const cancelled = await call("POST", `/v1/orders/${order.id}/cancel`, {
      token: customer.session.token,
      body: { reason: "changed my mind" },
    });
    expect(cancelled.body.refund.amount.amount).toBe(0);
    expect((await sandboxPay(customer, payment.id)).status).toBe(200);
    const after = await orderOf(customer, order.id);
    expect(after.status).toBe("refunded");
    expect(after.refunds).toMatchObject([{ kind: "late_payment", status: "succeeded", amount: { amount: 12000 } }]);
    expect(await balanceOf("customer_funds", order.id)).toBe(0);
  });
});

describe("a refund notice before the payment notice", () => {
  it("keeps a consistent end state: paid and refunded once each, the order never confirmed", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const payment = (await pay(customer, order.id, { provider: "wechatpay" })).body;
    // refunded in full from the merchant platform before our payment notice arrived
    const refundNotice = await wechatNotification(
      {
        mchid: env.WECHATPAY_MCHID,
        out_trade_no: payment.id,
        transaction_id: "4200000777",
        out_refund_no: "RF-console-1",
        refund_id: "50300000777",
        refund_status: "SUCCESS",
        amount: { total: 12000, refund: 12000, payer_total: 12000, payer_refund: 12000 },
      },
      { eventType: "REFUND.SUCCESS", associatedData: "refund" },
    );
    expect((await postWebhook("wechatpay", refundNotice.body, refundNotice.headers)).status).toBe(204);
    let after = await orderOf(customer, order.id);
    expect(after.status).toBe("pending_payment");
    expect(after.payments).toMatchObject([{ status: "succeeded", disposition: "refunded_late" }]);
    expect(after.refunds).toMatchObject([{ kind: "provider", status: "succeeded", amount: { amount: 12000 } }]);
    const payNotice = await wechatNotification(wechatTransaction(payment, { transaction_id: "4200000777" }));
    expect((await postWebhook("wechatpay", payNotice.body, payNotice.headers)).status).toBe(204);
    // both again, in the other order: nothing more happens
    for (const n of [payNotice, refundNotice]) expect((await postWebhook("wechatpay", n.body, n.headers)).status).toBe(204);
    after = await orderOf(customer, order.id);
    expect(after.status).toBe("pending_payment");
    const txs = await ledgerOf(order.id);
    expect(txs.map((t) => t.kind).sort()).toEqual(["payment", "refund", "refund_request"]);
    expectBalanced(txs);
    expect(await balanceOf("customer_funds", order.id)).toBe(0);
    expect(await balanceOf("provider_clearing:wechatpay", order.id)).toBe(0);
    // and the unpaid order ends when its hold does
    await expireHold(tech.homeCell, order.id);
    expect((await orderOf(customer, order.id)).status).toBe("cancelled");
  });
});

describe("the reconciliation job", () => {
  it("finds a payment whose notification was lost by querying the provider (called directly and by the cron handler)", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    await addTechnician(w, w.center);
    const first = await pendingOrder(w);
    const p1 = (await pay(first.customer, first.order.id, { provider: "sandbox" })).body;
    expect((await sandboxPay(first.customer, p1.id, { notify: false })).body.notified).toBe(false);
    expect((await orderOf(first.customer, first.order.id)).status).toBe("pending_payment");
    const summary = await reconcilePendingPayments(env);
    expect(summary.paid).toBeGreaterThanOrEqual(1);
    expect((await orderOf(first.customer, first.order.id)).status).toBe("assigned");
    // through the Worker's scheduled handler, as the cron trigger calls it
    const second = await pendingOrder(w, { start: at(w, 3, "10:00") });
    const p2 = (await pay(second.customer, second.order.id, { provider: "sandbox" })).body;
    await sandboxPay(second.customer, p2.id, { notify: false });
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "* * * * *" }), env);
    expect((await orderOf(second.customer, second.order.id)).status).toBe("assigned");
    // applied once: running it again changes nothing
    await reconcilePendingPayments(env);
    expect((await ledgerOf(second.order.id)).map((t) => t.kind)).toEqual(["payment"]);
  });

  it("closes an unpaid payment whose order's hold expired, and cancels the order", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const payment = (await pay(customer, order.id, { provider: "wechatpay" })).body;
    await expireHold(tech.homeCell, order.id);
    await env.DB.prepare("UPDATE orders SET hold_expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, order.id)
      .run();
    expect((await orderOf(customer, order.id)).status).toBe("pending_payment");
    const summary = await reconcilePendingPayments(env);
    expect(summary.closed).toBeGreaterThanOrEqual(1);
    const after = await orderOf(customer, order.id);
    expect(after).toMatchObject({ status: "cancelled", cancelReason: "hold_expired" });
    expect(after.payments).toMatchObject([{ id: payment.id, status: "closed" }]);
    // a notice that still comes for it is refunded, never applied to the cancelled order
    const n = await wechatNotification(wechatTransaction(payment));
    expect((await postWebhook("wechatpay", n.body, n.headers)).status).toBe(204);
    expect((await orderOf(customer, order.id)).refunds).toMatchObject([{ kind: "late_payment", amount: { amount: 12000 } }]);
  });
});

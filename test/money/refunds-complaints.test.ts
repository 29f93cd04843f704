import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signInMerchantAdmin } from "../support/catalog";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { orderOf, task } from "../support/booking";
import { addTechnician, createWorld } from "../support/world";
import {
  balanceOf,
  completeVisit,
  expectBalanced,
  ledgerOf,
  paidOrder,
  pay,
  pendingOrder,
  postWebhook,
  sandboxPay,
  wechatNotification,
  wechatTransaction,
} from "../support/payments";

function refundNotice(payment: { id: string }, refund: { id: string; amount: { amount: number } }, status = "SUCCESS", total = 12000) {
  return wechatNotification(
    {
      mchid: env.WECHATPAY_MCHID,
      out_trade_no: payment.id,
      transaction_id: "4200000002",
      out_refund_no: refund.id,
      refund_id: `503${Date.now()}`,
      refund_status: status,
      amount: { total, refund: refund.amount.amount, payer_total: total, payer_refund: refund.amount.amount },
    },
    { eventType: status === "SUCCESS" ? "REFUND.SUCCESS" : "REFUND.ABNORMAL", associatedData: "refund" },
  );
}

describe("cancellation refunds by the service's policy", () => {
  it("refunds in full a day ahead through WeChat Pay; the refund notice applies once, however often it comes", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const payment = (await pay(customer, order.id, { provider: "wechatpay" })).body;
    const paid = await wechatNotification(wechatTransaction(payment));
    expect((await postWebhook("wechatpay", paid.body, paid.headers)).status).toBe(204);
    const res = await call("POST", `/v1/orders/${order.id}/cancel`, { token: customer.session.token, body: { reason: "travelling" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "cancelled", refund: { percent: 100, amount: { amount: 12000 } } });
    expect(res.body.refunds).toMatchObject([
      { kind: "cancellation", status: "processing", provider: "wechatpay", amount: { amount: 12000 } },
    ]);
    const n = await refundNotice(payment, res.body.refunds[0]);
    const answers = await Promise.all(Array.from({ length: 10 }, () => postWebhook("wechatpay", n.body, n.headers)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(204));
    const after = await orderOf(customer, order.id);
    expect(after.status).toBe("refunded");
    expect(after.timeline.filter((e: { to: string }) => e.to === "refunded")).toHaveLength(1);
    const txs = await ledgerOf(order.id);
    expect(txs.map((t) => t.kind).sort()).toEqual(["payment", "refund", "refund_request"]);
    expectBalanced(txs);
    expect(await balanceOf("customer_funds", order.id)).toBe(0);
    const told = await env.DB.prepare("SELECT count(*) AS n FROM outbox WHERE topic = 'refund.succeeded' AND payload LIKE ?")
      .bind(`%${order.id}%`)
      .first<{ n: number }>();
    expect(told?.n).toBe(1);
  });

  it("puts the money back when the provider refuses the refund (REFUND.ABNORMAL)", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const payment = (await pay(customer, order.id, { provider: "wechatpay" })).body;
    const paid = await wechatNotification(wechatTransaction(payment));
    await postWebhook("wechatpay", paid.body, paid.headers);
    const res = await call("POST", `/v1/orders/${order.id}/cancel`, { token: customer.session.token, body: { reason: "travelling" } });
    const n = await refundNotice(payment, res.body.refunds[0], "ABNORMAL");
    expect((await postWebhook("wechatpay", n.body, n.headers)).status).toBe(204);
    const after = await orderOf(customer, order.id);
    expect(after.status).toBe("cancelled");
    expect(after.refunds).toMatchObject([{ status: "failed" }]);
    const txs = await ledgerOf(order.id);
    expect(txs.map((t) => t.kind).sort()).toEqual(["payment", "refund_request", "refund_reversal"]);
    expectBalanced(txs);
    expect(await balanceOf("customer_funds", order.id)).toBe(-12000);
    // a refund notice that disagrees with our refund's amount is rejected
    const wrong = await refundNotice(payment, { id: res.body.refunds[0].id, amount: { amount: 1 } });
    expect((await postWebhook("wechatpay", wrong.body, wrong.headers)).status).toBe(400);
  });

  it("keeps the visit fee once the technician is on the way and splits it as earned", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const s = await tech.session();
    const { customer, order } = await paidOrder(w);
    expect((await task(s, order.id, "accept")).status).toBe(200);
    expect((await task(s, order.id, "depart")).status).toBe(200);
    const res = await call("POST", `/v1/orders/${order.id}/cancel`, { token: customer.session.token, body: { reason: "not home" } });
    expect(res.body.refund).toMatchObject({ percent: 100, amount: { amount: 9000 }, visitFee: { amount: 3000 } });
    const after = await orderOf(customer, order.id);
    expect(after.status).toBe("refunded");
    const txs = await ledgerOf(order.id);
    expectBalanced(txs);
    const split = txs.find((t) => t.kind === "split")!;
    // 20 % platform of 3000, the rest to the technician (a platform-run service has no merchant share)
    expect(Object.fromEntries(split.entries.map((e) => [e.account, e.amount]))).toEqual({
      customer_funds: 3000,
      platform_revenue: -600,
      [`technician_payable:${tech.id}`]: -2400,
    });
    expect(await balanceOf("customer_funds", order.id)).toBe(0);
  });
});

describe("complaints and operator-approved refunds", () => {
  async function completedPaid() {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const { customer, order } = await paidOrder(w);
    await completeVisit(w, await tech.session(), order);
    return { w, tech, customer, order };
  }

  it("splits at completion; a complaint's partial refund, once approved, takes back from the shares and completes the order again", async () => {
    const { w, tech, customer, order } = await completedPaid();
    let txs = await ledgerOf(order.id);
    expect(txs.map((t) => t.kind).sort()).toEqual(["payment", "split"]);
    expect(await balanceOf("customer_funds", order.id)).toBe(0);
    expect(await balanceOf(`technician_payable:${tech.id}`, order.id)).toBe(-9600);
    const complaint = await call("POST", `/v1/orders/${order.id}/complaints`, {
      token: customer.session.token,
      body: { reason: "the kitchen was skipped", amount: 5000 },
    });
    expect(complaint.status).toBe(201);
    expect(complaint.body.items).toMatchObject([{ kind: "complaint", status: "pending_approval", amount: { amount: 5000 } }]);
    const request = complaint.body.items[0];
    expect((await orderOf(customer, order.id)).status).toBe("after_sales");
    expectProblem(
      await call("POST", `/v1/orders/${order.id}/complaints`, { token: customer.session.token, body: { reason: "again" } }),
      409,
      "INVALID_TRANSITION",
    );
    const queue = await call("GET", "/v1/admin/refunds?status=pending_approval", { token: w.admin.token });
    expect(queue.body.items.map((r: { id: string }) => r.id)).toContain(request.id);
    // an operator approves less than asked
    expectProblem(
      await call("POST", `/v1/admin/refunds/${request.id}/approve`, { token: w.admin.token, body: { amount: 6000 } }),
      400,
      "VALIDATION_FAILED",
    );
    const approved = await call("POST", `/v1/admin/refunds/${request.id}/approve`, {
      token: w.admin.token,
      body: { amount: 4000, note: "partial" },
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: "succeeded", amount: { amount: 4000 } });
    expectProblem(await call("POST", `/v1/admin/refunds/${request.id}/approve`, { token: w.admin.token, body: {} }), 409, "REFUND_DECIDED");
    const after = await orderOf(customer, order.id);
    expect(after.status).toBe("completed");
    expect(after.timeline.at(-1).reason).toBe("complaint resolved with a partial refund");
    txs = await ledgerOf(order.id);
    expectBalanced(txs);
    const takeBack = txs.find((t) => t.kind === "refund_request")!;
    // 4000 taken back in proportion to the split (2400 platform : 9600 technician)
    expect(Object.fromEntries(takeBack.entries.map((e) => [e.account, e.amount]))).toEqual({
      platform_revenue: 800,
      [`technician_payable:${tech.id}`]: 3200,
      refunds_payable: -4000,
    });
    expect(await balanceOf(`technician_payable:${tech.id}`, order.id)).toBe(-6400);
    const audit = await env.DB.prepare("SELECT action, actor_id FROM audit_log WHERE target_id = ?").bind(request.id).first();
    expect(audit).toEqual({ action: "refund.approve", actor_id: w.admin.accountId });
  });

  it("rejects a complaint's refund (audited) and completes the order again; a full staff refund ends it refunded", async () => {
    const { w, customer, order } = await completedPaid();
    const complaint = await call("POST", `/v1/orders/${order.id}/complaints`, {
      token: customer.session.token,
      headers: { "Idempotency-Key": "complaint-1" },
      body: { reason: "late" },
    });
    expect(complaint.body.items.map((r: { amount: { amount: number } }) => r.amount.amount)).toEqual([12000]);
    const retried = await call("POST", `/v1/orders/${order.id}/complaints`, {
      token: customer.session.token,
      headers: { "Idempotency-Key": "complaint-1" },
      body: { reason: "late" },
    });
    expect(retried.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retried.body.items[0].id).toBe(complaint.body.items[0].id);
    expectProblem(
      await call("POST", `/v1/admin/refunds/${complaint.body.items[0].id}/reject`, { token: w.admin.token, body: {} }),
      400,
      "VALIDATION_FAILED",
    );
    const rejected = await call("POST", `/v1/admin/refunds/${complaint.body.items[0].id}/reject`, {
      token: w.admin.token,
      body: { reason: "on time per GPS" },
    });
    expect(rejected.body).toMatchObject({ status: "rejected", failureReason: "on time per GPS" });
    expect((await orderOf(customer, order.id)).status).toBe("completed");
    expect(await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ?").bind(complaint.body.items[0].id).first()).toEqual({
      action: "refund.reject",
    });
    const refund = await call("POST", `/v1/admin/orders/${order.id}/refunds`, {
      token: w.admin.token,
      headers: { "Idempotency-Key": "staff-1" },
      body: { reason: "goodwill" },
    });
    expect(refund.status).toBe(201);
    expect(refund.body.items).toMatchObject([{ kind: "operator", status: "succeeded", amount: { amount: 12000 } }]);
    const replay = await call("POST", `/v1/admin/orders/${order.id}/refunds`, {
      token: w.admin.token,
      headers: { "Idempotency-Key": "staff-1" },
      body: { reason: "goodwill" },
    });
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect((await orderOf(customer, order.id)).status).toBe("refunded");
    expectProblem(
      await call("POST", `/v1/admin/orders/${order.id}/refunds`, {
        token: w.admin.token,
        headers: { "Idempotency-Key": "staff-2" },
        body: { reason: "again" },
      }),
      409,
      "NOTHING_TO_REFUND",
    );
    expectBalanced(await ledgerOf(order.id));
    // everything the split credited has been taken back
    for (const account of ["customer_funds", "platform_revenue", "refunds_payable", "provider_clearing:sandbox"])
      expect(await balanceOf(account, order.id)).toBe(0);
  });

  it("asks one refund per payment when the order was paid in two stages, and ends refunded when both are approved", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    await env.DB.prepare("UPDATE services SET payment_options = ? WHERE id = ?")
      .bind(JSON.stringify({ full: true, depositPercent: 30, afterService: true }), w.serviceId)
      .run();
    const { customer, order } = await pendingOrder(w, { plan: "deposit" });
    for (let stage = 0; stage < 2; stage++) {
      const p = (await pay(customer, order.id, { provider: "sandbox" })).body;
      expect((await sandboxPay(customer, p.id)).status).toBe(200);
    }
    await completeVisit(w, await tech.session(), await orderOf(customer, order.id));
    const complaint = await call("POST", `/v1/orders/${order.id}/complaints`, {
      token: customer.session.token,
      body: { reason: "broken vase" },
    });
    expect(complaint.body.items.map((r: { amount: { amount: number } }) => r.amount.amount).sort()).toEqual([3600, 8400]);
    for (const r of complaint.body.items)
      expect((await call("POST", `/v1/admin/refunds/${r.id}/approve`, { token: w.admin.token, body: {} })).status).toBe(200);
    expect((await orderOf(customer, order.id)).status).toBe("refunded");
    expectBalanced(await ledgerOf(order.id));
    for (const account of ["customer_funds", "platform_revenue", `technician_payable:${tech.id}`, "provider_clearing:sandbox"])
      expect(await balanceOf(account, order.id)).toBe(0);
  });

  it("never refunds more than was paid, however many staff refunds race", async () => {
    const { w, customer, order } = await completedPaid();
    const first = await call("POST", `/v1/admin/orders/${order.id}/refunds`, {
      token: w.admin.token,
      headers: { "Idempotency-Key": `race-0` },
      body: { amount: 1000, reason: "first" },
    });
    expect(first.status).toBe(201);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call("POST", `/v1/admin/orders/${order.id}/refunds`, {
          token: w.admin.token,
          headers: { "Idempotency-Key": `race-${i + 1}` },
          body: { amount: 5000, reason: "race" },
        }),
      ),
    );
    for (const a of answers) expect([201, 409]).toContain(a.status);
    const refunded = await env.DB.prepare("SELECT coalesce(sum(amount), 0) AS s FROM refunds WHERE order_id = ? AND status = 'succeeded'")
      .bind(order.id)
      .first<{ s: number }>();
    expect(refunded!.s).toBeLessThanOrEqual(12000);
    expect(refunded!.s).toBe(1000 + 5000 * answers.filter((a) => a.status === 201).length);
    expectBalanced(await ledgerOf(order.id));
    expect((await orderOf(customer, order.id)).status).not.toBe("after_sales");
  });

  it("scopes refund decisions: another merchant's admin gets 404, a customer 403, no token 401", async () => {
    const { w, customer, order } = await completedPaid();
    const complaint = await call("POST", `/v1/orders/${order.id}/complaints`, { token: customer.session.token, body: { reason: "late" } });
    const merchantId = (await call("POST", "/v1/admin/merchants", { token: w.admin.token, body: { name: `M ${Date.now()}` } })).body.id;
    const otherAdmin = await signInMerchantAdmin(w.admin, merchantId);
    expectProblem(
      await call("POST", `/v1/admin/refunds/${complaint.body.items[0].id}/approve`, { token: otherAdmin.token, body: {} }),
      404,
    );
    expect((await call("GET", "/v1/admin/refunds", { token: otherAdmin.token })).body.items).toEqual([]);
    expectProblem(
      await call("POST", `/v1/admin/refunds/${complaint.body.items[0].id}/approve`, { token: customer.session.token, body: {} }),
      403,
    );
    expectProblem(await call("POST", `/v1/admin/refunds/${complaint.body.items[0].id}/approve`, { body: {} }), 401);
    expectProblem(await call("POST", "/v1/admin/refunds/rfd_missing/approve", { token: w.admin.token, body: {} }), 404);
    const tech = await signInWithRoles(["technician"]);
    expectProblem(await call("POST", `/v1/orders/${order.id}/complaints`, { token: tech.token, body: { reason: "x" } }), 403);
    expectProblem(await call("POST", `/v1/orders/${order.id}/complaints`, { token: customer.session.token, body: { reason: "" } }), 400);
    expectProblem(await call("POST", "/v1/orders/ord_missing/complaints", { token: customer.session.token, body: { reason: "x" } }), 404);
  });
});

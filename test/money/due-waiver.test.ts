/**
 * Staff waive what a served order still owes (POST /v1/admin/orders/{id}/due/waive): the customer
 * is unblocked and told, the rest is written off as the platform's expense with the ledger balanced,
 * the order's timeline and the audit log say so; only platform operators and admins may; and
 * exactly one of a waiver and a payment racing it settles the due.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { noticesFor } from "../../src/domain/notifications";
import { at, book, newCustomer, orderOf, quote, type Customer } from "../support/booking";
import { auditActions } from "../support/fixtures";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { completeVisit, expectBalanced, ledgerOf, pay, sandboxPay } from "../support/payments";
import { merchantWorld, type MerchantWorld } from "../support/world";

const due = (orderId: string) =>
  env.DB.prepare("SELECT * FROM payment_dues WHERE order_id = ?").bind(orderId).first<Record<string, unknown>>();
const outboxOf = async (orderId: string, topic: string) =>
  (
    await env.DB.prepare("SELECT payload FROM outbox WHERE topic = ? AND payload LIKE ?")
      .bind(topic, `%${orderId}%`)
      .all<{ payload: string }>()
  ).results.map((r) => JSON.parse(r.payload) as Record<string, unknown>);
const entriesOf = (t: { entries: { account: string; amount: number }[] }) =>
  Object.fromEntries(t.entries.map((e) => [e.account, e.amount]));

async function servedUnpaid(m: MerchantWorld, day = 2, customer?: Customer) {
  const c = customer ?? (await newCustomer(m.w.center));
  const res = await book(c, await quote(m.w, c, at(m.w, day, "10:00")), { paymentPlan: "after_service" });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await completeVisit(m.w, m.techSession, res.body);
  return { customer: c, order: res.body as { id: string; startCode: string } };
}

const waive = (token: string, orderId: string, body: unknown = { reason: "客户投诉服务迟到，平台承担" }) =>
  call("POST", `/v1/admin/orders/${orderId}/due/waive`, { token, body });

describe("waiving a payment due", () => {
  it("unblocks the customer, writes the rest off as the platform's expense (balanced), leaves a timeline entry, an audit line and a notice", async () => {
    const m = await merchantWorld();
    const { customer, order } = await servedUnpaid(m);
    const operator = await signInWithRoles(["operator"]);
    expectProblem(await book(customer, await quote(m.w, customer, at(m.w, 3, "10:00"))), 409, "UNPAID_BALANCE");
    expect((await call("GET", `/v1/admin/orders/${order.id}`, { token: operator.token })).body.due).toMatchObject({
      settled: false,
      waived: null,
    });

    // a reason is required; bad input changes nothing
    expectProblem(await waive(operator.token, order.id, {}), 400, "VALIDATION_FAILED");
    expectProblem(await waive(operator.token, order.id, { reason: "   " }), 400, "VALIDATION_FAILED");
    expect((await due(order.id))!.settled_at).toBeNull();

    const res = await waive(operator.token, order.id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      orderId: order.id,
      waived: { amount: 12000, currency: "CNY" },
      reason: "客户投诉服务迟到，平台承担",
      waivedBy: operator.accountId,
    });
    expect(await due(order.id)).toMatchObject({ waived_amount: 12000, waived_by: operator.accountId });
    expect((await due(order.id))!.settled_at).not.toBeNull();

    // the ledger: one balanced waiver, the platform's expense; the merchant and the technician get their shares
    const txs = await ledgerOf(order.id);
    expectBalanced(txs);
    const waivers = txs.filter((t) => t.kind === "waiver");
    expect(waivers).toHaveLength(1);
    expect(entriesOf(waivers[0]!)).toEqual({
      waiver_expense: 12000,
      platform_revenue: -2400,
      [`merchant_payable:${m.merchantId}`]: -2880,
      [`technician_payable:${m.tech.id}`]: -6720,
    });
    expect(txs.filter((t) => t.kind === "split")).toEqual([]);

    // audited, on the timeline, and the customer is told (zh-CN and en)
    expect(await auditActions(order.id)).toContain("due.waive");
    const timeline = (await orderOf(customer, order.id)).timeline as { reason: string; to: string }[];
    expect(timeline.at(-1)).toMatchObject({ reason: "balance waived", to: "completed" });
    const [message] = await outboxOf(order.id, "payment.waived");
    expect(message).toEqual({ orderId: order.id, customerId: customer.session.accountId, amount: 12000, currency: "CNY" });
    const [notice] = noticesFor({ id: "m", topic: "payment.waived", payload: message! });
    expect(notice).toMatchObject({ audience: "customer", kind: "payment.waived" });
    expect(notice!.body.zh).toContain("¥120.00");
    expect(notice!.body.en).toContain("¥120.00");
    expect(notice!.title.zh).not.toBe(notice!.title.en);

    // unblocked: books again; nothing is left to pay, by payment or cash; a second waiver is refused
    expect((await book(customer, await quote(m.w, customer, at(m.w, 3, "10:00")))).status).toBe(201);
    expectProblem(await pay(customer, order.id, { provider: "sandbox" }), 409, "NOTHING_TO_PAY");
    expectProblem(await waive(operator.token, order.id), 409, "NOTHING_TO_PAY");
    expect((await ledgerOf(order.id)).filter((t) => t.kind === "waiver")).toHaveLength(1);
    const view = (await call("GET", `/v1/admin/orders/${order.id}`, { token: operator.token })).body;
    expect(view.due).toMatchObject({ settled: true, waived: { amount: 12000, by: operator.accountId } });
  });

  it("only platform operators and admins may: a merchant admin and the customer get 403; an order without a due is 404", async () => {
    const m = await merchantWorld();
    const { customer, order } = await servedUnpaid(m);
    expectProblem(await waive(m.merchantAdmin.token, order.id), 403);
    expectProblem(await waive(customer.session.token, order.id), 403);
    expect((await due(order.id))!.settled_at).toBeNull();
    const admin = await signInWithRoles(["admin"]);
    expectProblem(await waive(admin.token, "ord_nope"), 404);
    const other = await newCustomer(m.w.center);
    const open = await book(other, await quote(m.w, other, at(m.w, 4, "10:00")), { paymentPlan: "after_service" });
    expectProblem(await waive(admin.token, open.body.id), 404);
    expect((await waive(admin.token, order.id)).status).toBe(200);
  });

  it("a payment that was started before the waiver and arrives after it is refunded, not applied", async () => {
    const m = await merchantWorld();
    const { customer, order } = await servedUnpaid(m);
    const operator = await signInWithRoles(["operator"]);
    const started = await pay(customer, order.id, { provider: "sandbox" });
    expect(started.status).toBe(201);
    expect((await waive(operator.token, order.id)).status).toBe(200);
    expect((await sandboxPay(customer, started.body.id)).status).toBe(200);
    const payment = await env.DB.prepare("SELECT disposition FROM payments WHERE id = ?")
      .bind(started.body.id)
      .first<{ disposition: string }>();
    expect(payment!.disposition).toBe("refunded_duplicate");
    const txs = await ledgerOf(order.id);
    expectBalanced(txs);
    expect(txs.filter((t) => t.kind === "split")).toEqual([]);
    expect(txs.filter((t) => t.kind === "waiver")).toHaveLength(1);
  });

  it("racing a payment, exactly one of them settles the due", async () => {
    const m = await merchantWorld();
    const operator = await signInWithRoles(["operator"]);
    const outcomes = new Set<string>();
    for (let round = 0; round < 3; round++) {
      const { customer, order } = await servedUnpaid(m, 2 + round);
      const started = await pay(customer, order.id, { provider: "sandbox" });
      expect(started.status).toBe(201);
      const [waived, paid] = await Promise.all([waive(operator.token, order.id), sandboxPay(customer, started.body.id)]);
      expect(paid.status).toBe(200);
      const row = (await due(order.id))!;
      expect(row.settled_at).not.toBeNull();
      const payment = await env.DB.prepare("SELECT disposition FROM payments WHERE id = ?")
        .bind(started.body.id)
        .first<{ disposition: string }>();
      const txs = await ledgerOf(order.id);
      expectBalanced(txs);
      const splits = txs.filter((t) => t.kind === "split").length;
      const waivers = txs.filter((t) => t.kind === "waiver").length;
      if (waived.status === 200) {
        // the waiver won: the payment is sent back, nothing split
        expect(row.waived_amount).toBe(12000);
        expect(payment!.disposition).toBe("refunded_duplicate");
        expect([splits, waivers]).toEqual([0, 1]);
        outcomes.add("waived");
      } else {
        // the payment won: the waiver is refused, nothing waived
        expectProblem(waived, 409, "NOTHING_TO_PAY");
        expect(row.waived_at).toBeNull();
        expect(payment!.disposition).toBe("applied");
        expect([splits, waivers]).toEqual([1, 0]);
        outcomes.add("paid");
      }
      // either way, the customer may book again
      expect((await book(customer, await quote(m.w, customer, at(m.w, 6 + round, "10:00")))).status).toBe(201);
    }
    expect(outcomes.size).toBeGreaterThanOrEqual(1);
  });
});

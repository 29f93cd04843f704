/**
 * Only collected money is split: a served order not paid in full asks its customer to pay, blocks
 * their new bookings, reminds them and goes to the exception queue; the technician may record cash
 * where the service allows it.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { at, book, newCustomer, orderOf, quote, task, type Customer } from "../support/booking";
import { call, expectProblem, signInWithRoles, type Session } from "../support/http";
import { merchantWorld, type MerchantWorld } from "../support/world";
import { completeVisit, expectBalanced, ledgerOf, pay, paidOrder, payInFull, sandboxPay } from "../support/payments";
import { askExtraCharge, decide, PNG, uploadPhoto } from "../support/visit";
import { runPaymentDues } from "../../src/money/collection.service";

const HOUR = 3_600_000;

const earnings = async (s: Session) => (await call("GET", "/v1/technician/earnings", { token: s.token })).body;
const splitsOf = async (orderId: string) => (await ledgerOf(orderId)).filter((t) => t.kind === "split");
const entriesOf = (t: { entries: { account: string; amount: number }[] }) =>
  Object.fromEntries(t.entries.map((e) => [e.account, e.amount]));
const outboxOf = async (orderId: string, topic: string) =>
  (
    await env.DB.prepare("SELECT payload FROM outbox WHERE topic = ? AND payload LIKE ? ORDER BY created_at")
      .bind(topic, `%${orderId}%`)
      .all<{ payload: string }>()
  ).results.map((r) => JSON.parse(r.payload) as Record<string, unknown>);
const ordersOf = async (customerId: string) =>
  Number((await env.DB.prepare("SELECT count(*) AS n FROM orders WHERE customer_id = ?").bind(customerId).first<{ n: number }>())!.n);
const due = (orderId: string) =>
  env.DB.prepare("SELECT * FROM payment_dues WHERE order_id = ?").bind(orderId).first<Record<string, unknown>>();

/** Books the world's service to be paid after the visit and completes it unpaid. */
async function servedUnpaid(m: MerchantWorld, day = 2, customer?: Customer) {
  const c = customer ?? (await newCustomer(m.w.center));
  const res = await book(c, await quote(m.w, c, at(m.w, day, "10:00")), { paymentPlan: "after_service" });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await completeVisit(m.w, m.techSession, res.body);
  return { customer: c, order: res.body };
}

describe("pay after service: only collected money is split", () => {
  it("splits nothing at an unpaid completion, asks the customer to pay, blocks their bookings until paid, then splits what they paid", async () => {
    const m = await merchantWorld();
    const { customer, order } = await servedUnpaid(m);

    // nothing collected, nothing earned: no split, nothing pending for the technician
    expect(await splitsOf(order.id)).toEqual([]);
    expect((await earnings(m.techSession)).totals).toMatchObject({ earned: { amount: 0 }, pending: { amount: 0 } });
    expect(await due(order.id)).toMatchObject({ customer_id: customer.session.accountId, settled_at: null });
    expect(await outboxOf(order.id, "payment.due")).toEqual([
      { orderId: order.id, customerId: customer.session.accountId, amount: 12000, currency: "CNY", reminder: false },
    ]);

    // a new booking is refused in the booking batch itself: 409 UNPAID_BALANCE, nothing written
    const before = await ordersOf(customer.session.accountId);
    const refused = await book(customer, await quote(m.w, customer, at(m.w, 3, "10:00")));
    expectProblem(refused, 409, "UNPAID_BALANCE");
    expect(refused.body.orderId).toBe(order.id);
    expect(refused.body.detail).toContain(order.id);
    const en = await call("POST", "/v1/orders", {
      token: customer.session.token,
      headers: { "Idempotency-Key": `unpaid-en-${Date.now()}`, "Accept-Language": "en" },
      body: { quoteId: (await quote(m.w, customer, at(m.w, 3, "14:00"))).id, addressId: customer.addressId, start: at(m.w, 3, "14:00") },
    });
    expectProblem(en, 409, "UNPAID_BALANCE");
    expect(en.body.detail).toMatch(/^Please pay/);
    expect(await ordersOf(customer.session.accountId)).toBe(before);

    // the customer pays: the money is split now, the technician's share pending from now on
    const paidAt = Date.now();
    await payInFull(customer, order.id);
    const [split] = await splitsOf(order.id);
    expect(entriesOf(split!)).toEqual({
      customer_funds: 12000,
      platform_revenue: -2400,
      [`merchant_payable:${m.merchantId}`]: -2880,
      [`technician_payable:${m.tech.id}`]: -6720,
    });
    const e = await earnings(m.techSession);
    expect(e.totals).toMatchObject({ earned: { amount: 6720 }, pending: { amount: 6720 }, available: { amount: 0 } });
    expect(Date.parse(e.items[0].availableAt)).toBeGreaterThanOrEqual(paidAt + 72 * HOUR - 1000);
    expect((await due(order.id))!.settled_at).not.toBeNull();
    expect(await splitsOf(order.id)).toHaveLength(1);

    // and may book again
    expect((await book(customer, await quote(m.w, customer, at(m.w, 3, "10:00")))).status).toBe(201);
    expectBalanced(await ledgerOf(order.id));
    // the customer's funds hold nothing for the order once it is paid and split
    const funds = (await ledgerOf(order.id)).flatMap((t) => t.entries).filter((x) => x.account === "customer_funds");
    expect(funds.reduce((s, x) => s + x.amount, 0)).toBe(0);
  });

  it("reminds once after PAYMENT_DUE_REMINDER_HOURS and puts the order in the exception queue after PAYMENT_DUE_EXCEPTION_HOURS, until it is paid", async () => {
    const m = await merchantWorld();
    const { customer, order } = await servedUnpaid(m);
    const operator = await signInWithRoles(["operator"]);
    const queue = async () =>
      (await call("GET", "/v1/admin/orders?queue=exceptions&limit=100", { token: operator.token })).body.items.filter(
        (o: { id: string }) => o.id === order.id,
      );

    await runPaymentDues(env, Date.now() + 23 * HOUR);
    expect(await outboxOf(order.id, "payment.due")).toHaveLength(1);
    await runPaymentDues(env, Date.now() + 25 * HOUR);
    await runPaymentDues(env, Date.now() + 26 * HOUR);
    const notices = await outboxOf(order.id, "payment.due");
    expect(notices.map((n) => n.reminder)).toEqual([false, true]);
    expect(await queue()).toEqual([]);

    await runPaymentDues(env, Date.now() + 73 * HOUR);
    expect(await queue()).toMatchObject([{ id: order.id, exception: "unpaid" }]);

    await payInFull(customer, order.id);
    expect(await queue()).toEqual([]);
    expect((await orderOf(customer, order.id)).status).toBe("completed");
    // nothing more once paid
    await runPaymentDues(env, Date.now() + 200 * HOUR);
    expect(await outboxOf(order.id, "payment.due")).toHaveLength(2);
  });

  it("splits the paid part of an order whose approved extra was not paid, and the extra once paid", async () => {
    const m = await merchantWorld();
    const { customer, order } = await paidOrder(m.w, { start: at(m.w, 2, "10:00") });
    for (const action of ["accept", "depart"]) expect((await task(m.techSession, order.id, action)).status).toBe(200);
    expect((await uploadPhoto(m.techSession, order.id, "arrive")).status).toBe(201);
    expect((await task(m.techSession, order.id, "arrive", { lat: m.w.center.lat, lng: m.w.center.lng })).status).toBe(200);
    expect((await task(m.techSession, order.id, "start", { code: order.startCode })).status).toBe(200);
    const extra = await askExtraCharge(m.techSession, order.id, [{ label: "更换阀芯", amount: 3000 }]);
    expect((await decide(customer.session, order.id, extra.body.id, "approve")).status).toBe(200);
    expect((await uploadPhoto(m.techSession, order.id, "complete", { type: "image/png", bytes: PNG })).status).toBe(201);
    expect((await task(m.techSession, order.id, "complete")).status).toBe(200);

    expect((await splitsOf(order.id)).map((t) => entriesOf(t).customer_funds)).toEqual([12000]);
    expect(await outboxOf(order.id, "payment.due")).toMatchObject([{ amount: 3000 }]);
    expectProblem(await book(customer, await quote(m.w, customer, at(m.w, 4, "10:00"))), 409, "UNPAID_BALANCE");

    const balance = await pay(customer, order.id, { provider: "sandbox" });
    expect(balance.body).toMatchObject({ stage: "balance", amount: { amount: 3000 } });
    expect((await sandboxPay(customer, balance.body.id)).status).toBe(200);
    const splits = await splitsOf(order.id);
    expect(splits.map((t) => [t.ref, entriesOf(t).customer_funds])).toEqual([
      [order.id, 12000],
      [`${order.id}:2`, 3000],
    ]);
    expect((await earnings(m.techSession)).totals.earned.amount).toBe(6720 + 1680);
    expect((await book(customer, await quote(m.w, customer, at(m.w, 4, "10:00")))).status).toBe(201);
    expectBalanced(await ledgerOf(order.id));
  });
});

describe("cash collected by the technician", () => {
  const allowCash = (serviceId: string, cash: boolean) =>
    env.DB.prepare("UPDATE services SET payment_options = json_set(payment_options, '$.cash', json(?)) WHERE id = ?")
      .bind(cash ? "true" : "false", serviceId)
      .run();
  let keys = 0;
  const recordCash = (s: Session, orderId: string, amount: unknown, key: string | null = `cash-${Date.now()}-${(keys += 1)}`) =>
    call("POST", `/v1/technician/orders/${orderId}/cash`, {
      token: s.token,
      headers: key ? { "Idempotency-Key": key } : {},
      body: { amount },
    });

  it("counts as collected where the service allows it: audited, split, off the technician's balance, the customer's balance settled", async () => {
    const m = await merchantWorld();
    const { customer, order } = await servedUnpaid(m);

    // not for a service without cash (the default), nor for someone else's order, nor bad amounts
    expectProblem(await recordCash(m.techSession, order.id, 5000), 409, "CASH_NOT_ACCEPTED");
    await allowCash(m.w.serviceId, true);
    const other = await signInWithRoles(["technician"]);
    expect((await recordCash(other, order.id, 5000)).status).toBeGreaterThanOrEqual(403);
    expectProblem(await recordCash(m.techSession, order.id, "5000"), 400, "VALIDATION_FAILED");
    expectProblem(await recordCash(m.techSession, order.id, 0), 400, "VALIDATION_FAILED");
    expectProblem(await recordCash(m.techSession, order.id, 12001), 400, "VALIDATION_FAILED");
    expectProblem(await recordCash(m.techSession, order.id, 5000, null), 400, "IDEMPOTENCY_KEY_REQUIRED");
    expect(await ledgerOf(order.id)).toEqual([]);

    // part in cash: split at once, the rest still due (and payable by the customer for exactly that)
    const key = `cash-part-${Date.now()}`;
    const part = await recordCash(m.techSession, order.id, 5000, key);
    expect(part.status, JSON.stringify(part.body)).toBe(201);
    expect(part.body).toMatchObject({ orderId: order.id, technicianId: m.tech.id, amount: { amount: 5000 } });
    expect((await recordCash(m.techSession, order.id, 5000, key)).body.id).toBe(part.body.id);
    const txs = await ledgerOf(order.id);
    expect(entriesOf(txs.find((t) => t.kind === "cash_collection")!)).toEqual({
      [`technician_payable:${m.tech.id}`]: 5000,
      customer_funds: -5000,
    });
    expect((await splitsOf(order.id)).map((t) => entriesOf(t).customer_funds)).toEqual([5000]);
    expect(
      await env.DB.prepare("SELECT action, actor_id FROM audit_log WHERE target_id = ? AND action = 'cash.collect'").bind(order.id).first(),
    ).toEqual({
      action: "cash.collect",
      actor_id: m.techSession.accountId,
    });
    expectProblem(await book(customer, await quote(m.w, customer, at(m.w, 3, "10:00"))), 409, "UNPAID_BALANCE");

    // the rest in cash too: the customer owes nothing and may book again; nothing more can be recorded or paid
    expect((await recordCash(m.techSession, order.id, 7000)).status).toBe(201);
    expectProblem(await recordCash(m.techSession, order.id, 1000), 409, "NOTHING_TO_PAY");
    expectProblem(await pay(customer, order.id, { provider: "sandbox" }), 409, "NOTHING_TO_PAY");
    expect((await due(order.id))!.settled_at).not.toBeNull();
    expect((await book(customer, await quote(m.w, customer, at(m.w, 3, "10:00")))).status).toBe(201);

    // the technician holds the 12,000 in cash, so their balance is their share less that
    const split = (await splitsOf(order.id)).map((t) => -(entriesOf(t)[`technician_payable:${m.tech.id}`] ?? 0));
    const share = split.reduce((s, x) => s + x, 0);
    const balance = Number(
      (await env.DB.prepare("SELECT -coalesce(sum(amount), 0) AS s FROM ledger_entries WHERE account = ?")
        .bind(`technician_payable:${m.tech.id}`)
        .first<{ s: number }>())!.s,
    );
    expect(balance).toBe(share - 12000);
    expectBalanced(await ledgerOf(order.id));
  });

  it("is refused where the order is not the technician's live or served job", async () => {
    const m = await merchantWorld();
    await allowCash(m.w.serviceId, true);
    const c = await newCustomer(m.w.center);
    const res = await book(c, await quote(m.w, c, at(m.w, 2, "10:00")), { paymentPlan: "after_service" });
    expectProblem(await recordCash(m.techSession, res.body.id, 1000), 409, "INVALID_TRANSITION");
    expectProblem(await recordCash(m.techSession, "ord_missing", 1000), 404);
  });
});

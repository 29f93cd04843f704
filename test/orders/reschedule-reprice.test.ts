/**
 * A reschedule prices the order again for its new start. The world's service costs ¥120.00 and
 * (set here) +50% at night, 18:00–07:00 local: a 10:00 order costs 12000 分, an 18:00 one 18000.
 * A new total needs the customer's confirmation (409 PRICE_CHANGED with a signed reschedule quote);
 * the confirmed move writes the new lines, the total and the money (refund or due) with it.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld, type World } from "../support/world";
import { at, book, newCustomer, orderOf, quote, waitFor, type Customer } from "../support/booking";
import { balanceOf, expectBalanced, ledgerOf, paidOrder, pay, pendingOrder, sandboxPay } from "../support/payments";
import { sign } from "../../src/lib/signed";

const NIGHT = { night: { start: "18:00", end: "07:00", percent: 50 } };

async function world() {
  const w = await createWorld(freshCenter());
  await env.DB.prepare("UPDATE services SET surcharges = ? WHERE id = ?").bind(JSON.stringify(NIGHT), w.serviceId).run();
  await addTechnician(w, w.center);
  return w;
}

/** Books the world's service to be paid after the visit, at `start`. */
async function unpaidOrder(w: World, start: string) {
  const customer = await newCustomer(w.center);
  const res = await book(customer, await quote(w, customer, start));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { customer, order: res.body };
}

const reschedule = (c: Customer, orderId: string, body: Record<string, unknown>) =>
  call("POST", `/v1/orders/${orderId}/reschedule`, { token: c.session.token, body });

/** What must not change when a reschedule is refused. */
async function stateOf(orderId: string) {
  const row = await env.DB.prepare("SELECT start_at, total, lines, version FROM orders WHERE id = ?").bind(orderId).first();
  const refunds = await env.DB.prepare("SELECT count(*) AS n FROM refunds WHERE order_id = ?").bind(orderId).first<{ n: number }>();
  return { row, refunds: refunds?.n };
}

const refundsOf = (orderId: string) =>
  env.DB.prepare("SELECT kind, amount, status FROM refunds WHERE order_id = ? ORDER BY created_at")
    .bind(orderId)
    .all<{ kind: string; amount: number; status: string }>()
    .then((r) => r.results);

describe("a reschedule re-prices the time lines", () => {
  it("a daytime order moved to night gets the night line only once the customer confirms the new price", async () => {
    const w = await world();
    const { customer, order } = await unpaidOrder(w, at(w, 2, "10:00"));
    expect(order.total.amount).toBe(12000);
    expect(order.lines.map((l: { code: string }) => l.code)).toEqual(["base"]);
    const before = await stateOf(order.id);

    const asked = await reschedule(customer, order.id, { start: at(w, 3, "18:00") });
    expect(asked.status, JSON.stringify(asked.body)).toBe(409);
    expect(asked.body).toMatchObject({
      code: "PRICE_CHANGED",
      status: 409,
      total: { amount: 18000, currency: "CNY" },
      previousTotal: { amount: 12000 },
      difference: { amount: 6000 },
      start: at(w, 3, "18:00"),
    });
    expect(asked.body.lines).toEqual([
      { code: "base", label: "基础服务费", amount: { amount: 12000, currency: "CNY" } },
      { code: "night", label: "夜间服务 +50%", amount: { amount: 6000, currency: "CNY" } },
    ]);
    expect(asked.body.quoteId).toMatch(/^rsq_/);
    expect(asked.body.detail).toContain("¥180.00");
    expect(await stateOf(order.id)).toEqual(before);

    const confirmed = await reschedule(customer, order.id, { start: at(w, 3, "18:00"), quoteId: asked.body.quoteId });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(confirmed.body.start).toBe(at(w, 3, "18:00"));
    expect(confirmed.body.total).toEqual({ amount: 18000, currency: "CNY" });
    expect(confirmed.body.lines.map((l: { code: string }) => l.code)).toEqual(["base", "night"]);
    const entry = confirmed.body.timeline.at(-1);
    expect(entry.reason).toBe("rescheduled, price changed");
    expect(entry.note.zh).toContain("¥180.00");
    expect(entry.note.en).toContain("¥180.00");
    expect(entry.note.en).not.toMatch(/[A-Z]+_[A-Z]+/);
    // Unpaid (pay after service): only the total changes, no money moves.
    expect(await refundsOf(order.id)).toEqual([]);
    const msgs = await env.DB.prepare(
      "SELECT topic, payload FROM outbox WHERE topic = 'order.repriced' AND json_extract(payload, '$.orderId') = ?",
    )
      .bind(order.id)
      .all<{ payload: string }>();
    expect(msgs.results.map((m) => JSON.parse(m.payload))).toEqual([
      expect.objectContaining({ amount: 18000, previousTotal: 12000, refund: 0, due: 0 }),
    ]);

    // Moved back to the day: cheaper, confirmed the same way, and the night line is gone again.
    const back = await reschedule(customer, order.id, { start: at(w, 4, "10:00") });
    expect(back.body).toMatchObject({ code: "PRICE_CHANGED", total: { amount: 12000 } });
    const done = await reschedule(customer, order.id, { start: at(w, 4, "10:00"), quoteId: back.body.quoteId });
    expect(done.status).toBe(200);
    expect(done.body.lines.map((l: { code: string }) => l.code)).toEqual(["base"]);
  });

  it("a move that keeps the price goes through at once, as before", async () => {
    const w = await world();
    const { customer, order } = await unpaidOrder(w, at(w, 2, "10:00"));
    const moved = await reschedule(customer, order.id, { start: at(w, 3, "11:00") });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.total.amount).toBe(12000);
    expect(moved.body.timeline.at(-1)).toMatchObject({ reason: "rescheduled" });
    expect(moved.body.timeline.at(-1).note).toBeUndefined();
  });

  it("an altered, misdirected, expired or used reschedule quote is refused and nothing changes", async () => {
    const w = await world();
    const { customer, order } = await unpaidOrder(w, at(w, 2, "10:00"));
    const night = at(w, 3, "18:00");
    const asked = await reschedule(customer, order.id, { start: night });
    const quoteId: string = asked.body.quoteId;
    const before = await stateOf(order.id);

    // Altered: a payload claiming a lower total, with the old signature.
    const [body, sig] = quoteId.slice(4).split(".");
    const payload = JSON.parse(atob(body!.replaceAll("-", "+").replaceAll("_", "/")));
    const forged = btoa(JSON.stringify({ ...payload, total: 12000 }))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    for (const bad of [`rsq_${forged}.${sig}`, `${quoteId.slice(0, -2)}xx`, "rsq_nothing", `qt_${body}.${sig}`]) {
      const res = await reschedule(customer, order.id, { start: night, quoteId: bad });
      expect(res.status, bad).toBe(400);
      expect(res.body.code).toBe("QUOTE_INVALID");
    }
    // Another start than the one quoted.
    const other = await reschedule(customer, order.id, { start: at(w, 3, "19:00"), quoteId });
    expect(other.body).toMatchObject({ status: 400, code: "QUOTE_INVALID" });
    // Another customer's order.
    const stranger = await unpaidOrder(w, at(w, 2, "12:30"));
    const elsewhere = await reschedule(stranger.customer, stranger.order.id, { start: night, quoteId });
    expect(elsewhere.body).toMatchObject({ status: 400, code: "QUOTE_INVALID" });
    // Expired (signed with the real key, so only its age is wrong).
    const expired = await sign(env.JWT_SECRET, "reschedule_quote", "rsq_", { ...payload, expiresAt: Date.now() - 1000 });
    expect((await reschedule(customer, order.id, { start: night, quoteId: expired })).body).toMatchObject({
      status: 400,
      code: "QUOTE_EXPIRED",
    });
    expect(await stateOf(order.id)).toEqual(before);

    // Used: once it applied, the same quote finds the order moved.
    expect((await reschedule(customer, order.id, { start: night, quoteId })).status).toBe(200);
    const after = await stateOf(order.id);
    const again = await reschedule(customer, order.id, { start: night, quoteId });
    expect(again.body).toMatchObject({ status: 409, code: "RESCHEDULE_QUOTE_STALE" });
    expect(await stateOf(order.id)).toEqual(after);
  });

  it("a quote made before the order changed is stale", async () => {
    const w = await world();
    const { customer, order } = await unpaidOrder(w, at(w, 2, "10:00"));
    const asked = await reschedule(customer, order.id, { start: at(w, 3, "18:00") });
    // The order moves (same price) meanwhile: the quote priced the order as it was.
    expect((await reschedule(customer, order.id, { start: at(w, 2, "11:00") })).status).toBe(200);
    const before = await stateOf(order.id);
    const res = await reschedule(customer, order.id, { start: at(w, 3, "18:00"), quoteId: asked.body.quoteId });
    expect(res.body).toMatchObject({ status: 409, code: "RESCHEDULE_QUOTE_STALE" });
    expect(await stateOf(order.id)).toEqual(before);
  });
});

describe("the money of a re-priced reschedule", () => {
  it("a paid order moved to a cheaper time gets the difference refunded, and the ledger balances", async () => {
    const w = await world();
    const { customer, order } = await paidOrder(w, { start: at(w, 2, "18:00") });
    expect(order.total.amount).toBe(18000);
    const asked = await reschedule(customer, order.id, { start: at(w, 3, "10:00") });
    expect(asked.body).toMatchObject({ code: "PRICE_CHANGED", difference: { amount: -6000 } });
    const moved = await reschedule(customer, order.id, { start: at(w, 3, "10:00"), quoteId: asked.body.quoteId });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.total.amount).toBe(12000);
    expect(moved.body.timeline.at(-1).note.en).toContain("¥60.00");
    const refunds = await waitFor(
      () => refundsOf(order.id),
      (r) => r.every((x) => x.status === "succeeded"),
    );
    expect(refunds).toEqual([{ kind: "reschedule", amount: 6000, status: "succeeded" }]);
    const txs = await ledgerOf(order.id);
    expectBalanced(txs);
    expect(txs.map((t) => t.kind).sort()).toEqual(["payment", "refund", "refund_request"]);
    expect(await balanceOf("customer_funds", order.id)).toBe(-12000);
    expect(await balanceOf("refunds_payable", order.id)).toBe(0);
    // The order is paid in full at its new total: nothing is due, and a cancellation refunds what is left.
    expect((await pay(customer, order.id, { provider: "sandbox" })).body).toMatchObject({ status: 409, code: "NOTHING_TO_PAY" });
    const cancelled = await call("POST", `/v1/orders/${order.id}/cancel`, {
      token: customer.session.token,
      body: { reason: "plans changed" },
    });
    expect(cancelled.body.refund).toMatchObject({ percent: 100, amount: { amount: 12000 } });
  });

  it("a paid order moved to a dearer time owes the difference, paid through the payment flow", async () => {
    const w = await world();
    const { customer, order } = await paidOrder(w, { start: at(w, 2, "10:00") });
    const asked = await reschedule(customer, order.id, { start: at(w, 3, "18:00") });
    const moved = await reschedule(customer, order.id, { start: at(w, 3, "18:00"), quoteId: asked.body.quoteId });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.timeline.at(-1).note.zh).toContain("补付差价 ¥60.00");
    expect(await refundsOf(order.id)).toEqual([]);
    const msg = await env.DB.prepare("SELECT payload FROM outbox WHERE topic = 'order.repriced' AND json_extract(payload, '$.orderId') = ?")
      .bind(order.id)
      .first<{ payload: string }>();
    expect(JSON.parse(msg!.payload)).toMatchObject({ amount: 18000, previousTotal: 12000, due: 6000, refund: 0 });

    const balance = await pay(customer, order.id, { provider: "sandbox" });
    expect(balance.status, JSON.stringify(balance.body)).toBe(201);
    expect(balance.body).toMatchObject({ stage: "balance", amount: { amount: 6000 } });
    expect((await sandboxPay(customer, balance.body.id)).status).toBe(200);
    const paid = await orderOf(customer, order.id);
    expect(paid.payments.find((p: { id: string }) => p.id === balance.body.id)).toMatchObject({
      status: "succeeded",
      disposition: "applied",
    });
    expect((await pay(customer, order.id, { provider: "sandbox" })).body).toMatchObject({ code: "NOTHING_TO_PAY" });
    expectBalanced(await ledgerOf(order.id));
    expect(await balanceOf("customer_funds", order.id)).toBe(-18000);
  });

  it("a payment started at the price before the move: the part above the new total goes back, a shortfall stays due", async () => {
    const w = await world();
    // Cheaper: a full payment of 18000 started, then the order moved to the day (12000), then paid.
    const night = await pendingOrder(w, { start: at(w, 2, "18:00") });
    const started = await pay(night.customer, night.order.id, { provider: "sandbox" });
    expect(started.body.amount.amount).toBe(18000);
    const asked = await reschedule(night.customer, night.order.id, { start: at(w, 3, "10:00") });
    expect(asked.body).toMatchObject({ code: "PRICE_CHANGED", total: { amount: 12000 } });
    const moved = await reschedule(night.customer, night.order.id, { start: at(w, 3, "10:00"), quoteId: asked.body.quoteId });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.status).toBe("pending_payment");
    expect((await sandboxPay(night.customer, started.body.id)).status).toBe(200);
    expect((await orderOf(night.customer, night.order.id)).status).not.toBe("pending_payment");
    const refunds = await waitFor(
      () => refundsOf(night.order.id),
      (r) => r.length > 0 && r.every((x) => x.status === "succeeded"),
    );
    expect(refunds).toEqual([{ kind: "reschedule", amount: 6000, status: "succeeded" }]);
    expectBalanced(await ledgerOf(night.order.id));
    expect(await balanceOf("customer_funds", night.order.id)).toBe(-12000);

    // Dearer: a full payment of 12000 started, the order moved to the night (18000), then paid: 6000 is due.
    const day = await pendingOrder(w, { start: at(w, 2, "10:00") });
    const first = await pay(day.customer, day.order.id, { provider: "sandbox" });
    const q = await reschedule(day.customer, day.order.id, { start: at(w, 3, "18:00") });
    expect((await reschedule(day.customer, day.order.id, { start: at(w, 3, "18:00"), quoteId: q.body.quoteId })).status).toBe(200);
    expect((await sandboxPay(day.customer, first.body.id)).status).toBe(200);
    const rest = await pay(day.customer, day.order.id, { provider: "sandbox" });
    expect(rest.body).toMatchObject({ stage: "balance", amount: { amount: 6000 } });
    expect(await refundsOf(day.order.id)).toEqual([]);
  });

  it("two confirmations of one quote at once: exactly one applies, one refund", async () => {
    const w = await world();
    const { customer, order } = await paidOrder(w, { start: at(w, 2, "18:00") });
    const start = at(w, 3, "10:00");
    const asked = await reschedule(customer, order.id, { start });
    const answers = await Promise.all([0, 1].map(() => reschedule(customer, order.id, { start, quoteId: asked.body.quoteId })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses, JSON.stringify(answers.map((a) => a.body))).toEqual([200, 409]);
    expect(["CONCURRENT_UPDATE", "RESCHEDULE_QUOTE_STALE"]).toContain(answers.find((a) => a.status === 409)!.body.code);
    const now = await orderOf(customer, order.id);
    expect(now).toMatchObject({ start, total: { amount: 12000 } });
    expect(now.timeline.filter((e: { reason: string }) => e.reason === "rescheduled, price changed")).toHaveLength(1);
    expect((await refundsOf(order.id)).map((r) => [r.kind, r.amount])).toEqual([["reschedule", 6000]]);
    expectBalanced(await ledgerOf(order.id));
    // The calendar holds the interval where the order says it is: the old start is free for another booking.
    const other = await newCustomer(w.center);
    const taken = await book(other, await quote(w, other, at(w, 2, "18:00")));
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);
    expect(taken.body.technician?.id).toBe(now.technician.id);
  });
});

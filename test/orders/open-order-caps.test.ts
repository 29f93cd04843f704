/**
 * Slot hoarding: a customer holds at most MAX_OPEN_UNPAID_HOLDS intervals waiting for payment and
 * MAX_UNPAID_AFTER_SERVICE_ORDERS unpaid pay-after-service orders. The cap is a guard in the order's
 * own write, so parallel bookings cannot get past it, and a refused booking leaves nothing behind.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { callWith, expectProblem } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld } from "../support/world";
import { at, newCustomer, quote, type Customer } from "../support/booking";
import { scheduleOf } from "../support/visit";

/** The Worker with the production defaults of the two caps (vitest.config.ts raises them for other tests). */
const capped = { ...env, MAX_OPEN_UNPAID_HOLDS: "3", MAX_UNPAID_AFTER_SERVICE_ORDERS: "2" } as Env;

let keys = 0;
function bookCapped(c: Customer, q: { id: string; start: string }, paymentPlan: "full" | "after_service", lang = "en") {
  return callWith(capped, "POST", "/v1/orders", {
    token: c.session.token,
    headers: { "Idempotency-Key": `cap-${Date.now()}-${(keys += 1)}`, "Accept-Language": lang },
    body: { quoteId: q.id, addressId: c.addressId, start: q.start, paymentPlan },
  });
}

/** `n` quotes at distinct times (two a day from day 2), so every booking finds its interval free. */
async function quotes(w: Awaited<ReturnType<typeof createWorld>>, c: Customer, n: number) {
  return Promise.all(Array.from({ length: n }, (_, i) => quote(w, c, at(w, 2 + Math.floor(i / 2), i % 2 ? "14:00" : "10:00"))));
}

async function ordersOf(customerId: string): Promise<{ status: string; payment_plan: string }[]> {
  const r = await env.DB.prepare("SELECT status, payment_plan FROM orders WHERE customer_id = ?").bind(customerId).all();
  return r.results as { status: string; payment_plan: string }[];
}

describe("caps on a customer's unpaid orders", () => {
  it("20 parallel pay-now bookings by one customer: exactly 3 holds, the rest 409 TOO_MANY_UNPAID_HOLDS with their intervals freed", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const qs = await quotes(w, c, 20);
    const answers = await Promise.all(qs.map((q) => bookCapped(c, q, "full")));
    const won = answers.filter((a) => a.status === 201);
    expect(won).toHaveLength(3);
    for (const a of answers.filter((x) => x.status !== 201)) expectProblem(a, 409, "TOO_MANY_UNPAID_HOLDS");
    expect(answers.find((a) => a.status === 409)!.body.detail).toBe(
      "You already have 3 bookings waiting for payment; pay or cancel one first.",
    );
    expect((await ordersOf(c.session.accountId)).map((o) => o.status)).toEqual(["pending_payment", "pending_payment", "pending_payment"]);
    // Only the three orders hold time on the technician's calendar.
    const held = (await scheduleOf(w, tech.id)).map(([orderId]) => orderId).sort();
    expect(held).toEqual(won.map((a) => a.body.id).sort());
  });

  it("cancelling a hold makes room for the next one; the answer is in the caller's language", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const qs = await quotes(w, c, 5);
    const first = await bookCapped(c, qs[0], "full");
    expect(first.status).toBe(201);
    for (const q of qs.slice(1, 3)) expect((await bookCapped(c, q, "full")).status).toBe(201);
    const refused = await bookCapped(c, qs[3], "full", "zh-CN");
    expectProblem(refused, 409, "TOO_MANY_UNPAID_HOLDS");
    expect(refused.body.detail).toBe("您已有 3 个待支付的预约，请先支付或取消其中一个。");
    const cancelled = await callWith(capped, "POST", `/v1/orders/${first.body.id}/cancel`, {
      token: c.session.token,
      body: { reason: "changed my mind" },
    });
    expect(cancelled.status).toBe(200);
    expect((await bookCapped(c, qs[3], "full")).status).toBe(201);
  });

  it("a hold whose payment time ran out no longer counts", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const qs = await quotes(w, c, 4);
    for (const q of qs.slice(0, 3)) expect((await bookCapped(c, q, "full")).status).toBe(201);
    expectProblem(await bookCapped(c, qs[3], "full"), 409, "TOO_MANY_UNPAID_HOLDS");
    // One hold lapses (its expiry passes before the cell's alarm cancels the order).
    await env.DB.prepare(
      "UPDATE orders SET hold_expires_at = ? WHERE id = (SELECT id FROM orders WHERE customer_id = ? ORDER BY id LIMIT 1)",
    )
      .bind(Date.now() - 1000, c.session.accountId)
      .run();
    expect((await bookCapped(c, qs[3], "full")).status).toBe(201);
  });

  it("at most 2 unpaid pay-after-service orders, even in parallel; paying one makes room", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const qs = await quotes(w, c, 10);
    const answers = await Promise.all(qs.slice(0, 8).map((q) => bookCapped(c, q, "after_service")));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(2);
    for (const a of answers.filter((x) => x.status !== 201)) expectProblem(a, 409, "TOO_MANY_UNPAID_ORDERS");
    expect(answers.find((a) => a.status === 409)!.body.detail).toBe(
      "You already have 2 pay-after-service orders not yet paid; pay or cancel one first.",
    );
    // The caps are apart: pay-now holds still go through.
    expect((await bookCapped(c, qs[8], "full")).status).toBe(201);
    // A pay-after-service order paid in full no longer counts.
    const paidId = answers.find((a) => a.status === 201)!.body.id;
    const now = Date.now();
    await env.DB.prepare(
      `INSERT INTO payments (id, order_id, customer_id, provider, channel, stage, amount, currency, status, client_params, disposition, succeeded_at, created_at, updated_at)
       VALUES (?, ?, ?, 'sandbox', 'default', 'full', 12000, 'CNY', 'succeeded', '{}', 'applied', ?, ?, ?)`,
    )
      .bind(`pay_cap${now}`, paidId, c.session.accountId, now, now, now)
      .run();
    expect((await bookCapped(c, qs[9], "after_service")).status).toBe(201);
    const plans = (await ordersOf(c.session.accountId)).map((o) => o.payment_plan).sort();
    expect(plans).toEqual(["after_service", "after_service", "after_service", "full"]);
  });
});

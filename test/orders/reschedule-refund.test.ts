/**
 * Reschedule-then-cancel does not buy a full refund: once the customer moves the order, the refund
 * tier of a later cancellation is at most the one they had when they moved it (the service's test
 * policy: 100% from 24 h before the start, 0% after). The booked start stays on the order.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld } from "../support/world";
import { at } from "../support/booking";
import { paidOrder } from "../support/payments";

/** Makes the order start `hours` from now in D1, as if that much time had passed since booking. */
async function startsIn(orderId: string, hours: number) {
  const start = Date.now() + hours * 3_600_000;
  await env.DB.prepare("UPDATE orders SET start_at = ?, end_at = ? + (end_at - start_at) WHERE id = ?").bind(start, start, orderId).run();
}

async function world() {
  const w = await createWorld(freshCenter());
  await addTechnician(w, w.center);
  return w;
}

describe("cancelling after a reschedule", () => {
  it("a booking moved out 3 h before its start refunds nothing when cancelled, as it would have then", async () => {
    const w = await world();
    const { customer, order } = await paidOrder(w);
    await startsIn(order.id, 3);
    const moved = await call("POST", `/v1/orders/${order.id}/reschedule`, {
      token: customer.session.token,
      body: { start: at(w, 6, "10:00") },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.start).toBe(at(w, 6, "10:00"));
    const row = await env.DB.prepare("SELECT booked_start_at AS booked, refund_cap_percent AS cap FROM orders WHERE id = ?")
      .bind(order.id)
      .first<{ booked: number; cap: number }>();
    expect(row).toEqual({ booked: Date.parse(at(w, 2, "10:00")), cap: 0 });
    const cancelled = await call("POST", `/v1/orders/${order.id}/cancel`, {
      token: customer.session.token,
      body: { reason: "no longer needed" },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.refund).toMatchObject({ percent: 0, amount: { amount: 0 } });
  });

  it("a booking moved well ahead of time keeps its full refund", async () => {
    const w = await world();
    const { customer, order } = await paidOrder(w);
    const moved = await call("POST", `/v1/orders/${order.id}/reschedule`, {
      token: customer.session.token,
      body: { start: at(w, 6, "10:00") },
    });
    expect(moved.status).toBe(200);
    const cancelled = await call("POST", `/v1/orders/${order.id}/cancel`, {
      token: customer.session.token,
      body: { reason: "no longer needed" },
    });
    expect(cancelled.body.refund).toMatchObject({ percent: 100, amount: { amount: order.total.amount } });
  });

  it("the new start still counts: a moved order cancelled late refunds nothing either", async () => {
    const w = await world();
    const { customer, order } = await paidOrder(w);
    expect(
      (await call("POST", `/v1/orders/${order.id}/reschedule`, { token: customer.session.token, body: { start: at(w, 6, "10:00") } }))
        .status,
    ).toBe(200);
    await startsIn(order.id, 3);
    const cancelled = await call("POST", `/v1/orders/${order.id}/cancel`, {
      token: customer.session.token,
      body: { reason: "no longer needed" },
    });
    expect(cancelled.body.refund).toMatchObject({ percent: 0 });
  });
});

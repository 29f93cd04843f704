import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { task } from "../support/booking";
import { createMerchant, signInMerchantAdmin } from "../support/catalog";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signIn } from "../support/http";
import { completeVisit, paidOrder } from "../support/payments";
import { addTechnician, createWorld } from "../support/world";

const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((o) => o.id);

/** A merchant's paid order, completed, with the customer's complaint waiting for a decision. */
async function complained() {
  const w = await createWorld(freshCenter());
  const merchantId = await createMerchant(w.admin);
  await env.DB.prepare("UPDATE services SET merchant_id = ? WHERE id = ?").bind(merchantId, w.serviceId).run();
  const tech = await addTechnician(w, w.center, { merchantId });
  const { customer, order } = await paidOrder(w);
  await completeVisit(w, await tech.session(), order);
  const complaint = await call("POST", `/v1/orders/${order.id}/complaints`, {
    token: customer.session.token,
    body: { reason: "stains left" },
  });
  expect(complaint.status).toBe(201);
  return { w, merchantId, tech, customer, order, refund: complaint.body.items[0] as { id: string } };
}

describe("GET /v1/admin/orders?queue=after_sales (complaints in the exception queue)", () => {
  it("holds an order with a complaint until its refund is decided, under `exceptions` too, marked after_sales", async () => {
    const { w, order, refund } = await complained();
    const afterSales = await call("GET", "/v1/admin/orders?queue=after_sales", { token: w.admin.token });
    expect(afterSales.status).toBe(200);
    expect(afterSales.body.items.find((o: { id: string }) => o.id === order.id)).toMatchObject({
      status: "after_sales",
      exception: "after_sales",
      refunds: [{ id: refund.id, status: "pending_approval" }],
    });
    expect(ids(await call("GET", "/v1/admin/orders?queue=exceptions", { token: w.admin.token }))).toContain(order.id);
    expect(ids(await call("GET", "/v1/admin/orders?queue=dispatch", { token: w.admin.token }))).not.toContain(order.id);
    expect((await call("GET", `/v1/admin/orders/${order.id}`, { token: w.admin.token })).body.exception).toBe("after_sales");
    // the refund awaiting approval keeps it there whatever the order's status says
    await env.DB.prepare("UPDATE orders SET status = 'completed' WHERE id = ?").bind(order.id).run();
    expect(ids(await call("GET", "/v1/admin/orders?queue=after_sales", { token: w.admin.token }))).toContain(order.id);
    await env.DB.prepare("UPDATE orders SET status = 'after_sales' WHERE id = ?").bind(order.id).run();

    const approved = await call("POST", `/v1/admin/refunds/${refund.id}/approve`, { token: w.admin.token, body: {} });
    expect(approved.body.status).toBe("succeeded");
    const detail = await call("GET", `/v1/admin/orders/${order.id}`, { token: w.admin.token });
    expect(detail.body).toMatchObject({ status: "refunded", exception: null });
    expect(ids(await call("GET", "/v1/admin/orders?queue=after_sales", { token: w.admin.token }))).not.toContain(order.id);
    expect(ids(await call("GET", "/v1/admin/orders?queue=exceptions", { token: w.admin.token }))).not.toContain(order.id);
  });

  it("keeps dispatch exceptions out of after_sales and in `dispatch` and `exceptions`", async () => {
    const w = await createWorld(freshCenter());
    const only = await addTechnician(w, w.center);
    const { order } = await paidOrder(w);
    expect((await task(await only.session(), order.id, "decline")).status).toBe(200);
    const dispatch = await call("GET", "/v1/admin/orders?queue=dispatch", { token: w.admin.token });
    expect(dispatch.body.items.find((o: { id: string }) => o.id === order.id)).toMatchObject({ exception: "no_candidate" });
    expect(ids(await call("GET", "/v1/admin/orders?queue=exceptions", { token: w.admin.token }))).toContain(order.id);
    expect(ids(await call("GET", "/v1/admin/orders?queue=after_sales", { token: w.admin.token }))).not.toContain(order.id);
  });

  it("shows a merchant admin its own merchant's complaints only", async () => {
    const { w, merchantId, order } = await complained();
    const own = await signInMerchantAdmin(w.admin, merchantId);
    expect(ids(await call("GET", "/v1/admin/orders?queue=after_sales", { token: own.token }))).toContain(order.id);
    const other = await signInMerchantAdmin(w.admin, await createMerchant(w.admin));
    expect((await call("GET", "/v1/admin/orders?queue=after_sales", { token: other.token })).body.items).toEqual([]);
    expectProblem(await call("GET", `/v1/admin/orders/${order.id}`, { token: other.token }), 404);
  });

  it("refuses an unknown queue (400), no token (401) and a customer (403)", async () => {
    const admin = (await createWorld(freshCenter())).admin;
    const bad = await call("GET", "/v1/admin/orders?queue=complaints", { token: admin.token });
    expectProblem(bad, 400, "VALIDATION_FAILED");
    expect(bad.body.errors[0].path).toBe("query.queue");
    expectProblem(await call("GET", "/v1/admin/orders?queue=after_sales"), 401);
    expectProblem(await call("GET", "/v1/admin/orders?queue=after_sales", { token: (await signIn()).token }), 403);
  });
});

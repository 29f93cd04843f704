import { env } from "cloudflare:test";
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import { placeOrder } from "../../src/orders/booking.service";
import { batchFacts } from "../../src/dispatch/batch-dispatch.service";
import { at, book, newCustomer, quote } from "../support/booking";
import { runBatch } from "../support/cell";
import { freshCenter } from "../support/fixtures";
import { call } from "../support/http";
import { createWorld, insertTechnicians, type World } from "../support/world";

/** D1 binds at most 100 parameters per statement; a real city has hundreds of technicians in reach of one job. */
const MANY = 300;

async function manyWorld(): Promise<{ w: World; ids: string[] }> {
  const p = freshCenter();
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  const w = await createWorld({ lat, lng });
  return { w, ids: await insertTechnicians(w, MANY) };
}

describe(`dispatch with ${MANY} technicians in reach of one job`, () => {
  it("books an auto-dispatched order and offers it to one of them", async () => {
    const { w, ids } = await manyWorld();
    const customer = await newCustomer(w.center);
    const res = await book(customer, await quote(w, customer, at(w, 2, "10:00")));
    expect(res.status).toBe(201);
    expect(res.body.status).toBe("assigned");
    expect(ids).toContain(res.body.technician.id);
  });

  it("matches a batch tick over all of them and offers the job", async () => {
    const { w, ids } = await manyWorld();
    const customer = await newCustomer(w.center);
    const q = await quote(w, customer, at(w, 2, "11:00"));
    const batch = { ...env, DISPATCH_STRATEGY: "batch", BATCH_INTERVAL_SECONDS: "3600" };
    const placed = await placeOrder(batch, customer.session.accountId, {
      quoteId: q.id,
      addressId: customer.addressId,
      start: q.start,
      paymentPlan: "after_service",
    });
    expect(placed.status).toBe("dispatching");
    await runBatch(latLngToCell(w.center.lat, w.center.lng, 5));
    const view = await call("GET", `/v1/orders/${placed.id}`, { token: customer.session.token });
    expect(view.body.status).toBe("assigned");
    expect(ids).toContain(view.body.technician.id);
    expect(view.body.timeline.at(-1).reason).toMatch(/^offered by a batch of 1/);
  });

  it("gathers the scoring history of every one of them for a batch tick", async () => {
    const { w, ids } = await manyWorld();
    const customers = await Promise.all(Array.from({ length: 3 }, () => newCustomer(w.center)));
    // a completed order for the last technician: its earnings must be found past the first hundred ids
    const last = ids.at(-1)!;
    const c = customers[0]!;
    const q = await quote(w, c, at(w, 3, "10:00"));
    const placed = await placeOrder(env, c.session.accountId, {
      quoteId: q.id,
      addressId: c.addressId,
      start: q.start,
      paymentPlan: "after_service",
    });
    await env.DB.prepare("UPDATE orders SET technician_id = ?, status = 'completed', updated_at = ? WHERE id = ?")
      .bind(last, Date.now(), placed.id)
      .run();
    const facts = await batchFacts(
      env,
      ids,
      customers.map((x) => x.session.accountId),
      [placed.id],
    );
    expect(facts.earnings[last]).toBeGreaterThan(0);
    expect(facts.merchants).toEqual({}); // a platform order: no merchant rule
  });
});

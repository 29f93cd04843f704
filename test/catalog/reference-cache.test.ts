/**
 * The per-isolate reference cache of the booking path (src/catalog/reference.service.ts): how
 * stale a quote may be, and that an order is never written against a stale service.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SERVICE_CACHE_MS } from "../../src/catalog/reference.service";
import { countedQuote } from "../support/counting";
import { call, expectProblem } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld, type World } from "../support/world";
import { at, book, newCustomer, type Customer } from "../support/booking";

const quoteAt = (w: World, c: Customer, start: string) =>
  call("POST", "/v1/quotes", { token: c.session.token, body: { serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, start } });

/** A change to the service made by another isolate: straight to D1, as the catalog writes it (a newer updated_at). */
const changeElsewhere = (w: World, set: string, ...params: unknown[]) =>
  env.DB.prepare(`UPDATE services SET ${set}, updated_at = updated_at + 1 WHERE id = ?`)
    .bind(...params, w.serviceId)
    .run();

const nothingBooked = async (w: World, c: Customer, technicianId: string) => {
  expect((await call("GET", "/v1/orders", { token: c.session.token })).body.items).toEqual([]);
  expect((await call("GET", `/v1/admin/technicians/${technicianId}/schedule`, { token: w.admin.token })).body.items).toEqual([]);
};

describe("reference cache of the booking path", () => {
  it("a service deactivated through the API stops being quoted and booked at once, and is bookable again at once", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = await quoteAt(w, c, at(w, 2, "10:00"));
    expect(q.status).toBe(201);
    const off = await call("PATCH", `/v1/admin/services/${w.serviceId}`, { token: w.admin.token, body: { active: false } });
    expect(off.status).toBe(200);
    expectProblem(await quoteAt(w, c, at(w, 2, "10:00")), 404, "SERVICE_NOT_OFFERED");
    expectProblem(await book(c, q.body), 404);
    await nothingBooked(w, c, t.id);
    const on = await call("PATCH", `/v1/admin/services/${w.serviceId}`, { token: w.admin.token, body: { active: true } });
    expect(on.status).toBe(200);
    expect((await quoteAt(w, c, at(w, 2, "10:00"))).status).toBe(201);
  });

  it(`a service deactivated elsewhere is quoted for at most ${SERVICE_CACHE_MS / 1000} s, and never booked`, async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    expect((await countedQuote(w, c, at(w, 2, "10:00"))).counts.d1).toBe(2);
    await changeElsewhere(w, "active = 0");
    // This isolate still prices from its copy, without reading D1 …
    const stale = await countedQuote(w, c, at(w, 2, "10:00"));
    expect(stale.status).toBe(201);
    expect(stale.counts.d1).toBe(0);
    // … but the order insert checks the service itself: no order, no interval left held.
    expectProblem(await book(c, stale.body), 404);
    await nothingBooked(w, c, t.id);
    // The refused order dropped the copy: the change is seen from now on.
    expectProblem(await quoteAt(w, c, at(w, 2, "10:00")), 404, "SERVICE_NOT_OFFERED");
    await changeElsewhere(w, "active = 1");
    // Read again (the service only: the cell's city is still cached).
    expect((await countedQuote(w, c, at(w, 2, "10:00"))).counts.d1).toBe(1);
    const read = Date.now();
    await changeElsewhere(w, "active = 0");
    // Untouched, a copy lives SERVICE_CACHE_MS from its read, not longer.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, read + SERVICE_CACHE_MS + 100 - Date.now())));
    expectProblem(await quoteAt(w, c, at(w, 2, "10:00")), 404, "SERVICE_NOT_OFFERED");
  });

  it("an order never takes terms changed elsewhere: the booking is checked against the service as it is now", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = await quoteAt(w, c, at(w, 2, "10:00"));
    expect(q.status).toBe(201);
    await changeElsewhere(w, "payment_options = ?", JSON.stringify({ full: true, depositPercent: null, afterService: false }));
    expectProblem(await book(c, q.body), 400, "PAYMENT_PLAN_NOT_OFFERED");
    await nothingBooked(w, c, t.id);
    // With the plan it offers now, the same quote books.
    const paid = await book(c, q.body, { paymentPlan: "full" });
    expect(paid.status).toBe(201);
    expect(paid.body.status).toBe("pending_payment");
  });
});

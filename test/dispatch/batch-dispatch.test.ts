import { env } from "cloudflare:test";
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import { placeOrder } from "../../src/orders/booking.service";
import { at, newCustomer, task, waitFor, type Customer } from "../support/booking";
import { batchState, cellDeadline, runBatch } from "../support/cell";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { call } from "../support/http";
import { addTechnician, createWorld, insertService, type World } from "../support/world";

const KM_LAT = 1 / 111.2;

/** A world centred on the middle of an H3 cell, so points a few km apart share one cell. */
async function cellWorld(merchantId?: string): Promise<World> {
  const p = freshCenter(-25, -20);
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  return createWorld({ lat, lng }, merchantId ? { merchantId } : {});
}

const north = (w: World, km: number) => ({ lat: w.center.lat + km * KM_LAT, lng: w.center.lng });

async function quoteAt(w: World, c: Customer, where: { lat: number; lng: number }, start: string, serviceId = w.serviceId) {
  const res = await call("POST", "/v1/quotes", { token: c.session.token, body: { serviceId, ...where, start } });
  expect(res.status).toBe(201);
  return res.body as { id: string; start: string };
}

/** Two crossed jobs: first come took the nearer technician for the first job, leaving the second far from its technician. */
async function crossedJobs(w: World, strategy: "batch" | "greedy") {
  const a = await addTechnician(w, north(w, -2));
  const b = await addTechnician(w, north(w, 2));
  const c1 = await newCustomer(north(w, -0.4));
  const c2 = await newCustomer(north(w, -2.5));
  const start = at(w, 2, "10:00");
  const e = { ...env, DISPATCH_STRATEGY: strategy, BATCH_INTERVAL_SECONDS: "3600" };
  const book = async (c: Customer, where: { lat: number; lng: number }) => {
    const q = await quoteAt(w, c, where, start);
    return placeOrder(e, c.session.accountId, { quoteId: q.id, addressId: c.addressId, start: q.start, paymentPlan: "after_service" });
  };
  const o1 = await book(c1, north(w, -0.4));
  const o2 = await book(c2, north(w, -2.5));
  return { a, b, c1, c2, o1, o2 };
}

describe("batched dispatch (DISPATCH_STRATEGY=batch)", () => {
  it("first come leaves two jobs crossed; a batch gives each the nearer technician and offers it", async () => {
    const greedyWorld = await cellWorld();
    const greedy = await crossedJobs(greedyWorld, "greedy");
    expect(greedy.o1).toMatchObject({ status: "assigned", technician: { id: greedy.a.id } });
    expect(greedy.o2).toMatchObject({ status: "assigned", technician: { id: greedy.b.id } });

    const w = await cellWorld();
    const { a, b, c1, c2, o1, o2 } = await crossedJobs(w, "batch");
    // booked on the crossed technicians, waiting for the batch
    expect(o1).toMatchObject({ status: "dispatching", technician: { id: a.id } });
    expect(o2).toMatchObject({ status: "dispatching", technician: { id: b.id } });
    expect(o1.timeline.at(-1)!.reason).toBe("waiting for the next dispatch batch");
    const state = await batchState(a.homeCell);
    expect(state.waiting.map((j) => j.orderId).sort()).toEqual([o1.id, o2.id].sort());
    expect(b.homeCell).toBe(a.homeCell);

    await runBatch(a.homeCell);

    const view = async (c: Customer, id: string) => (await call("GET", `/v1/orders/${id}`, { token: c.session.token })).body;
    const v1 = await view(c1, o1.id);
    const v2 = await view(c2, o2.id);
    expect(v1).toMatchObject({ status: "assigned", technician: { id: b.id } });
    expect(v2).toMatchObject({ status: "assigned", technician: { id: a.id } });
    expect(v1.timeline.at(-1).reason).toMatch(/^offered by a batch of 2: moved from /);
    expect(v1.acceptBy).not.toBeNull();

    // the calendars agree with the orders
    const sched = async (techId: string) =>
      (await call("GET", `/v1/admin/technicians/${techId}/schedule`, { token: w.admin.token })).body.items.map(
        (i: { orderId: string }) => i.orderId,
      );
    expect(await sched(a.id)).toEqual([o2.id]);
    expect(await sched(b.id)).toEqual([o1.id]);

    // the decision is explained, with the batch's candidates
    const why = await call("GET", `/v1/admin/orders/${o1.id}/dispatch`, { token: w.admin.token });
    const last = why.body.decisions.at(-1);
    expect(last).toMatchObject({ mode: "auto", chosenTechnicianId: b.id });
    expect(last.candidates.map((c: { technicianId: string }) => c.technicianId).sort()).toEqual([a.id, b.id].sort());

    // the chosen technician is told and can accept; the accept deadline was armed
    const bs = await b.session();
    await waitFor(
      () => call("GET", "/v1/me/notifications", { token: bs.token }),
      (r) => r.body.items.some((n: { kind: string; data: { orderId: string } }) => n.kind === "task.offered" && n.data.orderId === o1.id),
      15_000,
    );
    expect((await task(bs, o1.id, "accept")).body).toMatchObject({ status: "accepted", technician: { id: b.id } });
    // the other offer's accept deadline waits in the cell of its address
    const where = north(w, -2.5);
    const deadline = await cellDeadline(latLngToCell(where.lat, where.lng, 5), o2.id);
    expect(deadline).toMatchObject({ kind: "accept", dueAt: Date.parse(v2.acceptBy) });
  });

  it("leaves an order cancelled before the tick alone and frees its technician", async () => {
    const w = await cellWorld();
    const { a, c1, o1, o2, c2 } = await crossedJobs(w, "batch");
    expect((await call("POST", `/v1/orders/${o1.id}/cancel`, { token: c1.session.token, body: { reason: "plans changed" } })).status).toBe(
      200,
    );
    await runBatch(a.homeCell);
    expect((await call("GET", `/v1/orders/${o1.id}`, { token: c1.session.token })).body.status).toBe("cancelled");
    // the other job is offered: to the technician now nearest it, who is free again
    expect((await call("GET", `/v1/orders/${o2.id}`, { token: c2.session.token })).body).toMatchObject({
      status: "assigned",
      technician: { id: a.id },
    });
    expect((await batchState(a.homeCell)).waiting).toEqual([]);
  });

  it("never moves a merchant's order to another merchant's technician, nor to a platform technician the merchant did not allow", async () => {
    // Two merchants in one cell, neither allowing platform technicians. Each one's job was held by
    // its own technician, who lives by the other merchant's job; a platform technician lives by
    // the first job. Unrestricted, the batch would swap the two (or hand one to the platform).
    const m1 = await insertMerchant();
    const m2 = await insertMerchant();
    const w = await cellWorld(m1);
    const service2 = await insertService({
      skills: [w.skill],
      cityId: w.cityId,
      leadTimeMinutes: 60,
      horizonDays: 14,
      durationMinutes: 120,
      merchantId: m2,
    });
    const a1 = await addTechnician(w, north(w, 2), { merchantId: m1 });
    const a2 = await addTechnician(w, north(w, -2), { merchantId: m2 });
    const p = await addTechnician(w, north(w, -2.3));
    expect(new Set([a1.homeCell, a2.homeCell, p.homeCell]).size).toBe(1);
    const c1 = await newCustomer(north(w, -2.5));
    const c2 = await newCustomer(north(w, 2.5));
    const start = at(w, 2, "10:00");
    const e = { ...env, DISPATCH_STRATEGY: "batch", BATCH_INTERVAL_SECONDS: "3600" };
    const book = async (c: Customer, where: { lat: number; lng: number }, serviceId: string) => {
      const q = await quoteAt(w, c, where, start, serviceId);
      return placeOrder(e, c.session.accountId, { quoteId: q.id, addressId: c.addressId, start: q.start, paymentPlan: "after_service" });
    };
    const o1 = await book(c1, north(w, -2.5), w.serviceId);
    const o2 = await book(c2, north(w, 2.5), service2);
    expect(o1).toMatchObject({ status: "dispatching", technician: { id: a1.id } });
    expect(o2).toMatchObject({ status: "dispatching", technician: { id: a2.id } });

    await runBatch(a1.homeCell);

    const view = async (c: Customer, id: string) => (await call("GET", `/v1/orders/${id}`, { token: c.session.token })).body;
    expect(await view(c1, o1.id)).toMatchObject({ status: "assigned", technician: { id: a1.id } });
    expect(await view(c2, o2.id)).toMatchObject({ status: "assigned", technician: { id: a2.id } });
    const sched = async (techId: string) =>
      (await call("GET", `/v1/admin/technicians/${techId}/schedule`, { token: w.admin.token })).body.items.map(
        (i: { orderId: string }) => i.orderId,
      );
    expect(await sched(a1.id)).toEqual([o1.id]);
    expect(await sched(a2.id)).toEqual([o2.id]);
    expect(await sched(p.id)).toEqual([]);
    // the batch's candidates for each order are its own merchant's technicians only
    const candidates = async (id: string) =>
      (await call("GET", `/v1/admin/orders/${id}/dispatch`, { token: w.admin.token })).body.decisions
        .at(-1)
        .candidates.map((c: { technicianId: string }) => c.technicianId);
    expect(await candidates(o1.id)).toEqual([a1.id]);
    expect(await candidates(o2.id)).toEqual([a2.id]);
  });

  it("with platform technicians allowed, a merchant's order may go to one, but its own technician comes first", async () => {
    const m1 = await insertMerchant();
    const w = await cellWorld(m1);
    expect((await call("PATCH", `/v1/admin/merchants/${m1}`, { token: w.admin.token, body: { platformTechnicians: true } })).status).toBe(
      200,
    );
    // The merchant's technician lives 4.5 km from the job; a platform technician right by it.
    const own = await addTechnician(w, north(w, 2), { merchantId: m1 });
    const p = await addTechnician(w, north(w, -2.3));
    const c1 = await newCustomer(north(w, -2.5));
    const e = { ...env, DISPATCH_STRATEGY: "batch", BATCH_INTERVAL_SECONDS: "3600" };
    const q = await quoteAt(w, c1, north(w, -2.5), at(w, 2, "10:00"));
    const o1 = await placeOrder(e, c1.session.accountId, {
      quoteId: q.id,
      addressId: c1.addressId,
      start: q.start,
      paymentPlan: "after_service",
    });
    expect(o1).toMatchObject({ status: "dispatching", technician: { id: own.id } });
    await runBatch(own.homeCell);
    expect((await call("GET", `/v1/orders/${o1.id}`, { token: c1.session.token })).body).toMatchObject({
      status: "assigned",
      technician: { id: own.id },
    });
    const why = await call("GET", `/v1/admin/orders/${o1.id}/dispatch`, { token: w.admin.token });
    const ids = why.body.decisions.at(-1).candidates.map((c: { technicianId: string }) => c.technicianId);
    expect(ids.sort()).toEqual([own.id, p.id].sort());
  });
});

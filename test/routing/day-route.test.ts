import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { travelModelOf } from "../../src/domain/calendar";
import { legBetween } from "../../src/domain/day-route";
import { mapLinks } from "../../src/domain/map-datums";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, createWorld, localDay, type World } from "../support/world";
import { at, book, newCustomer, quote, task } from "../support/booking";

const MODEL = travelModelOf(env as unknown as Record<string, string>);
const offset = (w: World, dLat: number, dLng: number) => ({ lat: w.center.lat + dLat, lng: w.center.lng + dLng });

/** Books the world's service at `start` for a customer living at `p` (the world's one technician takes it). */
async function bookAt(w: World, p: { lat: number; lng: number }, start: string) {
  const customer = await newCustomer(p);
  const res = await book(customer, await quote(w, customer, start, p));
  expect(res.status).toBe(201);
  return { order: res.body, customer };
}

const minutes = (iso: string) => Date.parse(iso) / 60_000;

describe("GET /v1/technician/route", () => {
  it("orders the day's jobs by their planned start, times each leg with the travel model and keeps the starts", async () => {
    const w = await createWorld(freshCenter(), { durationMinutes: 120 });
    const tech = await addTechnician(w, w.center);
    const session = await tech.session();
    const near = offset(w, 0.02, 0.01);
    const far = offset(w, -0.03, 0.04);
    const late = await bookAt(w, far, at(w, 2, "15:00"));
    const early = await bookAt(w, near, at(w, 2, "09:00"));
    await bookAt(w, near, at(w, 3, "09:00")); // another day
    for (const o of [late.order, early.order]) expect((await task(session, o.id, "accept")).status).toBe(200);

    const res = await call("GET", `/v1/technician/route?date=${localDay(w.timeZone, 2)}`, { token: session.token });
    expect(res.status).toBe(200);
    const route = res.body;
    expect(route.stops.map((s: { orderId: string }) => s.orderId)).toEqual([early.order.id, late.order.id]);
    expect(route.stops.map((s: { plannedStart: string }) => Date.parse(s.plannedStart))).toEqual([
      Date.parse(at(w, 2, "09:00")),
      Date.parse(at(w, 2, "15:00")),
    ]);
    const [first, second] = route.stops;
    // accepted: the exact points, and the legs between them as the travel model times them
    expect(first.location).toEqual({ ...near, exact: true });
    expect(second.location).toEqual({ ...far, exact: true });
    const leg1 = legBetween(w.center, near, MODEL);
    const leg2 = legBetween(near, far, MODEL);
    const leg3 = legBetween(far, w.center, MODEL);
    expect(first).toMatchObject({ ...leg1, lateRisk: false, eta: first.plannedStart });
    expect(second).toMatchObject({ ...leg2, lateRisk: false });
    expect(minutes(second.eta)).toBe(minutes(first.plannedEnd) + leg2.travelMinutes);
    expect(minutes(route.leaveHomeAt)).toBe(minutes(first.plannedStart) - leg1.travelMinutes);
    expect(route.home).toMatchObject(leg3);
    expect(minutes(route.home.eta)).toBe(minutes(second.plannedEnd) + leg3.travelMinutes);
    expect(route.totals).toEqual({
      travelMinutes: leg1.travelMinutes + leg2.travelMinutes + leg3.travelMinutes,
      distanceKm: Math.round((leg1.distanceKm + leg2.distanceKm + leg3.distanceKm) * 10) / 10,
      lateRisks: 0,
    });
    expect(first.links).toEqual(mapLinks(near, early.order.id));
    expect(route.timeZone).toBe(w.timeZone);
    expect(first.plannedStart).toMatch(/\+08:00$/);
  });

  it("shows a stop's ~1 km area until the order reveals its address, and leaves cancelled jobs out", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const session = await tech.session();
    const p = offset(w, 0.012345, 0.006789);
    const kept = await bookAt(w, p, at(w, 2, "10:00"));
    const gone = await bookAt(w, p, at(w, 2, "14:00"));
    expect(
      (await call("POST", `/v1/orders/${gone.order.id}/cancel`, { token: gone.customer.session.token, body: { reason: "plans changed" } }))
        .status,
    ).toBe(200);
    const res = await call("GET", `/v1/technician/route?date=${localDay(w.timeZone, 2)}`, { token: session.token });
    expect(res.status).toBe(200);
    expect(res.body.stops).toHaveLength(1);
    const stop = res.body.stops[0];
    expect(stop.orderId).toBe(kept.order.id);
    expect(stop.location.exact).toBe(false);
    expect(stop.location.lat).not.toBe(p.lat);
    expect(Math.abs(stop.location.lat - p.lat)).toBeLessThan(0.01);
    expect(JSON.stringify(stop.links)).not.toContain(p.lat.toFixed(6));
  });

  it("answers an empty route on a day without jobs", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const res = await call("GET", `/v1/technician/route?date=${localDay(w.timeZone, 5)}`, { token: (await tech.session()).token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stops: [], leaveHomeAt: null, home: null, totals: { distanceKm: 0, travelMinutes: 0, lateRisks: 0 } });
  });

  it("refuses a date that is not a real day with 400", async () => {
    const w = await createWorld(freshCenter());
    const token = (await (await addTechnician(w, w.center)).session()).token;
    for (const date of ["2026-02-30", "2026-13-01", "tomorrow", ""]) {
      expectProblem(await call("GET", `/v1/technician/route?date=${date}`, { token }), 400);
    }
    expectProblem(await call("GET", "/v1/technician/route", { token }), 400);
  });
});

describe("GET /v1/admin/technicians/{id}/route", () => {
  it("gives staff the same route; another merchant's admin gets 404, an unknown technician 404", async () => {
    const w = await createWorld(freshCenter());
    const merchantId = await insertMerchant();
    const tech = await addTechnician(w, w.center, { merchantId });
    await bookAt(w, offset(w, 0.01, 0), at(w, 2, "11:00"));
    const date = localDay(w.timeZone, 2);
    const own = await call("GET", `/v1/technician/route?date=${date}`, { token: (await tech.session()).token });
    const staff = await call("GET", `/v1/admin/technicians/${tech.id}/route?date=${date}`, { token: w.admin.token });
    expect(staff.status).toBe(200);
    expect(staff.body).toEqual(own.body);
    const mine = await signInWithRoles(["merchant_admin"], merchantId);
    expect((await call("GET", `/v1/admin/technicians/${tech.id}/route?date=${date}`, { token: mine.token })).status).toBe(200);
    const other = await signInWithRoles(["merchant_admin"], await insertMerchant());
    expectProblem(await call("GET", `/v1/admin/technicians/${tech.id}/route?date=${date}`, { token: other.token }), 404);
    expectProblem(await call("GET", `/v1/admin/technicians/tec_nobody/route?date=${date}`, { token: w.admin.token }), 404);
  });
});

import { describe, expect, it } from "vitest";
import { call } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld, localDay, type World } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";

const MINUTE = 60_000;

async function bookWindow(w: World, p: { lat: number; lng: number }, from: string, to: string) {
  const customer = await newCustomer(p);
  const q = await call("POST", "/v1/quotes", {
    token: customer.session.token,
    body: { serviceId: w.serviceId, lat: p.lat, lng: p.lng, window: { start: from, end: to } },
  });
  expect(q.status).toBe(201);
  const res = await book(customer, q.body);
  expect(res.status).toBe(201);
  return { order: res.body, customer };
}

async function bookFixed(w: World, p: { lat: number; lng: number }, start: string) {
  const customer = await newCustomer(p);
  const res = await book(customer, await quote(w, customer, start, p));
  expect(res.status).toBe(201);
  return res.body;
}

describe("GET /v1/technician/route with flexible-window jobs", () => {
  it("places a flexible job inside its window where it saves travel, through the cell's calendar, and leaves fixed-time jobs alone", async () => {
    const w = await createWorld(freshCenter(), { durationMinutes: 60 });
    const tech = await addTechnician(w, w.center);
    const session = await tech.session();
    const far = { lat: w.center.lat + 0.05, lng: w.center.lng };
    // held at the window's start (08:00), far from home
    const flex = await bookWindow(w, far, at(w, 2, "08:00"), at(w, 2, "16:00"));
    expect(flex.order.start).toBe(at(w, 2, "08:00"));
    // then two fixed-time jobs: at home 09:30, and at the far point 11:00 (each after the drive)
    const home = await bookFixed(w, w.center, at(w, 2, "09:30"));
    const there = await bookFixed(w, far, at(w, 2, "11:00"));

    const res = await call("GET", `/v1/technician/route?date=${localDay(w.timeZone, 2)}`, { token: session.token });
    expect(res.status).toBe(200);
    const stops = res.body.stops as { orderId: string; plannedStart: string; plannedEnd: string; window: unknown; replanned: boolean }[];
    expect(stops.map((s) => s.orderId)).toEqual([home.id, there.id, flex.order.id]);
    const moved = stops[2]!;
    expect(moved.replanned).toBe(true);
    expect(moved.window).toEqual({ start: at(w, 2, "08:00"), end: at(w, 2, "16:00") });
    // right after the fixed job at the same point (its end plus the 10-minute buffer), inside the window
    expect(Date.parse(moved.plannedStart)).toBeGreaterThanOrEqual(Date.parse(at(w, 2, "12:10")));
    expect(Date.parse(moved.plannedEnd)).toBeLessThanOrEqual(Date.parse(at(w, 2, "16:00")));
    // fixed-time jobs keep their starts
    expect(stops[0]!.plannedStart).toBe(at(w, 2, "09:30"));
    expect(stops[1]!.plannedStart).toBe(at(w, 2, "11:00"));
    expect(stops.slice(0, 2).every((s) => !s.replanned && s.window === null)).toBe(true);
    expect(res.body.totals.lateRisks).toBe(0);

    // the calendar and the order say the same
    const sched = await call("GET", `/v1/admin/technicians/${tech.id}/schedule`, { token: w.admin.token });
    const item = sched.body.items.find((i: { orderId: string }) => i.orderId.startsWith(flex.order.id));
    expect(Date.parse(item.start)).toBe(Date.parse(moved.plannedStart));
    const order = await call("GET", `/v1/orders/${flex.order.id}`, { token: flex.customer.session.token });
    expect(order.body.start).toBe(moved.plannedStart);
    expect(order.body.window).toEqual({ start: at(w, 2, "08:00"), end: at(w, 2, "16:00") });

    // reading the route again plans the same day the same way: nothing moves
    const again = await call("GET", `/v1/technician/route?date=${localDay(w.timeZone, 2)}`, { token: session.token });
    expect(again.body.stops.map((s: { plannedStart: string }) => s.plannedStart)).toEqual(stops.map((s) => s.plannedStart));
    expect(again.body.stops.every((s: { replanned: boolean }) => !s.replanned)).toBe(true);
    expect(Date.parse(moved.plannedEnd) - Date.parse(moved.plannedStart)).toBe(60 * MINUTE);
  });
});

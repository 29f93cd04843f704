import { describe, expect, it } from "vitest";
import { windowedStarts } from "../../src/dispatch/dispatch.service";
import { windowAfterReschedule } from "../../src/orders/quote-window";
import { call } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { passDeadline } from "../support/cell";
import { addTechnician, cellAt, createWorld, type World } from "../support/world";
import { at, book, newCustomer, quote, task, waitFor, type Customer } from "../support/booking";
import { payInFull } from "../support/payments";
import { noticesOf, scheduleOf, windowOrderRow } from "../support/windows";

const MINUTE = 60_000;

async function windowQuote(w: World, c: Customer, start: string, end: string) {
  const res = await call("POST", "/v1/quotes", {
    token: c.session.token,
    body: { serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, window: { start, end } },
  });
  expect(res.status).toBe(201);
  return res.body;
}

const orderRow = windowOrderRow;

/**
 * Two technicians at the centre: b busy 09:00–11:00 with a fixed-time job, and a window order
 * (09:00–14:00, a 2-hour job) held on a at the window's start.
 */
async function windowOrderOnA() {
  const w = await createWorld(freshCenter());
  const a = await addTechnician(w, w.center);
  const b = await addTechnician(w, w.center);
  const other = await newCustomer(w.center);
  expect((await book(other, await quote(w, other, at(w, 2, "09:00")), { technicianId: b.id })).status).toBe(201);
  const c = await newCustomer(w.center);
  const booked = await book(c, await windowQuote(w, c, at(w, 2, "09:00"), at(w, 2, "14:00")), { technicianId: a.id });
  expect(booked.status).toBe(201);
  expect(booked.body).toMatchObject({ technician: { id: a.id }, start: at(w, 2, "09:00") });
  return { w, a, b, c, booked };
}

describe("later dispatch rounds of a flexible-window order", () => {
  it("re-holds a declined window order on another technician at a different start inside the window", async () => {
    const { w, a, b, c, booked } = await windowOrderOnA();

    // a declines: b is free only from 11:10 (same point, 10-minute buffer), inside the window
    expect((await task(await a.session(), booked.body.id, "decline")).status).toBe(200);
    const row = await orderRow(booked.body.id);
    expect(row).toMatchObject({
      status: "assigned",
      technician_id: b.id,
      start_at: Date.parse(at(w, 2, "11:10")),
      end_at: Date.parse(at(w, 2, "13:10")),
      window_start_at: Date.parse(at(w, 2, "09:00")),
      window_end_at: Date.parse(at(w, 2, "14:00")),
    });
    // the cells say the same: b holds it at 11:10, a holds nothing of it
    const mine = (await scheduleOf(w, b.id)).find((i) => i.orderId.startsWith(booked.body.id))!;
    expect(Date.parse(mine.start)).toBe(Date.parse(at(w, 2, "11:10")));
    expect((await scheduleOf(w, a.id)).some((i) => i.orderId.startsWith(booked.body.id))).toBe(false);
    // the customer sees the new start, the window kept, and is told the new time
    const view = await call("GET", `/v1/orders/${booked.body.id}`, { token: c.session.token });
    expect(view.body).toMatchObject({ start: at(w, 2, "11:10"), window: { start: at(w, 2, "09:00"), end: at(w, 2, "14:00") } });
    const last = view.body.timeline[view.body.timeline.length - 1];
    expect(last.note.en).toContain("11:10");
    expect(last.note.zh).toContain("预约时段");
    const rescheduled = await noticesOf(c, "order.rescheduled", booked.body.id);
    expect(rescheduled.length).toBe(1);
  });

  it("re-holds a window order whose accept deadline passed inside the window too", async () => {
    const { w, b, booked } = await windowOrderOnA();
    await passDeadline(cellAt(w.center), booked.body.id);
    const after = await waitFor(
      () => orderRow(booked.body.id),
      (r) => r?.technician_id === b.id,
    );
    expect(after).toMatchObject({ status: "assigned", technician_id: b.id, start_at: Date.parse(at(w, 2, "11:10")) });
  });

  it("keeps a fixed-time order's start when it is declined", async () => {
    const w = await createWorld(freshCenter());
    const a = await addTechnician(w, w.center);
    const b = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const booked = await book(c, await quote(w, c, at(w, 2, "10:00")), { technicianId: a.id });
    expect(booked.status).toBe(201);
    expect((await task(await a.session(), booked.body.id, "decline")).status).toBe(200);
    expect(await orderRow(booked.body.id)).toMatchObject({
      technician_id: b.id,
      start_at: Date.parse(at(w, 2, "10:00")),
      window_start_at: null,
    });
  });

  it("lets staff assign a window order to a technician free later in the window", async () => {
    const { w, a, b, booked } = await windowOrderOnA();
    const res = await call("POST", `/v1/admin/orders/${booked.body.id}/assign`, { token: w.admin.token, body: { technicianId: b.id } });
    expect(res.status).toBe(200);
    expect(await orderRow(booked.body.id)).toMatchObject({ technician_id: b.id, start_at: Date.parse(at(w, 2, "11:10")) });
    expect((await scheduleOf(w, a.id)).some((i) => i.orderId.startsWith(booked.body.id))).toBe(false);
  });

  it("offers only what is left of the window once its start has passed, and nothing when no room is left", () => {
    const h = 3_600_000;
    const order = { startAt: 10 * h, endAt: 12 * h, windowStartAt: 9 * h, windowEndAt: 14 * h };
    expect(windowedStarts(order, 8 * h)).toEqual({ start: 9 * h, latestStart: 12 * h });
    expect(windowedStarts(order, 10 * h + 30_001)).toEqual({ start: 10 * h + MINUTE, latestStart: 12 * h });
    expect(windowedStarts(order, 12 * h + 1)).toBeNull();
    expect(windowedStarts({ ...order, windowStartAt: null, windowEndAt: null }, 0)).toBeNull();
  });
});

describe("rescheduling a flexible-window order", () => {
  it("stays a window order inside its window and becomes a fixed-time order outside it", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const booked = await book(c, await windowQuote(w, c, at(w, 2, "09:00"), at(w, 2, "14:00")), { technicianId: tech.id });
    expect(booked.status).toBe(201);
    const move = (start: string) => call("POST", `/v1/orders/${booked.body.id}/reschedule`, { token: c.session.token, body: { start } });

    // inside: the whole job (10:00–12:00) in 09:00–14:00
    const inside = await move(at(w, 2, "10:00"));
    expect(inside.status, JSON.stringify(inside.body)).toBe(200);
    expect(inside.body).toMatchObject({ start: at(w, 2, "10:00"), window: { start: at(w, 2, "09:00"), end: at(w, 2, "14:00") } });
    // ending past the window's end (13:00–15:00): a fixed-time order from now on
    const outside = await move(at(w, 2, "13:00"));
    expect(outside.status, JSON.stringify(outside.body)).toBe(200);
    expect(outside.body).toMatchObject({ start: at(w, 2, "13:00"), window: null });
    expect(await orderRow(booked.body.id)).toMatchObject({
      start_at: Date.parse(at(w, 2, "13:00")),
      window_start_at: null,
      window_end_at: null,
    });
    // and so it stays: moving back into the old window does not bring the window back
    const back = await move(at(w, 2, "10:00"));
    expect(back.status).toBe(200);
    expect(back.body.window).toBeNull();
  });

  it("follows the rule on every interval (pure)", () => {
    const win = { windowStartAt: 9, windowEndAt: 14 };
    expect(windowAfterReschedule(win, 9, 14)).toEqual({});
    expect(windowAfterReschedule(win, 10, 12)).toEqual({});
    expect(windowAfterReschedule(win, 8, 10)).toEqual({ windowStartAt: null, windowEndAt: null });
    expect(windowAfterReschedule(win, 13, 15)).toEqual({ windowStartAt: null, windowEndAt: null });
    expect(windowAfterReschedule({ windowStartAt: null, windowEndAt: null }, 1, 2)).toEqual({});
  });
});

describe("a pay-first flexible-window order", () => {
  it("names the window and the planned start in the confirmation after payment, in both languages", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const booked = await book(c, await windowQuote(w, c, at(w, 2, "09:00"), at(w, 2, "12:00")), { paymentPlan: "full" });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    expect(booked.body.status).toBe("pending_payment");
    await payInFull(c, booked.body.id);
    const [notice] = await noticesOf(c, "order.confirmed", booked.body.id);
    const text = JSON.stringify(notice);
    expect(text).toContain("09:00–12:00");
    expect(text).toContain("预约时段");
    expect(text).toContain("Window");
    // the timeline's payment entry says it too
    const view = await call("GET", `/v1/orders/${booked.body.id}`, { token: c.session.token });
    const paid = view.body.timeline.find((e: { to: string }) => e.to === "confirmed");
    expect(paid.note.en).toContain("09:00–12:00");
  });

  it("says nothing of a window for a fixed-time pay-first order", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const booked = await book(c, await quote(w, c, at(w, 2, "10:00")), { paymentPlan: "full" });
    expect(booked.status).toBe(201);
    await payInFull(c, booked.body.id);
    const [notice] = await noticesOf(c, "order.confirmed", booked.body.id);
    expect(JSON.stringify(notice)).not.toMatch(/预约时段|Window/);
  });
});

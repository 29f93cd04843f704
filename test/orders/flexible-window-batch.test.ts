import { env } from "cloudflare:test";
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import { placeOrder } from "../../src/orders/booking.service";
import { at, newCustomer, type Customer } from "../support/booking";
import { runBatch } from "../support/cell";
import { noticesOf, scheduleOf, windowOrderRow } from "../support/windows";
import { freshCenter } from "../support/fixtures";
import { call } from "../support/http";
import { addTechnician, createWorld, type World } from "../support/world";

const KM_LAT = 1 / 111.2;
const MINUTE = 60_000;

/** A world centred on the middle of an H3 cell, so points a few km apart share one cell. */
async function cellWorld(): Promise<World> {
  const p = freshCenter(-25, -20);
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  return createWorld({ lat, lng });
}

const north = (w: World, km: number) => ({ lat: w.center.lat + km * KM_LAT, lng: w.center.lng });

async function quoteAt(
  w: World,
  c: Customer,
  where: { lat: number; lng: number },
  time: { start: string } | { window: { start: string; end: string } },
) {
  const res = await call("POST", "/v1/quotes", { token: c.session.token, body: { serviceId: w.serviceId, ...where, ...time } });
  expect(res.status).toBe(201);
  return res.body as { id: string; start: string };
}

const orderRow = windowOrderRow;

describe("batched dispatch of a flexible-window order", () => {
  it("gives a window order another technician at another start inside its window in one write, and tells the customer", async () => {
    const w = await cellWorld();
    const batch = { ...env, DISPATCH_STRATEGY: "batch", BATCH_INTERVAL_SECONDS: "3600" };
    const greedy = { ...env, DISPATCH_STRATEGY: "greedy" };
    // A lives 2 km south; the window order (2.5 km north, window 09:00–14:00) is booked while A is
    // the only technician, so its booking holds A at 09:00 and it waits for the batch.
    const a = await addTechnician(w, north(w, -2));
    const c = await newCustomer(north(w, 2.5));
    const q = await quoteAt(w, c, north(w, 2.5), { window: { start: at(w, 2, "09:00"), end: at(w, 2, "14:00") } });
    const booked = await placeOrder(batch, c.session.accountId, {
      quoteId: q.id,
      addressId: c.addressId,
      start: q.start,
      paymentPlan: "after_service",
    });
    expect(booked).toMatchObject({ status: "dispatching", technician: { id: a.id }, start: at(w, 2, "09:00") });
    // B joins 2 km north and takes a fixed-time job next door at 09:00 (offered at once): B has room
    // for the window order only after it.
    const b = await addTechnician(w, north(w, 2));
    const other = await newCustomer(north(w, 2));
    const fixedQuote = await quoteAt(w, other, north(w, 2), { start: at(w, 2, "09:00") });
    const fixed = await placeOrder(greedy, other.session.accountId, {
      quoteId: fixedQuote.id,
      addressId: other.addressId,
      start: fixedQuote.start,
      paymentPlan: "after_service",
    });
    expect(fixed).toMatchObject({ status: "assigned", technician: { id: b.id } });
    const fixedEnd = Date.parse(fixed.end);

    await runBatch(a.homeCell);

    // the order is offered to B at B's first free start inside the window, written together
    const row = (await orderRow(booked.id))!;
    expect(row).toMatchObject({
      status: "assigned",
      technician_id: b.id,
      booked_start_at: Date.parse(at(w, 2, "09:00")),
      window_start_at: Date.parse(at(w, 2, "09:00")),
      window_end_at: Date.parse(at(w, 2, "14:00")),
    });
    expect(row.start_at).toBeGreaterThan(fixedEnd);
    expect(row.start_at % MINUTE).toBe(0);
    expect(row.end_at - row.start_at).toBe(Date.parse(booked.end) - Date.parse(booked.start));
    expect(row.end_at).toBeLessThanOrEqual(Date.parse(at(w, 2, "14:00")));
    // the calendars agree: B holds it at that start, right after the fixed job; A holds nothing
    expect((await scheduleOf(w, b.id)).map((i) => [i.orderId.split(":")[0], Date.parse(i.start)])).toEqual([
      [fixed.id, Date.parse(fixed.start)],
      [booked.id, row.start_at],
    ]);
    expect(await scheduleOf(w, a.id)).toEqual([]);
    // the customer sees the new start with the window kept; the timeline says both in both languages
    const view = (await call("GET", `/v1/orders/${booked.id}`, { token: c.session.token })).body;
    const hhmm = new Date(row.start_at + 8 * 3_600_000).toISOString().slice(11, 16);
    expect(view).toMatchObject({
      status: "assigned",
      technician: { id: b.id },
      window: { start: at(w, 2, "09:00"), end: at(w, 2, "14:00") },
    });
    expect(Date.parse(view.start)).toBe(row.start_at);
    const last = view.timeline.at(-1);
    expect(last.reason).toMatch(/^offered by a batch of 1: moved from /);
    expect(last.note.en).toBe(`Window ${at(w, 2, "09:00").slice(5, 10)} 09:00–14:00; the technician plans to start at ${hhmm}`);
    expect(last.note.zh).toContain(`技师计划 ${hhmm} 开始服务`);
    // …and is told of the new time
    expect(await noticesOf(c, "order.rescheduled", booked.id)).toHaveLength(1);
  });
});

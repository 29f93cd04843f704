/**
 * One technician's zigzag day, whose team plan proposes new starts (time proposals, asking the
 * customers): half-hour jobs in two districts ~3 km apart (21 minutes between them with the buffer),
 * the technician homed west: west 09:00, east 09:55, west 10:50, east 11:45, two days ahead. Doing
 * both east jobs together and ending west, near home, saves two crossings (within the hour's tolerance).
 */
import { env } from "cloudflare:test";
import { cellToLatLng } from "h3-js";
import { expect } from "vitest";
import { call } from "./http";
import { freshCenter } from "./fixtures";
import { addTechnician, cellAt, createWorld, localDay, type World } from "./world";
import { at, book, newCustomer, quote, waitFor, type Customer } from "./booking";

export interface Booked {
  id: string;
  start: string;
  customer: Customer;
}

/** A new customer at `point` books `hhmm` two days ahead. */
export async function bookAt(w: World, point: { lat: number; lng: number }, hhmm: string): Promise<Booked> {
  const customer = await newCustomer(point);
  const res = await book(customer, await quote(w, customer, at(w, 2, hhmm), { lat: point.lat, lng: point.lng }));
  if (res.status !== 201) throw new Error(`book: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, start: res.body.start, customer };
}

/** The order's start as D1 holds it (UTC ms). */
export const startOf = async (orderId: string) =>
  (await env.DB.prepare("SELECT start_at FROM orders WHERE id = ?").bind(orderId).first<{ start_at: number }>())!.start_at;

/** The zigzag day booked: its world, technician, the four orders in time order, its cell and local date. */
export async function zigzagDay() {
  const w = await createWorld(freshCenter(), { durationMinutes: 30 });
  const [lat, lng] = cellToLatLng(cellAt(w.center));
  const west = { lat, lng: lng - 0.015 };
  const east = { lat, lng: lng + 0.015 };
  const tech = await addTechnician(w, west);
  const orders: [Booked, Booked, Booked, Booked] = [
    await bookAt(w, west, "09:00"),
    await bookAt(w, east, "09:55"),
    await bookAt(w, west, "10:50"),
    await bookAt(w, east, "11:45"),
  ];
  return { w, tech, orders, cell: tech.homeCell as string, date: localDay(w.timeZone, 2) };
}

/** A team plan of the cell's day requested and built (the queue consumer ran): `ready`. */
export async function readyPlan(token: string, cellId: string, date: string) {
  const res = await call("POST", "/v1/admin/route-plans", { token, body: { cellId, date } });
  expect(res.status).toBe(202);
  const plan = await waitFor(
    () => call("GET", `/v1/admin/route-plans/${res.body.id}`, { token }),
    (r) => r.body.status !== "queued",
    15_000,
  );
  expect(plan.body.status).toBe("ready");
  return plan.body;
}

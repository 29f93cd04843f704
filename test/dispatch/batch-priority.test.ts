/**
 * Priority dispatch end to end: a customer whose membership level carries priority dispatch (the
 * default settings' gold level) competes with another customer's earlier job for the nearest
 * technician in a batch round, through the Worker (booking, queueing with the level read from the
 * records, the cell's tick, the offers).
 */
import { env } from "cloudflare:test";
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import { placeOrder } from "../../src/orders/booking.service";
import { at, newCustomer, type Customer } from "../support/booking";
import { batchState, runBatch } from "../support/cell";
import { freshCenter } from "../support/fixtures";
import { call } from "../support/http";
import { addTechnician, createWorld, type World } from "../support/world";

const KM_LAT = 1 / 111.2;
const north = (w: World, km: number) => ({ lat: w.center.lat + km * KM_LAT, lng: w.center.lng });

async function cellWorld(): Promise<World> {
  const p = freshCenter(-25, -20);
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  return createWorld({ lat, lng });
}

async function setLevel(c: Customer, level: string) {
  await env.DB.prepare("INSERT INTO member_levels (account_id, level, spend, points, computed_at) VALUES (?, ?, 0, 0, ?)")
    .bind(c.session.accountId, level, Date.now())
    .run();
}

/**
 * A lives at the centre, B 3 km north. The first customer, at A's door, books first and holds A; the
 * second, 0.5 km north, has to take B. Keeping them is the cheapest in total.
 */
async function contest(secondLevel: string | null) {
  const w = await cellWorld();
  const a = await addTechnician(w, north(w, 0));
  const b = await addTechnician(w, north(w, 3));
  const first = await newCustomer(north(w, 0));
  const second = await newCustomer(north(w, 0.5));
  if (secondLevel) await setLevel(second, secondLevel);
  const start = at(w, 2, "10:00");
  const e = { ...env, DISPATCH_STRATEGY: "batch", BATCH_INTERVAL_SECONDS: "3600" };
  const book = async (c: Customer, where: { lat: number; lng: number }) => {
    const q = await call("POST", "/v1/quotes", { token: c.session.token, body: { serviceId: w.serviceId, ...where, start } });
    expect(q.status).toBe(201);
    return placeOrder(e, c.session.accountId, {
      quoteId: q.body.id,
      addressId: c.addressId,
      start: q.body.start,
      paymentPlan: "after_service",
    });
  };
  const o1 = await book(first, north(w, 0));
  const o2 = await book(second, north(w, 0.5));
  expect(o1).toMatchObject({ status: "dispatching", technician: { id: a.id } });
  expect(o2).toMatchObject({ status: "dispatching", technician: { id: b.id } });
  const waiting = (await batchState(a.homeCell)).waiting;
  await runBatch(a.homeCell);
  const view = async (c: Customer, id: string) => (await call("GET", `/v1/orders/${id}`, { token: c.session.token })).body;
  return { a, b, o1, o2, waiting, first: await view(first, o1.id), second: await view(second, o2.id) };
}

describe("priority dispatch through the Worker", () => {
  it("the priority customer's job takes the contested technician from an earlier job", async () => {
    const r = await contest("gold");
    expect(r.waiting.map((j) => [j.orderId, j.priority === true])).toEqual([
      [r.o2.id, true],
      [r.o1.id, false],
    ]);
    expect(r.second).toMatchObject({ status: "assigned", technician: { id: r.a.id } });
    expect(r.first).toMatchObject({ status: "assigned", technician: { id: r.b.id } });
  });

  it("a level without priority dispatch leaves the jobs where the plain optimum keeps them", async () => {
    const r = await contest("silver");
    expect(r.waiting.every((j) => j.priority !== true)).toBe(true);
    expect(r.first).toMatchObject({ status: "assigned", technician: { id: r.a.id } });
    expect(r.second).toMatchObject({ status: "assigned", technician: { id: r.b.id } });
  });
});

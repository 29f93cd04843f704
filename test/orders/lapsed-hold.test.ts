import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { at, book, newCustomer, quote } from "../support/booking";
import { deliverCellEvents, makeDue, runCellAlarm } from "../support/cell";
import { freshCenter } from "../support/fixtures";
import { call } from "../support/http";
import { scheduleOf } from "../support/visit";
import { addTechnician, createWorld } from "../support/world";

const band = () => freshCenter(50, 54);

describe("a booking whose calendar confirm was lost", () => {
  it("is held again for the same technician and booked when the lapsed hold is noticed", async () => {
    const w = await createWorld(band());
    const t = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    expect(order).toMatchObject({ status: "assigned", technician: { id: t.id } });

    // the order's booking turns back into a hold that lapsed a moment ago, as if its confirm never reached the cell
    const since = Date.now();
    await makeDue(t.homeCell, { holdsOf: order.id, lapse: true });
    const events = await runCellAlarm(t.homeCell, since);
    expect(events.map((e) => e.type)).toEqual(["hold.expired"]);
    expect((await deliverCellEvents(events)).explicitAcks).toHaveLength(1);

    expect(await scheduleOf(w, t.id)).toEqual([[order.id, at(w, 2, "10:00"), at(w, 2, "12:00"), "booked"]]);
    const after = (await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token })).body;
    expect(after).toMatchObject({ status: "assigned", technician: { id: t.id } });
    // noticing it again changes nothing
    await deliverCellEvents(events);
    expect(await scheduleOf(w, t.id)).toEqual([[order.id, at(w, 2, "10:00"), at(w, 2, "12:00"), "booked"]]);
  });

  it("is dispatched again when someone else took the interval before it could be held again", async () => {
    const w = await createWorld(band());
    const a = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 3, "10:00")))).body;
    expect(order.technician.id).toBe(a.id);
    const b = await addTechnician(w, w.center);

    const since = Date.now();
    await makeDue(a.homeCell, { holdsOf: order.id, lapse: true });
    const stub = env.CELL.getByName(a.homeCell);
    // another booking lands on the freed interval first
    const quoted = Date.parse(order.start);
    const taken = await stub.hold({
      technicianId: a.id,
      orderId: "ord_other:1",
      start: quoted,
      end: quoted + 2 * 3_600_000,
      lat: w.center.lat,
      lng: w.center.lng,
      ttlMs: 3_600_000,
    });
    expect(taken.ok).toBe(true);
    await deliverCellEvents(await runCellAlarm(a.homeCell, since));

    const after = (await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token })).body;
    expect(after).toMatchObject({ status: "assigned", technician: { id: b.id } });
    expect(after.timeline.map((e: { reason: string }) => e.reason)).toContain("the booking's calendar interval was lost");
    expect((await scheduleOf(w, b.id)).map((i) => [i[0], i[3]])).toEqual([[order.id, "booked"]]);
    expect((await scheduleOf(w, a.id)).map((i) => i[0])).toEqual(["ord_other"]);
  });
});

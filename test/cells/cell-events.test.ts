import { env } from "cloudflare:test";
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import { placeOrder } from "../../src/orders/booking.service";
import { at, book, newCustomer, quote, waitFor, type Customer } from "../support/booking";
import { alarmAt, batchState, cellDeadline, cellOutbox, freshCell, makeDue, runCellAlarm, withCellEnv } from "../support/cell";
import { freshCenter } from "../support/fixtures";
import { call, signInWithRoles } from "../support/http";
import { addTechnician, cellAt, createWorld } from "../support/world";

/** A world centred on the middle of an H3 cell, so its technicians and orders share one cell. */
async function cellWorld() {
  const p = freshCenter(-60, -55);
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  return createWorld({ lat, lng });
}

const orderOf = async (c: Customer, id: string) => (await call("GET", `/v1/orders/${id}`, { token: c.session.token })).body;
const reasons = (o: { timeline: { reason: string }[] }) => o.timeline.map((e) => e.reason);

describe("cell events through the queue", () => {
  it("parks an event that keeps failing in the dead-letter queue while every other event of its cell runs on time", async () => {
    const w = await cellWorld();
    const cell = cellAt(w.center);
    const a = await addTechnician(w, w.center);
    const b = await addTechnician(w, w.center);
    expect([a.homeCell, b.homeCell]).toEqual([cell, cell]);

    // an order whose record is damaged: acting on its deadline fails every time
    const cp = await newCustomer(w.center);
    const poisoned = (await book(cp, await quote(w, cp, at(w, 2, "10:00")))).body;
    expect(poisoned.status).toBe("assigned");
    await env.DB.prepare("UPDATE orders SET tried_technicians = 'not json' WHERE id = ?").bind(poisoned.id).run();
    // an offer whose accept deadline passes
    const ca = await newCustomer(w.center);
    const offered = (await book(ca, await quote(w, ca, at(w, 2, "14:00")))).body;
    expect(offered.status).toBe("assigned");
    // an order never paid, whose hold lapses
    const ch = await newCustomer(w.center);
    const unpaid = (await book(ch, await quote(w, ch, at(w, 3, "10:00")), { paymentPlan: "full" })).body;
    expect(unpaid.status).toBe("pending_payment");
    // a job waiting for the cell's next batch tick
    const cb = await newCustomer(w.center);
    const q = await quote(w, cb, at(w, 4, "10:00"));
    const batched = await placeOrder({ ...env, DISPATCH_STRATEGY: "batch", BATCH_INTERVAL_SECONDS: "3600" }, cb.session.accountId, {
      quoteId: q.id,
      addressId: cb.addressId,
      start: q.start,
      paymentPlan: "after_service",
    });
    expect(batched.status).toBe("dispatching");
    expect((await batchState(cell)).waiting.map((j) => j.orderId)).toEqual([batched.id]);

    // Time passes: the damaged order's deadline falls due first, then everything else.
    const since = Date.now();
    await makeDue(cell, { deadline: poisoned.id });
    await makeDue(cell, { deadline: offered.id });
    await makeDue(cell, { holdsOf: unpaid.id });
    await makeDue(cell, { batch: true });
    const sent = await runCellAlarm(cell, since);
    expect(sent.map((e) => e.type).sort()).toEqual(["batch.due", "deadline", "deadline", "hold.expired"]);
    expect((await cellOutbox(cell)).filter((e) => e.sentAt === null)).toEqual([]);

    // the other events are acted on by the queue's consumer, whatever happens to the damaged one
    const cancelled = await waitFor(
      () => orderOf(ch, unpaid.id),
      (o) => o.status === "cancelled",
    );
    expect(cancelled).toMatchObject({ status: "cancelled", cancelReason: "hold_expired" });
    const moved = await waitFor(
      () => orderOf(ca, offered.id),
      (o) => o.technician?.id !== offered.technician.id,
    );
    expect(moved).toMatchObject({ status: "assigned" });
    expect(reasons(moved)).toContain("accept deadline missed");
    const ticked = await waitFor(
      () => orderOf(cb, batched.id),
      (o) => o.status === "assigned",
    );
    expect(ticked.status).toBe("assigned");
    expect(reasons(ticked).at(-1)).toMatch(/^offered by a batch of 1/);
    expect(await batchState(cell)).toEqual({ waiting: [], decided: 0, dueAt: null });

    // the damaged one is retried, then parked where operators see dead letters
    const admin = await signInWithRoles(["operator"]);
    const list = await waitFor(
      () => call("GET", "/v1/admin/notifications/dead-letters?pending=true", { token: admin.token }),
      (r) => r.body.items.some((d: { payload: { orderId?: string } }) => d.payload.orderId === poisoned.id),
      25_000,
    );
    const dead = list.body.items.find((d: { payload: { orderId?: string } }) => d.payload.orderId === poisoned.id);
    expect(dead).toMatchObject({
      queue: "doorstep-cell-events",
      topic: "deadline",
      payload: { type: "deadline", cell, orderId: poisoned.id, kind: "accept" },
      replayedAt: null,
    });
    expect(list.body.items.filter((d: { queue: string }) => d.queue === "doorstep-cell-events")).toHaveLength(1);

    // once the record is mended, an operator replays it: the cell-events queue acts on it after all
    await env.DB.prepare("UPDATE orders SET tried_technicians = ? WHERE id = ?")
      .bind(JSON.stringify([poisoned.technician.id]), poisoned.id)
      .run();
    expect(await orderOf(cp, poisoned.id)).toMatchObject({ status: "assigned", technician: { id: poisoned.technician.id } });
    const replayed = await call("POST", `/v1/admin/notifications/dead-letters/${dead.id}/replay`, { token: admin.token });
    expect(replayed.status).toBe(200);
    const redispatched = await waitFor(
      () => orderOf(cp, poisoned.id),
      (o) => o.technician?.id !== poisoned.technician.id,
    );
    expect(reasons(redispatched)).toContain("accept deadline missed");
  });

  it("keeps events the queue refused and sends them on a later alarm", async () => {
    const { name, stub } = freshCell("refused");
    await stub.setDeadline("ord_refused", "accept", Date.now() - 1, 2);
    const refusing = { ...env, CELL_EVENTS: { sendBatch: () => Promise.reject(new Error("injected queue failure")) } };
    await withCellEnv(stub, refusing, (instance) => instance.alarm());
    const armed = await alarmAt(stub);
    expect((await cellOutbox(name)).map((e) => [e.type, e.sentAt])).toEqual([["deadline", null]]);
    // the alarm stays armed for another try
    expect(armed).not.toBeNull();
    expect(armed!).toBeLessThanOrEqual(Date.now() + 5_000);
    expect(await cellDeadline(stub, "ord_refused")).toBeNull();

    const sent = await runCellAlarm(name);
    expect(sent).toMatchObject([{ type: "deadline", cell: name, orderId: "ord_refused", kind: "accept", version: 2 }]);
    expect((await cellOutbox(name)).every((e) => e.sentAt !== null)).toBe(true);
  });
});

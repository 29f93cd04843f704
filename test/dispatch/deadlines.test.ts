import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cellStub } from "../../src/cells/cells.service";
import { call } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, cellAt, createWorld } from "../support/world";
import { at, book, newCustomer, quote, task, waitFor } from "../support/booking";
import { cellDeadline, deliverCellEvents, expireAllHolds, passDeadline, runCellAlarm } from "../support/cell";

const band = () => freshCenter(6, 12);

describe("deadlines kept by the cell", () => {
  it("cancels an unpaid order when its hold expires, and frees the technician", async () => {
    const w = await createWorld(band());
    const t = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")), { paymentPlan: "full" })).body;
    expect(order.status).toBe("pending_payment");
    await expireAllHolds(t.homeCell);
    await deliverCellEvents(await runCellAlarm(t.homeCell));
    const after = await waitFor(
      () => call("GET", `/v1/orders/${order.id}`, { token: customer.session.token }),
      (r) => r.body.status === "cancelled",
    );
    expect(after.body).toMatchObject({ status: "cancelled", cancelReason: "hold_expired" });
    expect(after.body.timeline.at(-1)).toMatchObject({
      to: "cancelled",
      actor: { type: "system" },
      reason: "not paid before the hold expired",
    });
    expect((await call("GET", `/v1/admin/technicians/${t.id}/schedule`, { token: w.admin.token })).body.items).toEqual([]);
  });

  it("re-dispatches an accepted job whose technician is not on the way in time", async () => {
    const w = await createWorld(band());
    const a = await addTechnician(w, w.center);
    const b = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    const first = order.technician.id === a.id ? a : b;
    await task(await first.session(), order.id, "accept");
    const deadline = await cellDeadline(cellAt(w.center), order.id);
    expect(deadline?.kind).toBe("enroute");
    // due EN_ROUTE_LEAD_MINUTES before the start
    expect(deadline!.dueAt).toBe(Date.parse(at(w, 2, "10:00")) - 30 * 60_000);
    await passDeadline(cellAt(w.center), order.id);
    const after = await waitFor(
      () => call("GET", `/v1/orders/${order.id}`, { token: customer.session.token }),
      (r) => r.body.technician?.id !== first.id,
    );
    expect(after.body).toMatchObject({ status: "assigned" });
    expect(after.body.timeline.map((e: { reason: string }) => e.reason)).toContain("not on the way in time");
  });

  it("a departure clears the deadline; a late en-route deadline changes nothing once on the way", async () => {
    const w = await createWorld(band());
    const t = await addTechnician(w, w.center);
    const s = await t.session();
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    await task(s, order.id, "accept");
    await task(s, order.id, "depart");
    expect(await cellDeadline(cellAt(w.center), order.id)).toBeNull();
    // an en-route deadline that arrives after the departure (set for an older version) changes nothing
    await cellStub(env, cellAt(w.center)).setDeadline(order.id, "enroute", Date.now() - 1, 1);
    expect((await deliverCellEvents(await runCellAlarm(cellAt(w.center)))).explicitAcks).toHaveLength(1);
    expect((await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token })).body.status).toBe("en_route");
  });

  it("ignores a deadline set for an older version of the order, even one whose kind still fits its status", async () => {
    const w = await createWorld(band());
    const a = await addTechnician(w, w.center);
    const b = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    const first = order.technician.id === a.id ? a : b;
    const second = first === a ? b : a;
    const offered = await cellDeadline(cellAt(w.center), order.id);
    expect(offered).toMatchObject({ kind: "accept" });
    // the first technician declines: the order is offered to the second, as a newer version
    expect((await task(await first.session(), order.id, "decline", { reason: "too far" })).status).toBe(200);
    const now = (await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token })).body;
    expect(now).toMatchObject({ status: "assigned", technician: { id: second.id } });
    expect((await cellDeadline(cellAt(w.center), order.id))!.version).toBeGreaterThan(offered!.version);
    // the first offer's accept deadline arrives late: the order is still assigned, but to someone else now
    await cellStub(env, cellAt(w.center)).setDeadline(order.id, "accept", Date.now() - 1, offered!.version);
    const delivered = await deliverCellEvents(await runCellAlarm(cellAt(w.center)));
    expect(delivered.explicitAcks).toHaveLength(1);
    const after = (await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token })).body;
    expect(after).toMatchObject({ status: "assigned", technician: { id: second.id }, version: now.version });
    expect(after.timeline.map((e: { reason: string }) => e.reason)).not.toContain("accept deadline missed");
  });

  it("offers an ungrabbed job to the reserved technician when the grab window closes", async () => {
    const w = await createWorld(band(), { dispatchMode: "grab" });
    await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    expect(order.status).toBe("dispatching");
    expect((await cellDeadline(cellAt(w.center), order.id))?.kind).toBe("grab");
    await passDeadline(cellAt(w.center), order.id);
    const after = await waitFor(
      () => call("GET", `/v1/orders/${order.id}`, { token: customer.session.token }),
      (r) => r.body.status === "assigned",
    );
    expect(after.body.status).toBe("assigned");
    expect((await cellDeadline(cellAt(w.center), order.id))?.kind).toBe("accept");
  });
});

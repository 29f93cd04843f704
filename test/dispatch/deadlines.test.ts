import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { CellDO } from "../../durable/cell.do";
import { cellStub } from "../../src/cells/cells.service";
import { call } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, cellAt, createWorld } from "../support/world";
import { at, book, newCustomer, quote, task, waitFor } from "../support/booking";

const band = () => freshCenter(6, 12);

/** Makes the order's dispatch deadline due now in its cell and lets the alarm run. */
async function passDeadline(cell: string, orderId: string) {
  await runInDurableObject(cellStub(env, cell), async (_i: CellDO, state) => {
    state.storage.sql.exec("UPDATE timers SET due_at = ? WHERE key = ?", Date.now() - 1, `dispatch:${orderId}`);
    await state.storage.setAlarm(Date.now());
  });
}

describe("deadlines kept by the cell", () => {
  it("cancels an unpaid order when its hold expires, and frees the technician", async () => {
    const w = await createWorld(band());
    const t = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")), { paymentPlan: "full" })).body;
    expect(order.status).toBe("pending_payment");
    await runInDurableObject(cellStub(env, t.homeCell), async (_i: CellDO, state) => {
      state.storage.sql.exec("UPDATE intervals SET expires_at = ?", Date.now() - 1);
      await state.storage.setAlarm(Date.now());
    });
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
    const deadline = await cellStub(env, cellAt(w.center)).deadline(order.id);
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

  it("a departure clears the deadline; a stale deadline changes nothing", async () => {
    const w = await createWorld(band());
    const t = await addTechnician(w, w.center);
    const s = await t.session();
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    await task(s, order.id, "accept");
    await task(s, order.id, "depart");
    expect(await cellStub(env, cellAt(w.center)).deadline(order.id)).toBeNull();
    // a deadline set for an older version of the order is ignored by the order service
    await cellStub(env, cellAt(w.center)).setDeadline(order.id, "enroute", Date.now() - 1, 1);
    await runInDurableObject(cellStub(env, cellAt(w.center)), (i: CellDO) => i.alarm());
    expect((await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token })).body.status).toBe("en_route");
  });

  it("offers an ungrabbed job to the reserved technician when the grab window closes", async () => {
    const w = await createWorld(band(), { dispatchMode: "grab" });
    await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    expect(order.status).toBe("dispatching");
    expect((await cellStub(env, cellAt(w.center)).deadline(order.id))?.kind).toBe("grab");
    await passDeadline(cellAt(w.center), order.id);
    const after = await waitFor(
      () => call("GET", `/v1/orders/${order.id}`, { token: customer.session.token }),
      (r) => r.body.status === "assigned",
    );
    expect(after.body.status).toBe("assigned");
    expect((await cellStub(env, cellAt(w.center)).deadline(order.id))?.kind).toBe("accept");
  });
});

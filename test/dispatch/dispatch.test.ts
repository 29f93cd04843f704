import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { placeOrder } from "../../src/orders/booking.service";
import { readQuote } from "../../src/orders/quotes.service";
import { cellStub } from "../../src/cells/cells.service";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, cellAt, createWorld } from "../support/world";
import { at, book, newCustomer, quote, task, waitFor } from "../support/booking";
import { cellDeadline, passDeadline } from "../support/cell";

describe("re-dispatch", () => {
  it("passes a declined job to another technician and tells the timeline why", async () => {
    const w = await createWorld(freshCenter());
    const a = await addTechnician(w, w.center);
    const b = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    const first = order.technician.id;
    const firstSession = await (first === a.id ? a : b).session();
    const declined = await task(firstSession, order.id, "decline");
    expect(declined.status).toBe(200);
    // the decliner no longer sees who took it, nor the address
    expect(declined.body).toMatchObject({ technician: null, revealed: false, address: { text: null } });
    expectProblem(await call("GET", `/v1/technician/tasks/${order.id}`, { token: firstSession.token }), 404);
    const now = (await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token })).body;
    expect(now.status).toBe("assigned");
    expect(now.technician.id).not.toBe(first);
    expect(now.timeline.map((e: { reason: string }) => e.reason)).toContain("declined");
    // the first technician's calendar is free again, the second's holds the booking
    const freed = await call("GET", `/v1/admin/technicians/${first}/schedule`, { token: w.admin.token });
    expect(freed.body.items).toEqual([]);
    const taken = await call("GET", `/v1/admin/technicians/${now.technician.id}/schedule`, { token: w.admin.token });
    expect(taken.body.items.map((i: { state: string }) => i.state)).toEqual(["booked"]);
    const explanation = await call("GET", `/v1/admin/orders/${order.id}/dispatch`, { token: w.admin.token });
    expect(explanation.body.decisions.length).toBeGreaterThanOrEqual(2);
    expect(explanation.body.decisions[0].candidates[0]).toMatchObject({
      technicianId: expect.any(String),
      score: expect.any(Number),
      breakdown: expect.objectContaining({ travel: expect.any(Number) }),
    });
  });

  it("re-dispatches when the accept deadline passes (driven by the cell's alarm)", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    const deadline = await cellDeadline(cellAt(w.center), order.id);
    expect(deadline).toMatchObject({ kind: "accept" });
    // Time passes: the deadline falls due, the alarm fires and the Worker acts on the event.
    await passDeadline(cellAt(w.center), order.id);
    const after = await waitFor(
      () => call("GET", `/v1/orders/${order.id}`, { token: customer.session.token }),
      (r) => r.body.technician?.id !== order.technician.id,
    );
    expect(after.body.status).toBe("assigned");
    expect(after.body.timeline.map((e: { reason: string }) => e.reason)).toContain("accept deadline missed");
  });

  it("re-dispatches when the technician cancels, and queues the order for operators when nobody is left", async () => {
    const w = await createWorld(freshCenter());
    const only = await addTechnician(w, w.center);
    const s = await only.session();
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    expect((await task(s, order.id, "accept")).body.status).toBe("accepted");
    expect((await task(s, order.id, "cancel", { reason: "sick" })).body).toMatchObject({ status: "dispatching", technician: null });
    const queued = await call("GET", "/v1/admin/orders?queue=exceptions", { token: w.admin.token });
    const mine = queued.body.items.find((o: { id: string }) => o.id === order.id);
    expect(mine).toMatchObject({ status: "dispatching", technician: null, exception: "no_candidate" });
    // an operator assigns a new technician from the queue
    const fresh = await addTechnician(w, w.center);
    const assigned = await call("POST", `/v1/admin/orders/${order.id}/assign`, { token: w.admin.token, body: { technicianId: fresh.id } });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ status: "assigned", technician: { id: fresh.id }, exception: null });
    const after = await call("GET", "/v1/admin/orders?queue=exceptions", { token: w.admin.token });
    expect(after.body.items.find((o: { id: string }) => o.id === order.id)).toBeUndefined();
  });

  it("refuses a manual assignment that clashes, and keeps merchants to their own orders", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const first = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    expect(first.technician.id).toBe(t.id);
    const other = await addTechnician(w, w.center);
    const second = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    expect(second.technician.id).toBe(other.id);
    expectProblem(
      await call("POST", `/v1/admin/orders/${second.id}/assign`, { token: w.admin.token, body: { technicianId: t.id } }),
      409,
      "SLOT_UNAVAILABLE",
    );
    const merchantAdmin = await signInWithRoles(["merchant_admin"], await insertMerchant());
    expectProblem(await call("GET", `/v1/admin/orders/${first.id}`, { token: merchantAdmin.token }), 404);
    expectProblem(
      await call("POST", `/v1/admin/orders/${first.id}/assign`, { token: merchantAdmin.token, body: { technicianId: t.id } }),
      404,
    );
    expect((await call("GET", "/v1/admin/orders", { token: merchantAdmin.token })).body.items).toEqual([]);
    expectProblem(await call("GET", `/v1/admin/orders/${first.id}`, { token: customer.session.token }), 403);
  });
});

describe("grab", () => {
  it("20 technicians grab one job in parallel: exactly one wins", async () => {
    const w = await createWorld(freshCenter(), { dispatchMode: "grab" });
    const techs = [];
    for (let i = 0; i < 20; i++) techs.push(await addTechnician(w, w.center));
    const sessions = await Promise.all(techs.map((t) => t.session()));
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    expect(order.status).toBe("dispatching");
    const pool = await call("GET", "/v1/technician/pool", { token: sessions[0]!.token });
    expect(pool.body.items.map((o: { id: string }) => o.id)).toContain(order.id);
    const results = await Promise.all(sessions.map((s) => call("POST", `/v1/technician/tasks/${order.id}/grab`, { token: s.token })));
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(19);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe("ALREADY_TAKEN");
    const final = (await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token })).body;
    expect(final.status).toBe("accepted");
    expect(final.technician.id).toBe(winners[0]!.body.technician.id);
    // exactly one calendar in the whole cell holds the job
    let holders = 0;
    for (const t of techs)
      holders += (await call("GET", `/v1/admin/technicians/${t.id}/schedule`, { token: w.admin.token })).body.items.length;
    expect(holders).toBe(1);
  });
});

describe("booking storms", () => {
  it("40 parallel orders for one chosen technician and slot: one 201, the rest 409 SLOT_UNAVAILABLE", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const q = await quote(w, customer, at(w, 3, "14:00"));
    const results = await Promise.all(Array.from({ length: 40 }, () => book(customer, q, { technicianId: t.id })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(39);
    expect(refused.every((r) => r.body.code === "SLOT_UNAVAILABLE")).toBe(true);
    const sched = await call("GET", `/v1/admin/technicians/${t.id}/schedule`, { token: w.admin.token });
    expect(sched.body.items).toHaveLength(1);
  });

  it("N+5 parallel orders for a slot with N free technicians: exactly N succeed", async () => {
    const w = await createWorld(freshCenter());
    const n = 5;
    for (let i = 0; i < n; i++) await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const q = await quote(w, customer, at(w, 3, "14:00"));
    const results = await Promise.all(Array.from({ length: n + 5 }, () => book(customer, q)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(n);
    expect(results.filter((r) => r.status === 409 && r.body.code === "SLOT_UNAVAILABLE")).toHaveLength(5);
    const techIds = results.filter((r) => r.status === 201).map((r) => r.body.technician.id);
    expect(new Set(techIds).size).toBe(n);
  });
});

describe("no orphans and concurrent transitions", () => {
  it("releases the hold when writing the order fails", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const q = await quote(w, customer, at(w, 2, "10:00"));
    // D1 refuses the batch that writes the order (every other statement goes through).
    const sqlOf = new WeakMap<object, string>();
    const db = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare") {
          return (query: string) => {
            const stmt = target.prepare(query);
            const bind = stmt.bind.bind(stmt);
            stmt.bind = (...args: unknown[]) => {
              const bound = bind(...args);
              sqlOf.set(bound, query);
              return bound;
            };
            sqlOf.set(stmt, query);
            return stmt;
          };
        }
        if (prop === "batch") {
          return (stmts: D1PreparedStatement[]) => {
            if (stmts.some((s) => sqlOf.get(s)?.startsWith("INSERT INTO orders"))) return Promise.reject(new Error("injected D1 failure"));
            return target.batch(stmts);
          };
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    await expect(
      placeOrder({ ...env, DB: db }, customer.session.accountId, {
        quoteId: q.id,
        addressId: customer.addressId,
        start: q.start,
        paymentPlan: "after_service",
      }),
    ).rejects.toThrow("injected D1 failure");
    const quoted = await readQuote(env, q.id);
    const sched = await cellStub(env, t.homeCell).schedule(t.id, quoted.start - 86_400_000, quoted.end + 86_400_000);
    expect(sched.ok && sched.items).toEqual([]);
    expect((await call("GET", "/v1/orders", { token: customer.session.token })).body.items).toEqual([]);
    // and the slot is bookable again
    expect((await book(customer, q)).status).toBe(201);
  });

  it("lets only one of two concurrent actors move an order", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const s = await t.session();
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    const [accept, cancel] = await Promise.all([
      task(s, order.id, "accept"),
      call("POST", `/v1/orders/${order.id}/cancel`, { token: customer.session.token, body: { reason: "changed my mind" } }),
    ]);
    expect([accept.status, cancel.status].filter((x) => x === 200)).toHaveLength(1);
    expect([accept.status, cancel.status].filter((x) => x === 409)).toHaveLength(1);
    const final = (await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token })).body;
    expect(["accepted", "cancelled"]).toContain(final.status);
    expect(final.timeline).toHaveLength(3);
    const twice = await Promise.all([task(s, order.id, "depart"), task(s, order.id, "depart")]);
    if (final.status === "accepted") expect(twice.map((r) => r.status).sort()).toEqual([200, 409]);
  });
});

describe("customer cancel and reschedule", () => {
  it("cancels with the refund the policy grants and frees the technician", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 3, "10:00")), { paymentPlan: "full" })).body;
    const res = await call("POST", `/v1/orders/${order.id}/cancel`, { token: customer.session.token, body: { reason: "plans changed" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "cancelled",
      cancelReason: "plans changed",
      refund: { percent: 100, amount: { amount: 0 }, reason: "nothing was paid" },
    });
    expect((await call("GET", `/v1/admin/technicians/${t.id}/schedule`, { token: w.admin.token })).body.items).toEqual([]);
    expectProblem(
      await call("POST", `/v1/orders/${order.id}/cancel`, { token: customer.session.token, body: { reason: "again" } }),
      409,
      "INVALID_TRANSITION",
    );
    const stranger = await newCustomer(w.center);
    expectProblem(await call("POST", `/v1/orders/${order.id}/cancel`, { token: stranger.session.token, body: { reason: "x" } }), 404);
    expectProblem(
      await call("POST", `/v1/orders/${order.id}/cancel`, { token: customer.session.token, body: {} }),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("reschedules atomically with the same technician, or refuses and keeps the old time", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const a = (await book(customer, await quote(w, customer, at(w, 3, "10:00")))).body;
    const b = (await book(customer, await quote(w, customer, at(w, 3, "14:00")), { technicianId: t.id })).body;
    expect(b.technician.id).toBe(t.id);
    expectProblem(
      await call("POST", `/v1/orders/${a.id}/reschedule`, { token: customer.session.token, body: { start: at(w, 3, "14:00") } }),
      409,
      "SLOT_UNAVAILABLE",
    );
    expect((await call("GET", `/v1/orders/${a.id}`, { token: customer.session.token })).body.start).toBe(at(w, 3, "10:00"));
    const moved = await call("POST", `/v1/orders/${a.id}/reschedule`, {
      token: customer.session.token,
      body: { start: at(w, 4, "09:00") },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.start).toBe(at(w, 4, "09:00"));
    // the accept deadline names the order's new version, so it still fires
    expect(await cellDeadline(cellAt(w.center), a.id)).toEqual({
      orderId: a.id,
      kind: "accept",
      dueAt: Date.parse(moved.body.acceptBy),
      version: moved.body.version,
    });
    const sched = await call(
      "GET",
      `/v1/admin/technicians/${t.id}/schedule?to=${encodeURIComponent(new Date(Date.now() + 10 * 86_400_000).toISOString())}`,
      { token: w.admin.token },
    );
    expect(sched.body.items.map((i: { start: string }) => i.start).sort()).toEqual([at(w, 3, "14:00"), at(w, 4, "09:00")].sort());
  });
});

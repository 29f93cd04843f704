/**
 * What one booking (POST /v1/quotes + POST /v1/orders) costs in round trips, counted on the real
 * bindings: D1 calls (a batch is one), CellDO RPCs, queue sends. Counts are deterministic, so the
 * bounds below catch a change that adds round trips to the booking path (times are the bench's).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, callWith, expectProblem } from "../support/http";
import { countedBook, countedQuote, type Counted } from "../support/counting";
import { freshCenter } from "../support/fixtures";
import { addTechnician, cellAt, createWorld, neighbourPoint } from "../support/world";
import { at, newCustomer } from "../support/booking";
import { cellDeadline } from "../support/cell";

const methods = (r: Counted) => r.counts.rpc.map((x) => x.split(":")[1]).sort();

describe("round trips of one booking", () => {
  it("chosen technician, pay after the service: the quote from the cache, the order in one cell call and one D1 batch", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    // The first quote of a service reads it and the cell's city (one round trip each) …
    const cold = await countedQuote(w, c, at(w, 2, "10:00"));
    expect(cold.status).toBe(201);
    expect(cold.counts).toMatchObject({ d1: 2, drain: 0, rpc: [], queue: 0 });
    // … the next ones price from the reference cache and leave no drain behind.
    const q = await countedQuote(w, c, at(w, 2, "14:00"));
    expect(q.status).toBe(201);
    expect(q.counts).toMatchObject({ d1: 0, drain: 0, rpc: [], queue: 0 });

    // The first booking of the customer reads their address and the technician (one round trip, in parallel) …
    expect((await countedBook(c, q.body, { technicianId: t.id })).status).toBe(201);
    // … the next ones book from the isolate's copies, which the order's write checks itself.
    const o = await countedBook(c, (await countedQuote(w, c, at(w, 3, "10:00"))).body, { technicianId: t.id });
    expect(o.status).toBe(201);
    expect(o.body).toMatchObject({ status: "assigned", technician: { id: t.id }, dispatchMode: "chosen", version: 2 });
    // Before the answer: the hold, then one D1 batch (the key's record with the answer, the order,
    // both timeline entries in one statement, both messages in another).
    expect(o.beforeAnswer.d1).toBe(1);
    expect(o.beforeAnswer.batchedStatements).toBeLessThanOrEqual(4);
    // The booking and the accept deadline go in one call (the technician lives in the order's cell),
    // started after the write and not waited for (the answer does not depend on it: see "answers
    // once the order is written" below).
    expect(o.beforeAnswer.rpc.map((x) => x.split(":")[1])).toEqual(["hold", "confirmAndSetDeadline"]);
    expect(methods(o)).toEqual(["confirmAndSetDeadline", "hold"]);
    expect(o.counts.d1).toBe(1);
    // After the answer: the two messages the batch wrote go to the queue as collected, in one send and no D1 statement.
    expect(o.counts.drain).toBe(0);
    expect(o.counts.queue).toBe(1);
  });

  it("another chosen technician of the same cell: read along with the first, booked with no read before the hold", async () => {
    const w = await createWorld(freshCenter());
    const a = await addTechnician(w, w.center);
    const b = await addTechnician(w, w.center);
    const gone = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    // The customer's first booking: the address, and the technician with the roster of the
    // booking's cell (one batch of two statements), in parallel; then the order.
    const first = await countedBook(c, (await countedQuote(w, c, at(w, 2, "10:00"))).body, { technicianId: a.id });
    expect(first.status).toBe(201);
    expect(first.counts.d1).toBe(3);
    expect(first.counts.sql.filter((q) => q.includes('"home_cell" = ?'))).toHaveLength(1);

    // b was copied then: its booking reads nothing before the hold, and writes in one batch.
    const o = await countedBook(c, (await countedQuote(w, c, at(w, 3, "10:00"))).body, { technicianId: b.id });
    expect(o.status).toBe(201);
    expect(o.body).toMatchObject({ status: "assigned", technician: { id: b.id }, dispatchMode: "chosen" });
    expect(o.beforeAnswer.d1).toBe(1);
    expect(o.counts.d1).toBe(1);
    expect(o.counts.sql.some((q) => q.includes('"home_cell" = ?'))).toBe(false);
    expect(methods(o)).toEqual(["confirmAndSetDeadline", "hold"]);

    // A copy read along is checked by the order's write like any other: suspended since (behind
    // the isolate's back, no push), the technician is read again and not booked.
    await env.DB.prepare("UPDATE technicians SET status = 'suspended', updated_at = updated_at + 1 WHERE id = ?").bind(gone.id).run();
    const refused = await countedBook(c, (await countedQuote(w, c, at(w, 4, "10:00"))).body, { technicianId: gone.id });
    expectProblem(refused, 409, "SLOT_UNAVAILABLE");
    // The interval the stale copy held went back.
    expect(methods(refused)).toEqual(["hold", "release"]);
    const sched = await call("GET", `/v1/admin/technicians/${gone.id}/schedule`, { token: w.admin.token });
    expect(sched.body.items).toEqual([]);
  });

  it("automatic dispatch on a warm isolate: candidates, hold and one write, 1 D1 round trip", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    // The first booking brings the cell's copy of its roster up to date (one sync, not counted below),
    // and leaves this isolate copies of the ring's roster versions and the candidates' history.
    expect((await countedBook(c, (await countedQuote(w, c, at(w, 3, "10:00"))).body)).status).toBe(201);

    const q = await countedQuote(w, c, at(w, 3, "14:00"));
    const o = await countedBook(c, q.body);
    expect(o.status).toBe(201);
    expect(o.body).toMatchObject({ status: "assigned", dispatchMode: "auto", technician: { id: expect.any(String) } });
    // Only the order (with its dispatch decision and the key's record): the ring's versions and the
    // candidates' history come from the isolate's copies.
    expect(o.counts.d1).toBe(1);
    // Five statements in the order's batch (order, timeline, messages, decision, key).
    expect(o.counts.batchedStatements).toBeLessThanOrEqual(5);
    // One staffed cell in the ring is asked for candidates.
    expect(methods(o)).toEqual(["candidates", "confirmAndSetDeadline", "hold"]);
    expect(o.counts.drain).toBe(0);
    expect(o.counts.queue).toBe(1);
    // The decision went into the order's batch, and explains the choice.
    const explained = await call("GET", `/v1/admin/orders/${o.body.id}/dispatch`, { token: w.admin.token });
    expect(explained.body.decisions).toHaveLength(1);
    expect(explained.body.decisions[0]).toMatchObject({ chosenTechnicianId: o.body.technician.id, reason: "booking" });
  });

  it("a technician homed in a neighbouring cell: the booking and the deadline go to their two cells in parallel", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, neighbourPoint(cellAt(w.center)));
    expect(t.homeCell).not.toBe(cellAt(w.center));
    const c = await newCustomer(w.center);
    const o = await countedBook(c, (await countedQuote(w, c, at(w, 2, "10:00"))).body, { technicianId: t.id });
    expect(o.status).toBe(201);
    // The customer's first booking: address and technician read in parallel, then the order.
    expect(o.counts.d1).toBeLessThanOrEqual(3);
    expect(o.counts.rpc.sort()).toEqual([`${cellAt(w.center)}:setDeadline`, `${t.homeCell}:confirm`, `${t.homeCell}:hold`].sort());
    const sched = await call("GET", `/v1/admin/technicians/${t.id}/schedule`, { token: w.admin.token });
    expect(sched.body.items.map((i: { state: string }) => i.state)).toEqual(["booked"]);
    expect(await cellDeadline(cellAt(w.center), o.body.id)).toMatchObject({ kind: "accept", version: 2 });
  });

  it("pay now: the hold waits for the payment, 1 D1 round trip and 2 cell calls", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    expect((await countedBook(c, (await countedQuote(w, c, at(w, 3, "10:00"))).body)).status).toBe(201);
    const o = await countedBook(c, (await countedQuote(w, c, at(w, 4, "10:00"))).body, { paymentPlan: "full" });
    expect(o.status).toBe(201);
    expect(o.body).toMatchObject({ status: "pending_payment", holdExpiresAt: expect.any(String), version: 1 });
    expect(o.counts.d1).toBe(1);
    expect(methods(o)).toEqual(["candidates", "hold"]);
  });

  it("a refused booking costs no write: a taken slot answers 409 after the hold is refused", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = (await countedQuote(w, c, at(w, 2, "10:00"))).body;
    expect((await countedBook(c, q, { technicianId: t.id })).status).toBe(201);
    const again = await countedBook(c, q, { technicianId: t.id });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("SLOT_UNAVAILABLE");
    // Address and technician from the isolate's copies; the refusal stored as the key's answer.
    expect(again.counts.d1).toBe(1);
    expect(methods(again)).toEqual(["hold"]);
    // A refusal hands nothing to the queue.
    expect(again.counts).toMatchObject({ drain: 0, queue: 0 });
  });
});

describe("the answer of a booking", () => {
  for (const mode of ["auto", "chosen", "grab", "manual"] as const) {
    it(`is the order as read back afterwards (${mode} dispatch)`, async () => {
      const w = await createWorld(freshCenter(), { dispatchMode: mode === "chosen" ? "auto" : mode });
      const t = await addTechnician(w, w.center);
      const c = await newCustomer(w.center);
      for (const plan of ["after_service", "full"] as const) {
        const q = (await countedQuote(w, c, at(w, plan === "full" ? 3 : 2, "10:00"))).body;
        const placed = await countedBook(c, q, { paymentPlan: plan, ...(mode === "chosen" ? { technicianId: t.id } : {}) });
        expect(placed.status).toBe(201);
        const read = await call("GET", `/v1/orders/${placed.body.id}`, { token: c.session.token });
        expect(placed.body).toEqual(read.body);
        expect(read.body.timeline.map((e: { to: string }) => e.to)).toEqual(
          plan === "full" ? ["pending_payment"] : ["confirmed", mode === "grab" || mode === "manual" ? "dispatching" : "assigned"],
        );
      }
    });
  }

  it("is stored with the order: a retry with the same key gets it again without booking twice", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = (await countedQuote(w, c, at(w, 2, "10:00"))).body;
    const first = await countedBook(c, q, { technicianId: t.id }, "rt-replay");
    expect(first.status).toBe(201);
    const again = await countedBook(c, q, { technicianId: t.id }, "rt-replay");
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    // The cell gave the same hold back (the order id comes from the quote and the key), the write
    // found the key answered, and the order's booking was kept: nothing was booked twice.
    expect(methods(again)).toEqual(["hold"]);
    const sched = await call("GET", `/v1/admin/technicians/${t.id}/schedule`, { token: w.admin.token });
    expect(sched.body.items.map((i: { state: string }) => i.state)).toEqual(["booked"]);
    expect((await call("GET", "/v1/orders", { token: c.session.token })).body.items).toHaveLength(1);
  });

  it("is judged by the key first: what the booking's reads find counts only for a claimed key", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = (await countedQuote(w, c, at(w, 2, "10:00"))).body;
    const first = await countedBook(c, q, { technicianId: t.id }, "rt-judged");
    expect(first.status).toBe(201);
    // The address is gone now, so the reads would refuse: the replay still gives the stored order …
    expect((await call("DELETE", `/v1/me/addresses/${c.addressId}`, { token: c.session.token })).status).toBe(204);
    const replay = await countedBook(c, q, { technicianId: t.id }, "rt-judged");
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    // … and another body under the same key is 422, whatever its reads find.
    expectProblem(await countedBook(c, q, { technicianId: t.id, notes: "other" }, "rt-judged"), 422, "IDEMPOTENCY_KEY_REUSED");
    // A fresh key gets what the reads find: the isolate's copy of the address is refused by the
    // order's write, which reads it again and finds it gone.
    const later = (await countedQuote(w, c, at(w, 2, "15:00"))).body;
    const gone = await countedBook(c, later, { technicianId: t.id });
    expectProblem(gone, 404);
    // The interval it held went back.
    expect(methods(gone)).toEqual(["hold", "release"]);
  });

  it("answers once the order is written: a booking that never reaches the cell leaves a hold for the repair", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = (await countedQuote(w, c, at(w, 2, "10:00"))).body;
    // The cell fails the call that follows the answer (booking the held interval).
    const failing = new Proxy(env.CELL, {
      get(target, prop) {
        if (prop !== "getByName") return Reflect.get(target, prop) as unknown;
        return (name: string) => {
          const stub = target.getByName(name);
          return new Proxy(stub, {
            get: (s, m) =>
              m === "confirm" || m === "confirmAndSetDeadline"
                ? () => Promise.reject(new Error("injected cell fault"))
                : (Reflect.get(s, m) as unknown),
          });
        };
      },
    });
    const body = { quoteId: q.id, addressId: c.addressId, start: q.start, paymentPlan: "after_service", technicianId: t.id };
    const headers = { "Idempotency-Key": "rt-fault" };
    const placed = await callWith({ ...env, CELL: failing }, "POST", "/v1/orders", { token: c.session.token, headers, body });
    expect(placed.status).toBe(201);
    // The interval is still a hold (it lapses into the repair, test/orders/lapsed-hold.test.ts), and a retry gets the order.
    const sched = await call("GET", `/v1/admin/technicians/${t.id}/schedule`, { token: w.admin.token });
    expect(sched.body.items.map((i: { state: string }) => i.state)).toEqual(["held"]);
    const retry = await call("POST", "/v1/orders", { token: c.session.token, headers, body });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.body.id).toBe(placed.body.id);
    const orders = (await call("GET", "/v1/orders", { token: c.session.token })).body.items;
    expect(orders.map((o: { id: string }) => o.id)).toEqual([placed.body.id]);
  });
});

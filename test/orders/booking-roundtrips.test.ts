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
  it("chosen technician, pay after the service: the quote from the cache, the order in 4 D1 round trips and 2 cell calls", async () => {
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

    const o = await countedBook(c, q.body, { technicianId: t.id });
    expect(o.status).toBe(201);
    expect(o.body).toMatchObject({ status: "assigned", technician: { id: t.id }, dispatchMode: "chosen", version: 2 });
    // Idempotency claim; address ∥ technician; the order with both timeline entries, messages and the answer.
    expect(o.counts.d1).toBeLessThanOrEqual(4);
    expect(o.counts.batchedStatements).toBeLessThanOrEqual(7);
    // Hold; then the booking and the accept deadline in one call, the technician living in the order's cell.
    expect(methods(o)).toEqual(["confirmAndSetDeadline", "hold"]);
    // After the answer: the two messages the batch wrote go to the queue as collected, in one send and no D1 statement.
    expect(o.counts.drain).toBe(0);
    expect(o.counts.queue).toBe(1);
  });

  it("automatic dispatch: ring query, candidates, history, hold and one write, 5 D1 round trips", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    // The first booking brings the cell's copy of its roster up to date (one sync, not counted below).
    expect((await countedBook(c, (await countedQuote(w, c, at(w, 3, "10:00"))).body)).status).toBe(201);

    const q = await countedQuote(w, c, at(w, 3, "14:00"));
    const o = await countedBook(c, q.body);
    expect(o.status).toBe(201);
    expect(o.body).toMatchObject({ status: "assigned", dispatchMode: "auto", technician: { id: expect.any(String) } });
    // Claim; address; roster versions of the ring; candidates' history; the order (with its dispatch decision).
    expect(o.counts.d1).toBeLessThanOrEqual(5);
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
    expect(o.counts.d1).toBeLessThanOrEqual(4);
    expect(o.counts.rpc.sort()).toEqual([`${cellAt(w.center)}:setDeadline`, `${t.homeCell}:confirm`, `${t.homeCell}:hold`].sort());
    const sched = await call("GET", `/v1/admin/technicians/${t.id}/schedule`, { token: w.admin.token });
    expect(sched.body.items.map((i: { state: string }) => i.state)).toEqual(["booked"]);
    expect(await cellDeadline(cellAt(w.center), o.body.id)).toMatchObject({ kind: "accept", version: 2 });
  });

  it("pay now: the hold waits for the payment, 5 D1 round trips and 2 cell calls", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    expect((await countedBook(c, (await countedQuote(w, c, at(w, 3, "10:00"))).body)).status).toBe(201);
    const o = await countedBook(c, (await countedQuote(w, c, at(w, 4, "10:00"))).body, { paymentPlan: "full" });
    expect(o.status).toBe(201);
    expect(o.body).toMatchObject({ status: "pending_payment", holdExpiresAt: expect.any(String), version: 1 });
    expect(o.counts.d1).toBeLessThanOrEqual(5);
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
    // Claim; address ∥ technician; the refusal stored as the key's answer.
    expect(again.counts.d1).toBeLessThanOrEqual(4);
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
    // Nothing was held or written again.
    expect(again.counts.rpc).toEqual([]);
    expect(again.counts.sql.some((s) => s.startsWith("INSERT INTO orders"))).toBe(false);
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
    // A fresh key gets what the reads find.
    expectProblem(await countedBook(c, q, { technicianId: t.id }), 404);
  });

  it("survives a fault after the order's write: the retry gets the order that was written, not a second booking", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = (await countedQuote(w, c, at(w, 2, "10:00"))).body;
    // The cell fails the call that follows the order's write (booking the held interval).
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
    const faulted = await callWith({ ...env, CELL: failing }, "POST", "/v1/orders", { token: c.session.token, headers, body });
    expect(faulted.status).toBe(500);
    const retry = await call("POST", "/v1/orders", { token: c.session.token, headers, body });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    const orders = (await call("GET", "/v1/orders", { token: c.session.token })).body.items;
    expect(orders.map((o: { id: string }) => o.id)).toEqual([retry.body.id]);
  });
});

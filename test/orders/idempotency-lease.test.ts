/**
 * Idempotency-Keys of bookings: a key left in flight by a request that died no longer blocks the
 * key forever (a retry after the lease takes it over); a booking's record is written with its order,
 * so a request that died before its write leaves only a hold, which the retry gets back; and a
 * request with the key of an order written already never touches that order's interval.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/lib/encoding";
import { orderIdOf } from "../../src/orders/order-ids";
import { readQuote } from "../../src/orders/quotes.service";
import { call, expectProblem } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld } from "../support/world";
import { at, book, newCustomer, quote, type Customer } from "../support/booking";

const bodyOf = (c: Customer, q: { id: string; start: string }) => ({
  quoteId: q.id,
  addressId: c.addressId,
  start: q.start,
  paymentPlan: "after_service" as const,
});

/** A key left in flight by a request that died, its lease ending at `leaseUntil`. */
async function deadClaim(c: Customer, key: string, body: unknown, leaseUntil: number) {
  await env.DB.prepare(
    "INSERT INTO idempotency_keys (account_id, key, request_hash, state, created_at, claim_id, lease_until) VALUES (?, ?, ?, 'in_flight', ?, 'dead', ?)",
  )
    .bind(c.session.accountId, key, await sha256Hex(JSON.stringify(body)), Date.now() - 120_000, leaseUntil)
    .run();
}

async function ordersOf(c: Customer): Promise<{ id: string }[]> {
  return (await call("GET", "/v1/orders", { token: c.session.token })).body.items;
}

describe("Idempotency-Key leases", () => {
  it("a key whose request died is taken over after its lease, and only by the same request", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = await quote(w, c, at(w, 2, "10:00"));

    // Within the lease the first request may still be running: 409, nothing written.
    await deadClaim(c, "alive-key", bodyOf(c, q), Date.now() + 60_000);
    expectProblem(await book(c, q, {}, "alive-key"), 409, "IDEMPOTENCY_IN_FLIGHT");

    // Past the lease a different request with the key is still refused as a reuse …
    await deadClaim(c, "dead-key", bodyOf(c, q), Date.now() - 1);
    expectProblem(await book(c, q, { notes: "another request" }, "dead-key"), 422, "IDEMPOTENCY_KEY_REUSED");
    expect(await ordersOf(c)).toHaveLength(0);

    // … and the same request takes the key over, books, and its answer is replayed from then on.
    const taken = await book(c, q, {}, "dead-key");
    expect(taken.status).toBe(201);
    const again = await book(c, q, {}, "dead-key");
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.id).toBe(taken.body.id);
    expect(await ordersOf(c)).toHaveLength(1);
  });

  it("keys claimed before leases existed count the lease from their creation", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = await quote(w, c, at(w, 2, "10:00"));
    const hash = await sha256Hex(JSON.stringify(bodyOf(c, q)));
    const legacy = (key: string, createdAt: number) =>
      env.DB.prepare("INSERT INTO idempotency_keys (account_id, key, request_hash, state, created_at) VALUES (?, ?, ?, 'in_flight', ?)")
        .bind(c.session.accountId, key, hash, createdAt)
        .run();
    await legacy("old-fresh", Date.now());
    await legacy("old-dead", Date.now() - 10 * 60_000);
    expectProblem(await book(c, q, {}, "old-fresh"), 409, "IDEMPOTENCY_IN_FLIGHT");
    expect((await book(c, q, {}, "old-dead")).status).toBe(201);
  });

  it("many retries of a dead request at once: exactly one takes the key over and one order is written", async () => {
    const w = await createWorld(freshCenter());
    for (let i = 0; i < 3; i += 1) await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = await quote(w, c, at(w, 2, "10:00"));
    await deadClaim(c, "storm-key", bodyOf(c, q), Date.now() - 1);

    const answers = await Promise.all(Array.from({ length: 12 }, () => book(c, q, {}, "storm-key")));
    const created = answers.filter((a) => a.status === 201);
    expect(answers.every((a) => a.status === 201 || (a.status === 409 && a.body.code === "IDEMPOTENCY_IN_FLIGHT"))).toBe(true);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    expect(created.filter((a) => a.headers.get("idempotent-replayed") !== "true")).toHaveLength(1);
    expect(await ordersOf(c)).toHaveLength(1);
  });

  it("a request with the key of an order written already holds nothing: the order's interval stays, another interval is given back", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = await quote(w, c, at(w, 2, "10:00"));
    const key = "answered-key";
    const first = await book(c, q, { technicianId: t.id }, key);
    expect(first.status).toBe(201);

    // The same request again (a retry) gets the same hold key back from the cell: the order's booking is kept.
    const retry = await book(c, q, { technicianId: t.id }, key);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.id).toBe(first.body.id);
    // Another body under the key asks for the same hold too, and is refused without touching the booking.
    expectProblem(await book(c, q, { technicianId: t.id, notes: "other" }, key), 422, "IDEMPOTENCY_KEY_REUSED");
    // Another quote under the key holds another interval, which goes back when the write finds the key answered.
    const later = await quote(w, c, at(w, 2, "14:00"));
    expectProblem(await book(c, later, { technicianId: t.id }, key), 422, "IDEMPOTENCY_KEY_REUSED");

    expect((await ordersOf(c)).map((o) => o.id)).toEqual([first.body.id]);
    const c2 = await newCustomer(w.center);
    // The order's interval is still taken …
    expectProblem(await book(c2, await quote(w, c2, at(w, 2, "10:00")), { technicianId: t.id }), 409, "SLOT_UNAVAILABLE");
    // … and the other one is free.
    expect((await book(c2, await quote(w, c2, at(w, 2, "14:00")), { technicianId: t.id })).status).toBe(201);
  });

  it("a request that died after its hold does not block its key: the retry gets the hold back and books", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = await quote(w, c, at(w, 2, "10:00"));
    const key = "died-after-hold";
    // The cell holds the order's interval, as a request that died before its write left it.
    const orderId = await orderIdOf(await readQuote(env, q.id), q.id, c.session.accountId, key);
    const held = await env.CELL.getByName(t.homeCell).hold({
      technicianId: t.id,
      orderId: `${orderId}:1`,
      start: Date.parse(q.start),
      end: Date.parse(q.end),
      lat: w.center.lat,
      lng: w.center.lng,
      ttlMs: 600_000,
    });
    expect(held.ok).toBe(true);
    const retry = await book(c, q, { technicianId: t.id }, key);
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(orderId);
    expect(await ordersOf(c)).toHaveLength(1);
  });
});

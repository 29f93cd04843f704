/**
 * Idempotency-Key leases: a request that died while holding its key no longer blocks the key
 * forever (a retry after the lease takes it over), and a request that was only slow cannot write a
 * second order once a retry took its key (the order write is guarded on holding the key).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/lib/encoding";
import { placeOrder } from "../../src/orders/booking.service";
import { idempotent } from "../../src/orders/idempotency.service";
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

  it("a request that outlived its lease cannot write a second order after a retry took its key", async () => {
    const w = await createWorld(freshCenter());
    const techs = [await addTechnician(w, w.center), await addTechnician(w, w.center)];
    const c = await newCustomer(w.center);
    const q = await quote(w, c, at(w, 2, "10:00"));
    const input = bodyOf(c, q);
    const key = "slow-key";

    let retry: Awaited<ReturnType<typeof book>> | undefined;
    const slow = idempotent(env, c.session.accountId, key, input, async (seal, _prefetched, claim) => {
      // The request stalls past its lease …
      await env.DB.prepare("UPDATE idempotency_keys SET lease_until = ? WHERE account_id = ? AND key = ?")
        .bind(Date.now() - 1, c.session.accountId, key)
        .run();
      // … the client's retry takes the key over and books (the best technician) …
      retry = await book(c, q, {}, key);
      // … then the slow request goes on: it holds the other technician, and its write is refused.
      return { status: 201, body: await placeOrder(env, c.session.accountId, input, { seal: (v, g) => seal(201, v, g), claim }) };
    });
    await expect(slow).rejects.toMatchObject({ status: 409, code: "IDEMPOTENCY_IN_FLIGHT" });

    expect(retry!.status).toBe(201);
    const orders = await ordersOf(c);
    expect(orders.map((o) => o.id)).toEqual([retry!.body.id]);
    // The stored answer is still the retry's: the slow request's refusal did not overwrite it.
    const replay = await book(c, q, {}, key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.id).toBe(retry!.body.id);

    // The interval the slow request held was released: the other technician is bookable at that time.
    const other = techs.find((t) => t.id !== retry!.body.technician.id)!;
    const c2 = await newCustomer(w.center);
    const q2 = await quote(w, c2, at(w, 2, "10:00"));
    const chosen = await book(c2, q2, { technicianId: other.id });
    expect(chosen.status).toBe(201);
    expect(chosen.body.technician.id).toBe(other.id);
  });
});

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseWeights } from "../../src/domain/dispatch";
import { at, book, newCustomer, quote } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signInWithRoles, type Session } from "../support/http";
import { visitTo } from "../support/visit";
import { addTechnician, createWorld } from "../support/world";

const favourites = (s: Session, query = "") => call("GET", `/v1/me/favourites${query}`, { token: s.token });
const favour = (s: Session, technicianId: string) => call("PUT", `/v1/me/favourites/${technicianId}`, { token: s.token });
const unfavour = (s: Session, technicianId: string) => call("DELETE", `/v1/me/favourites/${technicianId}`, { token: s.token });
const idsOf = (res: { body: { items: { technician: { id: string } }[] } }) => res.body.items.map((f) => f.technician.id);

describe("favourite technicians", () => {
  it("keeps technicians who completed my orders: idempotent put, listed in pages, removed once", async () => {
    const w = await createWorld(freshCenter());
    const a = await addTechnician(w, w.center);
    const { customer } = await visitTo(w, await a.session(), "completed", { paid: true });
    const b = await addTechnician(w, w.center);
    // a second order at the same time: a is busy then, so b takes it
    await visitTo(w, await b.session(), "completed", { customer });
    const me = customer.session;

    const added = await favour(me, a.id);
    expect(added.status).toBe(200);
    expect(added.body).toEqual({
      technician: { id: a.id, name: expect.any(String), rating: expect.any(Number) },
      createdAt: expect.any(String),
    });
    const again = await favour(me, a.id);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(added.body);
    expect(idsOf(await favourites(me))).toEqual([a.id]);

    expect((await favour(me, b.id)).status).toBe(200);
    const both = [a.id, b.id].sort();
    const first = await favourites(me, "?limit=1");
    expect(idsOf(first)).toEqual([both[0]]);
    const second = await favourites(me, `?limit=1&cursor=${first.body.nextCursor}`);
    expect(idsOf(second)).toEqual([both[1]]);
    expect(second.body.nextCursor).toBeNull();

    const removed = await unfavour(me, a.id);
    expect(removed.status).toBe(204);
    expectProblem(await unfavour(me, a.id), 404);
    expect(idsOf(await favourites(me))).toEqual([b.id]);
    // another customer's list is their own
    expect((await favourites((await newCustomer(w.center)).session)).body).toEqual({ items: [], nextCursor: null });
  });

  it("404 for a technician who never completed an order of mine; 400, 401 and 403 as usual; nothing added", async () => {
    const w = await createWorld(freshCenter());
    const a = await addTechnician(w, w.center);
    const tech = await a.session();
    const accepted = await visitTo(w, tech, "accepted");
    const me = accepted.customer.session;
    // the same technician completes someone else's order
    await visitTo(w, tech, "completed", { start: at(w, 3, "10:00") });

    expectProblem(await favour(me, a.id), 404);
    expectProblem(await favour(me, "tch_missing"), 404);
    expectProblem(await unfavour(me, a.id), 404);
    expectProblem(await favour(me, "x".repeat(65)), 400, "VALIDATION_FAILED");
    expectProblem(await favourites(me, "?limit=0"), 400, "VALIDATION_FAILED");
    expectProblem(await favourites(me, "?cursor=%%%"), 400);

    expectProblem(await call("GET", "/v1/me/favourites"), 401);
    expectProblem(await call("PUT", `/v1/me/favourites/${a.id}`), 401);
    expectProblem(await call("DELETE", `/v1/me/favourites/${a.id}`), 401);
    const operator = await signInWithRoles(["operator"]);
    expectProblem(await favourites(operator), 403, "FORBIDDEN");
    expectProblem(await favour(operator, a.id), 403, "FORBIDDEN");
    expectProblem(await unfavour(operator, a.id), 403, "FORBIDDEN");

    expect((await favourites(me)).body.items).toEqual([]);
  });

  it("dispatch prefers a favourite: its score carries the favourite weight, which decides between two otherwise alike", async () => {
    const w = await createWorld(freshCenter());
    const fav = await addTechnician(w, w.center);
    const { customer } = await visitTo(w, await fav.session(), "completed", { paid: true });
    const other = await addTechnician(w, w.center);
    const weight = parseWeights(env.DISPATCH_WEIGHTS).favourite;
    expect(weight).toBeGreaterThan(0);
    const dispatchOf = async (orderId: string) => {
      const res = await call("GET", `/v1/admin/orders/${orderId}/dispatch`, { token: w.admin.token });
      expect(res.status).toBe(200);
      const decision = res.body.decisions[0];
      const scored = (id: string) => decision.candidates.find((c: { technicianId: string }) => c.technicianId === id);
      return { chosen: decision.chosenTechnicianId, fav: scored(fav.id), other: scored(other.id) };
    };
    const order = async (days: number) => (await book(customer, await quote(w, customer, at(w, days, "10:00")))).body;

    expect((await favour(customer.session, fav.id)).status).toBe(200);
    const favoured = await dispatchOf((await order(3)).id);
    expect(favoured.fav.breakdown.favourite).toBe(weight);
    expect(favoured.other.breakdown.favourite).toBe(0);
    expect(favoured.chosen).toBe(fav.id);
    // without the favourite bonus the other technician would have scored higher
    expect(favoured.fav.score - favoured.fav.breakdown.favourite).toBeLessThan(favoured.other.score);

    expect((await unfavour(customer.session, fav.id)).status).toBe(204);
    const plain = await dispatchOf((await order(4)).id);
    expect(plain.fav.breakdown.favourite).toBe(0);
    expect(plain.chosen).toBe(other.id);
  });
});

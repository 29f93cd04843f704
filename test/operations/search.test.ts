import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signIn, signInWithRoles, uniquePhone } from "../support/http";
import { visitTo } from "../support/visit";
import { addTechnician, merchantWorld } from "../support/world";

const find = (token: string, q: string) => call("GET", `/v1/admin/search?q=${encodeURIComponent(q)}`, { token });

const phoneAudits = async (actorId: string) =>
  (
    await env.DB.prepare("SELECT target_type, target_id, data FROM audit_log WHERE action = 'search.phone' AND actor_id = ? ORDER BY seq")
      .bind(actorId)
      .all<{ target_type: string; target_id: string; data: string }>()
  ).results.map((r) => ({ targetType: r.target_type, targetId: r.target_id, data: JSON.parse(r.data) as Record<string, unknown> }));

describe("the map's search", () => {
  it("finds an order by id and a technician by id or name, with where to centre the map", async () => {
    const { w, tech, techSession } = await merchantWorld();
    const operator = await signInWithRoles(["operator"]);
    const { order } = await visitTo(w, techSession, "accepted");
    const byOrder = await find(operator.token, order.id);
    expect(byOrder.status).toBe(200);
    expect(byOrder.body).toMatchObject({ match: "id", items: [{ kind: "order", id: order.id, status: "accepted", cityId: w.cityId }] });
    expect(byOrder.body.items[0].position).toEqual({ lat: expect.any(Number), lng: expect.any(Number) });
    const byId = await find(operator.token, tech.id);
    expect(byId.body.items).toEqual([expect.objectContaining({ kind: "technician", id: tech.id, cell: tech.homeCell })]);
    const name = byId.body.items[0].label as string;
    const byName = await find(operator.token, name.slice(-4));
    expect(byName.body.match).toBe("name");
    expect(byName.body.items.map((i: { id: string }) => i.id)).toContain(tech.id);
    // Nothing found is an empty list, not an error; a LIKE wildcard is a plain character.
    expect((await find(operator.token, "ord_doesnotexist")).body.items).toEqual([]);
    expect((await find(operator.token, "%")).body.items.every((i: { label: string }) => i.label.includes("%"))).toBe(true);
  });

  it("finds by phone number only on an exact match, and audits every phone search with the caller and the masked number", async () => {
    const { w, tech, techSession } = await merchantWorld();
    const operator = await signInWithRoles(["operator"]);
    const { order, customer } = await visitTo(w, techSession, "accepted");
    const phone = customer.session.phone;

    const exact = await find(operator.token, phone);
    expect(exact.status).toBe(200);
    expect(exact.body.match).toBe("phone");
    expect(exact.body.items.map((i: { id: string }) => i.id)).toEqual([order.id]);
    // The technician's own number finds the technician.
    const techPhone = await find(operator.token, tech.phone);
    expect(techPhone.body.items.map((i: { kind: string; id: string }) => [i.kind, i.id])).toContainEqual(["technician", tech.id]);
    // A partial number finds no one (it is not a name either).
    expect((await find(operator.token, phone.slice(0, -2))).body.items).toEqual([]);
    expect((await find(operator.token, phone.slice(-8))).body.items).toEqual([]);
    // A whole number of no one: found nothing, but audited all the same.
    const nobody = await find(operator.token, uniquePhone());
    expect(nobody.body).toEqual({ match: "phone", items: [] });

    const audits = await phoneAudits(operator.accountId);
    expect(audits.length).toBeGreaterThanOrEqual(3);
    expect(audits[0]).toEqual({
      targetType: "phone",
      targetId: expect.stringMatching(/^\+86\d{3}\*{4}\d{4}$/),
      data: { accountId: customer.session.accountId, results: 1, role: "operator" },
    });
    expect(audits[0]!.targetId.slice(-4)).toBe(phone.slice(-4));
    // A number that matched no one is audited too; the audit never holds the full number.
    expect(audits.some((a) => a.data.accountId === null)).toBe(true);
    const all = await env.DB.prepare("SELECT target_id, data FROM audit_log WHERE actor_id = ?").bind(operator.accountId).all();
    expect(JSON.stringify(all.results)).not.toContain(phone.slice(3));
  });

  it("shows a merchant admin only its own merchant's orders and technicians, and refuses customers", async () => {
    const own = await merchantWorld();
    const other = await merchantWorld();
    const { order } = await visitTo(other.w, other.techSession, "accepted");
    const independent = await addTechnician(own.w, own.w.center);
    expect((await find(own.merchantAdmin.token, own.tech.id)).body.items).toHaveLength(1);
    expect((await find(own.merchantAdmin.token, other.tech.id)).body.items).toEqual([]);
    expect((await find(own.merchantAdmin.token, independent.id)).body.items).toEqual([]);
    expect((await find(own.merchantAdmin.token, order.id)).body.items).toEqual([]);
    expect((await find(other.merchantAdmin.token, order.id)).body.items).toHaveLength(1);
    const customer = await signIn();
    expectProblem(await find(customer.token, order.id), 403);
    expectProblem(await call("GET", "/v1/admin/search?q=", { token: own.merchantAdmin.token }), 400);
    expectProblem(await call("GET", `/v1/admin/search?q=${"x".repeat(65)}`, { token: own.merchantAdmin.token }), 400);
  });
});

// PATCH /v1/admin/technicians/{id}: name, skills and radius change, the home cell's copy follows (dispatch sees the new skills).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { at, book, newCustomer, quote } from "../support/booking";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { addTechnician, createWorld } from "../support/world";

describe("editing a technician", () => {
  it("changes skills (dispatch sees them at once), name and radius; audited; validated; scoped to the merchant", async () => {
    const w = await createWorld(freshCenter(), { dispatchMode: "manual" });
    await addTechnician(w, w.center);
    const other = await addTechnician(w, w.center, { skills: [w.otherSkill] });
    const customer = await newCustomer(w.center);
    const booked = await book(customer, await quote(w, customer, at(w, 2, "10:00")));
    expect(booked.status).toBe(201);
    const candidates = async () =>
      (await call("GET", `/v1/admin/orders/${booked.body.id}/candidates`, { token: w.admin.token })).body.items.map(
        (c: { technicianId: string }) => c.technicianId,
      );
    expect(await candidates()).not.toContain(other.id);

    const res = await call("PATCH", `/v1/admin/technicians/${other.id}`, {
      token: w.admin.token,
      body: { name: "  Renamed  ", skills: [w.otherSkill, w.skill], serviceRadiusKm: 15 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: other.id,
      name: "Renamed",
      skills: [w.otherSkill, w.skill],
      serviceRadiusKm: 15,
      status: "approved",
    });
    expect(await candidates()).toContain(other.id);
    const audit = await env.DB.prepare("SELECT data FROM audit_log WHERE action = 'technician.update' AND target_id = ?")
      .bind(other.id)
      .all<{ data: string }>();
    expect(audit.results.map((r) => JSON.parse(r.data))).toEqual([
      { name: "Renamed", skills: [w.otherSkill, w.skill], serviceRadiusKm: 15 },
    ]);

    const unknown = await call("PATCH", `/v1/admin/technicians/${other.id}`, { token: w.admin.token, body: { skills: ["no_such_skill"] } });
    expectProblem(unknown, 400, "UNKNOWN_SKILL");
    expect(unknown.body.errors[0].path).toBe("body.skills.0");
    expectProblem(
      await call("PATCH", `/v1/admin/technicians/${other.id}`, { token: w.admin.token, body: { serviceRadiusKm: 0 } }),
      400,
      "VALIDATION_FAILED",
    );
    expectProblem(await call("PATCH", `/v1/admin/technicians/${other.id}`, { token: w.admin.token, body: { status: "approved" } }), 400);
    const stranger = await signInWithRoles(["merchant_admin"], await insertMerchant("Not theirs"));
    expectProblem(await call("PATCH", `/v1/admin/technicians/${other.id}`, { token: stranger.token, body: { name: "X" } }), 404);
    expect((await call("GET", `/v1/admin/technicians/${other.id}`, { token: w.admin.token })).body).toMatchObject({
      name: "Renamed",
      serviceRadiusKm: 15,
    });
  });
});

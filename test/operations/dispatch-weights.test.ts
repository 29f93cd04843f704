// Dispatch weights changed from the dashboard: validated, audited, used by ranking, cleared back to DISPATCH_WEIGHTS.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signIn, signInWithRoles } from "../support/http";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, createWorld } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";

const PATH = "/v1/admin/settings/dispatch/weights";
const only = (key: string) => ({ travel: 0, rating: 0, load: 0, fairness: 0, acceptance: 0, favourite: 0, level: 0, [key]: 1 });

describe("dispatch weights from the dashboard", () => {
  it("operators set them (validated, audited) and ranking uses them at once; clearing restores DISPATCH_WEIGHTS", async () => {
    const w = await createWorld(freshCenter(), { dispatchMode: "manual" });
    const near = await addTechnician(w, w.center);
    const mid = await addTechnician(w, { lat: w.center.lat + 0.03, lng: w.center.lng });
    const far = await addTechnician(w, { lat: w.center.lat + 0.08, lng: w.center.lng });
    const customer = await newCustomer(w.center);
    const booked = await book(customer, await quote(w, customer, at(w, 2, "10:00")));
    expect(booked.status).toBe(201);
    const order = booked.body;
    const candidates = async () => (await call("GET", `/v1/admin/orders/${order.id}/candidates`, { token: w.admin.token })).body.items;

    const deployment = JSON.parse(env.DISPATCH_WEIGHTS);
    const initial = await call("GET", "/v1/admin/settings/dispatch", { token: w.admin.token });
    expect(initial.body).toMatchObject({ weightsSource: "deployment", weights: deployment, deploymentWeights: deployment });

    // Invalid bodies: 400 naming the field, in the caller's language; nothing changes.
    const tooBig = await call("PUT", PATH, {
      token: w.admin.token,
      body: { ...only("travel"), rating: 2 },
      headers: { "Accept-Language": "zh-CN" },
    });
    expectProblem(tooBig, 400, "VALIDATION_FAILED");
    expect(tooBig.body.errors.map((e: { path: string }) => e.path)).toContain("body.rating");
    expect(tooBig.body.detail).toMatch(/[\u4e00-\u9fff]/);
    const missing: Record<string, number> = only("travel");
    delete missing.favourite;
    expectProblem(await call("PUT", PATH, { token: w.admin.token, body: missing }), 400, "VALIDATION_FAILED");
    expectProblem(await call("PUT", PATH, { token: w.admin.token, body: { ...only("travel"), travel: 0 } }), 400, "DISPATCH_WEIGHTS_EMPTY");
    expectProblem(await call("PUT", PATH, { token: w.admin.token, body: { ...only("travel"), extra: 1 } }), 400, "VALIDATION_FAILED");
    // Merchant admins read them but may not change them; customers neither.
    const merchantAdmin = await signInWithRoles(["merchant_admin"], await insertMerchant("Weights M"));
    expectProblem(await call("PUT", PATH, { token: merchantAdmin.token, body: only("travel") }), 403);
    expectProblem(await call("DELETE", PATH, { token: (await signIn()).token }), 403);
    expect((await call("GET", "/v1/admin/settings/dispatch", { token: w.admin.token })).body.weightsSource).toBe("deployment");

    // Travel only: the nearest first, every other component 0.
    const travel = await call("PUT", PATH, { token: w.admin.token, body: only("travel") });
    expect(travel.status).toBe(200);
    expect(travel.body).toMatchObject({ weights: only("travel"), source: "setting", updatedBy: w.admin.accountId });
    const byTravel = await candidates();
    expect(byTravel.length).toBeGreaterThanOrEqual(2);
    for (const c of byTravel) expect(c.breakdown).toMatchObject({ rating: 0, load: 0, fairness: 0, acceptance: 0, favourite: 0 });
    const order1 = byTravel.map((c: { technicianId: string }) => c.technicianId);
    const distanceRank = [near.id, mid.id, far.id].filter((id) => order1.includes(id));
    expect(order1).toEqual(distanceRank);

    // Rating only: travel no longer counts.
    expect((await call("PUT", PATH, { token: w.admin.token, body: only("rating") })).status).toBe(200);
    for (const c of await candidates()) expect(c.breakdown.travel).toBe(0);
    const shown = await call("GET", "/v1/admin/settings/dispatch", { token: merchantAdmin.token });
    expect(shown.body).toMatchObject({ weightsSource: "setting", weights: only("rating"), deploymentWeights: deployment });

    // Cleared: the deployment's weights again.
    const cleared = await call("DELETE", PATH, { token: w.admin.token });
    expect(cleared.body).toMatchObject({ source: "deployment", weights: deployment });
    expect((await candidates()).some((c: { breakdown: { travel: number } }) => c.breakdown.travel > 0)).toBe(true);

    const audit = await env.DB.prepare(
      "SELECT action, actor_id AS actor, data FROM audit_log WHERE target_id = 'dispatch.weights' ORDER BY seq",
    ).all<{
      action: string;
      actor: string;
      data: string;
    }>();
    expect(audit.results.map((r) => r.action)).toEqual([
      "settings.dispatch_weights.set",
      "settings.dispatch_weights.set",
      "settings.dispatch_weights.clear",
    ]);
    expect(audit.results.every((r) => r.actor === w.admin.accountId)).toBe(true);
    expect(JSON.parse(audit.results[1]!.data)).toEqual({ before: only("travel"), after: only("rating") });
  });
});

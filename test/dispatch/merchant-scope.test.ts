/**
 * Whose technicians a merchant's order may go to, and what its admin sees of the decision: its own
 * technicians first; platform technicians only when the merchant allows it (merchants
 * .platform_technicians, set by operators); another merchant's never. The dispatch explanation
 * shows a merchant_admin only its own technicians' details.
 */
import { describe, expect, it } from "vitest";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, createWorld } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";

/**
 * A merchant's service with technicians of its own (optional; a few km further away, so they score
 * lower on travel), one of the platform and one of another merchant at the address.
 */
async function mixedWorld(ownTechnicians: number) {
  const merchantId = await insertMerchant();
  const otherMerchant = await insertMerchant();
  const w = await createWorld(freshCenter(), { merchantId });
  const further = { lat: w.center.lat + 0.05, lng: w.center.lng };
  const own = await Promise.all(Array.from({ length: ownTechnicians }, () => addTechnician(w, further, { merchantId })));
  const platform = await addTechnician(w, w.center);
  const other = await addTechnician(w, w.center, { merchantId: otherMerchant });
  const merchantAdmin = await signInWithRoles(["merchant_admin"], merchantId);
  return { w, merchantId, own, platform, other, merchantAdmin };
}

const allowPlatform = (token: string, merchantId: string, platformTechnicians: boolean) =>
  call("PATCH", `/v1/admin/merchants/${merchantId}`, { token, body: { platformTechnicians } });

describe("which technicians dispatch may pick for a merchant's order", () => {
  it("by default only the merchant's own: with none of its own the booking finds no time, though platform and other merchants' technicians are free", async () => {
    const { w, merchantId } = await mixedWorld(0);
    expect((await call("GET", `/v1/admin/merchants/${merchantId}`, { token: w.admin.token })).body.platformTechnicians).toBe(false);
    const c = await newCustomer(w.center);
    expectProblem(await book(c, await quote(w, c, at(w, 2, "10:00"))), 409, "SLOT_UNAVAILABLE");
  });

  it("own technicians come first even when a platform technician scores higher", async () => {
    const { w, merchantId, own, platform } = await mixedWorld(1);
    expect((await allowPlatform(w.admin.token, merchantId, true)).body.platformTechnicians).toBe(true);
    const c = await newCustomer(w.center);
    const res = await book(c, await quote(w, c, at(w, 2, "10:00")));
    expect(res.status).toBe(201);
    expect(res.body.technician.id).toBe(own[0]!.id);
    // … though the platform technician, at the address, scored higher.
    const scores = (await call("GET", `/v1/admin/orders/${res.body.id}/dispatch`, { token: w.admin.token })).body.decisions[0]
      .candidates as { technicianId: string; score: number }[];
    const score = (id: string) => scores.find((x) => x.technicianId === id)!.score;
    expect(score(platform.id)).toBeGreaterThan(score(own[0]!.id));
  });

  it("when the merchant allows it, a platform technician takes the order no own technician can; never another merchant's", async () => {
    const { w, merchantId, platform, other, merchantAdmin } = await mixedWorld(0);
    // Only operators change the setting (the merchant asks them; it is audited as merchant.update).
    expectProblem(await allowPlatform(merchantAdmin.token, merchantId, true), 403);
    expect((await allowPlatform(w.admin.token, merchantId, true)).status).toBe(200);
    const c = await newCustomer(w.center);
    const first = await book(c, await quote(w, c, at(w, 2, "10:00")));
    expect(first.status).toBe(201);
    expect(first.body.technician.id).toBe(platform.id);
    // The platform technician is busy then: the other merchant's technician, free, is still not used.
    const second = await book(c, await quote(w, c, at(w, 2, "10:00")));
    expectProblem(second, 409, "SLOT_UNAVAILABLE");
    const explained = await call("GET", `/v1/admin/orders/${first.body.id}/dispatch`, { token: w.admin.token });
    const ids = explained.body.decisions[0].candidates.map((x: { technicianId: string }) => x.technicianId);
    expect(ids).toEqual([platform.id]);
    expect(ids).not.toContain(other.id);
    // Turned off again, the platform technician is no longer a candidate.
    expect((await allowPlatform(w.admin.token, merchantId, false)).status).toBe(200);
    expectProblem(await book(c, await quote(w, c, at(w, 3, "10:00"))), 409, "SLOT_UNAVAILABLE");
  });
});

describe("GET /v1/admin/orders/{id}/dispatch for a merchant_admin", () => {
  it("shows its own technicians' details only; the others are counted, not shown", async () => {
    const { w, merchantId, own, platform, merchantAdmin } = await mixedWorld(1);
    await allowPlatform(w.admin.token, merchantId, true);
    const c = await newCustomer(w.center);
    const order = (await book(c, await quote(w, c, at(w, 2, "10:00")))).body;
    expect(order.technician.id).toBe(own[0]!.id);
    const asOperator = await call("GET", `/v1/admin/orders/${order.id}/dispatch`, { token: w.admin.token });
    const everyone = asOperator.body.decisions[0].candidates.map((x: { technicianId: string }) => x.technicianId).sort();
    expect(everyone).toEqual([own[0]!.id, platform.id].sort());
    expect(asOperator.body.decisions[0].hiddenCandidates).toBe(0);

    const asMerchant = await call("GET", `/v1/admin/orders/${order.id}/dispatch`, { token: merchantAdmin.token });
    expect(asMerchant.status).toBe(200);
    const d = asMerchant.body.decisions[0];
    expect(d.candidates.map((x: { technicianId: string }) => x.technicianId)).toEqual([own[0]!.id]);
    expect(d.hiddenCandidates).toBe(1);
    expect(JSON.stringify(asMerchant.body)).not.toContain(platform.id);
    expect(d.chosenTechnicianId).toBe(own[0]!.id);
  });

  it("a decision that chose a platform technician names nobody to the merchant", async () => {
    const { w, merchantId, platform, merchantAdmin } = await mixedWorld(0);
    await allowPlatform(w.admin.token, merchantId, true);
    const c = await newCustomer(w.center);
    const order = (await book(c, await quote(w, c, at(w, 2, "10:00")))).body;
    const d = (await call("GET", `/v1/admin/orders/${order.id}/dispatch`, { token: merchantAdmin.token })).body.decisions[0];
    expect(d).toMatchObject({ chosenTechnicianId: null, candidates: [], hiddenCandidates: 1 });
    expect(JSON.stringify(d)).not.toContain(platform.id);
  });
});

/**
 * The start code cannot be brute-forced: wrong codes are counted atomically and 5 of them lock it,
 * even under 50 parallel guesses; a locked code refuses the right one too, until the customer
 * issues a new code or staff unlock it (audited, with a reason).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { auditActions, freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, createWorld, merchantWorld } from "../support/world";
import { task } from "../support/booking";
import { visitTo } from "../support/visit";

/** Every 4-digit code but `code`, from 0000 on. */
const wrongCodes = (code: string, n: number) =>
  Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, "0"))
    .filter((c) => c !== code)
    .slice(0, n);

async function arrivedVisit() {
  const w = await createWorld(freshCenter());
  const tech = await addTechnician(w, w.center);
  const techSession = await tech.session();
  const visit = await visitTo(w, techSession, "arrived");
  return { w, tech, techSession, ...visit };
}

describe("the start code's attempt limit", () => {
  it("50 parallel wrong guesses lock it after exactly 5 counted; the right code is refused while locked", async () => {
    const { techSession, order, customer } = await arrivedVisit();
    const answers = await Promise.all(wrongCodes(order.startCode, 50).map((code) => task(techSession, order.id, "start", { code })));
    const invalid = answers.filter((a) => a.status === 400);
    // Exactly four guesses are told they were wrong with tries left; the fifth and every later one find it locked.
    expect(invalid).toHaveLength(4);
    for (const a of invalid) expectProblem(a, 400, "START_CODE_INVALID");
    expect(invalid.map((a) => a.body.attemptsLeft).sort()).toEqual([1, 2, 3, 4]);
    for (const a of answers.filter((x) => x.status !== 400)) expectProblem(a, 409, "START_CODE_LOCKED");
    const row = await env.DB.prepare("SELECT start_code_failures AS f, start_code_locked_at AS l FROM orders WHERE id = ?")
      .bind(order.id)
      .first<{ f: number; l: number | null }>();
    expect(row!.f).toBe(5);
    expect(row!.l).not.toBeNull();

    const right = await call("POST", `/v1/technician/tasks/${order.id}/start`, {
      token: techSession.token,
      headers: { "Accept-Language": "en" },
      body: { code: order.startCode },
    });
    expectProblem(right, 409, "START_CODE_LOCKED");
    expect(right.body.detail).toContain("locked after 5 wrong tries");
    const zh = await call("POST", `/v1/technician/tasks/${order.id}/start`, {
      token: techSession.token,
      headers: { "Accept-Language": "zh-CN" },
      body: { code: order.startCode },
    });
    expect(zh.body.detail).toBe("开工码已连续输错 5 次，已被锁定。客户可在 App 中重新生成开工码，或联系客服解锁。");
    // The customer sees the lock; the order is still arrived.
    const seen = await call("GET", `/v1/orders/${order.id}`, { token: customer.session.token });
    expect(seen.body).toMatchObject({ status: "arrived", startCodeLocked: true });
  });

  it("the customer's new code unlocks it: the old code no longer works, the new one starts the work", async () => {
    const { techSession, order, customer } = await arrivedVisit();
    for (const code of wrongCodes(order.startCode, 5)) await task(techSession, order.id, "start", { code });
    expectProblem(await task(techSession, order.id, "start", { code: order.startCode }), 409, "START_CODE_LOCKED");
    // Only the order's customer may renew it: to anyone else it is someone else's order.
    expectProblem(await call("POST", `/v1/orders/${order.id}/start-code`, { token: techSession.token }), 404);
    const renewed = await call("POST", `/v1/orders/${order.id}/start-code`, { token: customer.session.token });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ status: "arrived", startCodeLocked: false, startCode: expect.stringMatching(/^\d{4}$/) });
    const fresh = renewed.body.startCode as string;
    if (fresh !== order.startCode) {
      expectProblem(await task(techSession, order.id, "start", { code: order.startCode }), 400, "START_CODE_INVALID");
    }
    expect((await task(techSession, order.id, "start", { code: fresh })).body.status).toBe("in_service");
    // Once the work started there is nothing to renew.
    expectProblem(await call("POST", `/v1/orders/${order.id}/start-code`, { token: customer.session.token }), 409, "INVALID_STATE");
  });

  it("staff unlock it with a reason (audited, on the timeline); another merchant's admin cannot", async () => {
    const { w, techSession, order } = await arrivedVisit();
    const unlock = (token: string, body: unknown = { reason: "customer confirmed by phone" }) =>
      call("POST", `/v1/admin/orders/${order.id}/start-code/unlock`, { token, body });
    expectProblem(await unlock(w.admin.token), 409, "START_CODE_NOT_LOCKED");
    for (const code of wrongCodes(order.startCode, 5)) await task(techSession, order.id, "start", { code });
    const stranger = await signInWithRoles(["merchant_admin"], await insertMerchant());
    expectProblem(await unlock(stranger.token), 404);
    expectProblem(await unlock(techSession.token), 403);
    expectProblem(await unlock(w.admin.token, { reason: "" }), 400, "VALIDATION_FAILED");
    const done = await unlock(w.admin.token);
    expect(done.status).toBe(200);
    expect(done.body.startCodeLocked).toBe(false);
    expect(done.body.timeline.at(-1).reason).toBe("start code unlocked by staff: customer confirmed by phone");
    expect(await auditActions(order.id)).toContain("order.start_code.unlock");
    // The customer's code stands and works again.
    expect((await task(techSession, order.id, "start", { code: order.startCode })).body.status).toBe("in_service");
  });

  it("a merchant_admin unlocks its own merchant's orders", async () => {
    const { w, merchantAdmin, techSession } = await merchantWorld();
    const { order } = await visitTo(w, techSession, "arrived");
    for (const code of wrongCodes(order.startCode, 5)) await task(techSession, order.id, "start", { code });
    const done = await call("POST", `/v1/admin/orders/${order.id}/start-code/unlock`, {
      token: merchantAdmin.token,
      body: { reason: "checked with the customer" },
    });
    expect(done.status).toBe(200);
    expect(done.body.startCodeLocked).toBe(false);
  });
});

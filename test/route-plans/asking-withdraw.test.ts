/**
 * Staff withdrawing a group of proposed times still waiting for its customers: dropped as
 * `withdrawn`, its customers told their time stays, audited; repeats answer the group; a group
 * applied or dropped otherwise is 409; against the last approval exactly one wins.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { auditActions, insertMerchant } from "../support/fixtures";
import { type Customer } from "../support/booking";
import { readyPlan, startOf, zigzagDay, type Booked } from "../support/zigzag-day";

/** One technician's zigzag day whose plan proposes new starts, asked of its customers (one group). */
async function askedGroup() {
  const { w, tech, orders, cell, date } = await zigzagDay();
  const plan = await readyPlan(w.admin.token, cell, date);
  const proposed = new Set((plan.proposals as { orderId: string }[]).map((p) => p.orderId));
  const asked = orders.filter((o) => proposed.has(o.id));
  expect(asked.length).toBeGreaterThanOrEqual(2);
  const ask = await call("POST", `/v1/admin/route-plans/${plan.id}/ask`, { token: w.admin.token });
  expect(ask.status).toBe(200);
  expect(ask.body.groups).toHaveLength(1);
  return { w, tech, orders, asked, plan, cell, groupId: ask.body.groups[0].id as string };
}

const withdraw = (token: string, planId: string, groupId: string) =>
  call("POST", `/v1/admin/route-plans/${planId}/asks/${groupId}/withdraw`, { token });
const groupOf = async (token: string, planId: string) =>
  (await call("GET", `/v1/admin/route-plans/${planId}/asks`, { token })).body.groups[0];
const answer = (c: Customer, id: string, decision: "approve" | "decline") =>
  call("POST", `/v1/me/time-proposals/${id}/${decision}`, { token: c.session.token });
async function proposalOf(c: Customer) {
  const res = await call("GET", "/v1/me/time-proposals", { token: c.session.token });
  expect(res.status).toBe(200);
  expect(res.body.items).toHaveLength(1);
  return res.body.items[0];
}
const told = async (orderId: string, like: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM outbox WHERE topic = 'order.time_proposal' AND payload LIKE ? AND payload LIKE ?")
    .bind(`%${orderId}%`, `%${like}%`)
    .first<{ n: number }>())!.n;
const movesOf = async (cell: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM cell_moves WHERE cell = ?").bind(cell).first<{ n: number }>())!.n;

const WITHDRAWN = { en: "the dispatcher withdrew the proposed times", zh: "调度员已撤回新时间的征询" };

describe("withdrawing an asked group of proposed times", () => {
  it("drops a waiting group as withdrawn: nothing moves, the customers who did not decline are told their time stays, audited once; a repeat answers the group", async () => {
    const { w, orders, asked, plan, cell, groupId } = await askedGroup();
    const [a] = asked as [Booked];
    expect((await answer(a.customer, (await proposalOf(a.customer)).id, "approve")).status).toBe(200);

    const res = await withdraw(w.admin.token, plan.id, groupId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: groupId, status: "dropped", reason: "withdrawn", reasonText: WITHDRAWN, approved: 1 });
    expect(res.body.statusText).toEqual({ en: "dropped", zh: "已放弃" });
    for (const o of orders) expect(await startOf(o.id)).toBe(Date.parse(o.start));
    expect(await movesOf(cell)).toBe(0);
    for (const o of asked) {
      expect(await told(o.id, '"dropped"')).toBe(1);
      expect(await told(o.id, '"withdrawn"')).toBe(1);
      const p = await proposalOf(o.customer);
      expect(p).toMatchObject({ state: "dropped", reason: "withdrawn", reasonText: WITHDRAWN });
      expect(p.stateText).toEqual({ en: "off: your visit time stays", zh: "已取消：您的上门时间不变" });
      // Closed for the customers: an answer now is 409.
      expectProblem(await answer(o.customer, p.id, o === a ? "decline" : "approve"), 409, "PROPOSAL_CLOSED");
    }

    const again = await Promise.all([withdraw(w.admin.token, plan.id, groupId), withdraw(w.admin.token, plan.id, groupId)]);
    for (const r of again) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual(res.body);
    }
    expect(await groupOf(w.admin.token, plan.id)).toEqual(res.body);
    for (const o of asked) expect(await told(o.id, '"dropped"')).toBe(1);
    expect((await auditActions(plan.id)).filter((x) => x === "route_plan.ask_withdrawn")).toHaveLength(1);
  });

  it("parallel withdraws of a waiting group: one drop, one notice per customer, every answer the withdrawn group", async () => {
    const { w, asked, plan, groupId } = await askedGroup();
    const all = await Promise.all(Array.from({ length: 6 }, () => withdraw(w.admin.token, plan.id, groupId)));
    for (const r of all) expect(r.body).toMatchObject({ status: "dropped", reason: "withdrawn" });
    for (const o of asked) expect(await told(o.id, '"dropped"')).toBe(1);
    expect((await auditActions(plan.id)).filter((x) => x === "route_plan.ask_withdrawn")).toHaveLength(1);
  });

  it("a group applied, or dropped for another reason, is 409 ASK_NOT_WAITING naming its state, nothing changed", async () => {
    const applied = await askedGroup();
    for (const o of applied.asked) expect((await answer(o.customer, (await proposalOf(o.customer)).id, "approve")).status).toBe(200);
    const before = await groupOf(applied.w.admin.token, applied.plan.id);
    expect(before.status).toBe("applied");
    const r = await withdraw(applied.w.admin.token, applied.plan.id, applied.groupId);
    expectProblem(r, 409, "ASK_NOT_WAITING");
    expect(r.body.detail).toContain("已应用");
    expect(await groupOf(applied.w.admin.token, applied.plan.id)).toEqual(before);
    expect(await movesOf(applied.cell)).toBe(1);

    const declined = await askedGroup();
    const [d] = declined.asked as [Booked];
    expect((await answer(d.customer, (await proposalOf(d.customer)).id, "decline")).status).toBe(200);
    const r2 = await withdraw(declined.w.admin.token, declined.plan.id, declined.groupId);
    expectProblem(r2, 409, "ASK_NOT_WAITING");
    expect(r2.body.detail).toContain("有客户不同意");
    expect(await groupOf(declined.w.admin.token, declined.plan.id)).toMatchObject({ status: "dropped", reason: "declined" });
  });

  it("a withdraw racing the last approval: exactly one wins, the group ends applied with every order moved or withdrawn with none", async () => {
    for (let round = 0; round < 2; round++) {
      const { w, orders, asked, plan, cell, groupId } = await askedGroup();
      for (const o of asked.slice(0, -1)) expect((await answer(o.customer, (await proposalOf(o.customer)).id, "approve")).status).toBe(200);
      const last = asked[asked.length - 1]!;
      const lastId = (await proposalOf(last.customer)).id;
      const proposals = new Map((plan.proposals as { orderId: string; start: string }[]).map((p) => [p.orderId, p.start]));
      const [wd, ap] = await Promise.all([withdraw(w.admin.token, plan.id, groupId), answer(last.customer, lastId, "approve")]);
      const group = await groupOf(w.admin.token, plan.id);
      if (group.status === "applied") {
        expectProblem(wd, 409, "ASK_NOT_WAITING");
        expect(ap.status).toBe(200);
        expect(ap.body.state).toBe("applied");
        expect(await movesOf(cell)).toBe(1);
        for (const o of orders) expect(await startOf(o.id)).toBe(Date.parse(proposals.get(o.id) ?? o.start));
        for (const o of asked) expect(await told(o.id, '"dropped"')).toBe(0);
      } else {
        expect(group).toMatchObject({ status: "dropped", reason: "withdrawn" });
        expect(wd.status).toBe(200);
        // The approval lost: either it was recorded before the drop (answered as dropped) or refused.
        if (ap.status === 200) expect(ap.body.state).toBe("dropped");
        else expectProblem(ap, 409, "PROPOSAL_CLOSED");
        expect(await movesOf(cell)).toBe(0);
        for (const o of orders) expect(await startOf(o.id)).toBe(Date.parse(o.start));
        for (const o of asked) expect(await told(o.id, '"dropped"')).toBe(1);
      }
    }
  });

  it("other merchants, unknown groups, another plan's group and bad input: 4xx problem+json, nothing changed", async () => {
    const { w, plan, groupId } = await askedGroup();
    const other = await askedGroup();
    const stranger = await signInWithRoles(["merchant_admin"], await insertMerchant());
    expectProblem(await withdraw(stranger.token, plan.id, groupId), 404, "NOT_FOUND");
    expectProblem(await withdraw(w.admin.token, plan.id, "rpg_nope"), 404, "NOT_FOUND");
    expectProblem(await withdraw(w.admin.token, plan.id, other.groupId), 404, "NOT_FOUND");
    expectProblem(await withdraw(w.admin.token, "rpl_nope", groupId), 404, "NOT_FOUND");
    expectProblem(await withdraw(w.admin.token, plan.id, "x".repeat(65)), 400);
    expectProblem(await call("POST", `/v1/admin/route-plans/${plan.id}/asks/${groupId}/withdraw`, {}), 401);
    expectProblem(await withdraw(other.asked[0]!.customer.session.token, other.plan.id, other.groupId), 403);
    expect(await groupOf(w.admin.token, plan.id)).toMatchObject({ status: "waiting", reason: null });
    expect(await groupOf(other.w.admin.token, other.plan.id)).toMatchObject({ status: "waiting", reason: null });
  });
});

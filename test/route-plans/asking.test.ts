/**
 * Asking the customers in the app for a plan's proposed times: the moves accepted, the proposals of a
 * technician's day asked as one group, applied through the cell only once every customer approved,
 * dropped (the others told their time stays) on a decline, past the close or when the day changed.
 * Races: repeated and parallel approvals, approval against expiry, an apply that died.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signIn } from "../support/http";
import { auditActions } from "../support/fixtures";
import type { Customer } from "../support/booking";
import { settleAsks } from "../../src/route-plans";
import { bookAt, readyPlan, startOf, zigzagDay, type Booked } from "../support/zigzag-day";

/** One technician's zigzag day (test/support/zigzag-day.ts): its plan proposes new starts. */
async function askedDay() {
  const { w, tech, orders, cell, date } = await zigzagDay();
  const plan = await readyPlan(w.admin.token, cell, date);
  expect(plan.proposals.length).toBeGreaterThanOrEqual(2);
  const proposed = new Set((plan.proposals as { orderId: string }[]).map((p) => p.orderId));
  const asked = orders.filter((o) => proposed.has(o.id));
  return { w, tech, orders, asked, plan, cell, date };
}

const ask = (token: string, planId: string) => call("POST", `/v1/admin/route-plans/${planId}/ask`, { token });
const asks = (token: string, planId: string) => call("GET", `/v1/admin/route-plans/${planId}/asks`, { token });
const mine = (c: Customer) => call("GET", "/v1/me/time-proposals", { token: c.session.token });
const answer = (c: Customer, id: string, decision: "approve" | "decline") =>
  call("POST", `/v1/me/time-proposals/${id}/${decision}`, { token: c.session.token });

/** The customer's one proposal (of this test's plan). */
async function proposalOf(c: Customer) {
  const res = await mine(c);
  expect(res.status).toBe(200);
  expect(res.body.items).toHaveLength(1);
  return res.body.items[0];
}

const told = async (orderId: string, topic: string, like = "") =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM outbox WHERE topic = ? AND payload LIKE ? AND payload LIKE ?")
    .bind(topic, `%${orderId}%`, `%${like}%`)
    .first<{ n: number }>())!.n;

const movesOf = async (cell: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM cell_moves WHERE cell = ?").bind(cell).first<{ n: number }>())!.n;

describe("asking the customers for a plan's proposed times", () => {
  it("asks one group per technician's day; nothing moves until the last approval, which applies the group through the cell", async () => {
    const { w, tech, orders, asked, plan, cell } = await askedDay();
    const res = await ask(w.admin.token, plan.id);
    expect(res.status).toBe(200);
    expect(res.body.groups).toHaveLength(1);
    const group = res.body.groups[0];
    expect(group).toMatchObject({ technicianId: tech.id, status: "waiting", size: asked.length, approved: 0, reason: null });
    expect(group.statusText).toEqual({ en: "waiting for the customers", zh: "等待客户答复" });
    expect((await call("GET", `/v1/admin/route-plans/${plan.id}`, { token: w.admin.token })).body).toMatchObject({
      status: "accepted",
      proposalsApplied: false,
    });
    expect(await auditActions(plan.id)).toEqual(["route_plan.accepted", "route_plan.asked"]);

    const proposals = new Map((plan.proposals as { orderId: string; start: string; currentStart: string }[]).map((p) => [p.orderId, p]));
    for (const o of asked) {
      expect(await told(o.id, "order.time_proposal", '"asked"')).toBe(1);
      const p = await proposalOf(o.customer);
      expect(p).toMatchObject({
        orderId: o.id,
        state: "open",
        answer: "pending",
        currentStart: o.start,
        group: { size: asked.length, approved: 0 },
      });
      expect(Date.parse(p.start)).toBe(Date.parse(proposals.get(o.id)!.start));
      // In the city's zone (Asia/Shanghai), both languages.
      expect(p.start.endsWith("+08:00")).toBe(true);
      expect(p.text.zh).toContain("调整到");
      expect(p.text.en).toContain("may we move your visit");
    }

    // Every approval but the last changes nothing.
    for (const o of asked.slice(0, -1)) {
      const r = await answer(o.customer, (await proposalOf(o.customer)).id, "approve");
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ state: "approved", answer: "approved" });
      expect(await startOf(o.id)).toBe(Date.parse(o.start));
    }
    const waiting = (await asks(w.admin.token, plan.id)).body.groups[0];
    expect(waiting).toMatchObject({ status: "waiting", approved: asked.length - 1 });

    const last = asked[asked.length - 1]!;
    const applied = await answer(last.customer, (await proposalOf(last.customer)).id, "approve");
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ state: "applied", group: { size: asked.length, approved: asked.length } });
    for (const o of orders) expect(await startOf(o.id)).toBe(Date.parse(proposals.get(o.id)?.start ?? o.start));
    for (const o of asked) expect(await told(o.id, "order.rescheduled")).toBe(1);
    const done = (await asks(w.admin.token, plan.id)).body.groups[0];
    expect(done).toMatchObject({ status: "applied", approved: asked.length });
    expect(done.moveId).toMatch(/^mov_/);
    expect(await movesOf(cell)).toBe(1);

    // Asking again asks nothing more.
    const again = await ask(w.admin.token, plan.id);
    expect(again.status).toBe(200);
    expect(again.body.groups).toEqual([done]);
  });

  it("a decline drops the group: nothing moves, and the customers who approved are told their time stays", async () => {
    const { w, orders, asked, plan, cell } = await askedDay();
    expect((await ask(w.admin.token, plan.id)).status).toBe(200);
    const [first, second] = asked as [Booked, Booked];
    expect((await answer(first.customer, (await proposalOf(first.customer)).id, "approve")).status).toBe(200);
    const declined = await answer(second.customer, (await proposalOf(second.customer)).id, "decline");
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ state: "dropped", answer: "declined", reason: "declined" });
    const group = (await asks(w.admin.token, plan.id)).body.groups[0];
    expect(group).toMatchObject({ status: "dropped", reason: "declined", reasonText: { en: "a customer declined", zh: "有客户不同意" } });
    for (const o of orders) expect(await startOf(o.id)).toBe(Date.parse(o.start));
    expect(await movesOf(cell)).toBe(0);
    expect(await told(first.id, "order.time_proposal", '"dropped"')).toBe(1);
    expect(await told(second.id, "order.time_proposal", '"dropped"')).toBe(0);
    // The group is closed for everyone: approving now is 409, and so is changing one's answer.
    for (const o of asked.slice(2))
      expectProblem(await answer(o.customer, (await proposalOf(o.customer)).id, "approve"), 409, "PROPOSAL_CLOSED");
    expectProblem(await answer(first.customer, (await proposalOf(first.customer)).id, "decline"), 409, "PROPOSAL_CLOSED");
  });

  it("the same customer approving twice, and the last customers approving in parallel: exactly one multi-move", async () => {
    const { w, asked, plan, cell } = await askedDay();
    expect((await ask(w.admin.token, plan.id)).status).toBe(200);
    const [a, ...rest] = asked as [Booked, ...Booked[]];
    const pa = (await proposalOf(a.customer)).id;
    const twice = await Promise.all([answer(a.customer, pa, "approve"), answer(a.customer, pa, "approve")]);
    for (const r of twice) expect(r.status).toBe(200);
    expect((await asks(w.admin.token, plan.id)).body.groups[0].approved).toBe(1);
    const ids = await Promise.all(rest.map(async (o) => (await proposalOf(o.customer)).id));
    // Every other customer approves at once, each twice.
    const all = await Promise.all(rest.flatMap((o, i) => [answer(o.customer, ids[i]!, "approve"), answer(o.customer, ids[i]!, "approve")]));
    for (const r of all) expect(r.status).toBe(200);
    const group = (await asks(w.admin.token, plan.id)).body.groups[0];
    expect(group).toMatchObject({ status: "applied", approved: asked.length });
    expect(await movesOf(cell)).toBe(1);
    for (const o of asked) expect(await told(o.id, "order.rescheduled")).toBe(1);
    const audits = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'order.time_proposal.approve' AND target_id IN (" +
        asked.map(() => "?").join(",") +
        ")",
    )
      .bind(...asked.map((o) => o.id))
      .first<{ n: number }>();
    expect(audits!.n).toBe(asked.length);
  });

  it("a group past its close is dropped: an approval then is 409, and the cron drops the ones nobody touched", async () => {
    const { w, orders, asked, plan } = await askedDay();
    const groupId = (await ask(w.admin.token, plan.id)).body.groups[0].id;
    const [a, b] = asked as [Booked, Booked];
    expect((await answer(a.customer, (await proposalOf(a.customer)).id, "approve")).status).toBe(200);
    await env.DB.prepare("UPDATE route_plan_groups SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1000, groupId)
      .run();
    const late = await answer(b.customer, (await proposalOf(b.customer)).id, "approve");
    expectProblem(late, 409, "PROPOSAL_CLOSED");
    expect((await asks(w.admin.token, plan.id)).body.groups[0]).toMatchObject({ status: "dropped", reason: "expired" });
    expect(await told(a.id, "order.time_proposal", '"dropped"')).toBe(1);
    for (const o of orders) expect(await startOf(o.id)).toBe(Date.parse(o.start));
    expect((await proposalOf(a.customer)).state).toBe("dropped");

    // Another plan's group nobody answered: the cron drops it.
    const other = await askedDay();
    const otherGroup = (await ask(other.w.admin.token, other.plan.id)).body.groups[0].id;
    await env.DB.prepare("UPDATE route_plan_groups SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1000, otherGroup)
      .run();
    expect((await settleAsks(env)).expired).toBeGreaterThanOrEqual(1);
    expect((await asks(other.w.admin.token, other.plan.id)).body.groups[0]).toMatchObject({ status: "dropped", reason: "expired" });
    for (const o of other.asked) expect(await told(o.id, "order.time_proposal", '"dropped"')).toBe(1);
  });

  it("the last approval racing the close: either the group is applied whole or dropped with nothing moved", async () => {
    const { w, orders, asked, plan, cell } = await askedDay();
    const group = (await ask(w.admin.token, plan.id)).body.groups[0];
    for (const o of asked.slice(0, -1)) expect((await answer(o.customer, (await proposalOf(o.customer)).id, "approve")).status).toBe(200);
    const last = asked[asked.length - 1]!;
    const id = (await proposalOf(last.customer)).id;
    // The group closes in a moment; the cron runs just then while the last customer approves.
    const closes = Date.now() + 150;
    await env.DB.prepare("UPDATE route_plan_groups SET expires_at = ? WHERE id = ?").bind(closes, group.id).run();
    const cron = async () => {
      await new Promise((r) => setTimeout(r, Math.max(0, closes - Date.now())));
      return settleAsks(env);
    };
    const [approved] = await Promise.all([answer(last.customer, id, "approve"), cron()]);
    expect([200, 409]).toContain(approved.status);
    const after = (await asks(w.admin.token, plan.id)).body.groups[0];
    const proposals = new Map((plan.proposals as { orderId: string; start: string }[]).map((p) => [p.orderId, p]));
    if (after.status === "applied") {
      for (const o of orders) expect(await startOf(o.id)).toBe(Date.parse(proposals.get(o.id)?.start ?? o.start));
      expect(await movesOf(cell)).toBe(1);
    } else {
      expect(after).toMatchObject({ status: "dropped", reason: "expired" });
      for (const o of orders) expect(await startOf(o.id)).toBe(Date.parse(o.start));
      expect(await movesOf(cell)).toBe(0);
    }
  });

  it("the technician's day changing meanwhile drops the group at the last approval, nothing half-applied", async () => {
    const { w, orders, asked, plan, cell } = await askedDay();
    expect((await ask(w.admin.token, plan.id)).status).toBe(200);
    for (const o of asked.slice(0, -1)) expect((await answer(o.customer, (await proposalOf(o.customer)).id, "approve")).status).toBe(200);
    // Another booking lands on the technician's day.
    const extra = await bookAt(w, w.center, "16:00");
    const last = asked[asked.length - 1]!;
    const res = await answer(last.customer, (await proposalOf(last.customer)).id, "approve");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: "dropped", reason: "day_changed" });
    expect(res.body.reasonText.en).toBe("the technician's day changed meanwhile");
    for (const o of orders) expect(await startOf(o.id)).toBe(Date.parse(o.start));
    expect(await startOf(extra.id)).toBe(Date.parse(extra.start));
    expect(await movesOf(cell)).toBe(0);
    for (const o of asked) expect(await told(o.id, "order.time_proposal", '"dropped"')).toBe(1);
  });

  it("the cell refusing the new times at the last approval (outside the technician's shift now) drops the group, nothing half-applied", async () => {
    const { w, tech, orders, asked, plan, cell, date } = await askedDay();
    expect((await ask(w.admin.token, plan.id)).status).toBe(200);
    for (const o of asked.slice(0, -1)) expect((await answer(o.customer, (await proposalOf(o.customer)).id, "approve")).status).toBe(200);
    // The technician now works only the visits' current times that day: the orders stay put, the new times fall outside.
    const local = (iso: string) => new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(11, 16);
    const intervals = orders.map((o) => ({ start: local(o.start), end: local(new Date(Date.parse(o.start) + 30 * 60_000).toISOString()) }));
    const shifts = await call("PUT", `/v1/admin/technicians/${tech.id}/shifts`, {
      token: w.admin.token,
      body: { weekly: null, exceptions: [{ date, intervals }] },
    });
    expect(shifts.status).toBe(200);
    const last = asked[asked.length - 1]!;
    const res = await answer(last.customer, (await proposalOf(last.customer)).id, "approve");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: "dropped", reason: "move_refused" });
    expect(res.body.reasonText.zh).toBe("新的时间已无法排入师傅当天的日程");
    for (const o of orders) expect(await startOf(o.id)).toBe(Date.parse(o.start));
    expect(await movesOf(cell)).toBe(0);
    expect((await asks(w.admin.token, plan.id)).body.groups[0]).toMatchObject({ status: "dropped", reason: "move_refused", moveId: null });
  });

  it("an apply that died is taken up by the cron a lease later: applied once, never twice", async () => {
    const { w, asked, plan, cell } = await askedDay();
    const groupId = (await ask(w.admin.token, plan.id)).body.groups[0].id;
    for (const o of asked.slice(0, -1)) expect((await answer(o.customer, (await proposalOf(o.customer)).id, "approve")).status).toBe(200);
    // The last approval was recorded and the group claimed, then the request died.
    const lapsed = Date.now() - 10 * 60_000;
    await env.DB.prepare("UPDATE route_plan_questions SET status = 'approved', decided_at = ? WHERE group_id = ?")
      .bind(lapsed, groupId)
      .run();
    await env.DB.prepare("UPDATE route_plan_groups SET status = 'applying', updated_at = ? WHERE id = ?").bind(lapsed, groupId).run();
    // Within the lease nothing is taken up.
    expect(await settleAsks(env, lapsed + 60_000)).toMatchObject({ applied: 0 });
    expect(await settleAsks(env)).toMatchObject({ applied: 1 });
    const proposals = new Map((plan.proposals as { orderId: string; start: string }[]).map((p) => [p.orderId, p]));
    for (const o of asked) expect(await startOf(o.id)).toBe(Date.parse(proposals.get(o.id)!.start));
    expect(await movesOf(cell)).toBe(1);
    // Its last write lost again after the cell took the moves: settled as applied, no second move.
    await env.DB.prepare("UPDATE route_plan_groups SET status = 'applying', updated_at = ? WHERE id = ?").bind(lapsed, groupId).run();
    expect(await settleAsks(env)).toMatchObject({ applied: 1 });
    expect(await movesOf(cell)).toBe(1);
    expect((await asks(w.admin.token, plan.id)).body.groups[0].status).toBe("applied");
  });

  it("an ask that died after the accept is resumed by asking again; repeats ask nobody twice", async () => {
    const { w, asked, plan } = await askedDay();
    // The accept went through, the groups were never written.
    expect((await call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: w.admin.token })).status).toBe(200);
    const [one, two] = await Promise.all([ask(w.admin.token, plan.id), ask(w.admin.token, plan.id)]);
    expect([one.status, two.status]).toEqual([200, 200]);
    expect((await asks(w.admin.token, plan.id)).body.groups).toHaveLength(1);
    for (const o of asked) expect(await told(o.id, "order.time_proposal", '"asked"')).toBe(1);
  });

  it("an ask racing an accept with the new times: the times are either applied by the accept or asked, never both", async () => {
    const { w, orders, plan } = await askedDay();
    const [accepted, asked] = await Promise.all([
      call("POST", `/v1/admin/route-plans/${plan.id}/accept?withProposals=true`, { token: w.admin.token }),
      ask(w.admin.token, plan.id),
    ]);
    const now = (await call("GET", `/v1/admin/route-plans/${plan.id}`, { token: w.admin.token })).body;
    expect(now.status).toBe("accepted");
    const groups = (await asks(w.admin.token, plan.id)).body.groups as { status: string }[];
    const proposals = new Map((plan.proposals as { orderId: string; start: string }[]).map((p) => [p.orderId, p]));
    if (now.proposalsApplied) {
      expect(accepted.status).toBe(200);
      expectProblem(asked, 409);
      expect(groups.filter((g) => g.status === "waiting")).toEqual([]);
      for (const o of orders) expect(await startOf(o.id)).toBe(Date.parse(proposals.get(o.id)?.start ?? o.start));
    } else {
      expect(asked.status).toBe(200);
      expect(groups.map((g) => g.status)).toEqual(["waiting"]);
      for (const o of orders) expect(await startOf(o.id)).toBe(Date.parse(o.start));
    }
  });

  it("a plan whose proposals were applied on accept has nothing to ask (409 NOTHING_TO_ASK)", async () => {
    const { w, plan } = await askedDay();
    expect((await call("POST", `/v1/admin/route-plans/${plan.id}/accept?withProposals=true`, { token: w.admin.token })).status).toBe(200);
    expectProblem(await ask(w.admin.token, plan.id), 409, "NOTHING_TO_ASK");
    expect((await asks(w.admin.token, plan.id)).body.groups).toEqual([]);
  });

  it("bad input and other people's proposals: 4xx problem+json, nothing changed", async () => {
    const { w, asked, plan } = await askedDay();
    expect((await ask(w.admin.token, plan.id)).status).toBe(200);
    const a = asked[0]!;
    const id = (await proposalOf(a.customer)).id;
    const stranger = await signIn();
    expectProblem(await call("POST", `/v1/me/time-proposals/${id}/approve`, { token: stranger.token }), 404, "NOT_FOUND");
    expectProblem(await call("POST", "/v1/me/time-proposals/rpq_nope/approve", { token: a.customer.session.token }), 404, "NOT_FOUND");
    expectProblem(await call("POST", `/v1/me/time-proposals/${"x".repeat(65)}/approve`, { token: a.customer.session.token }), 400);
    expectProblem(await call("GET", "/v1/me/time-proposals?limit=0", { token: a.customer.session.token }), 400);
    expectProblem(await call("POST", `/v1/me/time-proposals/${id}/approve`, {}), 401);
    expectProblem(await ask(w.admin.token, "rpl_nope"), 404, "NOT_FOUND");
    expect((await proposalOf(a.customer)).answer).toBe("pending");
    expect((await asks(w.admin.token, plan.id)).body.groups[0].approved).toBe(0);
  });
});

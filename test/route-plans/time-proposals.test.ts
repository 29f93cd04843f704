/**
 * A team plan's time proposals: new starts for fixed-time orders that cut travel. Nothing moves
 * unless staff accept the plan with them; then moves and proposals go through the cell at once, and
 * each customer whose time changes is told. A lapsed accept that took them is settled as accepted.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call } from "../support/http";
import { auditActions } from "../support/fixtures";
import { settleLapsedAccepts } from "../../src/route-plans";
import { readyPlan, startOf, zigzagDay } from "../support/zigzag-day";

interface Proposal {
  orderId: string;
  technicianId: string;
  currentStart: string;
  start: string;
  end: string;
}

const accept = (token: string, planId: string, withProposals?: boolean) =>
  call("POST", `/v1/admin/route-plans/${planId}/accept${withProposals === undefined ? "" : `?withProposals=${withProposals}`}`, { token });

describe("route plan time proposals", () => {
  it("proposes new starts that cut travel; accepted with them, the cell applies them and the customers are told", async () => {
    const {
      w,
      tech,
      orders: [a, b, c, d],
      cell,
      date,
    } = await zigzagDay();
    const plan = await readyPlan(w.admin.token, cell, date);
    expect(plan.moves).toEqual([]);
    const proposals = plan.proposals as Proposal[];
    expect(proposals.length).toBeGreaterThanOrEqual(2);
    const orders = new Map([a, b, c, d].map((o) => [o.id, o]));
    for (const p of proposals) {
      const o = orders.get(p.orderId)!;
      expect(p).toMatchObject({ technicianId: tech.id, currentStart: o.start });
      expect(Math.abs(Date.parse(p.start) - Date.parse(o.start))).toBeLessThanOrEqual(60 * 60_000);
      expect(Date.parse(p.end) - Date.parse(p.start)).toBe(30 * 60_000);
    }
    expect(plan.withProposals.travelMinutes).toBeLessThan(plan.after.travelMinutes);
    expect(plan.proposalsApplied).toBe(false);

    const accepted = await accept(w.admin.token, plan.id, true);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: "accepted", proposalsApplied: true });
    for (const p of proposals) expect(await startOf(p.orderId)).toBe(Date.parse(p.start));
    for (const o of [a, b, c, d].filter((x) => !proposals.some((p) => p.orderId === x.id)))
      expect(await startOf(o.id)).toBe(Date.parse(o.start));
    // Each customer whose time changed is told the new time.
    for (const p of proposals) {
      const told = await env.DB.prepare("SELECT COUNT(*) AS n FROM outbox WHERE topic = 'order.rescheduled' AND payload LIKE ?")
        .bind(`%${p.orderId}%`)
        .first<{ n: number }>();
      expect(told!.n).toBe(1);
    }
    expect(await auditActions(plan.id)).toEqual(["route_plan.accepted"]);
  });

  it("accepted without them, nothing but the moves is applied", async () => {
    const {
      w,
      orders: [a, b, c, d],
      cell,
      date,
    } = await zigzagDay();
    const plan = await readyPlan(w.admin.token, cell, date);
    expect(plan.proposals.length).toBeGreaterThan(0);
    const accepted = await accept(w.admin.token, plan.id, false);
    expect(accepted.body).toMatchObject({ status: "accepted", proposalsApplied: false, moveId: null });
    for (const o of [a, b, c, d]) expect(await startOf(o.id)).toBe(Date.parse(o.start));
  });

  it("a lapsed accept that applied the proposals is settled as accepted, not as interrupted", async () => {
    const { w, cell, date } = await zigzagDay();
    const plan = await readyPlan(w.admin.token, cell, date);
    expect((await accept(w.admin.token, plan.id, true)).status).toBe(200);
    // The accept's last write is lost: the plan is still `accepting` (with the proposals) a lease later.
    await env.DB.prepare("UPDATE route_plans SET status = 'accepting', updated_at = ? WHERE id = ?")
      .bind(Date.now() - 10 * 60_000, plan.id)
      .run();
    expect(await settleLapsedAccepts(env)).toEqual({ ready: 0, accepted: 1, failed: 0 });
  });
});

/**
 * A team plan's time proposals: new starts for fixed-time orders that cut travel. Nothing moves
 * unless staff accept the plan with them; then moves and proposals go through the cell at once, and
 * each customer whose time changes is told. A lapsed accept that took them is settled as accepted.
 */
import { env } from "cloudflare:test";
import { cellToLatLng } from "h3-js";
import { describe, expect, it } from "vitest";
import { call } from "../support/http";
import { auditActions, freshCenter } from "../support/fixtures";
import { addTechnician, cellAt, createWorld, localDay, type World } from "../support/world";
import { at, book, newCustomer, quote, waitFor, type Customer } from "../support/booking";
import { settleLapsedAccepts } from "../../src/route-plans";

interface Booked {
  id: string;
  start: string;
  customer: Customer;
}

interface Proposal {
  orderId: string;
  technicianId: string;
  currentStart: string;
  start: string;
  end: string;
}

async function bookAt(w: World, point: { lat: number; lng: number }, hhmm: string): Promise<Booked> {
  const customer = await newCustomer(point);
  const res = await book(customer, await quote(w, customer, at(w, 2, hhmm), { lat: point.lat, lng: point.lng }));
  if (res.status !== 201) throw new Error(`book: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, start: res.body.start, customer };
}

const startOf = async (orderId: string) =>
  (await env.DB.prepare("SELECT start_at FROM orders WHERE id = ?").bind(orderId).first<{ start_at: number }>())!.start_at;

/**
 * One technician's zigzag day of half-hour jobs, two districts ~3 km apart (21 minutes between them
 * with the buffer), the technician homed west: west 09:00, east 09:55, west 10:50, east 11:45. Doing
 * both east jobs together and ending west, near home, saves two crossings (within the hour's tolerance).
 */
async function zigzagDay() {
  const w = await createWorld(freshCenter(), { durationMinutes: 30 });
  const [lat, lng] = cellToLatLng(cellAt(w.center));
  const west = { lat, lng: lng - 0.015 };
  const east = { lat, lng: lng + 0.015 };
  const tech = await addTechnician(w, west);
  const a = await bookAt(w, west, "09:00");
  const b = await bookAt(w, east, "09:55");
  const c = await bookAt(w, west, "10:50");
  const d = await bookAt(w, east, "11:45");
  return { w, tech, a, b, c, d, cell: tech.homeCell, date: localDay(w.timeZone, 2) };
}

async function readyPlan(token: string, cellId: string, date: string) {
  const res = await call("POST", "/v1/admin/route-plans", { token, body: { cellId, date } });
  expect(res.status).toBe(202);
  const plan = await waitFor(
    () => call("GET", `/v1/admin/route-plans/${res.body.id}`, { token }),
    (r) => r.body.status !== "queued",
    15_000,
  );
  expect(plan.body.status).toBe("ready");
  return plan.body;
}

const accept = (token: string, planId: string, withProposals?: boolean) =>
  call("POST", `/v1/admin/route-plans/${planId}/accept${withProposals === undefined ? "" : `?withProposals=${withProposals}`}`, { token });

describe("route plan time proposals", () => {
  it("proposes new starts that cut travel; accepted with them, the cell applies them and the customers are told", async () => {
    const { w, tech, a, b, c, d, cell, date } = await zigzagDay();
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
    const { w, a, b, c, d, cell, date } = await zigzagDay();
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

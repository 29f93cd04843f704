import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, type Session } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld, localDay, type TestTechnician, type World } from "../support/world";
import { at, bookFixed, bookWindow, waitFor } from "../support/booking";

const MINUTE = 60_000;

interface Stop {
  orderId: string;
  plannedStart: string;
  plannedEnd: string;
  window: { start: string; end: string } | null;
  proposedStart: string | null;
}

/** A day with a flexible job held at 08:00 far from home that saves driving after the fixed job there (11:00). */
async function dayWithProposal() {
  const w = await createWorld(freshCenter(), { durationMinutes: 60 });
  const tech = await addTechnician(w, w.center);
  const session = await tech.session();
  const far = { lat: w.center.lat + 0.05, lng: w.center.lng };
  const flex = await bookWindow(w, far, at(w, 2, "08:00"), at(w, 2, "16:00"));
  expect(flex.order.start).toBe(at(w, 2, "08:00"));
  const home = await bookFixed(w, w.center, at(w, 2, "09:30"));
  const there = await bookFixed(w, far, at(w, 2, "11:00"));
  return { w, tech, session, far, flex, fixed: [home, there], date: localDay(w.timeZone, 2) };
}

/** Everything the route must not touch on a read: the orders' rows, their timelines, the outbox and the cell's calendar. */
async function snapshot(w: World, tech: TestTechnician, orderIds: string[]) {
  const marks = orderIds.map((id) => `%${id}%`);
  const rows = await Promise.all(
    orderIds.map((id) => env.DB.prepare("SELECT start_at, end_at, version, status FROM orders WHERE id = ?").bind(id).first()),
  );
  const events = await Promise.all(
    orderIds.map((id) => env.DB.prepare("SELECT COUNT(*) AS n FROM order_events WHERE order_id = ?").bind(id).first<{ n: number }>()),
  );
  const outbox = await Promise.all(
    marks.map((m) => env.DB.prepare("SELECT COUNT(*) AS n FROM outbox WHERE payload LIKE ?").bind(m).first<{ n: number }>()),
  );
  const sched = await call("GET", `/v1/admin/technicians/${tech.id}/schedule`, { token: w.admin.token });
  const cell = (sched.body.items as { orderId: string; start: string; end: string }[])
    .map((i) => `${i.orderId}|${Date.parse(i.start)}|${Date.parse(i.end)}`)
    .sort();
  return { rows, events: events.map((e) => e!.n), outbox: outbox.map((o) => o!.n), cell };
}

const route = (session: Session, date: string) => call("GET", `/v1/technician/route?date=${date}`, { token: session.token });
/** The route once the queue consumer has stored the day's plan (the read itself never plans). */
const planned = (session: Session, date: string) =>
  waitFor(
    () => route(session, date),
    (r) => r.body.proposalStatus !== "planning",
    15_000,
  );
const apply = (session: Session, body: Record<string, unknown>) =>
  call("POST", "/v1/technician/route/apply", { token: session.token, body });

describe("GET /v1/technician/route with flexible-window jobs", () => {
  it("proposes a start inside the window where it saves travel, leaves fixed-time jobs alone, and changes nothing", async () => {
    const { w, tech, session, flex, fixed, date } = await dayWithProposal();
    const ids = [flex.order.id, ...fixed.map((o: { id: string }) => o.id)];
    const before = await snapshot(w, tech, ids);

    // the first read plans nothing: the day is being planned off the request
    const first = await route(session, date);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ proposal: null, proposalStatus: "planning" });
    expect(first.body.stops.every((s: Stop) => s.proposedStart === null)).toBe(true);
    expect(first.body.proposalStatusText.zh).toContain("规划");
    expect(first.body.proposalStatusText.en).toMatch(/Planning/);

    const res = await planned(session, date);
    expect(res.status).toBe(200);
    expect(res.body.proposalStatus).toBe("ready");
    const stops = res.body.stops as Stop[];
    // the calendar's times, in the calendar's order
    expect(stops.map((s) => s.orderId)).toEqual([flex.order.id, fixed[0].id, fixed[1].id]);
    expect(stops[0]!.plannedStart).toBe(at(w, 2, "08:00"));
    expect(stops[0]!.window).toEqual({ start: at(w, 2, "08:00"), end: at(w, 2, "16:00") });
    // the proposal: right after the fixed job at the same point (its end plus the 10-minute buffer), inside the window
    const proposed = stops[0]!.proposedStart!;
    expect(proposed).toMatch(/\+08:00$/);
    expect(Date.parse(proposed)).toBeGreaterThanOrEqual(Date.parse(at(w, 2, "12:10")));
    expect(Date.parse(proposed) + 60 * MINUTE).toBeLessThanOrEqual(Date.parse(at(w, 2, "16:00")));
    // fixed-time jobs: no window, no proposal
    expect(stops.slice(1).every((s) => s.proposedStart === null && s.window === null)).toBe(true);
    const p = res.body.proposal;
    expect(p.stops.map((s: { orderId: string }) => s.orderId)).toEqual([fixed[0].id, fixed[1].id, flex.order.id]);
    expect(p.stops.map((s: { moved: boolean }) => s.moved)).toEqual([false, false, true]);
    expect(p.stops[2].plannedStart).toBe(proposed);
    expect(p.stops[0].plannedStart).toBe(at(w, 2, "09:30"));
    expect(p.stops[1].plannedStart).toBe(at(w, 2, "11:00"));
    expect(p.totals.lateRisks).toBe(0);
    expect(p.savedMinutes).toBe(res.body.totals.travelMinutes - p.totals.travelMinutes);
    expect(p.savedMinutes).toBeGreaterThan(0);
    expect(typeof p.basis).toBe("string");

    // staff read the same proposal
    const staff = await call("GET", `/v1/admin/technicians/${tech.id}/route?date=${date}`, { token: w.admin.token });
    expect(staff.body.proposal.stops).toEqual(p.stops);

    // reading changed nothing: orders, timelines, notices, the cell's calendar
    expect(await snapshot(w, tech, ids)).toEqual(before);
    // and reading again proposes the same
    const again = await route(session, date);
    expect(again.body.proposal).toEqual(p);
  });

  it("applies the proposal inside the window: the calendar, the order, a timeline entry of the re-plan and the customer's notice", async () => {
    const { w, tech, session, flex, fixed, date } = await dayWithProposal();
    const read = await planned(session, date);
    const proposed = (read.body.stops as Stop[])[0]!.proposedStart!;

    const res = await apply(session, { date, basis: read.body.proposal.basis });
    expect(res.status).toBe(200);
    expect(res.body.moved).toEqual([flex.order.id]);
    expect(res.body.route.proposal).toBeNull();
    // the applied day is planned again off the request, and nothing is left to move
    expect(res.body.route.proposalStatus).toBe("planning");
    expect((await planned(session, date)).body).toMatchObject({ proposal: null, proposalStatus: "none" });
    const stops = res.body.route.stops as Stop[];
    expect(stops.map((s) => s.orderId)).toEqual([fixed[0].id, fixed[1].id, flex.order.id]);
    expect(stops[2]!.plannedStart).toBe(proposed);
    // fixed-time jobs never move
    expect(stops[0]!.plannedStart).toBe(at(w, 2, "09:30"));
    expect(stops[1]!.plannedStart).toBe(at(w, 2, "11:00"));

    // the order and the cell's calendar say the same, inside the window, the window kept
    const order = await call("GET", `/v1/orders/${flex.order.id}`, {
      token: flex.customer.session.token,
      headers: { "Accept-Language": "en" },
    });
    expect(order.body.start).toBe(proposed);
    expect(order.body.window).toEqual({ start: at(w, 2, "08:00"), end: at(w, 2, "16:00") });
    expect(Date.parse(order.body.end)).toBeLessThanOrEqual(Date.parse(at(w, 2, "16:00")));
    const sched = await call("GET", `/v1/admin/technicians/${tech.id}/schedule`, { token: w.admin.token });
    const item = sched.body.items.find((i: { orderId: string }) => i.orderId.startsWith(flex.order.id));
    expect(Date.parse(item.start)).toBe(Date.parse(proposed));
    for (const f of fixed) {
      const row = await env.DB.prepare("SELECT start_at, version FROM orders WHERE id = ?").bind(f.id).first<{ start_at: number }>();
      expect(row!.start_at).toBe(Date.parse(f.start));
    }

    // the timeline: the technician re-planned it within the window (not the dispatcher's words)
    const last = order.body.timeline[order.body.timeline.length - 1];
    expect(last.reason).toBe("re-planned within the booked window");
    expect(last.actor.type).toBe("technician");
    expect(last.note.en).toMatch(/within the booked window/);
    expect(last.note.zh).toContain("预约时段内");
    expect(JSON.stringify(order.body.timeline)).not.toContain("dispatcher");

    // the customer is told the new time
    const inbox = await waitFor(
      () => call("GET", "/v1/me/notifications", { token: flex.customer.session.token }),
      (r) => r.body.items.some((n: { kind: string }) => n.kind === "order.rescheduled"),
      15_000,
    );
    const notice = inbox.body.items.find((n: { kind: string }) => n.kind === "order.rescheduled");
    expect(notice.data.orderId).toBe(flex.order.id);

    // applying again is harmless: nothing left to move, nothing changed
    const ids = [flex.order.id, ...fixed.map((o: { id: string }) => o.id)];
    const before = await snapshot(w, tech, ids);
    const twice = await apply(session, { date, basis: read.body.proposal.basis });
    expect(twice.status).toBe(200);
    expect(twice.body.moved).toEqual([]);
    expect(await snapshot(w, tech, ids)).toEqual(before);
  });

  it("refuses a proposal read before the day changed: 409 ROUTE_CHANGED, nothing changed", async () => {
    const { w, tech, session, flex, fixed, date } = await dayWithProposal();
    const read = await planned(session, date);
    expect(read.body.proposal).not.toBeNull();
    // another job of the day is booked after the read
    const late = await bookFixed(w, w.center, at(w, 2, "15:00"));
    const ids = [flex.order.id, late.id, ...fixed.map((o: { id: string }) => o.id)];
    const before = await snapshot(w, tech, ids);
    for (const lang of ["en", "zh-CN"]) {
      const res = await call("POST", "/v1/technician/route/apply", {
        token: session.token,
        headers: { "Accept-Language": lang },
        body: { date, basis: read.body.proposal.basis },
      });
      expectProblem(res, 409, "ROUTE_CHANGED");
      expect(res.body.detail).toMatch(lang === "en" ? /Nothing was changed/ : /未做任何更改/);
    }
    expect(await snapshot(w, tech, ids)).toEqual(before);
    // the changed day has no plan yet: its read plans it off the request, then it applies
    expect((await route(session, date)).body).toMatchObject({ proposal: null, proposalStatus: "planning" });
    const fresh = await planned(session, date);
    const res = await apply(session, { date, basis: fresh.body.proposal.basis });
    expect(res.status).toBe(200);
    expect(res.body.moved).toEqual([flex.order.id]);
  });

  it("applies once under many parallel requests: one moves, the rest change nothing", async () => {
    const { w, tech, session, flex, date } = await dayWithProposal();
    const read = await planned(session, date);
    const proposed = (read.body.stops as Stop[])[0]!.proposedStart!;
    const results = await Promise.all(Array.from({ length: 6 }, () => apply(session, { date, basis: read.body.proposal.basis })));
    const movers = results.filter((r) => r.status === 200 && r.body.moved.length > 0);
    expect(movers.length).toBe(1);
    for (const r of results) {
      if (r.status === 200) continue;
      expect(r.status).toBe(409);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
    const events = await env.DB.prepare("SELECT COUNT(*) AS n FROM order_events WHERE order_id = ? AND reason = ?")
      .bind(flex.order.id, "re-planned within the booked window")
      .first<{ n: number }>();
    expect(events!.n).toBe(1);
    const row = await env.DB.prepare("SELECT start_at FROM orders WHERE id = ?").bind(flex.order.id).first<{ start_at: number }>();
    expect(row!.start_at).toBe(Date.parse(proposed));
    const sched = await call("GET", `/v1/admin/technicians/${tech.id}/schedule`, { token: w.admin.token });
    const item = sched.body.items.find((i: { orderId: string }) => i.orderId.startsWith(flex.order.id));
    expect(Date.parse(item.start)).toBe(Date.parse(proposed));
  });

  it("has nothing to apply on a day of fixed-time jobs, and refuses a date that does not exist", async () => {
    const w = await createWorld(freshCenter(), { durationMinutes: 60 });
    const tech = await addTechnician(w, w.center);
    const session = await tech.session();
    const fixed = await bookFixed(w, w.center, at(w, 2, "09:30"));
    const date = localDay(w.timeZone, 2);
    const read = await route(session, date);
    // no flexible-window job: nothing to plan, nothing queued
    expect(read.body).toMatchObject({ proposal: null, proposalStatus: "none" });
    expect(read.body.stops[0].proposedStart).toBeNull();
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM day_plans WHERE technician_id = ?").bind(tech.id).first<{ n: number }>();
    expect(stored!.n).toBe(0);
    const res = await apply(session, { date, basis: "anything" });
    expect(res.status).toBe(200);
    expect(res.body.moved).toEqual([]);
    const row = await env.DB.prepare("SELECT start_at, version FROM orders WHERE id = ?").bind(fixed.id).first<{ start_at: number }>();
    expect(row!.start_at).toBe(Date.parse(at(w, 2, "09:30")));
    const bad = await apply(session, { date: "2026-02-30", basis: "x" });
    expectProblem(bad, 400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toContain("body.date");
    expectProblem(await apply(session, { date, basis: "x", extra: 1 }), 400);
  });
});

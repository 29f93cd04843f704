/** Team route plans with a flexible-window job: it may move inside its window; fixed-time jobs keep their starts. */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld, localDay, type World } from "../support/world";
import { at, book, newCustomer, quote, waitFor } from "../support/booking";

async function bookFixed(w: World, p: { lat: number; lng: number }, hhmm: string) {
  const c = await newCustomer(p);
  const res = await book(c, await quote(w, c, at(w, 2, hhmm), p));
  expect(res.status).toBe(201);
  return res.body as { id: string; start: string };
}

async function row(orderId: string) {
  return env.DB.prepare("SELECT start_at, end_at, window_start_at, window_end_at FROM orders WHERE id = ?")
    .bind(orderId)
    .first<{ start_at: number; end_at: number; window_start_at: number | null; window_end_at: number | null }>();
}

describe("team route plans with flexible-window jobs", () => {
  it("moves a flexible job inside its window to save travel, keeps the fixed-time jobs' starts, and accepting applies it through the cell", async () => {
    const w = await createWorld(freshCenter(), { durationMinutes: 60 });
    const tech = await addTechnician(w, w.center);
    const far = { lat: w.center.lat + 0.05, lng: w.center.lng };
    const c = await newCustomer(far);
    const q = await call("POST", "/v1/quotes", {
      token: c.session.token,
      body: { serviceId: w.serviceId, ...far, window: { start: at(w, 2, "08:00"), end: at(w, 2, "16:00") } },
    });
    const flex = await book(c, q.body);
    expect(flex.status).toBe(201);
    expect(flex.body.start).toBe(at(w, 2, "08:00"));
    const home = await bookFixed(w, w.center, "09:30");
    const there = await bookFixed(w, far, "11:00");

    const asked = await call("POST", "/v1/admin/route-plans", {
      token: w.admin.token,
      body: { cellId: tech.homeCell, date: localDay(w.timeZone, 2) },
    });
    expect(asked.status).toBe(202);
    const plan = (
      await waitFor(
        () => call("GET", `/v1/admin/route-plans/${asked.body.id}`, { token: w.admin.token }),
        (r) => r.body.status !== "queued",
        15_000,
      )
    ).body;
    expect(plan.status).toBe("ready");
    expect(plan.moves.map((m: { orderId: string }) => m.orderId)).toEqual([flex.body.id]);
    const [move] = plan.moves as { technicianId: string; start: string; end: string }[];
    expect(move!.technicianId).toBe(tech.id);
    expect(Date.parse(move!.start)).toBeGreaterThanOrEqual(Date.parse(at(w, 2, "12:10")));
    expect(Date.parse(move!.end)).toBeLessThanOrEqual(Date.parse(at(w, 2, "16:00")));
    expect(plan.after.travelMinutes).toBeLessThan(plan.before.travelMinutes);

    const accepted = await call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: w.admin.token, body: {} });
    expect(accepted.status).toBe(200);
    expect(await row(flex.body.id)).toMatchObject({
      start_at: Date.parse(move!.start),
      end_at: Date.parse(move!.end),
      window_start_at: Date.parse(at(w, 2, "08:00")),
      window_end_at: Date.parse(at(w, 2, "16:00")),
    });
    expect((await row(home.id))!.start_at).toBe(Date.parse(home.start));
    expect((await row(there.id))!.start_at).toBe(Date.parse(there.start));
    const sched = await call("GET", `/v1/admin/technicians/${tech.id}/schedule`, { token: w.admin.token });
    const item = sched.body.items.find((i: { orderId: string }) => i.orderId.startsWith(flex.body.id));
    expect(Date.parse(item.start)).toBe(Date.parse(move!.start));
  });
});

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld, type World } from "../support/world";
import { at, book, newCustomer, quote, waitFor, type Customer } from "../support/booking";

const MINUTE = 60_000;

/** A quote for the world's service with a window (ISO ends), at the world's centre. */
function windowQuote(w: World, c: Customer, start: string, end: string, extra: Record<string, unknown> = {}) {
  return call("POST", "/v1/quotes", {
    token: c.session.token,
    body: { serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, window: { start, end }, ...extra },
  });
}

async function orderRow(id: string) {
  return env.DB.prepare("SELECT start_at, end_at, window_start_at, window_end_at FROM orders WHERE id = ?").bind(id).first<{
    start_at: number;
    end_at: number;
    window_start_at: number | null;
    window_end_at: number | null;
  }>();
}

describe("flexible-window quotes", () => {
  it("quotes a window: signed, priced at its start, and showing the window in the city's time zone", async () => {
    const w = await createWorld(freshCenter());
    const c = await newCustomer(w.center);
    const res = await windowQuote(w, c, at(w, 2, "09:00"), at(w, 2, "12:00"));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      start: at(w, 2, "09:00"),
      end: at(w, 2, "11:00"),
      window: { start: at(w, 2, "09:00"), end: at(w, 2, "12:00") },
      total: { amount: 12000 },
    });
    // a fixed-time quote has no window
    expect((await quote(w, c, at(w, 2, "10:00"))).window).toBeNull();
  });

  it("refuses bad windows with 400 INVALID_WINDOW in both languages, each case named", async () => {
    const w = await createWorld(freshCenter(), { horizonDays: 3 });
    const c = await newCustomer(w.center);
    const cases: [Record<string, unknown>, string][] = [
      [{ start: at(w, 2, "09:00"), window: { start: at(w, 2, "09:00"), end: at(w, 2, "12:00") } }, "body.window"],
      [{}, "body.start"],
      [{ window: { start: at(w, 2, "12:00"), end: at(w, 2, "09:00") } }, "body.window.end"],
      [{ window: { start: at(w, 2, "09:00"), end: at(w, 2, "10:00") } }, "body.window.end"], // shorter than the 2-hour job
      [{ window: { start: at(w, 2, "08:00"), end: at(w, 2, "17:00") } }, "body.window.end"], // longer than 8 hours
      [{ window: { start: at(w, 5, "09:00"), end: at(w, 5, "12:00") } }, "body.window.end"], // beyond the 3-day horizon
      [
        { window: { start: new Date(Date.now() + 10 * MINUTE).toISOString(), end: new Date(Date.now() + 4 * 60 * MINUTE).toISOString() } },
        "body.window.start",
      ], // inside the lead time
    ];
    for (const [body, path] of cases) {
      const en = await call("POST", "/v1/quotes", {
        token: c.session.token,
        headers: { "Accept-Language": "en" },
        body: { serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, ...body },
      });
      expectProblem(en, 400, "INVALID_WINDOW");
      expect(en.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      expect(en.body.detail).toMatch(/^The time window cannot be booked: /);
      const zh = await call("POST", "/v1/quotes", {
        token: c.session.token,
        headers: { "Accept-Language": "zh-CN" },
        body: { serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, ...body },
      });
      expectProblem(zh, 400, "INVALID_WINDOW");
      expect(zh.body.detail).toMatch(/^该预约时段无法预约：/);
    }
    // an unknown field of the window is refused too
    expectProblem(
      await windowQuote(w, c, at(w, 2, "09:00"), at(w, 2, "12:00"), { window: { start: at(w, 2, "09:00"), end: at(w, 2, "12:00"), x: 1 } }),
      400,
    );
  });
});

describe("flexible-window orders", () => {
  it("holds the earliest start in the window after the technician's other job, and keeps the window", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const first = await newCustomer(w.center);
    // 09:00–11:00 taken by a fixed-time order
    const fixed = await book(first, await quote(w, first, at(w, 2, "09:00")), { technicianId: tech.id });
    expect(fixed.status).toBe(201);
    const c = await newCustomer(w.center);
    const q = (await windowQuote(w, c, at(w, 2, "09:00"), at(w, 2, "14:00"))).body;
    const res = await book(c, q, { technicianId: tech.id });
    expect(res.status).toBe(201);
    // same point: the 10-minute buffer after 11:00
    expect(res.body).toMatchObject({
      technician: { id: tech.id },
      start: at(w, 2, "11:10"),
      end: at(w, 2, "13:10"),
      window: { start: at(w, 2, "09:00"), end: at(w, 2, "14:00") },
    });
    const row = await orderRow(res.body.id);
    expect(row).toMatchObject({
      start_at: Date.parse(at(w, 2, "11:10")),
      window_start_at: Date.parse(at(w, 2, "09:00")),
      window_end_at: Date.parse(at(w, 2, "14:00")),
    });
    // the timeline says the window in both languages
    const view = await call("GET", `/v1/orders/${res.body.id}`, { token: c.session.token });
    expect(view.body.window).toEqual({ start: at(w, 2, "09:00"), end: at(w, 2, "14:00") });
    expect(view.body.timeline[0].note).toEqual({
      zh: expect.stringContaining("预约时段") as unknown,
      en: expect.stringContaining("Window") as unknown,
    });
    expect(view.body.timeline[0].note.en).toContain("09:00–14:00");
    expect(view.body.timeline[0].note.en).toContain("11:10");
    // the technician and staff see the window too
    const techView = await call("GET", `/v1/technician/tasks/${res.body.id}`, { token: (await tech.session()).token });
    expect(techView.body.window).toEqual({ start: at(w, 2, "09:00"), end: at(w, 2, "14:00") });
    const staff = await call("GET", `/v1/admin/orders/${res.body.id}`, { token: w.admin.token });
    expect(staff.body.window).toEqual({ start: at(w, 2, "09:00"), end: at(w, 2, "14:00") });
    // a fixed-time order shows none
    expect((await orderRow(fixed.body.id))!.window_start_at).toBeNull();
    expect(fixed.body.window).toBeNull();
  });

  it("tells the customer the window and the planned start in the booking's notice, in both languages", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = (await windowQuote(w, c, at(w, 2, "09:00"), at(w, 2, "12:00"))).body;
    const res = await book(c, q);
    expect(res.status).toBe(201);
    const inbox = await waitFor(
      () => call("GET", "/v1/me/notifications", { token: c.session.token }),
      (r) =>
        r.body.items.some(
          (n: { kind: string; data: { orderId: string } }) => n.kind === "order.confirmed" && n.data.orderId === res.body.id,
        ),
      15_000,
    );
    const notice = inbox.body.items.find((n: { kind: string }) => n.kind === "order.confirmed");
    const text = JSON.stringify(notice);
    expect(text).toContain("09:00–12:00");
    expect(text).toMatch(/预约时段|Window/);
  });

  it("auto-dispatches a window to a technician busy at its start but free later in it", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const first = await newCustomer(w.center);
    expect((await book(first, await quote(w, first, at(w, 2, "09:00")))).status).toBe(201);
    const c = await newCustomer(w.center);
    const q = (await windowQuote(w, c, at(w, 2, "09:00"), at(w, 2, "14:00"))).body;
    const res = await book(c, q);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ technician: { id: tech.id }, start: at(w, 2, "11:10") });
  });

  it("answers 409 SLOT_UNAVAILABLE when no start in the window fits, and writes no order", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const first = await newCustomer(w.center);
    expect((await book(first, await quote(w, first, at(w, 2, "10:00")), { technicianId: tech.id })).status).toBe(201);
    const c = await newCustomer(w.center);
    const q = (await windowQuote(w, c, at(w, 2, "09:00"), at(w, 2, "12:00"))).body;
    expectProblem(await book(c, q, { technicianId: tech.id }), 409, "SLOT_UNAVAILABLE");
    const sched = await call("GET", `/v1/admin/technicians/${tech.id}/schedule`, { token: w.admin.token });
    expect(sched.body.items.length).toBe(1);
    const orders = await env.DB.prepare("SELECT COUNT(*) AS n FROM orders WHERE technician_id = ?").bind(tech.id).first<{ n: number }>();
    expect(orders!.n).toBe(1);
  });

  it("replays the same window booking under the same key with the same start", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const q = (await windowQuote(w, c, at(w, 2, "09:00"), at(w, 2, "12:00"))).body;
    const a = await book(c, q, { technicianId: tech.id }, "same-key");
    const b = await book(c, q, { technicianId: tech.id }, "same-key");
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
    expect(b.body.start).toBe(a.body.start);
  });

  it("never double-books: many parallel window bookings for one technician hold intervals that never overlap, each inside its window", async () => {
    const w = await createWorld(freshCenter(), { durationMinutes: 60 });
    const tech = await addTechnician(w, w.center);
    const customers = await Promise.all(Array.from({ length: 10 }, () => newCustomer(w.center)));
    const quotes = await Promise.all(customers.map((c) => windowQuote(w, c, at(w, 2, "09:00"), at(w, 2, "13:00"))));
    const results = await Promise.all(customers.map((c, i) => book(c, quotes[i]!.body, { technicianId: tech.id })));
    const won = results.filter((r) => r.status === 201);
    for (const r of results) if (r.status !== 201) expectProblem(r, 409, "SLOT_UNAVAILABLE");
    // 09:00–13:00 with 60-minute jobs and 10-minute gaps fits 3 starts (09:00, 10:10, 11:20; 12:30 would end at 13:30)
    expect(won.length).toBe(3);
    const intervals = won.map((r) => [Date.parse(r.body.start), Date.parse(r.body.end)] as const).sort((x, y) => x[0] - y[0]);
    for (const [s, e] of intervals) {
      expect(s).toBeGreaterThanOrEqual(Date.parse(at(w, 2, "09:00")));
      expect(e).toBeLessThanOrEqual(Date.parse(at(w, 2, "13:00")));
    }
    for (let k = 1; k < intervals.length; k++) expect(intervals[k]![0]).toBeGreaterThanOrEqual(intervals[k - 1]![1] + 10 * MINUTE);
    // the calendar holds exactly those
    const sched = await call("GET", `/v1/admin/technicians/${tech.id}/schedule`, { token: w.admin.token });
    expect(sched.body.items.length).toBe(3);
  });
});

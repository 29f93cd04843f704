import { env } from "cloudflare:test";
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import { forecastCity } from "../../src/surge";
import { at, book, newCustomer, quote } from "../support/booking";
import { cloneOrder } from "../support/clone";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signInAdmin } from "../support/http";
import { addTechnician, cellAt, createWorld, localDay } from "../support/world";
import { WEEKDAYS } from "../../src/domain/shifts";
import { isoWeekdayIndex } from "../../src/domain/zoned";

const HOUR = 3_600_000;
const WEEK = 168 * HOUR;

/** A world with one real booked order to copy history from. */
async function bookedWorld() {
  const p = freshCenter(-40, -35);
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  const w = await createWorld({ lat, lng });
  await addTechnician(w, w.center);
  const c = await newCustomer(w.center);
  const order = (await book(c, await quote(w, c, at(w, 3, "10:00")))).body as { id: string };
  return { w, cell: cellAt(w.center), template: order.id };
}

const ordersAt = async (template: string, start: number, n: number) => {
  for (let i = 0; i < n; i++) await cloneOrder(template, { start_at: start, end_at: start + HOUR, status: "completed" });
};

describe("nightly forecasts", () => {
  it("forecast each hour from the same hour of the past weeks, with booked orders as a floor", async () => {
    const { w, template } = await bookedWorld();
    const now = Date.now();
    const next = Math.floor(now / HOUR) * HOUR + HOUR;
    // Two orders at next+5h in each of the last five weeks, four at next+6h in only one of them (three weeks ago).
    for (let k = 1; k <= 5; k++) await ordersAt(template, next + 5 * HOUR - k * WEEK, 2);
    await ordersAt(template, next + 6 * HOUR - 3 * WEEK, 4);
    const templateStart = (await env.DB.prepare("SELECT start_at AS s FROM orders WHERE id = ?").bind(template).first<{ s: number }>())!.s;

    expect(await forecastCity(env, w.cityId, now)).toMatchObject({ cells: 1 });
    const rows = (
      await env.DB.prepare("SELECT hour_start AS h, forecast_x100 AS f, known FROM demand_forecasts WHERE city_id = ? ORDER BY hour_start")
        .bind(w.cityId)
        .all<{ h: number; f: number; known: number }>()
    ).results;
    const at5 = rows.find((r) => r.h === next + 5 * HOUR);
    // A steady 2: the baseline is 2 and the trend (last week against the weeks before) is 1.
    expect(at5).toMatchObject({ f: 200, known: 0 });
    // One odd week of four is dropped by the robust mean: nothing is forecast for next+6h.
    expect(rows.find((r) => r.h === next + 6 * HOUR)).toBeUndefined();
    // The booked order's hour is forecast at least that one order.
    const booked = rows.find((r) => r.h === Math.floor(templateStart / HOUR) * HOUR);
    expect(booked?.known).toBe(1);
    expect(booked!.f).toBeGreaterThanOrEqual(100);

    // Running again replaces the hours ahead, it does not add to them.
    await forecastCity(env, w.cityId, now);
    const again = await env.DB.prepare("SELECT COUNT(*) AS n FROM demand_forecasts WHERE city_id = ?")
      .bind(w.cityId)
      .first<{ n: number }>();
    expect(again!.n).toBe(rows.length);
  });
});

describe("GET /v1/admin/reports/forecast-accuracy", () => {
  it("reports MAPE per cell and for the city on hand-checked values, as JSON and CSV", async () => {
    const { w, cell, template } = await bookedWorld();
    const last = Math.floor(Date.now() / HOUR) * HOUR;
    const a = last - 30 * HOUR;
    const b = last - 50 * HOUR;
    // Hour a: forecast 3, actual 2 → 50 %; hour b: forecast 1, actual 4 → 75 %; mean 62.5 %.
    await ordersAt(template, a, 2);
    await ordersAt(template, b, 4);
    for (const [h, f] of [
      [a, 300],
      [b, 100],
    ] as const)
      await env.DB.prepare(
        "INSERT INTO demand_forecasts (city_id, cell_id, hour_start, forecast_x100, known, computed_at) VALUES (?, ?, ?, ?, 0, ?)",
      )
        .bind(w.cityId, cell, h, f, h - 86_400_000)
        .run();
    const admin = await signInAdmin();
    const res = await call("GET", `/v1/admin/reports/forecast-accuracy?city=${w.cityId}&weeks=1`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.rows).toEqual([{ cell, forecast: 4, actual: 6, mape: 62.5 }]);
    expect(res.body.totals).toEqual({ mape: 62.5, forecast: 4, actual: 6 });
    const csv = await call("GET", `/v1/admin/reports/forecast-accuracy?city=${w.cityId}&weeks=1&format=csv`, { token: admin.token });
    expect(csv.headers.get("Content-Type")).toContain("text/csv");
    expect(String(csv.body).split("\r\n")[1]).toBe(`"${cell}","4","6","62.5"`);
    expectProblem(
      await call("GET", `/v1/admin/reports/forecast-accuracy?city=${w.cityId}&weeks=13`, { token: admin.token }),
      400,
      "VALIDATION_FAILED",
    );
    expectProblem(await call("GET", `/v1/admin/reports/forecast-accuracy?city=cty_nope`, { token: admin.token }), 404, "NOT_FOUND");
  });
});

describe("forecasts follow the city's local week", () => {
  /** A city in `timeZone` with one order (at `hhmm` +08:00) to copy history from, booked months after the weeks used here. */
  async function zonedWorld(timeZone: string, hhmm: string) {
    const p = freshCenter(-40, -35);
    const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
    const w = await createWorld({ lat, lng }, { timeZone });
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const res = await book(c, await quote(w, c, at(w, 3, hhmm)));
    if (res.status !== 201) throw new Error(`book: ${res.status} ${JSON.stringify(res.body)}`);
    return { w, template: (res.body as { id: string }).id };
  }

  const forecastAt = async (cityId: string, hour: number) =>
    (
      await env.DB.prepare("SELECT forecast_x100 AS f FROM demand_forecasts WHERE city_id = ? AND hour_start = ?")
        .bind(cityId, hour)
        .first<{ f: number }>()
    )?.f;

  it("keeps Monday 09:00 local one bucket across a daylight-saving change (Europe/Berlin)", async () => {
    const { w, template } = await zonedWorld("Europe/Berlin", "18:00"); // 11:00 in Berlin
    // Two orders every Monday at 09:00 Berlin time for five weeks; summer time starts on 29 March 2026.
    const mondays = [
      "2026-03-09T08:00:00Z",
      "2026-03-16T08:00:00Z",
      "2026-03-23T08:00:00Z",
      "2026-03-30T07:00:00Z",
      "2026-04-06T07:00:00Z",
    ];
    for (const m of mondays) await ordersAt(template, Date.parse(m), 2);
    await forecastCity(env, w.cityId, Date.parse("2026-04-10T12:00:00Z"));
    // The next Monday 09:00 local (CEST, 07:00 UTC) is forecast from all five Mondays: a steady 2.
    expect(await forecastAt(w.cityId, Date.parse("2026-04-13T07:00:00Z"))).toBe(200);
    // 08:00 UTC was 09:00 only in winter: in summer it is 10:00 local, with no demand.
    expect(await forecastAt(w.cityId, Date.parse("2026-04-13T08:00:00Z"))).toBeUndefined();
  });

  it("buckets by local hours in a zone ahead of UTC (Asia/Shanghai)", async () => {
    const { w, template } = await zonedWorld("Asia/Shanghai", "10:00");
    // Monday 09:00 Shanghai is Monday 01:00 UTC; Sunday 23:00 UTC is already Monday 07:00 there.
    for (let k = 1; k <= 5; k++) {
      await ordersAt(template, Date.parse("2026-04-13T01:00:00Z") - k * WEEK, 3);
      await ordersAt(template, Date.parse("2026-04-12T23:00:00Z") - k * WEEK, 1);
    }
    await forecastCity(env, w.cityId, Date.parse("2026-04-10T12:00:00Z"));
    expect(await forecastAt(w.cityId, Date.parse("2026-04-13T01:00:00Z"))).toBe(300);
    expect(await forecastAt(w.cityId, Date.parse("2026-04-12T23:00:00Z"))).toBe(100);
    expect(await forecastAt(w.cityId, Date.parse("2026-04-13T00:00:00Z"))).toBeUndefined();
  });

  it("buckets by local hours in a half-hour zone: they start at :30 UTC (Asia/Kolkata, UTC+05:30)", async () => {
    const { w, template } = await zonedWorld("Asia/Kolkata", "14:00"); // 11:30 in Kolkata
    // Monday 09:00–10:00 in Kolkata is 03:30–04:30 UTC: an order at 09:10 and one at 09:50 local fall
    // in one local hour, though in two UTC hours (03:40 and 04:20 UTC).
    for (let k = 1; k <= 5; k++) {
      await ordersAt(template, Date.parse("2026-04-13T03:40:00Z") - k * WEEK, 1);
      await ordersAt(template, Date.parse("2026-04-13T04:20:00Z") - k * WEEK, 1);
    }
    await forecastCity(env, w.cityId, Date.parse("2026-04-10T12:00:00Z"));
    expect(await forecastAt(w.cityId, Date.parse("2026-04-13T03:30:00Z"))).toBe(200);
    expect(await forecastAt(w.cityId, Date.parse("2026-04-13T03:00:00Z"))).toBeUndefined();
    expect(await forecastAt(w.cityId, Date.parse("2026-04-13T04:00:00Z"))).toBeUndefined();
    // The accuracy report reads the same local hours: the forecast hour and the orders in it meet.
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM demand_forecasts WHERE city_id = ? AND hour_start % 3600000 != 1800000")
      .bind(w.cityId)
      .first<{ n: number }>();
    expect(rows!.n).toBe(0);
  });
});

describe("hourly buckets", () => {
  it("count a visit that starts at half past into its whole hour (the bucket floors, never a fraction)", async () => {
    const { w, template } = await bookedWorld();
    const now = Date.now();
    const next = Math.floor(now / HOUR) * HOUR + HOUR;
    // Booked ahead at hh:30: it is known demand of the hour hh:00.
    await cloneOrder(template, { start_at: next + 3 * HOUR + HOUR / 2, end_at: next + 4 * HOUR + HOUR / 2, status: "confirmed" });
    await forecastCity(env, w.cityId, now);
    const row = await env.DB.prepare("SELECT known FROM demand_forecasts WHERE city_id = ? AND hour_start = ?")
      .bind(w.cityId, next + 3 * HOUR)
      .first<{ known: number }>();
    expect(row?.known).toBe(1);
  });
});

describe("recurring visits in the forecast", () => {
  it("counts a series' booked visits as known demand: each is an order", async () => {
    const p = freshCenter(-40, -35);
    const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
    const w = await createWorld({ lat, lng }, { horizonDays: 14 });
    await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const startDate = localDay(w.timeZone, 2);
    const res = await call("POST", "/v1/series", {
      token: c.session.token,
      body: {
        serviceId: w.serviceId,
        addressId: c.addressId,
        timeOfDay: "10:00",
        rule: { freq: "weekly", interval: 1, byDay: [WEEKDAYS[isoWeekdayIndex(startDate)]] },
        startDate,
        count: 2,
      },
    });
    expect(res.status).toBe(201);
    const visits = res.body.visits as { status: string; orderId: string; start: string }[];
    expect(visits.map((v) => v.status)).toEqual(["booked", "booked"]);

    await forecastCity(env, w.cityId);
    const rows = (
      await env.DB.prepare("SELECT hour_start AS h, forecast_x100 AS f, known FROM demand_forecasts WHERE city_id = ?")
        .bind(w.cityId)
        .all<{ h: number; f: number; known: number }>()
    ).results;
    // The visit two days ahead is known demand of its hour; the one nine days ahead is past FORECAST_DAYS (7).
    const first = Math.floor(Date.parse(visits[0]!.start) / HOUR) * HOUR;
    expect(rows).toEqual([{ h: first, f: 100, known: 1 }]);
  });
});

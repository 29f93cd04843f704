import { describe, expect, it } from "vitest";
import { call, expectProblem, signIn, signInWithRoles } from "../support/http";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, cellAt, createWorld, localDay, type World } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";
import { visitTo } from "../support/visit";

/** One completed visit (day +2 10:00), one cancelled booking (day +3 14:00) and one left assigned (day +4 09:00). */
async function history() {
  const w = await createWorld(freshCenter());
  const t = await addTechnician(w, w.center);
  const s = await t.session();
  const done = await visitTo(w, s, "completed", { start: at(w, 2, "10:00") });
  const customer = await newCustomer(w.center);
  const cancelled = (await book(customer, await quote(w, customer, at(w, 3, "14:00")))).body;
  expect(
    (await call("POST", `/v1/orders/${cancelled.id}/cancel`, { token: customer.session.token, body: { reason: "plans changed" } })).status,
  ).toBe(200);
  const open = (await book(customer, await quote(w, customer, at(w, 4, "09:00")))).body;
  expect(open.status).toBe("assigned");
  return { w, t, done, range: `city=${w.cityId}&from=${localDay(w.timeZone, 0)}&to=${localDay(w.timeZone, 7)}` };
}

const get = (w: World, path: string, token = w.admin.token) => call("GET", path, { token });

describe("reports", () => {
  it("count orders per weekday and local hour, cells, revenue per day/service/merchant, accept time, rates and utilisation", async () => {
    const { w, t, done, range } = await history();
    const weekday = (days: number) => ((new Date(`${localDay(w.timeZone, days)}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

    const heat = await get(w, `/v1/admin/reports/orders-by-hour?${range}`);
    expect(heat.status).toBe(200);
    expect(heat.body.rows).toHaveLength(168);
    const cell = (d: number, h: number) =>
      heat.body.rows.find((r: { weekday: number; hour: number }) => r.weekday === d && r.hour === h).orders;
    expect(cell(weekday(2), 10)).toBeGreaterThanOrEqual(1);
    expect(cell(weekday(4), 9)).toBeGreaterThanOrEqual(1);
    expect(heat.body.rows.reduce((a: number, r: { orders: number }) => a + r.orders, 0)).toBe(3);

    const hot = await get(w, `/v1/admin/reports/hot-cells?${range}`);
    expect(hot.body.rows).toEqual([{ cell: cellAt(w.center), orders: 3, completed: 1, cancelled: 1, revenue: done.order.total.amount }]);

    const perDay = await get(w, `/v1/admin/reports/sales?${range}&by=day`);
    expect(perDay.body.rows).toHaveLength(8);
    expect(perDay.body.rows.find((r: { key: string }) => r.key === localDay(w.timeZone, 2))).toMatchObject({
      orders: 1,
      revenue: done.order.total.amount,
      currency: "CNY",
    });
    expect(perDay.body.totals).toEqual({ orders: 1, revenue: done.order.total.amount });
    const perService = await get(w, `/v1/admin/reports/sales?${range}&by=service`);
    expect(perService.body.rows).toEqual([
      { key: w.serviceId, label: "日常保洁", orders: 1, revenue: done.order.total.amount, currency: "CNY" },
    ]);
    const perMerchant = await get(w, `/v1/admin/reports/sales?${range}&by=merchant`);
    expect(perMerchant.body.rows).toMatchObject([{ key: "platform", revenue: done.order.total.amount }]);

    const accept = await get(w, `/v1/admin/reports/accept-time?${range}`);
    expect(accept.body.totals).toMatchObject({ accepted: 1, medianSeconds: expect.any(Number) });
    expect(accept.body.rows[0]).toEqual({ upToSeconds: 60, orders: 1 });

    const rates = await get(w, `/v1/admin/reports/rates?${range}`);
    expect(rates.body.totals).toMatchObject({
      orders: 3,
      cancelled: 1,
      accepted: 1,
      refused: 0,
      acceptanceRate: 1,
      cancellationRate: 0.3333,
    });
    expect(rates.body.totals.offers).toBeGreaterThanOrEqual(3);

    const use = await get(w, `/v1/admin/reports/utilisation?${range}`);
    const row = use.body.rows.find((r: { technicianId: string }) => r.technicianId === t.id);
    // booked: the completed 2 h visit and the 2 h one still assigned; shifts: 08:00–20:00 on 8 days
    expect(row).toMatchObject({
      bookedMinutes: 240,
      shiftMinutes: 8 * 720,
      completed: 1,
      utilisation: Math.round((240 / 5760) * 10000) / 10000,
    });
  });

  it("exports each report as CSV with its columns", async () => {
    const { w, range } = await history();
    for (const name of ["orders-by-hour", "hot-cells", "sales", "accept-time", "rates", "utilisation"]) {
      const json = await get(w, `/v1/admin/reports/${name}?${range}`);
      const csv = await get(w, `/v1/admin/reports/${name}?${range}&format=csv`);
      expect(csv.status, name).toBe(200);
      expect(csv.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
      expect(csv.headers.get("Content-Disposition")).toMatch(new RegExp(`^attachment; filename="${name}[\\w-]*-${w.cityId}-`));
      const lines = (csv.body as string).trimEnd().split("\r\n");
      expect(lines[0]).toBe(json.body.columns.join(","));
      expect(lines).toHaveLength(json.body.rows.length + 1);
    }
  });

  it("covers only a merchant_admin's own orders", async () => {
    const { w, range } = await history();
    const other = await signInWithRoles(["merchant_admin"], await insertMerchant("Elsewhere"));
    const rates = await get(w, `/v1/admin/reports/rates?${range}`, other.token);
    expect(rates.status).toBe(200);
    expect(rates.body.totals).toMatchObject({ orders: 0, offers: 0 });
    const hot = await get(w, `/v1/admin/reports/hot-cells?${range}`, other.token);
    expect(hot.body.rows).toEqual([]);
  });

  it("refuses bad ranges, missing cities, strangers and unknown cities", async () => {
    const w = await createWorld(freshCenter());
    const path = "/v1/admin/reports/rates";
    expectProblem(await get(w, `${path}?city=${w.cityId}&from=2026-02-10&to=2026-02-01`), 400, "INVALID_RANGE");
    expectProblem(await get(w, `${path}?city=${w.cityId}&from=2025-01-01&to=2026-06-01`), 400, "INVALID_RANGE");
    expectProblem(await get(w, `${path}?city=${w.cityId}&from=2026-02-30`), 400, "INVALID_RANGE");
    expectProblem(await get(w, `${path}?city=${w.cityId}&from=tomorrow`), 400, "VALIDATION_FAILED");
    expectProblem(await get(w, `${path}`), 400, "VALIDATION_FAILED");
    expectProblem(await get(w, `/v1/admin/reports/sales?city=${w.cityId}&by=week`), 400, "VALIDATION_FAILED");
    expectProblem(await get(w, `${path}?city=cty_nope`), 404);
    expectProblem(await call("GET", `${path}?city=${w.cityId}`), 401);
    expectProblem(await get(w, `${path}?city=${w.cityId}`, (await signIn()).token), 403);
  });
});

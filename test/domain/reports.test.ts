import { describe, expect, it } from "vitest";
import {
  acceptTimes,
  bookedMinutes,
  cellLoad,
  hourOfWeek,
  quantile,
  rates,
  revenue,
  toCsv,
  type ReportOrder,
} from "../../src/domain/reports";

const H = 3_600_000;
// 2026-11-23 is a Monday; 02:00 UTC is 10:00 in Shanghai.
const MON_10 = Date.UTC(2026, 10, 23, 2);
const order = (o: Partial<ReportOrder> = {}): ReportOrder => ({
  id: `ord_${Math.random().toString(36).slice(2)}`,
  merchantId: null,
  serviceId: "svc_a",
  cell: "85309a1bfffffff",
  technicianId: "tch_a",
  status: "completed",
  startAt: MON_10,
  endAt: MON_10 + 2 * H,
  total: 12_000,
  createdAt: MON_10 - 24 * H,
  ...o,
});

describe("report arithmetic", () => {
  it("places orders in the local weekday and hour, across midnight in the city's zone", () => {
    // Sunday 23:30 UTC is Monday 07:30 in Shanghai
    const rows = hourOfWeek([order(), order({ startAt: Date.UTC(2026, 10, 22, 23, 30) })], "Asia/Shanghai");
    expect(rows).toHaveLength(168);
    expect(rows.filter((r) => r.orders > 0)).toEqual([
      { weekday: 1, hour: 7, orders: 1 },
      { weekday: 1, hour: 10, orders: 1 },
    ]);
  });

  it("sums only completed orders' totals as revenue, with empty days as zero", () => {
    const rows = revenue([order(), order({ status: "cancelled" }), order({ total: 3_001 })], "day", "Asia/Shanghai", [
      "2026-11-23",
      "2026-11-24",
    ]);
    expect(rows).toEqual([
      { key: "2026-11-23", orders: 2, revenue: 15_001 },
      { key: "2026-11-24", orders: 0, revenue: 0 },
    ]);
    expect(revenue([order({ merchantId: "mch_b" }), order()], "merchant", "UTC", [])).toEqual([
      { key: "mch_b", orders: 1, revenue: 12_000 },
      { key: "platform", orders: 1, revenue: 12_000 },
    ]);
  });

  it("measures booking to first acceptance, with nearest-rank quantiles", () => {
    const a = order({ id: "ord_a", createdAt: 0 });
    const b = order({ id: "ord_b", createdAt: 0 });
    const t = acceptTimes(
      [a, b, order({ id: "ord_c" })],
      [
        { orderId: "ord_a", kind: "accept", at: 30_000 },
        { orderId: "ord_a", kind: "accept", at: 999_000 },
        { orderId: "ord_b", kind: "accept", at: 600_000 },
        { orderId: "ord_c", kind: "offer", at: 1 },
      ],
    );
    expect(t).toMatchObject({ accepted: 2, medianSeconds: 30, p90Seconds: 600, meanSeconds: 315 });
    expect(t.buckets.slice(0, 3)).toEqual([
      { upToSeconds: 60, orders: 1 },
      { upToSeconds: 300, orders: 0 },
      { upToSeconds: 900, orders: 1 },
    ]);
    expect(t.buckets.at(-1)).toEqual({ upToSeconds: null, orders: 0 });
    expect(quantile([], 0.5)).toBeNull();
  });

  it("rates acceptance over decided offers and cancellation over orders", () => {
    const a = order({ id: "ord_a" });
    const b = order({ id: "ord_b", status: "cancelled" });
    const out = rates(
      [a, b],
      [
        { orderId: "ord_a", kind: "offer", at: 1 },
        { orderId: "ord_a", kind: "refuse", at: 2 },
        { orderId: "ord_a", kind: "offer", at: 3 },
        { orderId: "ord_a", kind: "accept", at: 4 },
        { orderId: "ord_b", kind: "offer", at: 5 },
      ],
      "Asia/Shanghai",
      ["2026-11-23"],
    );
    expect(out.totals).toEqual({ orders: 2, cancelled: 1, offers: 3, accepted: 1, refused: 1, acceptanceRate: 0.5, cancellationRate: 0.5 });
    expect(rates([], [], "UTC", ["2026-11-23"]).items[0]).toMatchObject({ acceptanceRate: null, cancellationRate: null });
  });

  it("clips booked minutes to the range and skips visits that do not happen", () => {
    const rows = [order(), order({ status: "cancelled" }), order({ technicianId: "tch_b" })];
    expect(bookedMinutes(rows, "tch_a", 0, Number.MAX_SAFE_INTEGER)).toBe(120);
    expect(bookedMinutes(rows, "tch_a", MON_10 + H, Number.MAX_SAFE_INTEGER)).toBe(60);
  });

  it("writes RFC 4180 CSV, quoting separators and defusing spreadsheet formulas", () => {
    expect(
      toCsv(
        ["a", "b"],
        [
          { a: 'x,"y"', b: "=SUM(A1)" },
          { a: -3, b: null },
        ],
      ),
    ).toBe('a,b\r\n"x,""y""","\'=SUM(A1)"\r\n"-3",""\r\n');
  });

  it("tints a cell by open orders per online technician", () => {
    expect(cellLoad(0, 3)).toBe(0);
    expect(cellLoad(3, 0)).toBe(3);
    expect(cellLoad(1, 3)).toBe(0.33);
  });
});

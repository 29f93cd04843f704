/**
 * What the utilisation report costs, counted on the real bindings: the shifts of all technicians of
 * a cell come in one call to it, and the report's D1 reads do not depend on how many technicians
 * there are, nor walk the orders of other cities and dates.
 */
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import { countedCall } from "../support/counting";
import { freshCenter } from "../support/fixtures";
import { d1Plan, statementsOf, tableScans } from "../support/plans";
import { createWorld, insertTechnicians, localDay } from "../support/world";

async function report(n: number) {
  const p = freshCenter();
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  const w = await createWorld({ lat, lng });
  const ids = await insertTechnicians(w, n);
  const path = `/v1/admin/reports/utilisation?city=${w.cityId}&from=${localDay(w.timeZone, 0)}&to=${localDay(w.timeZone, 6)}`;
  const cost = async () => {
    const r = await countedCall("GET", path, { token: w.admin.token });
    expect(r.status).toBe(200);
    expect(r.body.rows.map((x: { technicianId: string }) => x.technicianId).sort()).toEqual([...ids].sort());
    // Every technician has the default shifts (12 h a day) over the 7 days.
    expect(r.body.rows.every((x: { shiftMinutes: number }) => x.shiftMinutes === 7 * 12 * 60)).toBe(true);
    return { d1: r.counts.d1, rpc: r.counts.rpc.map((x) => x.split(":")[1]), sql: r.counts.sql };
  };
  // First: the cell does not know them yet (written to D1 directly) and gets their profiles in one read.
  const cold = await cost();
  const warm = await cost();
  return { cold, warm };
}

describe("the cost of the utilisation report", () => {
  it("is the same for 3 technicians as for 30: one call to their cell, D1 reads independent of their number", async () => {
    const three = await report(3);
    const thirty = await report(30);
    expect(thirty.cold.d1).toBe(three.cold.d1);
    expect(thirty.cold.rpc).toEqual(three.cold.rpc);
    expect(thirty.warm.d1).toBe(three.warm.d1);
    expect(thirty.warm.rpc).toEqual(three.warm.rpc);
    expect(three.cold.rpc).toEqual(["shiftsOf", "syncRoster", "shiftsOf"]);
    expect(three.warm.rpc).toEqual(["shiftsOf"]);
    // The cold run also reads the cell's roster and the skills that require a training certification
    // (src/training/eligibility.ts), once each whatever the number of technicians.
    expect(three.cold.d1 - three.warm.d1).toBe(2);
  });

  it("reads the city's orders of the range through orders_city_start_idx", async () => {
    const { warm } = await report(1);
    const orders = statementsOf(warm.sql).filter((s) => /from "orders" where \("orders"."city_id" = \?/.test(s));
    expect(orders).toHaveLength(1);
    const plan = await d1Plan(orders[0]!);
    expect(plan.join(" | ")).toContain("SEARCH orders USING INDEX orders_city_start_idx (city_id=? AND start_at>? AND start_at<?)");
    expect(tableScans(plan, ["orders"])).toEqual([]);
  });
});

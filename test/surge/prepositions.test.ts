import { env } from "cloudflare:test";
import fc from "fast-check";
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import { balanceOf, planMoves, placeLabel, type CellHour } from "../../src/domain/preposition";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { addTechnician, cellAt, createWorld, localDay, neighbourPoint, type World } from "../support/world";

const HOUR = 3_600_000;

async function cellWorld() {
  const p = freshCenter();
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  return createWorld({ lat, lng });
}

/** Today and tomorrow (local) as whole shifts, or as days off. */
async function shifts(w: World, technicianId: string, working: boolean) {
  const intervals = working ? [{ start: "00:00", end: "24:00" }] : [];
  const exceptions = [0, 1].map((d) => ({ date: localDay(w.timeZone, d), intervals }));
  const res = await call("PUT", `/v1/admin/technicians/${technicianId}/shifts`, {
    token: w.admin.token,
    body: { weekly: null, exceptions },
  });
  expect(res.status).toBe(200);
}

async function forecast(w: World, cell: string, hourStart: number, x100: number) {
  await env.DB.prepare(
    "INSERT INTO demand_forecasts (city_id, cell_id, hour_start, forecast_x100, known, computed_at) VALUES (?, ?, ?, ?, 0, ?)",
  )
    .bind(w.cityId, cell, hourStart, x100, Date.now())
    .run();
}

describe("pre-position suggestions", () => {
  it("weighs each hour's forecast against the technicians on shift and suggests moves from surplus to shortfall", async () => {
    const w = await cellWorld();
    const short = cellAt(w.center);
    const near = neighbourPoint(short);
    const spare = cellAt(near);
    const off = await addTechnician(w, w.center);
    await shifts(w, off.id, false);
    for (let i = 0; i < 4; i++) await shifts(w, (await addTechnician(w, near)).id, true);
    const hour = Math.floor(Date.now() / HOUR) * HOUR;
    await forecast(w, short, hour, 250);
    await forecast(w, spare, hour, 50);
    await forecast(w, short, hour + HOUR, 100);

    const res = await call("GET", `/v1/admin/cities/${w.cityId}/prepositions?hours=2`, { token: w.admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ cityId: w.cityId, timeZone: w.timeZone, maxKm: 20 });
    expect(res.body.hours).toHaveLength(2);
    const [first, second] = res.body.hours;
    expect(first.cells).toEqual([
      expect.objectContaining({ cell: short, demand: 2.5, supply: 0, needed: 3, shortfall: 3, surplus: 0 }),
      expect.objectContaining({ cell: spare, demand: 0.5, supply: 4, needed: 1, shortfall: 0, surplus: 3 }),
    ]);
    expect(first.moves).toEqual([expect.objectContaining({ from: spare, to: short, technicians: 3 })]);
    expect(first.moves[0].toLabel).toEqual({ zh: "市中心", en: "the centre" });
    expect(first.moves[0].fromLabel.en).toMatch(/^\d+(\.\d)? km (N|NE|E|SE|S|SW|W|NW) of the centre$/);
    expect(second.moves).toEqual([expect.objectContaining({ from: spare, to: short, technicians: 1 })]);
    expect(res.body.totals).toEqual({ shortfall: 4, moved: 4 });
  });

  it("refuses hours out of range and an unknown city, and is for staff only", async () => {
    const w = await cellWorld();
    for (const h of ["0", "25", "x"])
      expectProblem(await call("GET", `/v1/admin/cities/${w.cityId}/prepositions?hours=${h}`, { token: w.admin.token }), 400);
    expectProblem(await call("GET", "/v1/admin/cities/cty_nope/prepositions", { token: w.admin.token }), 404);
    const ops = await signInWithRoles(["operator"]);
    expect((await call("GET", `/v1/admin/cities/${w.cityId}/prepositions`, { token: ops.token })).body.hours).toHaveLength(6);
    // A merchant admin gets its own technicians' suggestions (test/surge/prepositions-merchant.test.ts); a technician is refused.
    const merchant = await signInWithRoles(["merchant_admin"], await insertMerchant());
    expect((await call("GET", `/v1/admin/cities/${w.cityId}/prepositions`, { token: merchant.token })).status).toBe(200);
    const tech = await signInWithRoles(["technician"]);
    expectProblem(await call("GET", `/v1/admin/cities/${w.cityId}/prepositions`, { token: tech.token }), 403);
  });
});

describe("the greedy transport (rule)", () => {
  const cellHour = fc.record({
    cell: fc.uuid(),
    center: fc.record({ lat: fc.double({ min: 30, max: 30.3, noNaN: true }), lng: fc.double({ min: 120, max: 120.3, noNaN: true }) }),
    demand: fc.double({ min: 0, max: 6, noNaN: true }),
    supply: fc.integer({ min: 0, max: 6 }),
  }) as fc.Arbitrary<CellHour>;

  it("never moves more than a cell spares or lacks, never beyond the limit, and moves as many as it can", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(cellHour, { selector: (c) => c.cell, maxLength: 12 }),
        fc.double({ min: 1, max: 60, noNaN: true }),
        (cells, maxKm) => {
          const moves = planMoves(cells, maxKm);
          const bal = new Map(cells.map((c) => [c.cell, balanceOf(c)]));
          const out = new Map<string, number>();
          const into = new Map<string, number>();
          for (const m of moves) {
            expect(m.technicians).toBeGreaterThan(0);
            expect(m.distanceKm).toBeLessThanOrEqual(Math.round(maxKm * 10) / 10 + 0.05);
            out.set(m.from, (out.get(m.from) ?? 0) + m.technicians);
            into.set(m.to, (into.get(m.to) ?? 0) + m.technicians);
          }
          for (const [cell, n] of out) expect(n).toBeLessThanOrEqual(bal.get(cell)!.surplus);
          for (const [cell, n] of into) expect(n).toBeLessThanOrEqual(bal.get(cell)!.shortfall);
          // With no distance limit, the moves meet the shortfall or use up the surplus.
          const all = planMoves(cells, Infinity).reduce((s, m) => s + m.technicians, 0);
          const lack = [...bal.values()].reduce((s, b) => s + b.shortfall, 0);
          const spare = [...bal.values()].reduce((s, b) => s + b.surplus, 0);
          expect(all).toBe(Math.min(lack, spare));
        },
      ),
    );
  });

  it("names a cell by distance and direction from the centre", () => {
    expect(placeLabel({ lat: 31, lng: 121 }, { lat: 31.05, lng: 121 })).toEqual({
      zh: "市中心以北 5.6 公里",
      en: "5.6 km N of the centre",
    });
    expect(placeLabel({ lat: 31, lng: 121 }, { lat: 31.001, lng: 121.001 })).toEqual({ zh: "市中心", en: "the centre" });
  });
});

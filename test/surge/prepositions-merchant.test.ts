/**
 * Pre-position suggestions for a merchant admin: the city's shortfall against its own technicians.
 * The moves move only its technicians, never more than the city spares in a cell; another merchant's
 * technicians never appear in its figures.
 */
import { env } from "cloudflare:test";
import fc from "fast-check";
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import { balanceOf } from "../../src/domain/preposition";
import { merchantCellHour } from "../../src/surge/preposition.service";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { addTechnician, cellAt, createWorld, localDay, neighbourPoint, type World } from "../support/world";

const HOUR = 3_600_000;

async function onShift(w: World, technicianId: string, working: boolean) {
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

/**
 * A cell short of three technicians this hour, and a neighbour with two technicians of merchant one
 * and three of merchant two on shift, needing one (city surplus 4); next hour the neighbour needs four
 * (city surplus 1) and the short cell one.
 */
async function twoMerchants() {
  const p = freshCenter();
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  const w = await createWorld({ lat, lng });
  const [one, two] = [await insertMerchant("One"), await insertMerchant("Two")];
  const short = cellAt(w.center);
  const near = neighbourPoint(short);
  const spare = cellAt(near);
  await onShift(w, (await addTechnician(w, w.center, { merchantId: two })).id, false);
  const ones = [];
  for (let i = 0; i < 2; i++) ones.push(await addTechnician(w, near, { merchantId: one }));
  for (const t of ones) await onShift(w, t.id, true);
  for (let i = 0; i < 3; i++) await onShift(w, (await addTechnician(w, near, { merchantId: two })).id, true);
  const hour = Math.floor(Date.now() / HOUR) * HOUR;
  await forecast(w, short, hour, 250);
  await forecast(w, spare, hour, 50);
  await forecast(w, short, hour + HOUR, 100);
  await forecast(w, spare, hour + HOUR, 350);
  const admins = {
    one: await signInWithRoles(["merchant_admin"], one),
    two: await signInWithRoles(["merchant_admin"], two),
    none: await signInWithRoles(["merchant_admin"], await insertMerchant("Elsewhere")),
  };
  return { w, short, spare, admins, one, two };
}

const get = (w: World, token: string, hours = 2) => call("GET", `/v1/admin/cities/${w.cityId}/prepositions?hours=${hours}`, { token });

describe("pre-position suggestions for a merchant admin", () => {
  it("offers the city's shortfall against its own technicians only, never more than the city spares", async () => {
    const { w, short, spare, admins, one, two } = await twoMerchants();

    const platform = (await get(w, w.admin.token)).body;
    expect(platform.merchantId).toBeNull();
    expect(platform.hours[0].moves).toEqual([expect.objectContaining({ from: spare, to: short, technicians: 3 })]);
    expect(platform.hours[0].cells).toContainEqual(expect.objectContaining({ cell: spare, supply: 5, surplus: 4 }));

    const mine = await get(w, admins.one.token);
    expect(mine.status).toBe(200);
    expect(mine.body.merchantId).toBe(one);
    const [first, second] = mine.body.hours;
    // The shortfall is the city's; the supply and the spare are merchant one's two technicians.
    expect(first.cells).toEqual([
      expect.objectContaining({ cell: short, shortfall: 3, supply: 0 }),
      expect.objectContaining({ cell: spare, supply: 2, surplus: 2, shortfall: 0 }),
    ]);
    expect(first.moves).toEqual([expect.objectContaining({ from: spare, to: short, technicians: 2 })]);
    // Next hour the city spares one technician there: merchant one is offered one move, not two.
    expect(second.cells).toContainEqual(expect.objectContaining({ cell: spare, supply: 2, surplus: 1 }));
    expect(second.moves).toEqual([expect.objectContaining({ from: spare, to: short, technicians: 1 })]);
    expect(mine.body.totals).toEqual({ shortfall: 4, moved: 3 });

    const theirs = (await get(w, admins.two.token)).body;
    expect(theirs.merchantId).toBe(two);
    expect(theirs.hours[0].moves).toEqual([expect.objectContaining({ from: spare, to: short, technicians: 3 })]);
    expect(theirs.hours[0].cells).toContainEqual(expect.objectContaining({ cell: spare, supply: 3, surplus: 3 }));

    // A merchant with no technicians in the city sees the shortfall and no moves; no cell counts another merchant's technicians.
    const none = (await get(w, admins.none.token)).body;
    for (const h of none.hours) {
      expect(h.moves).toEqual([]);
      for (const c of h.cells) expect([c.supply, c.surplus]).toEqual([0, 0]);
    }
    expect(none.hours[0].cells).toContainEqual(expect.objectContaining({ cell: short, shortfall: 3 }));
  });

  it("answers a merchant admin 404 for an unknown city and 400 for bad hours; a technician 403", async () => {
    const { w, admins } = await twoMerchants();
    expectProblem(await call("GET", "/v1/admin/cities/cty_nope/prepositions", { token: admins.one.token }), 404, "NOT_FOUND");
    for (const h of ["0", "25", "x"]) expectProblem(await get(w, admins.one.token, h as unknown as number), 400);
    const tech = await signInWithRoles(["technician"]);
    expectProblem(await get(w, tech.token), 403);
    expectProblem(await call("GET", `/v1/admin/cities/${w.cityId}/prepositions`, {}), 401);
  });

  it("a merchant's share of a cell never exceeds its technicians nor the city's spare, and leaves short cells as they are (rule)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 20, noNaN: true }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        (demand, supply, ownRaw) => {
          const own = Math.min(ownRaw, supply);
          const city = { cell: "c", center: { lat: 0, lng: 0 }, demand, supply };
          const share = balanceOf(merchantCellHour(city, own));
          const whole = balanceOf(city);
          expect(share.shortfall).toBe(whole.shortfall);
          expect(share.needed).toBe(whole.needed);
          expect(share.surplus).toBeLessThanOrEqual(own);
          expect(share.surplus).toBeLessThanOrEqual(whole.surplus);
          expect(share.surplus).toBe(Math.min(own, whole.surplus));
        },
      ),
    );
  });
});

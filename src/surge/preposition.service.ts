/**
 * Pre-position suggestions for the next hours of a city: per cell and hour, the forecast demand
 * (src/surge/forecast.service.ts) against the technicians on shift homed there, the shortfall, and
 * moves from cells with a surplus to cells short of technicians (src/domain/preposition.ts).
 */
import { cellToLatLng, isValidCell } from "h3-js";
import { cellStub } from "../cells/cells.service";
import { config } from "../config";
import { getDb } from "../db/client";
import { cellsOfCity, findCity } from "../db/repositories/cities.repo";
import { shiftWindows } from "../domain/calendar";
import { planMoves, balanceOf, placeLabel, type CellHour } from "../domain/preposition";
import { DEFAULT_WEEKLY_SHIFTS } from "../domain/shifts";
import { localDate, offsetMs, toZonedIso } from "../domain/zoned";
import { hourPhase, hourStart } from "../domain/forecast";
import { notFound } from "../errors";
import { approvedTechniciansIn } from "./surge-notices.repo";
import { forecastsOfCity } from "./surge.repo";

const HOUR = 3_600_000;

/** A technician's working windows (UTC ms) over the local dates [from, to) touches, and whose technician it is. */
interface OnShift {
  merchantId: string | null;
  windows: [number, number][];
}

/** Each approved technician's working windows over the local dates [from, to) touches, by home cell. */
async function shiftsByCell(env: Env, cells: string[], timeZone: string, from: number, to: number): Promise<Map<string, OnShift[]>> {
  const techs = await approvedTechniciansIn(getDb(env), cells);
  const merchantOf = new Map(techs.map((t) => [t.id, t.merchantId]));
  const byCell = new Map<string, string[]>();
  for (const t of techs) byCell.set(t.homeCell, [...(byCell.get(t.homeCell) ?? []), t.id]);
  const dates = new Set<string>();
  for (let t = from; t < to + HOUR; t += HOUR) dates.add(localDate(t, timeZone));
  const out = new Map<string, OnShift[]>();
  await Promise.all(
    [...byCell].map(async ([cell, ids]) => {
      const r = await cellStub(env, cell).shiftsOf(ids);
      const windows: OnShift[] = r.shifts.map((s) => {
        const ex = new Map(s.exceptions.map((e) => [e.date, e.intervals]));
        return {
          merchantId: merchantOf.get(s.technicianId) ?? null,
          windows: [...dates].flatMap((d) => shiftWindows(s.weekly, ex, d, s.timeZone)),
        };
      });
      // A technician the cell keeps no calendar for yet works the default template there.
      for (const id of r.unknown)
        windows.push({
          merchantId: merchantOf.get(id) ?? null,
          windows: [...dates].flatMap((d) => shiftWindows(DEFAULT_WEEKLY_SHIFTS, new Map(), d, timeZone)),
        });
      out.set(cell, windows);
    }),
  );
  return out;
}

/**
 * A merchant's share of a cell's hour: a cell short of technicians stays as the city has it (the
 * shortfall is the city's); any other cell offers only the merchant's technicians on shift there, and
 * no more of them than the city spares (moving more would leave that cell short).
 */
export function merchantCellHour(city: CellHour, own: number): CellHour {
  const b = balanceOf(city);
  if (b.shortfall > 0) return city;
  return { ...city, supply: b.needed + Math.min(own, b.surplus) };
}

/**
 * The next `hours` whole hours from the current one: per hour the cells with forecast demand or
 * technicians on shift, their balance, and the suggested moves.
 */
export async function prepositions(env: Env, cityId: string, hours: number, now = Date.now(), merchantId?: string) {
  const db = getDb(env);
  const city = await findCity(db, cityId);
  if (!city) throw notFound("City");
  // Local hours (a half-hour zone's start at :30 UTC).
  const from = hourStart(now, hourPhase(offsetMs(city.timeZone, now)));
  const to = from + hours * HOUR;
  const cells = await cellsOfCity(db, city.id);
  const [forecasts, shifts] = await Promise.all([
    forecastsOfCity(db, city.id, from, to),
    shiftsByCell(env, cells, city.timeZone, from, to),
  ]);
  const demand = new Map(forecasts.map((f) => [`${f.cellId}|${f.hourStart}`, f.forecastX100 / 100]));
  const centreOf = (cell: string) => {
    if (!isValidCell(cell)) return { lat: city.centerLat, lng: city.centerLng };
    const [lat, lng] = cellToLatLng(cell);
    return { lat, lng };
  };
  const cityCentre = { lat: city.centerLat, lng: city.centerLng };
  const label = (cell: string) => placeLabel(cityCentre, centreOf(cell));
  const maxKm = config(env).PREPOSITION_MAX_KM;
  const out = [];
  let shortfall = 0;
  let moved = 0;
  for (let t = from; t < to; t += HOUR) {
    const mid = t + HOUR / 2;
    const hourCells: (CellHour & { own: number })[] = [];
    for (const cell of new Set([...cells, ...forecasts.map((f) => f.cellId)])) {
      const d = demand.get(`${cell}|${t}`) ?? 0;
      const on = (shifts.get(cell) ?? []).filter((t) => t.windows.some(([a, b]) => a <= mid && mid < b));
      const own = merchantId === undefined ? on.length : on.filter((t) => t.merchantId === merchantId).length;
      if (d > 0 || on.length > 0) hourCells.push({ cell, center: centreOf(cell), demand: d, supply: on.length, own });
    }
    // A merchant admin moves only its own technicians; the cells' shortfall stays the city's.
    const offered = merchantId === undefined ? hourCells : hourCells.map((c) => merchantCellHour(c, c.own));
    const moves = planMoves(offered, maxKm);
    const rows = hourCells
      .filter((c) => merchantId === undefined || c.demand > 0 || c.own > 0)
      .map((c) => {
        const city = balanceOf(c);
        const view = merchantId === undefined ? city : { ...city, surplus: balanceOf(merchantCellHour(c, c.own)).surplus };
        // For a merchant admin, `supply` counts its own technicians only: another merchant's never appear.
        return {
          ...view,
          label: label(c.cell),
          demand: Math.round(c.demand * 10) / 10,
          supply: merchantId === undefined ? c.supply : c.own,
        };
      })
      .sort((a, b) => b.shortfall - a.shortfall || b.demand - a.demand || a.cell.localeCompare(b.cell));
    shortfall += rows.reduce((s, r) => s + r.shortfall, 0);
    moved += moves.reduce((s, m) => s + m.technicians, 0);
    out.push({
      start: toZonedIso(t, city.timeZone),
      end: toZonedIso(t + HOUR, city.timeZone),
      cells: rows,
      moves: moves.map((m) => ({ ...m, fromLabel: label(m.from), toLabel: label(m.to) })),
    });
  }
  return {
    cityId: city.id,
    merchantId: merchantId ?? null,
    timeZone: city.timeZone,
    from: toZonedIso(from, city.timeZone),
    to: toZonedIso(to, city.timeZone),
    maxKm,
    hours: out,
    totals: { shortfall, moved },
  };
}

/**
 * Demand forecasts: the nightly cron forecasts, per city and cell, the orders starting in each hour
 * of the next FORECAST_DAYS (src/domain/forecast.ts: a seasonal baseline of the same hour over the
 * last FORECAST_WEEKS weeks, a capped trend correction, demand already booked as a floor) and keeps
 * them; the accuracy report compares what was forecast with what then happened (MAPE).
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { findCity, listCities } from "../db/repositories/cities.repo";
import { forecastWeek, hourPhase, hourStart, HOURS_PER_WEEK, mape } from "../domain/forecast";
import { offsetMs } from "../domain/zoned";
import { AppError, notFound } from "../errors";
import { forecastsOfCity, hourlyDemand, replaceForecasts, type ForecastRow } from "./surge.repo";

const HOUR = 3_600_000;
const WEEK = HOURS_PER_WEEK * HOUR;

/**
 * An instant as the city's wall clock reads it, counted as if it were UTC: the same local hour of the
 * week is the same position of this clock every week, whatever the UTC offset (DST-safe). Hours
 * bucket by local time: Monday 09:00 local is one bucket in winter and in summer.
 */
const localClock = (timeZone: string) => (ms: number) => ms + offsetMs(timeZone, ms);

/**
 * Hourly counts per cell over the `weeks` local weeks before `localStart` (a local-clock instant,
 * see `localClock`), as weeks of 168 local hours (oldest first). Rows are UTC hours; a local hour
 * repeated by a DST change gets both, a skipped one none.
 */
function weeksByCell(
  rows: { cell: string; hour: number; n: number }[],
  localStart: number,
  weeks: number,
  local: (ms: number) => number,
): Map<string, number[][]> {
  const out = new Map<string, number[][]>();
  const from = localStart - weeks * WEEK;
  for (const r of rows) {
    const i = Math.floor((local(r.hour) - from) / HOUR);
    if (i < 0 || i >= weeks * HOURS_PER_WEEK) continue;
    let cell = out.get(r.cell);
    if (!cell) {
      cell = Array.from({ length: weeks }, () => new Array<number>(HOURS_PER_WEEK).fill(0));
      out.set(r.cell, cell);
    }
    const week = cell[Math.floor(i / HOURS_PER_WEEK)]!;
    week[i % HOURS_PER_WEEK] = (week[i % HOURS_PER_WEEK] ?? 0) + r.n;
  }
  return out;
}

/**
 * Forecasts one city from the next whole hour on: FORECAST_DAYS days (a second week repeats the
 * first week's forecast), for every cell with history or bookings. Replaces the city's forecasts
 * of those hours; earlier hours keep what was forecast for them (the accuracy report reads them).
 */
export async function forecastCity(env: Env, cityId: string, now = Date.now()): Promise<{ cells: number; rows: number }> {
  const cfg = config(env);
  const db = getDb(env);
  const city = await findCity(db, cityId);
  if (!city) throw notFound("City");
  const local = localClock(city.timeZone);
  const phase = hourPhase(offsetMs(city.timeZone, now));
  const start = hourStart(now, phase) + HOUR;
  const end = start + cfg.FORECAST_DAYS * 24 * HOUR;
  // One week more than the baseline uses: the trend compares the last week with the weeks before it.
  const weeks = cfg.FORECAST_WEEKS + 1;
  // Local weeks: a DST change within them moves the window's UTC start by its hour, so read one hour more.
  const from = start - weeks * WEEK - HOUR;
  const [history, booked] = await Promise.all([
    hourlyDemand(db, cityId, from, start, { phase }),
    hourlyDemand(db, cityId, start, end, { booked: true, phase }),
  ]);
  const localStart = local(start);
  const past = weeksByCell(history, localStart, weeks, local);
  const known = new Map<string, Map<number, number>>();
  for (const b of booked) known.set(b.cell, (known.get(b.cell) ?? new Map<number, number>()).set(b.hour, b.n));
  const cells = new Set([...past.keys(), ...known.keys()]);
  const rule = { weeks: cfg.FORECAST_WEEKS, trendWeeks: 1, trendCap: cfg.FORECAST_TREND_CAP_PERCENT / 100 };
  const rows: ForecastRow[] = [];
  for (const cell of cells) {
    const week = forecastWeek(past.get(cell) ?? [], rule);
    const k = known.get(cell);
    for (let t = start; t < end; t += HOUR) {
      const booked = k?.get(t) ?? 0;
      // The forecast's hour of the (local) week: the same local hour as in the weeks it learnt from.
      const offset = Math.floor((local(t) - localStart) / HOUR);
      const h = ((offset % HOURS_PER_WEEK) + HOURS_PER_WEEK) % HOURS_PER_WEEK;
      const f = Math.max(week[h] ?? 0, booked);
      if (f <= 0 && booked === 0) continue;
      rows.push({ cityId, cellId: cell, hourStart: t, forecastX100: Math.round(f * 100), known: booked, computedAt: now });
    }
  }
  await replaceForecasts(db, cityId, start, end, rows);
  return { cells: cells.size, rows: rows.length };
}

/** The nightly step: every city's forecasts (one city failing does not stop the others). */
export async function runForecasts(env: Env, now = Date.now()): Promise<{ cities: number; failed: number }> {
  const cities = await listCities(getDb(env));
  let failed = 0;
  for (const city of cities) {
    try {
      await forecastCity(env, city.id, now);
    } catch {
      failed += 1;
    }
  }
  if (failed > 0) throw new Error(`forecasts failed for ${failed} of ${cities.length} cities`);
  return { cities: cities.length, failed };
}

/**
 * How good the forecasts were over the last `weeks` weeks up to the last whole hour: per cell, the
 * forecast and actual orders and the MAPE over the hours with orders; in `totals` the city's MAPE
 * on its hourly totals. Hours without a forecast count as forecast 0.
 */
export async function forecastAccuracy(env: Env, q: { city: string; weeks: number }, now = Date.now()) {
  if (!Number.isInteger(q.weeks) || q.weeks < 1 || q.weeks > 12) throw AppError.of("INVALID_RANGE");
  const db = getDb(env);
  const city = await findCity(db, q.city);
  if (!city) throw notFound("City");
  const phase = hourPhase(offsetMs(city.timeZone, now));
  const to = hourStart(now, phase);
  const from = to - q.weeks * WEEK;
  const [forecasts, actual] = await Promise.all([forecastsOfCity(db, city.id, from, to), hourlyDemand(db, city.id, from, to, { phase })]);
  const key = (cell: string, hour: number) => `${cell}|${hour}`;
  const points = new Map<string, { cell: string; hour: number; forecast: number; actual: number }>();
  const point = (cell: string, hour: number) => {
    const k = key(cell, hour);
    let p = points.get(k);
    if (!p) points.set(k, (p = { cell, hour, forecast: 0, actual: 0 }));
    return p;
  };
  for (const f of forecasts) point(f.cellId, f.hourStart).forecast = f.forecastX100 / 100;
  for (const a of actual) point(a.cell, a.hour).actual = a.n;
  const byCell = new Map<string, { forecast: number; actual: number }[]>();
  const byHour = new Map<number, { forecast: number; actual: number }>();
  for (const p of points.values()) {
    byCell.set(p.cell, [...(byCell.get(p.cell) ?? []), p]);
    const h = byHour.get(p.hour) ?? { forecast: 0, actual: 0 };
    h.forecast += p.forecast;
    h.actual += p.actual;
    byHour.set(p.hour, h);
  }
  const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  const rows = [...byCell.entries()]
    .map(([cell, ps]) => ({
      cell,
      forecast: Math.round(ps.reduce((s, p) => s + p.forecast, 0) * 10) / 10,
      actual: ps.reduce((s, p) => s + p.actual, 0),
      mape: round(mape(ps)),
    }))
    .sort((a, b) => b.actual - a.actual || a.cell.localeCompare(b.cell));
  return {
    cityId: city.id,
    timeZone: city.timeZone,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    columns: ["cell", "forecast", "actual", "mape"],
    rows,
    totals: {
      mape: round(mape([...byHour.values()])),
      forecast: Math.round(rows.reduce((s, r) => s + r.forecast, 0) * 10) / 10,
      actual: rows.reduce((s, r) => s + r.actual, 0),
    },
  };
}

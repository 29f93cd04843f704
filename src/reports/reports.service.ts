/**
 * Reports of the dashboard, over one city and a range of local dates: orders per hour of the week,
 * hot cells, revenue from order totals, booking-to-accept time, acceptance and cancellation rates,
 * technician utilisation. A merchant_admin's reports cover its own merchant's orders only. Each
 * report is a table (`columns` + `rows`) so that it also exports as CSV.
 */
import { getDb } from "../db/client";
import { findCity, type CityRow } from "../db/repositories/cities.repo";
import { catalogNames, cityTechnicians, reportEvents, reportOrders } from "../db/repositories/dashboard.repo";
import { shiftWindows } from "../domain/calendar";
import * as R from "../domain/reports";
import { addDays, localDate, parseDate, zonedToUtc } from "../domain/zoned";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { shiftsOfMany } from "../technicians/shifts.service";
import { merchantScope } from "../identity/scope";

export interface ReportQuery {
  city: string;
  from?: string;
  to?: string;
}

/** A report: its range, the table, and report-specific totals. */
export interface Report {
  cityId: string;
  timeZone: string;
  from: string;
  to: string;
  columns: string[];
  rows: Record<string, string | number | null>[];
  totals?: Record<string, number | null>;
}

const MAX_DAYS = 366;

interface Range {
  city: CityRow;
  scope: string | undefined;
  from: string;
  to: string;
  fromMs: number;
  toMs: number;
  days: string[];
}

/** The checked dates of a report in a time zone: 400 INVALID_RANGE for a bad, reversed or too long range. */
function datesOf(timeZone: string, q: { from?: string; to?: string }) {
  const to = q.to ?? localDate(Date.now(), timeZone);
  const from = q.from ?? addDays(to, -27);
  const bad = (path: string, message: string) => AppError.of("INVALID_RANGE", {}, { errors: [{ path, message }] });
  if (parseDate(from) === null) throw bad("query.from", "not a real date (YYYY-MM-DD)");
  if (parseDate(to) === null) throw bad("query.to", "not a real date (YYYY-MM-DD)");
  if (from > to) throw bad("query.from", "after `to`");
  const days = R.datesBetween(from, to);
  if (days.length > MAX_DAYS || addDays(from, MAX_DAYS) <= to) throw bad("query.from", `more than ${MAX_DAYS} days`);
  return { from, to, days, fromMs: zonedToUtc(from, 0, timeZone), toMs: zonedToUtc(addDays(to, 1), 0, timeZone) };
}

async function rangeOf(env: Env, actor: Auth, q: ReportQuery): Promise<Range> {
  const scope = merchantScope(actor);
  const city = await findCity(getDb(env), q.city);
  if (!city) throw notFound("City");
  return { city, scope, ...datesOf(city.timeZone, q) };
}

/** The time zone of reports over every city (operators): the platform's, Asia/Shanghai. */
export const PLATFORM_TIME_ZONE = "Asia/Shanghai";

/** A report's range over one city or, without `city`, all of them (dates in PLATFORM_TIME_ZONE). */
export interface ScopedRange {
  cityId: string | null;
  timeZone: string;
  /** The merchant_admin's merchant; undefined for the platform. */
  scope: string | undefined;
  from: string;
  to: string;
  fromMs: number;
  toMs: number;
  days: string[];
}

/**
 * The range of a report that may span every city: a merchant_admin's covers its own merchant's
 * orders; 404 for an unknown city; 400 INVALID_RANGE as for the other reports.
 */
export async function scopedRange(env: Env, actor: Auth, q: { city?: string; from?: string; to?: string }): Promise<ScopedRange> {
  const scope = merchantScope(actor);
  if (q.city === undefined) return { cityId: null, timeZone: PLATFORM_TIME_ZONE, scope, ...datesOf(PLATFORM_TIME_ZONE, q) };
  const city = await findCity(getDb(env), q.city);
  if (!city) throw notFound("City");
  return { cityId: city.id, timeZone: city.timeZone, scope, ...datesOf(city.timeZone, q) };
}

const frame = (r: Range) => ({ cityId: r.city.id, timeZone: r.city.timeZone, from: r.from, to: r.to });

/** Orders per ISO weekday (1 = Monday) and local hour of the visit's start: 168 rows. */
export async function ordersByHour(env: Env, actor: Auth, q: ReportQuery): Promise<Report> {
  const r = await rangeOf(env, actor, q);
  const orders = await reportOrders(getDb(env), r.city.id, r.fromMs, r.toMs, r.scope);
  return { ...frame(r), columns: ["weekday", "hour", "orders"], rows: R.hourOfWeek(orders, r.city.timeZone) };
}

/** Cells by orders, busiest first, with completed, cancelled and revenue (分). */
export async function hotCells(env: Env, actor: Auth, q: ReportQuery): Promise<Report> {
  const r = await rangeOf(env, actor, q);
  const orders = await reportOrders(getDb(env), r.city.id, r.fromMs, r.toMs, r.scope);
  return { ...frame(r), columns: ["cell", "orders", "completed", "cancelled", "revenue"], rows: R.hotCells(orders) };
}

/** Sales: the sum of completed orders' totals (分) per local day, merchant or service (the ledger's split is the money report). */
export async function sales(env: Env, actor: Auth, q: ReportQuery & { by: R.RevenueBy }): Promise<Report> {
  const r = await rangeOf(env, actor, q);
  const db = getDb(env);
  const orders = await reportOrders(db, r.city.id, r.fromMs, r.toMs, r.scope);
  const rows = R.revenue(orders, q.by, r.city.timeZone, r.days);
  const names =
    q.by === "day"
      ? new Map()
      : await catalogNames(db, q.by === "service" ? rows.map((x) => x.key) : [], q.by === "merchant" ? rows.map((x) => x.key) : []);
  const currency = "CNY";
  return {
    ...frame(r),
    columns: ["key", "label", "orders", "revenue", "currency"],
    rows: rows.map((x) => ({ key: x.key, label: names.get(x.key)?.zh ?? x.key, orders: x.orders, revenue: x.revenue, currency })),
    totals: { orders: rows.reduce((a, x) => a + x.orders, 0), revenue: rows.reduce((a, x) => a + x.revenue, 0) },
  };
}

/** Seconds from booking to the first acceptance: a histogram with median, 90th percentile and mean. */
export async function acceptTime(env: Env, actor: Auth, q: ReportQuery): Promise<Report> {
  const r = await rangeOf(env, actor, q);
  const db = getDb(env);
  const [orders, events] = await Promise.all([
    reportOrders(db, r.city.id, r.fromMs, r.toMs, r.scope),
    reportEvents(db, r.city.id, r.fromMs, r.toMs, r.scope),
  ]);
  const t = R.acceptTimes(orders, events);
  return {
    ...frame(r),
    columns: ["upToSeconds", "orders"],
    rows: t.buckets,
    totals: { accepted: t.accepted, medianSeconds: t.medianSeconds, p90Seconds: t.p90Seconds, meanSeconds: t.meanSeconds },
  };
}

/** Per local day: orders, cancellations, offers, acceptances, refusals, and the acceptance and cancellation rates. */
export async function rates(env: Env, actor: Auth, q: ReportQuery): Promise<Report> {
  const r = await rangeOf(env, actor, q);
  const db = getDb(env);
  const [orders, events] = await Promise.all([
    reportOrders(db, r.city.id, r.fromMs, r.toMs, r.scope),
    reportEvents(db, r.city.id, r.fromMs, r.toMs, r.scope),
  ]);
  const out = R.rates(orders, events, r.city.timeZone, r.days);
  return {
    ...frame(r),
    columns: ["date", "orders", "cancelled", "offers", "accepted", "refused", "acceptanceRate", "cancellationRate"],
    rows: out.items,
    totals: out.totals,
  };
}

/**
 * Per technician: minutes booked on visits ÷ minutes of shifts in the range. The shifts come from
 * the home cells, one call per cell for all of its technicians, so the report's round trips follow
 * the number of cells, not of technicians.
 */
export async function utilisation(env: Env, actor: Auth, q: ReportQuery): Promise<Report> {
  const r = await rangeOf(env, actor, q);
  const db = getDb(env);
  const [technicians, orders] = await Promise.all([
    cityTechnicians(db, r.city.id, r.scope),
    reportOrders(db, r.city.id, r.fromMs, r.toMs, undefined),
  ]);
  const shiftsOf = await shiftsOfMany(env, technicians);
  const rows = technicians.map((t) => {
    const shifts = shiftsOf.get(t.id)!;
    const exceptions = new Map(shifts.exceptions.map((e) => [e.date, e.intervals]));
    const shift = r.days.reduce((a, d) => a + R.windowMinutes(shiftWindows(shifts.weekly, exceptions, d, r.city.timeZone)), 0);
    const booked = R.bookedMinutes(orders, t.id, r.fromMs, r.toMs);
    const completed = orders.filter((o) => o.technicianId === t.id && o.status === "completed").length;
    return {
      technicianId: t.id,
      name: t.name,
      merchantId: t.merchantId,
      bookedMinutes: booked,
      shiftMinutes: shift,
      completed,
      utilisation: R.utilisation(booked, shift),
    };
  });
  rows.sort((a, b) => (b.utilisation ?? -1) - (a.utilisation ?? -1) || a.technicianId.localeCompare(b.technicianId));
  const booked = rows.reduce((a, x) => a + x.bookedMinutes, 0);
  const shift = rows.reduce((a, x) => a + x.shiftMinutes, 0);
  return {
    ...frame(r),
    columns: ["technicianId", "name", "merchantId", "bookedMinutes", "shiftMinutes", "completed", "utilisation"],
    rows,
    totals: { bookedMinutes: booked, shiftMinutes: shift, utilisation: R.utilisation(booked, shift) },
  };
}

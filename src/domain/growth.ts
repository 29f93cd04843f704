/**
 * Customer growth arithmetic, pure: new and active customers per local day or ISO week, repeat
 * rate, and monthly cohort retention. Everything counts completed orders only, placed on the local
 * date of the visit's start (like the other reports); a customer's first completed order in the
 * report's scope (city, merchant) makes them "new" and fixes their cohort month.
 */
import { addDays, isoWeekdayIndex, localDate } from "./zoned";

/** A completed order as the growth reports read it. */
export interface GrowthOrder {
  customerId: string;
  startAt: number;
}

export type GrowthPeriod = "day" | "week";

const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

/** The Monday (local date) of the ISO week of `date`. */
export function weekOf(date: string): string {
  return addDays(date, -isoWeekdayIndex(date));
}

/** Every period key of a range: each date, or each week's Monday. */
export function periodKeys(from: string, to: string, period: GrowthPeriod): string[] {
  const out: string[] = [];
  if (period === "day") for (let d = from; d <= to && out.length < 400; d = addDays(d, 1)) out.push(d);
  else for (let d = weekOf(from); d <= to && out.length < 60; d = addDays(d, 7)) out.push(d);
  return out;
}

/** Each customer's first completed order's local date (over all the orders given: pass the whole history up to the range's end). */
export function firstDates(orders: readonly GrowthOrder[], timeZone: string): Map<string, string> {
  const first = new Map<string, number>();
  for (const o of orders) {
    const seen = first.get(o.customerId);
    if (seen === undefined || o.startAt < seen) first.set(o.customerId, o.startAt);
  }
  return new Map([...first].map(([c, at]) => [c, localDate(at, timeZone)]));
}

/**
 * Per period of [from, to]: new customers (first completed order in it), active customers (a
 * completed order in it), returning ones (active but not new) and their share; with the totals over
 * the range: new, distinct active, repeat customers (two or more completed orders in the range) and
 * the repeat rate (repeat ÷ active). `orders` is the whole history up to `to`.
 */
export function customerGrowth(orders: readonly GrowthOrder[], timeZone: string, from: string, to: string, period: GrowthPeriod) {
  const first = firstDates(orders, timeZone);
  const keyOf = (date: string) => (period === "day" ? date : weekOf(date));
  const rows = new Map(periodKeys(from, to, period).map((k) => [k, { period: k, active: new Set<string>(), fresh: new Set<string>() }]));
  const inRange = new Map<string, number>();
  for (const o of orders) {
    const date = localDate(o.startAt, timeZone);
    if (date < from || date > to) continue;
    inRange.set(o.customerId, (inRange.get(o.customerId) ?? 0) + 1);
    const row = rows.get(keyOf(date))!;
    row.active.add(o.customerId);
    if (first.get(o.customerId) === date) row.fresh.add(o.customerId);
  }
  const items = [...rows.values()].map((r) => ({
    period: r.period,
    newCustomers: r.fresh.size,
    activeCustomers: r.active.size,
    returningCustomers: r.active.size - r.fresh.size,
    returningRate: ratio(r.active.size - r.fresh.size, r.active.size),
  }));
  const active = inRange.size;
  const repeat = [...inRange.values()].filter((n) => n >= 2).length;
  return {
    items,
    totals: {
      newCustomers: items.reduce((a, r) => a + r.newCustomers, 0),
      activeCustomers: active,
      repeatCustomers: repeat,
      repeatRate: ratio(repeat, active),
      completedOrders: [...inRange.values()].reduce((a, n) => a + n, 0),
    },
  };
}

/** "YYYY-MM" of a local date. */
const monthOf = (date: string) => date.slice(0, 7);

/** Months from "YYYY-MM" a to b (b ≥ a gives ≥ 0). */
export function monthsBetween(a: string, b: string): number {
  const [ay, am] = a.split("-").map(Number) as [number, number];
  const [by, bm] = b.split("-").map(Number) as [number, number];
  return (by - ay) * 12 + (bm - am);
}

function addMonths(month: string, n: number): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const total = y * 12 + (m - 1) + n;
  return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, "0")}`;
}

/**
 * Monthly cohorts by the month of the first completed order, for every month from `from`'s to
 * `to`'s (empty months included): the cohort's size, then for each month since (m0, m1, …) how many
 * of its customers completed an order in that month and that share (r0, r1, …). Months after `to`'s
 * month are null (not yet happened); `to`'s own month counts up to `to`.
 */
export function cohorts(orders: readonly GrowthOrder[], timeZone: string, from: string, to: string) {
  const first = firstDates(orders, timeZone);
  const last = monthOf(to);
  const span = monthsBetween(monthOf(from), last);
  const columns = [
    "cohort",
    "customers",
    ...Array.from({ length: span + 1 }, (_, k) => `m${k}`),
    ...Array.from({ length: span + 1 }, (_, k) => `r${k}`),
  ];
  const months = Array.from({ length: span + 1 }, (_, k) => addMonths(monthOf(from), k));
  const members = new Map(months.map((m) => [m, new Set<string>()]));
  for (const [customer, date] of first) members.get(monthOf(date))?.add(customer);
  const activeIn = new Map<string, Set<string>>();
  for (const o of orders) {
    const date = localDate(o.startAt, timeZone);
    if (date > to) continue;
    const m = monthOf(date);
    const set = activeIn.get(m) ?? new Set<string>();
    set.add(o.customerId);
    activeIn.set(m, set);
  }
  const rows = months.map((cohort) => {
    const who = members.get(cohort)!;
    const row: Record<string, string | number | null> = { cohort, customers: who.size };
    for (let k = 0; k <= span; k++) {
      const month = addMonths(cohort, k);
      if (monthsBetween(month, last) < 0) {
        row[`m${k}`] = null;
        row[`r${k}`] = null;
        continue;
      }
      const active = activeIn.get(month);
      const n = active ? [...who].filter((c) => active.has(c)).length : 0;
      row[`m${k}`] = n;
      row[`r${k}`] = ratio(n, who.size);
    }
    return row;
  });
  return { columns, rows, customers: first.size };
}

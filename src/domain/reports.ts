/**
 * Report arithmetic for the dashboard: pure functions over order and timeline rows. Dates and hours
 * are local to the city's time zone; money stays in integer minor units (分).
 */
import { addDays, isoWeekdayIndex, localDate, localMinuteOfDay } from "./zoned";
import { csvDocument } from "./csv";

/** The order facts reports read. */
export interface ReportOrder {
  id: string;
  merchantId: string | null;
  serviceId: string;
  cell: string;
  technicianId: string | null;
  status: string;
  startAt: number;
  endAt: number;
  total: number;
  createdAt: number;
}

/** One timeline fact: an offer (`assigned`), an acceptance, or a refusal (decline or missed deadline). */
export interface ReportEvent {
  orderId: string;
  kind: "offer" | "accept" | "refuse";
  at: number;
}

/** Statuses whose visit still happens or happened (their technician's time is taken). */
const BOOKED = new Set(["confirmed", "dispatching", "assigned", "accepted", "en_route", "arrived", "in_service", "completed"]);
const DONE = new Set(["completed"]);

const ratio = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

/** Every local date from `from` to `to`, inclusive. */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to && out.length < 400; d = addDays(d, 1)) out.push(d);
  return out;
}

/** Orders per ISO weekday (1 = Monday) and local hour of their start: all 168 cells, zeros included. */
export function hourOfWeek(orders: readonly ReportOrder[], timeZone: string) {
  const counts = new Array<number>(7 * 24).fill(0);
  for (const o of orders) {
    const weekday = isoWeekdayIndex(localDate(o.startAt, timeZone));
    const hour = Math.floor(localMinuteOfDay(o.startAt, timeZone) / 60);
    counts[weekday * 24 + hour]! += 1;
  }
  return counts.map((orders, i) => ({ weekday: Math.floor(i / 24) + 1, hour: i % 24, orders }));
}

/** Cells by number of orders, busiest first, with how many were completed and cancelled. */
export function hotCells(orders: readonly ReportOrder[]) {
  const by = new Map<string, { cell: string; orders: number; completed: number; cancelled: number; revenue: number }>();
  for (const o of orders) {
    const row = by.get(o.cell) ?? { cell: o.cell, orders: 0, completed: 0, cancelled: 0, revenue: 0 };
    row.orders += 1;
    if (DONE.has(o.status)) {
      row.completed += 1;
      row.revenue += o.total;
    }
    if (o.status === "cancelled" || o.status === "refunded") row.cancelled += 1;
    by.set(o.cell, row);
  }
  return [...by.values()].sort((a, b) => b.orders - a.orders || a.cell.localeCompare(b.cell));
}

export type RevenueBy = "day" | "merchant" | "service";

/** Revenue of completed orders (their totals) per local day, merchant or service. Days without any are listed as zero. */
export function revenue(orders: readonly ReportOrder[], by: RevenueBy, timeZone: string, days: readonly string[]) {
  const rows = new Map<string, { key: string; orders: number; revenue: number }>();
  if (by === "day") for (const d of days) rows.set(d, { key: d, orders: 0, revenue: 0 });
  for (const o of orders) {
    if (!DONE.has(o.status)) continue;
    const key = by === "day" ? localDate(o.startAt, timeZone) : by === "merchant" ? (o.merchantId ?? "platform") : o.serviceId;
    const row = rows.get(key) ?? { key, orders: 0, revenue: 0 };
    row.orders += 1;
    row.revenue += o.total;
    rows.set(key, row);
  }
  const list = [...rows.values()];
  return by === "day" ? list.sort((a, b) => a.key.localeCompare(b.key)) : list.sort((a, b) => b.revenue - a.revenue);
}

/** The value at quantile `q` (0..1) of sorted numbers, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Upper bounds (seconds) of the booking-to-accept histogram; the last bucket is open. */
export const ACCEPT_BUCKETS = [60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600] as const;

/** Time from booking (order created) to the first acceptance, per order that was accepted. */
export function acceptTimes(orders: readonly ReportOrder[], events: readonly ReportEvent[]) {
  const firstAccept = new Map<string, number>();
  for (const e of events) {
    if (e.kind !== "accept") continue;
    const seen = firstAccept.get(e.orderId);
    if (seen === undefined || e.at < seen) firstAccept.set(e.orderId, e.at);
  }
  const seconds: number[] = [];
  for (const o of orders) {
    const at = firstAccept.get(o.id);
    if (at !== undefined) seconds.push(Math.max(0, Math.round((at - o.createdAt) / 1000)));
  }
  seconds.sort((a, b) => a - b);
  const buckets = [...ACCEPT_BUCKETS, null].map((upTo, i) => {
    const low = i === 0 ? -1 : ACCEPT_BUCKETS[i - 1]!;
    return { upToSeconds: upTo, orders: seconds.filter((s) => s > low && (upTo === null || s <= upTo)).length };
  });
  const mean = seconds.length ? Math.round(seconds.reduce((a, b) => a + b, 0) / seconds.length) : null;
  return {
    accepted: seconds.length,
    medianSeconds: quantile(seconds, 0.5),
    p90Seconds: quantile(seconds, 0.9),
    meanSeconds: mean,
    buckets,
  };
}

/** Per local day of the start: orders, cancellations, offers made, accepted and refused, and the two rates. */
export function rates(orders: readonly ReportOrder[], events: readonly ReportEvent[], timeZone: string, days: readonly string[]) {
  const day = new Map(orders.map((o) => [o.id, localDate(o.startAt, timeZone)]));
  const rows = new Map(days.map((d) => [d, { date: d, orders: 0, cancelled: 0, offers: 0, accepted: 0, refused: 0 }]));
  for (const o of orders) {
    const row = rows.get(day.get(o.id)!);
    if (!row) continue;
    row.orders += 1;
    if (o.status === "cancelled" || o.status === "refunded") row.cancelled += 1;
  }
  for (const e of events) {
    const d = day.get(e.orderId);
    const row = d === undefined ? undefined : rows.get(d);
    if (!row) continue;
    if (e.kind === "offer") row.offers += 1;
    else if (e.kind === "accept") row.accepted += 1;
    else row.refused += 1;
  }
  const items = [...rows.values()].map((r) => ({
    ...r,
    acceptanceRate: ratio(r.accepted, r.accepted + r.refused),
    cancellationRate: ratio(r.cancelled, r.orders),
  }));
  const sum = (k: "orders" | "cancelled" | "offers" | "accepted" | "refused") => items.reduce((a, r) => a + r[k], 0);
  return {
    items,
    totals: {
      orders: sum("orders"),
      cancelled: sum("cancelled"),
      offers: sum("offers"),
      accepted: sum("accepted"),
      refused: sum("refused"),
      acceptanceRate: ratio(sum("accepted"), sum("accepted") + sum("refused")),
      cancellationRate: ratio(sum("cancelled"), sum("orders")),
    },
  };
}

/** Booked minutes of one technician's visits within [from, to) (clipped), counting only visits that happen. */
export function bookedMinutes(orders: readonly ReportOrder[], technicianId: string, from: number, to: number): number {
  let ms = 0;
  for (const o of orders) {
    if (o.technicianId !== technicianId || !BOOKED.has(o.status)) continue;
    ms += Math.max(0, Math.min(o.endAt, to) - Math.max(o.startAt, from));
  }
  return Math.round(ms / 60_000);
}

/** Minutes covered by a set of [start, end) windows. */
export function windowMinutes(windows: readonly [number, number][]): number {
  return Math.round(windows.reduce((a, [s, e]) => a + Math.max(0, e - s), 0) / 60_000);
}

/** Utilisation: booked ÷ shift minutes (null without shift time). */
export function utilisation(booked: number, shift: number): number | null {
  return ratio(booked, shift);
}

/** CSV (RFC 4180) of rows with the given columns: every cell quoted, formulas defused (`csvDocument`). */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  return csvDocument(
    columns,
    rows.map((r) => columns.map((c) => r[c])),
  );
}

/** How loaded a cell is: open orders per online technician (open orders with nobody online count fully). */
export function cellLoad(openOrders: number, onlineTechnicians: number): number {
  if (openOrders === 0) return 0;
  return Math.round((openOrders / Math.max(1, onlineTechnicians)) * 100) / 100;
}

/**
 * Flexible-window quotes (docs/flexible-windows.md): the customer names a window such as
 * 09:00–12:00 instead of an exact start. The quote prices the job at the window's start and
 * carries the window; the booking holds the earliest start inside it that a technician can take.
 */
import type { Db } from "../db/client";
import type { ServiceRow } from "../db/repositories/booking.repo";
import { cityOfCell } from "../db/repositories/cities.repo";
import type { OrderPatch, OrderRow, OutboxMessage } from "../db/repositories/orders.repo";
import { latestStartIn, windowProblems, type TimeWindow } from "../domain/time-window";
import { localDate, localMinuteOfDay, toZonedIso } from "../domain/zoned";
import { AppError } from "../errors";
import { newId } from "../lib/ids";

/** What a quote request names: an exact start, or a window (exactly one of them). */
export interface AskedTime {
  start?: string;
  window?: { start: string; end: string };
}

function invalidWindow(problems: { path: string; reason: { en: string; zh: string } }[]): AppError {
  return AppError.of(
    "INVALID_WINDOW",
    { reason: { en: problems.map((p) => p.reason.en).join("; "), zh: problems.map((p) => p.reason.zh).join("；") } },
    { errors: problems.map((p) => ({ path: p.path, message: p.reason.en })) },
  );
}

/** The start the job is priced at and the window, if one was asked for; 400 INVALID_WINDOW unless exactly one was named. */
export function askedStart(input: AskedTime): { start: number; window?: TimeWindow } {
  if (input.start !== undefined && input.window !== undefined)
    throw invalidWindow([{ path: "body.window", reason: { en: "name either start or window, not both", zh: "开始时间与时段只能二选一" } }]);
  if (input.window !== undefined) {
    const window = { start: Date.parse(input.window.start), end: Date.parse(input.window.end) };
    return { start: window.start, window };
  }
  if (input.start === undefined)
    throw invalidWindow([{ path: "body.start", reason: { en: "name a start or a window", zh: "请填写开始时间或预约时段" } }]);
  return { start: Date.parse(input.start) };
}

/** 400 INVALID_WINDOW unless the window fits a job of `durationMs` and the service's lead time and horizon. */
export function checkWindow(
  service: Pick<ServiceRow, "leadTimeMinutes" | "horizonDays">,
  window: TimeWindow,
  durationMs: number,
  now = Date.now(),
): void {
  const problems = windowProblems(window, durationMs, {
    now,
    leadMs: service.leadTimeMinutes * 60_000,
    horizonMs: service.horizonDays * 86_400_000,
  });
  if (problems.length) throw invalidWindow(problems);
}

/** The window as a view shows it, in the city's time zone (null: a fixed-time job). */
export function windowView(window: { start: number | null; end: number | null } | undefined, timeZone: string) {
  if (!window || window.start === null || window.end === null) return null;
  return { start: toZonedIso(window.start, timeZone), end: toZonedIso(window.end, timeZone) };
}

/** The latest start a held job of the quote may take inside its window (undefined: a fixed-time quote). */
export function latestStartOf(quote: { start: number; end: number; window?: TimeWindow }): number | undefined {
  return quote.window ? latestStartIn(quote.window, quote.end - quote.start) : undefined;
}

/** The order's interval as the cell held it inside the window (nothing for a fixed-time hold). */
export function heldInWindow(reservation: { held?: { start: number; end: number } }) {
  const held = reservation.held;
  return held ? { startAt: held.start, bookedStartAt: held.start, endAt: held.end } : {};
}

const hhmm = (ms: number, timeZone: string) => {
  const m = localMinuteOfDay(ms, timeZone);
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
};

/** The window and the start held in it as people read them, in the city's time zone (e.g. "12-05 09:00–12:00"). */
export function windowText(window: TimeWindow, start: number, timeZone: string): { zh: string; en: string } {
  const day = localDate(window.start, timeZone).slice(5);
  const span = `${day} ${hhmm(window.start, timeZone)}–${hhmm(window.end, timeZone)}`;
  const at = hhmm(start, timeZone);
  return {
    zh: `预约时段 ${span}，技师计划 ${at} 开始服务`,
    en: `Window ${span}; the technician plans to start at ${at}`,
  };
}

/** The booked timeline entry's note for a flexible-window order (nothing for a fixed-time one). */
export function windowNote(
  quote: { window?: TimeWindow; start: number },
  reservation: { held?: { start: number } },
  timeZone: string,
): { data?: { note: { zh: string; en: string } } } {
  if (!quote.window) return {};
  return { data: { note: windowText(quote.window, reservation.held?.start ?? quote.start, timeZone) } };
}

/**
 * A later round's hold of a flexible-window order (a new technician, a hold placed again): the
 * order takes the start the cell held inside the window, and the customer hears of the new time.
 * Nothing when the hold kept the order's start, was not a window hold, or there was none. `bookedStartAt` keeps the
 * start the customer booked, as any move does.
 */
export function reheldInWindow(
  order: Pick<OrderRow, "id" | "customerId" | "startAt" | "bookedStartAt">,
  reservation: { technicianId: string; held?: { start: number; end: number } } | null,
): { patch: OrderPatch; messages: OutboxMessage[]; data: Record<string, unknown> } {
  const held = reservation?.held;
  if (!reservation || !held || held.start === order.startAt) return { patch: {}, messages: [], data: {} };
  return {
    patch: { startAt: held.start, endAt: held.end, bookedStartAt: order.bookedStartAt ?? order.startAt },
    messages: [
      {
        id: newId("msg"),
        topic: "order.rescheduled",
        payload: { orderId: order.id, customerId: order.customerId, technicianId: reservation.technicianId, start: held.start },
      },
    ],
    data: { fromStart: order.startAt, toStart: held.start },
  };
}

/** A flexible-window order's window and `start` as people read them, in its city's time zone (undefined: a fixed-time order). */
export async function windowNoteOf(
  db: Db,
  order: Pick<OrderRow, "cell" | "windowStartAt" | "windowEndAt">,
  start: number,
): Promise<{ zh: string; en: string } | undefined> {
  if (order.windowStartAt === null || order.windowEndAt === null) return undefined;
  const city = await cityOfCell(db, order.cell);
  return windowText({ start: order.windowStartAt, end: order.windowEndAt }, start, city?.timeZone ?? "Asia/Shanghai");
}

/**
 * A flexible-window order moved to an exact start: it stays a window order while the whole job is
 * inside its window; moved outside, it becomes a fixed-time order at the new start (the window is
 * cleared). Nothing for a fixed-time order.
 */
export function windowAfterReschedule(
  order: Pick<OrderRow, "windowStartAt" | "windowEndAt">,
  start: number,
  end: number,
): { windowStartAt?: null; windowEndAt?: null } {
  if (order.windowStartAt === null || order.windowEndAt === null) return {};
  return start >= order.windowStartAt && end <= order.windowEndAt ? {} : { windowStartAt: null, windowEndAt: null };
}

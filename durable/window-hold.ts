/**
 * Holds for flexible-window jobs: the earliest start inside the window that a fixed hold at that
 * start would accept (same shifts, clashes and travel gaps: CalendarStore.fits). Synchronous, run
 * inside the cell's transaction like every other check-then-write.
 */
import { candidateStarts } from "../src/domain/time-window";
import { addDays, localDate } from "../src/domain/zoned";
import type { CalendarStore, Technician } from "./calendar.store";
import type { AvailabilityQuery, CalendarItem, CellFailure, CellResult, HoldRequest } from "./cell.types";

const DAY = 86_400_000;
/** Longest job plus travel looked around the window for clashes (as calendar.store's CLASH_WINDOW). */
const AROUND = 2 * DAY;

/** A hold for a job that may start anywhere in [start, latestStart]; `end - start` is its duration. */
export interface WindowHoldRequest extends HoldRequest {
  latestStart: number;
}

/**
 * The earliest start in [job.start, latestStart] at which the technician can take the job, or the
 * failure the window's own start got (OUTSIDE_SHIFT or SLOT_UNAVAILABLE) when none fits.
 * `items`: their live items around the window, when the caller read them already.
 */
export function earliestFit(
  calendar: CalendarStore,
  tech: Technician,
  job: { orderId: string; start: number; end: number; lat: number; lng: number },
  latestStart: number,
  ignoreShifts: boolean,
  now: number,
  items: CalendarItem[] = calendar.itemsNear(tech.profile.id, job.start - AROUND, latestStart + (job.end - job.start) + AROUND, now),
): { start: number } | { failure: CellFailure } {
  const duration = job.end - job.start;
  const near = items.filter((i) => i.orderId !== job.orderId);
  const tz = tech.profile.timeZone;
  const shiftStarts: number[] = [];
  if (!ignoreShifts) {
    // The local dates the window touches (a window is at most a few hours, so one or two).
    for (let d = localDate(job.start, tz); d <= localDate(latestStart, tz); d = addDays(d, 1))
      for (const [from] of calendar.windowsOn(tech, d)) shiftStarts.push(from);
  }
  let first: CellFailure | null = null;
  for (const start of candidateStarts(job.start, latestStart, job, near, shiftStarts, calendar.travelModel)) {
    const failure = calendar.fits(tech, { ...job, start, end: start + duration }, ignoreShifts, now, undefined, near);
    if (!failure) return { start };
    first ??= failure;
  }
  return { failure: first ?? { ok: false, code: "SLOT_UNAVAILABLE" } };
}

/**
 * Places a hold at the earliest fitting start in the window. Idempotent per orderId like `hold`:
 * the same request again (same technician, same duration, a start inside the window) answers ok
 * with the start held then; a different one for the same order is ORDER_CONFLICT.
 */
export function holdInWindow(
  calendar: CalendarStore,
  req: WindowHoldRequest,
  now: number,
): CellResult<{ expiresAt: number; replayed: boolean; start: number; end: number }> {
  const tech = calendar.writable(req.technicianId);
  if ("ok" in tech) return tech;
  const duration = req.end - req.start;
  const existing = calendar.item(req.orderId);
  if (existing && (existing.expiresAt === null || existing.expiresAt > now)) {
    const same =
      existing.technicianId === req.technicianId &&
      existing.end - existing.start === duration &&
      existing.start >= req.start &&
      existing.start <= req.latestStart;
    return same
      ? { ok: true, expiresAt: existing.expiresAt ?? 0, replayed: true, start: existing.start, end: existing.end }
      : { ok: false, code: "ORDER_CONFLICT" };
  }
  const found = earliestFit(calendar, tech, req, req.latestStart, req.ignoreShifts === true, now);
  if ("failure" in found) return found.failure;
  const start = found.start;
  const held = calendar.hold({ ...req, start, end: start + duration }, now);
  return held.ok ? { ...held, start, end: start + duration } : held;
}

/**
 * A calendar item placed at its earliest fitting start for `tech` inside `window` (starts from
 * `window.start` to `window.latestStart`, the item's duration kept), or null when none fits.
 */
export function placeInWindow(
  calendar: CalendarStore,
  tech: Technician,
  item: CalendarItem,
  window: { start: number; latestStart: number },
  now: number,
): CalendarItem | null {
  const duration = item.end - item.start;
  const found = earliestFit(calendar, tech, { ...item, start: window.start, end: window.start + duration }, window.latestStart, false, now);
  return "failure" in found ? null : { ...item, start: found.start, end: found.start + duration };
}

/**
 * Moves a held or booked interval, on the same technician, to the earliest start in
 * [earliest, latestStart] that fits (its own old place does not count as a clash). A failure
 * changes nothing: the failure the window's first start got, or the interval's own (HOLD_EXPIRED…).
 */
export function rescheduleInWindow(
  calendar: CalendarStore,
  orderId: string,
  earliest: number,
  latestStart: number,
  now: number,
): CellResult<{ item: CalendarItem }> {
  const item = calendar.item(orderId);
  const duration = item ? item.end - item.start : 0;
  const tech = item ? calendar.writable(item.technicianId) : null;
  if (!item || !tech || "ok" in tech || (item.expiresAt !== null && item.expiresAt <= now))
    return calendar.reschedule(orderId, earliest, earliest + Math.max(duration, 1), undefined, false, now);
  const found = earliestFit(calendar, tech, { ...item, start: earliest, end: earliest + duration }, latestStart, false, now);
  if ("failure" in found) return found.failure;
  return calendar.reschedule(orderId, found.start, found.start + duration, undefined, false, now);
}

/** Which windows of a day have room for a job (GET /v1/availability with `windowMinutes`). */
export interface WindowRoomQuery extends Omit<AvailabilityQuery, "starts"> {
  /** Each window as the starts a job may take in it (UTC ms): from `start` to `latestStart`. */
  windows: { start: number; latestStart: number }[];
}

/**
 * For each window, how many technicians homed here could take the job somewhere in it: the same
 * technicians a window booking's dispatch asks (approved, skilled, in range) and the same search
 * (`earliestFit`: shifts, clashes, travel gaps). One read of the calendars for all of them.
 */
export function windowRoom(calendar: CalendarStore, q: WindowRoomQuery, now: number): number[] {
  const counts = q.windows.map(() => 0);
  const eligible = q.windows.length === 0 ? [] : calendar.eligibleFor(q);
  if (eligible.length === 0) return counts;
  const duration = q.durationMinutes * 60_000;
  const first = Math.min(...q.windows.map((w) => w.start));
  const last = Math.max(...q.windows.map((w) => w.latestStart)) + duration;
  const items = calendar.itemsByTechnician(first - AROUND, last + AROUND, now);
  for (const tech of eligible) {
    const mine = items.get(tech.profile.id) ?? [];
    q.windows.forEach((w, i) => {
      const job = { orderId: "", start: w.start, end: w.start + duration, lat: q.lat, lng: q.lng };
      if (!("failure" in earliestFit(calendar, tech, job, w.latestStart, false, now, mine))) counts[i]! += 1;
    });
  }
  return counts;
}

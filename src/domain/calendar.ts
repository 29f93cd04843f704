/**
 * Technician calendar rules, pure: travel between jobs, clash detection, shift windows and the
 * slot grid. The CellDO applies them inside its critical sections; availability uses the same code,
 * so what is offered is exactly what a hold would accept.
 */
import { haversineKm, type LatLng } from "./geo";
import { WEEKDAYS, type ShiftInterval, type WeeklyShifts } from "./shifts";
import { isoWeekdayIndex, localMinuteOfDay, parseHhMm, zonedToUtc, addDays } from "./zoned";

export interface TravelModel {
  /** Road distance ÷ straight-line distance. */
  roadFactor: number;
  speedKmh: number;
  /** Fixed gap between two jobs on top of the travel time (parking, handover). */
  bufferMinutes: number;
}

export const DEFAULT_TRAVEL: TravelModel = { roadFactor: 1.4, speedKmh: 25, bufferMinutes: 10 };

const nonNegative = (v: string | undefined, fallback: number) => {
  const n = Number(v);
  return v !== undefined && v !== "" && Number.isFinite(n) && n >= 0 ? n : fallback;
};

/** The travel model from configuration (TRAVEL_ROAD_FACTOR, TRAVEL_SPEED_KMH, TRAVEL_BUFFER_MINUTES). */
export function travelModelOf(env: Partial<Record<string, string>>): TravelModel {
  return {
    roadFactor: nonNegative(env.TRAVEL_ROAD_FACTOR, DEFAULT_TRAVEL.roadFactor) || DEFAULT_TRAVEL.roadFactor,
    speedKmh: nonNegative(env.TRAVEL_SPEED_KMH, DEFAULT_TRAVEL.speedKmh) || DEFAULT_TRAVEL.speedKmh,
    bufferMinutes: nonNegative(env.TRAVEL_BUFFER_MINUTES, DEFAULT_TRAVEL.bufferMinutes),
  };
}

/** A placed job: when and where. */
export interface Placed {
  start: number;
  end: number;
  lat: number;
  lng: number;
}

const MINUTE = 60_000;

/** Minimum gap between the end of a job at `a` and the start of one at `b` (whole minutes, buffer included). */
export function travelGapMs(a: LatLng, b: LatLng, model: TravelModel): number {
  const hours = (haversineKm(a, b) * model.roadFactor) / model.speedKmh;
  return (Math.ceil(hours * 60) + model.bufferMinutes) * MINUTE;
}

/** True when the two jobs cannot both be done: they overlap once the travel gap between them is required. */
export function clashes(a: Placed, b: Placed, model: TravelModel): boolean {
  const gap = travelGapMs(a, b, model);
  return !(a.end + gap <= b.start || b.end + gap <= a.start);
}

/** The first of `existing` that clashes with `candidate`, if any. */
export function firstClash<T extends Placed>(existing: Iterable<T>, candidate: Placed, model: TravelModel): T | undefined {
  for (const job of existing) if (clashes(job, candidate, model)) return job;
  return undefined;
}

/** A dated exception: the day's working intervals replace the weekly ones (empty = day off). */
export interface ShiftException {
  date: string;
  intervals: ShiftInterval[];
}

/** Working windows (UTC ms) on a local date, from the weekly template or that date's exception. */
export function shiftWindows(
  weekly: WeeklyShifts,
  exceptions: ReadonlyMap<string, ShiftInterval[]>,
  date: string,
  timeZone: string,
): [number, number][] {
  const intervals = exceptions.get(date) ?? weekly[WEEKDAYS[isoWeekdayIndex(date)]!] ?? [];
  const windows: [number, number][] = [];
  for (const iv of intervals) {
    const from = parseHhMm(iv.start);
    const to = parseHhMm(iv.end);
    if (from === null || to === null || to <= from) continue;
    const start = zonedToUtc(date, from, timeZone);
    const end = to === 1440 ? zonedToUtc(addDays(date, 1), 0, timeZone) : zonedToUtc(date, to, timeZone);
    if (end > start) windows.push([start, end]);
  }
  return windows.sort((x, y) => x[0] - y[0]);
}

export function insideWindows(windows: readonly [number, number][], start: number, end: number): boolean {
  return windows.some(([ws, we]) => start >= ws && end <= we);
}

/**
 * Slot start instants for a local date on a `gridMinutes` grid of local wall-clock time. Walking
 * UTC instants from local midnight to the next keeps each instant once across daylight-saving
 * changes: a skipped hour has no slots, a repeated hour has its two distinct instants.
 */
export function slotStarts(date: string, timeZone: string, gridMinutes: number): number[] {
  const from = zonedToUtc(date, 0, timeZone);
  const to = zonedToUtc(addDays(date, 1), 0, timeZone);
  const out: number[] = [];
  const step = Math.min(gridMinutes, 15) * MINUTE;
  for (let t = from; t < to; t += step) {
    if (localMinuteOfDay(t, timeZone) % gridMinutes === 0) out.push(t);
  }
  return out;
}

/** Checks a weekly template: intervals are HH:MM, end after start, no overlaps within a day. */
export function checkWeekly(weekly: WeeklyShifts, path = "weekly"): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  for (const day of WEEKDAYS) problems.push(...checkIntervals(weekly[day] ?? [], `${path}.${day}`));
  return problems;
}

export function checkIntervals(intervals: readonly ShiftInterval[], path: string): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const parsed: [number, number, number][] = [];
  intervals.forEach((iv, i) => {
    const from = parseHhMm(iv.start);
    const to = parseHhMm(iv.end);
    if (from === null || from === 1440) problems.push({ path: `${path}.${i}.start`, message: "expected HH:MM from 00:00 to 23:59" });
    else if (to === null) problems.push({ path: `${path}.${i}.end`, message: "expected HH:MM from 00:01 to 24:00" });
    else if (to <= from) problems.push({ path: `${path}.${i}.end`, message: "end must be after start (shifts do not cross midnight)" });
    else parsed.push([from, to, i]);
  });
  parsed.sort((a, b) => a[0] - b[0]);
  for (let k = 1; k < parsed.length; k++) {
    if (parsed[k]![0] < parsed[k - 1]![1]) problems.push({ path: `${path}.${parsed[k]![2]}`, message: "intervals overlap" });
  }
  return problems;
}

/**
 * Flexible-window jobs, pure: the customer accepts any start inside a window (e.g. 09:00–12:00
 * local time) instead of an exact start. The cell holds the earliest start inside the window that
 * fits the technician's shifts, other jobs and travel gaps (durable/window-hold.ts); these are the
 * rules it and the Worker share.
 */
import { travelGapMs, type Placed, type TravelModel } from "./calendar";

/** The longest window a customer may accept (docs/flexible-windows.md). */
export const MAX_WINDOW_MINUTES = 8 * 60;

/** Held starts are whole minutes, so the plan a customer sees reads as a clock time. */
export const WINDOW_STEP_MS = 60_000;

/** A window of acceptable starts and ends (UTC ms): the job starts at or after `start` and ends by `end`. */
export interface TimeWindow {
  start: number;
  end: number;
}

/** Why a window cannot be quoted, in both languages, with the field at fault. */
export interface WindowProblem {
  path: string;
  reason: { en: string; zh: string };
}

/**
 * Checks a window against a job of `durationMs` and the service's booking limits (lead time and
 * horizon, in ms from `now`). Empty when it is fine.
 */
export function windowProblems(
  window: TimeWindow,
  durationMs: number,
  limits: { now: number; leadMs: number; horizonMs: number },
): WindowProblem[] {
  const out: WindowProblem[] = [];
  const minutes = (ms: number) => Math.round(ms / 60_000);
  if (!(window.end > window.start)) {
    out.push({ path: "body.window.end", reason: { en: "the window must end after it starts", zh: "时段结束时间须晚于开始时间" } });
    return out;
  }
  if (window.end - window.start < durationMs)
    out.push({
      path: "body.window.end",
      reason: {
        en: `the window must be at least as long as the job (${minutes(durationMs)} minutes)`,
        zh: `时段不得短于服务时长（${minutes(durationMs)} 分钟）`,
      },
    });
  if (window.end - window.start > MAX_WINDOW_MINUTES * 60_000)
    out.push({
      path: "body.window.end",
      reason: { en: `the window may be at most ${MAX_WINDOW_MINUTES} minutes long`, zh: `时段最长 ${MAX_WINDOW_MINUTES} 分钟` },
    });
  if (window.start < limits.now + limits.leadMs)
    out.push({
      path: "body.window.start",
      reason: {
        en: `the window must start at least ${minutes(limits.leadMs)} minutes ahead`,
        zh: `时段须至少提前 ${minutes(limits.leadMs)} 分钟`,
      },
    });
  if (window.end > limits.now + limits.horizonMs)
    out.push({
      path: "body.window.end",
      reason: {
        en: `the window must end within ${Math.round(limits.horizonMs / 86_400_000)} days`,
        zh: `时段须在 ${Math.round(limits.horizonMs / 86_400_000)} 天内结束`,
      },
    });
  return out;
}

/** The latest start of a job of `durationMs` inside `window`. */
export const latestStartIn = (window: TimeWindow, durationMs: number): number => window.end - durationMs;

const ceilTo = (ms: number, step: number) => Math.ceil(ms / step) * step;

/**
 * The starts worth trying for a job inside [earliest, latest], earliest first, whole minutes: the
 * window's start, each shift window's start and the first start after each nearby job (its end
 * plus the travel gap). The earliest start that fits is always one of them, since starting later
 * can only clash with a job after it, never help it fit; each is rounded up to a whole minute.
 */
export function candidateStarts(
  earliest: number,
  latest: number,
  at: { lat: number; lng: number },
  near: readonly Placed[],
  shiftStarts: readonly number[],
  model: TravelModel,
): number[] {
  const raw = [earliest, ...shiftStarts, ...near.map((j) => j.end + travelGapMs(j, at, model))];
  const starts = new Set<number>();
  for (const s of raw) {
    const t = Math.max(ceilTo(s, WINDOW_STEP_MS), ceilTo(earliest, WINDOW_STEP_MS));
    if (t <= latest) starts.add(t);
  }
  return [...starts].sort((a, b) => a - b);
}

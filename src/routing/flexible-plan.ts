/**
 * Flexible-window jobs on a technician's day route (docs/flexible-windows.md): fixed-time jobs stay
 * where the calendar holds them, flexible jobs not yet under way are placed by `planDay` inside their
 * windows and the technician's shift. The route-plans queue consumer plans the day and stores the
 * placement (src/routing/day-plans.service.ts); reading the route only shows it; the technician
 * applies it (`POST /v1/technician/route/apply`) through the cell's multi-move (src/board
 * applyOrderMoves → CellDO.applyMoves), so the calendar stays the truth.
 */
import { applyOrderMoves, type MoveWording } from "../board";
import type { OrderRow } from "../db/repositories/orders.repo";
import type { RosterEntry } from "../db/repositories/roster.repo";
import { shiftWindows, type TravelModel } from "../domain/calendar";
import { planDay, type FlexibleJob } from "../domain/day-plan";
import type { DayJob } from "../domain/day-route";
import type { LatLng } from "../domain/geo";
import type { OrderStatus } from "../domain/order-state";
import { getShifts } from "../technicians";

/** Not yet on the way: a flexible job in these may still move inside its window. */
const PLANNABLE: readonly OrderStatus[] = ["assigned", "accepted"];
/** The solver's work per day plan, fixed so the same day plans the same way each time. */
const PLAN_ITERATIONS = 300;
/** A bound on the solver's time should a day be far larger than usual. */
const PLAN_BUDGET_MS = 200;

/** The timeline's words for a start the technician's route plan moved. */
export const REPLANNED: MoveWording = {
  reason: "re-planned within the booked window",
  note: { zh: "技师规划当日路线，在预约时段内调整了上门时间", en: "Re-planned within the booked window by the technician's day route" },
};

/** A flexible-window order not yet on the way: the day plan may move it inside its window. */
export function isPlannable(order: OrderRow): boolean {
  return order.windowStartAt !== null && order.windowEndAt !== null && PLANNABLE.includes(order.status);
}

/** The order's window as the planner takes it, or null for a fixed-time order or one under way. */
function flexibleOf(order: OrderRow, job: DayJob): FlexibleJob | null {
  if (!isPlannable(order) || order.windowStartAt === null || order.windowEndAt === null) return null;
  const durationMs = job.end - job.start;
  return { id: job.id, point: job.point, earliest: order.windowStartAt, latest: order.windowEndAt - durationMs, durationMs };
}

/** The day's jobs with the flexible ones placed, and the placed jobs whose start differs from the calendar's. */
export interface FlexiblePlan {
  jobs: DayJob[];
  moves: DayJob[];
}

/** The technician's shift intervals on a local date, as their home cell holds the shifts (UTC ms, in order). */
export async function dayShift(env: Env, technicianId: string, date: string): Promise<[number, number][]> {
  const shifts = await getShifts(env, technicianId);
  return shiftWindows(shifts.weekly, new Map(shifts.exceptions.map((e) => [e.date, e.intervals])), date, shifts.timeZone);
}

/**
 * The day's jobs with the flexible ones placed inside their windows and the day's `shift` (dayShift);
 * null when nothing would move. Changes nothing; runs the solver only when there is a flexible job.
 */
export function planFlexibleJobs(
  home: LatLng,
  orders: ReadonlyMap<string, OrderRow>,
  jobs: DayJob[],
  model: TravelModel,
  shift: readonly (readonly [number, number])[],
): FlexiblePlan | null {
  // In id order: the planner's input never depends on where the flexible jobs sit now, so a day
  // whose proposal was applied plans the same way again (nothing left to move).
  const byIdOrder = [...jobs].sort((x, y) => x.id.localeCompare(y.id));
  const flexible = byIdOrder.flatMap((j) => flexibleOf(orders.get(j.id)!, j) ?? []);
  if (flexible.length === 0) return null;
  const ids = new Set(flexible.map((f) => f.id));
  if (shift.length === 0) return null;
  const plan = planDay(
    home,
    byIdOrder.filter((j) => !ids.has(j.id)),
    flexible,
    model,
    { from: shift[0]![0], to: shift[shift.length - 1]![1] },
    { budgetMs: PLAN_BUDGET_MS, maxIterations: PLAN_ITERATIONS, seed: 1 },
  );
  const current = new Map(jobs.map((j) => [j.id, j]));
  const byId = new Map(flexible.map((f) => [f.id, f]));
  // Only a flexible job, only inside its window (the planner's promise, checked again here).
  const moves = plan.jobs.filter((j) => {
    const f = byId.get(j.id);
    return f !== undefined && j.start !== current.get(j.id)!.start && j.start >= f.earliest && j.start <= f.latest;
  });
  if (moves.length === 0) return null;
  const moved = new Map(moves.map((m) => [m.id, m]));
  return { jobs: jobs.map((j) => moved.get(j.id) ?? j), moves };
}

/**
 * Applies a plan's moves in the technician's home cell, all or nothing, as the technician's own
 * change: the cell checks shifts, clashes and travel gaps; D1 follows with a timeline entry and the
 * customer's new-time notice. Its 409s (MOVE_REFUSED, CONCURRENT_UPDATE) reach the caller unchanged.
 */
export async function applyFlexiblePlan(
  env: Env,
  entry: RosterEntry,
  moves: readonly { id: string; start: number; end: number }[],
): Promise<void> {
  await applyOrderMoves(
    env,
    { type: "technician", id: entry.profile.id },
    entry.homeCell,
    moves.map((m) => ({ orderId: m.id, technicianId: entry.profile.id, start: m.start, end: m.end })),
    REPLANNED,
  );
}

/**
 * Flexible-window jobs on a technician's day route (docs/flexible-windows.md): fixed-time jobs stay
 * where the calendar holds them, flexible jobs not yet under way are placed by `planDay` inside their
 * windows and the technician's shift. A placement that differs from the calendar goes through the
 * cell's multi-move (src/board applyOrderMoves → CellDO.applyMoves), so the calendar stays the truth:
 * the route shows the plan only once the cell has taken it, the calendar's times otherwise.
 */
import { applyOrderMoves } from "../board";
import type { OrderRow } from "../db/repositories/orders.repo";
import type { RosterEntry } from "../db/repositories/roster.repo";
import { shiftWindows, type TravelModel } from "../domain/calendar";
import { planDay, type FlexibleJob } from "../domain/day-plan";
import type { DayJob } from "../domain/day-route";
import type { LatLng } from "../domain/geo";
import type { OrderStatus } from "../domain/order-state";
import { AppError } from "../errors";
import { logger } from "../lib/log";
import { getShifts } from "../technicians";

/** Not yet on the way: a flexible job in these may still move inside its window. */
const PLANNABLE: readonly OrderStatus[] = ["assigned", "accepted"];
/** The solver's work per route read, fixed so the same day plans the same way each time. */
const PLAN_ITERATIONS = 300;
/** A bound on the solver's time should a day be far larger than usual. */
const PLAN_BUDGET_MS = 200;

/** The order's window as the planner takes it, or null for a fixed-time order or one under way. */
function flexibleOf(order: OrderRow, job: DayJob): FlexibleJob | null {
  if (order.windowStartAt === null || order.windowEndAt === null || !PLANNABLE.includes(order.status)) return null;
  const durationMs = job.end - job.start;
  return { id: job.id, point: job.point, earliest: order.windowStartAt, latest: order.windowEndAt - durationMs, durationMs };
}

/**
 * The day's jobs with the flexible ones placed (`moved`: the orders whose start the cell moved now).
 * A day without flexible jobs costs nothing more than before (no shift read, no solver).
 */
export async function placeFlexibleJobs(
  env: Env,
  entry: RosterEntry,
  date: string,
  home: LatLng,
  orders: ReadonlyMap<string, OrderRow>,
  jobs: DayJob[],
  model: TravelModel,
): Promise<{ jobs: DayJob[]; moved: string[] }> {
  const flexible = jobs.flatMap((j) => flexibleOf(orders.get(j.id)!, j) ?? []);
  if (flexible.length === 0) return { jobs, moved: [] };
  const ids = new Set(flexible.map((f) => f.id));
  const shifts = await getShifts(env, entry.profile.id);
  const windows = shiftWindows(shifts.weekly, new Map(shifts.exceptions.map((e) => [e.date, e.intervals])), date, shifts.timeZone);
  if (windows.length === 0) return { jobs, moved: [] };
  const plan = planDay(
    home,
    jobs.filter((j) => !ids.has(j.id)),
    flexible,
    model,
    { from: windows[0]![0], to: windows[windows.length - 1]![1] },
    { budgetMs: PLAN_BUDGET_MS, maxIterations: PLAN_ITERATIONS, seed: 1 },
  );
  const current = new Map(jobs.map((j) => [j.id, j]));
  const moves = plan.jobs.filter((j) => ids.has(j.id) && j.start !== current.get(j.id)!.start);
  if (moves.length === 0) return { jobs, moved: [] };
  try {
    await applyOrderMoves(
      env,
      { type: "system", id: null },
      entry.homeCell,
      moves.map((m) => ({ orderId: m.id, technicianId: entry.profile.id, start: m.start, end: m.end })),
    );
  } catch (err) {
    // The cell refused (a split shift, a change meanwhile): the calendar's times stand.
    if (!(err instanceof AppError) || err.status !== 409) throw err;
    logger.warn("route.flexible_plan_refused", { technicianId: entry.profile.id, code: err.code });
    return { jobs, moved: [] };
  }
  const planned = new Map(plan.jobs.map((j) => [j.id, j]));
  return { jobs: jobs.map((j) => planned.get(j.id) ?? j), moved: moves.map((m) => m.id) };
}

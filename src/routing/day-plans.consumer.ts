/** The day plans' builder, run by the route-plans queue consumer for a `{ dayPlan }` message. */
import { getDb } from "../db/client";
import { logger } from "../lib/log";
import { dayPlanOf, storeDayPlan } from "./day-plans.repo";
import { readDay } from "./day-route.service";
import { planFlexibleJobs } from "./flexible-plan";

/**
 * Plans a queued technician-day and stores the placement with the basis it was planned on (`ready`;
 * no moves: nothing would move), or `failed`. A day no longer queued (built already, a repeated
 * message) is left alone; a day queued again meanwhile is stored by its own message.
 */
export async function buildDayPlan(env: Env, technicianId: string, date: string): Promise<void> {
  const db = getDb(env);
  const row = await dayPlanOf(db, technicianId, date);
  if (!row || row.status !== "queued") return;
  try {
    const day = await readDay(env, technicianId, date);
    const plan = planFlexibleJobs(day.home, day.byId, day.jobs, day.model, day.shift);
    const moves = (plan?.moves ?? []).map((m) => ({ id: m.id, start: m.start, end: m.end }));
    await storeDayPlan(db, row, { status: "ready", basis: day.basis, moves }, Date.now());
  } catch (err) {
    logger.error("day plan failed", { technicianId, date, error: String(err) });
    await storeDayPlan(db, row, { status: "failed", basis: row.basis, moves: [] }, Date.now());
  }
}

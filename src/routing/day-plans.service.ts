/**
 * Stored day plans: a technician's day with its flexible-window jobs placed by `planDay` is built by
 * the route-plans queue consumer (src/routing/day-plans.consumer.ts), never on a request, and kept
 * with the day's fingerprint (`basis`). A route read shows the stored plan while its basis is the day
 * as it is; otherwise it queues one build (at most one per technician-day and basis) and answers that
 * the day is being planned. Anything that changes the day changes its basis, so no write path has
 * to touch a plan. A build whose queue message was lost is queued again past the lease
 * (ROUTE_PLAN_ACCEPT_LEASE_SECONDS): by the next read, or by the every-minute cron.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import type { DayJob } from "../domain/day-route";
import { logger } from "../lib/log";
import { dayPlanOf, deleteDayPlansBefore, lapsedDayPlans, queueDayPlan, renewLease } from "./day-plans.repo";
import type { FlexiblePlan } from "./flexible-plan";

export type ProposalStatus = "none" | "planning" | "ready" | "failed";

/** The proposal's state as a person reads it. */
export const PROPOSAL_STATUS_TEXT: Record<ProposalStatus, { en: string; zh: string }> = {
  none: { en: "Nothing to re-plan: no flexible-window job would move", zh: "无需调整：没有可在预约时段内调整的上门" },
  planning: { en: "Planning the day's route…", zh: "正在规划当日路线…" },
  ready: { en: "A re-planned route is ready", zh: "已生成调整后的路线" },
  failed: { en: "The day's route could not be planned", zh: "当日路线规划失败" },
};

/** The stored plan of the day as the read shows it: its state and, when ready and something moves, the plan. */
export interface Proposal {
  status: ProposalStatus;
  plan: FlexiblePlan | null;
}

/** What of the day the stored plan is checked against (the route's read of the day). */
interface DaySeen {
  basis: string;
  flexible: boolean;
  jobs: DayJob[];
}

/** The queue message of a day plan's build (on ROUTE_PLANS, beside the team plans' `{ planId }`). */
export interface DayPlanMessage {
  dayPlan: { technicianId: string; date: string };
}

/**
 * The stored plan of the day if its basis is the day as read; otherwise queues a build (once: the
 * first of parallel reads) and answers `planning`. A day without a flexible job to plan: `none`, no
 * write. Never runs the solver.
 */
export async function storedProposal(env: Env, day: DaySeen, technicianId: string, date: string): Promise<Proposal> {
  if (!day.flexible) return { status: "none", plan: null };
  const db = getDb(env);
  const row = await dayPlanOf(db, technicianId, date);
  const now = Date.now();
  const lapsedBefore = now - config(env).ROUTE_PLAN_ACCEPT_LEASE_SECONDS * 1000;
  if (row && row.basis === day.basis && row.status !== "queued" && !(row.status === "failed" && row.updatedAt < lapsedBefore)) {
    if (row.status === "failed") return { status: "failed", plan: null };
    if (row.moves.length === 0) return { status: "none", plan: null };
    const moved = new Map(row.moves.map((m) => [m.id, m]));
    const moves = day.jobs.flatMap((j) => {
      const m = moved.get(j.id);
      return m ? [{ ...j, start: m.start, end: m.end }] : [];
    });
    const byId = new Map(moves.map((m) => [m.id, m]));
    return { status: "ready", plan: { jobs: day.jobs.map((j) => byId.get(j.id) ?? j), moves } };
  }
  // Another day than the stored one, none stored yet, a build whose message may be lost, or a failed
  // build a lease old (tried again once per lease).
  if (!row || row.basis !== day.basis || row.updatedAt < lapsedBefore) {
    if (await queueDayPlan(db, technicianId, date, day.basis, now, lapsedBefore)) await send(env, technicianId, date);
  }
  return { status: "planning", plan: null };
}

/** Sends a build's message; a failed send is taken up by the lease (the row stays queued). */
async function send(env: Env, technicianId: string, date: string): Promise<void> {
  try {
    await env.ROUTE_PLANS.send({ dayPlan: { technicianId, date } } satisfies DayPlanMessage);
  } catch (err) {
    logger.warn("day_plans.send_failed", { technicianId, date, error: String(err) });
  }
}

/** Builds taken up per cron run (a lost message is rare; the next minute takes the rest). */
const BATCH = 20;

/**
 * The cron's part: builds still queued past the lease (their message lost) are sent again, each once
 * per lease (a compare-and-set on the row, so two runs never send it twice). Answers how many.
 */
export async function settleLostDayPlans(env: Env, now = Date.now()): Promise<{ resent: number }> {
  const db = getDb(env);
  const lapsed = await lapsedDayPlans(db, now - config(env).ROUTE_PLAN_ACCEPT_LEASE_SECONDS * 1000, BATCH);
  let resent = 0;
  for (const row of lapsed) {
    if (await renewLease(db, row, now)) {
      await send(env, row.technicianId, row.date);
      resent++;
    }
  }
  if (lapsed.length > 0) logger.info("day_plans.lost_queued", { resent });
  return { resent };
}

/**
 * Retention's part (src/privacy RETENTION_JOBS, DAY_PLAN_RETENTION_DAYS): deletes at most `limit` stored
 * plans of days before `before`, oldest first. A plan's date is the technician's local date; it is
 * compared with the UTC date of `before`, which is at most a day off and does not matter for a period
 * counted in days. Answers how many it deleted.
 */
export async function purgeDayPlansBefore(env: Env, before: number, limit: number): Promise<number> {
  return deleteDayPlansBefore(getDb(env), new Date(before).toISOString().slice(0, 10), limit);
}

/**
 * Retention (README "Personal data"): what is kept how long, and the daily cron's job that deletes
 * what is older. Each kind deletes at most RETENTION_BATCH_SIZE of its oldest rows per run (by an
 * index on their time), so a run's work is bounded and the next run carries on where it stopped:
 * nothing but the rows themselves records the progress. Each run logs `privacy.retention` with the
 * rows deleted per kind and whether a kind has more left, and keeps that summary in settings for the
 * dashboard.
 *
 * Kinds are one line each in RETENTION_JOBS; another area adds its own with a function from its
 * index.ts (chats: src/conversations, CHAT_RETENTION_DAYS; technicians' stored day plans: src/routing,
 * DAY_PLAN_RETENTION_DAYS).
 * Technician positions are kept by their cell (POSITION_RETENTION_HOURS, trimmed by the cell's
 * alarm); they are listed here so the dashboard shows every period, with no job of ours.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { findSetting, putSetting } from "../db/repositories/settings.repo";
import { logger } from "../lib/log";
import { purgeChatsBefore } from "../conversations";
import { purgeDayPlansBefore } from "../routing";
import { deleteOldDeliveries, deleteRowsById, oldVisitPhotos } from "./privacy.repo";

const DAY_MS = 86_400_000;
const LAST_RUN_KEY = "privacy.retention.last_run";

export interface RetentionJob {
  kind: string;
  /** The variable that sets the period (shown to staff). */
  variable: string;
  unit: "days" | "hours";
  period: (env: Env) => number;
  /** Deletes at most `limit` rows older than `before`; how many it deleted. Absent: kept elsewhere (no job here). */
  run?: (env: Env, before: number, limit: number) => Promise<number>;
}

async function deleteVisitPhotos(env: Env, before: number, limit: number): Promise<number> {
  const db = getDb(env);
  const rows = await oldVisitPhotos(db, before, limit);
  if (rows.length === 0) return 0;
  // The rows first: a failure between leaves an orphan object, never a photo row without its file.
  await deleteRowsById(
    db,
    "order_photos",
    rows.map((r) => r.id),
  );
  await env.PHOTOS.delete(rows.map((r) => r.r2Key));
  return rows.length;
}

export const RETENTION_JOBS: readonly RetentionJob[] = [
  { kind: "positions", variable: "POSITION_RETENTION_HOURS", unit: "hours", period: (env) => config(env).POSITION_RETENTION_HOURS },
  {
    kind: "visit_photos",
    variable: "VISIT_PHOTO_RETENTION_DAYS",
    unit: "days",
    period: (env) => config(env).VISIT_PHOTO_RETENTION_DAYS,
    run: deleteVisitPhotos,
  },
  {
    kind: "chats",
    variable: "CHAT_RETENTION_DAYS",
    unit: "days",
    period: (env) => config(env).CHAT_RETENTION_DAYS,
    run: async (env, before, limit) => (await purgeChatsBefore(env, before, limit)).messages,
  },
  {
    kind: "notification_deliveries",
    variable: "NOTIFICATION_DELIVERY_RETENTION_DAYS",
    unit: "days",
    period: (env) => config(env).NOTIFICATION_DELIVERY_RETENTION_DAYS,
    run: (env, before, limit) => deleteOldDeliveries(getDb(env), before, limit),
  },
  {
    kind: "day_plans",
    variable: "DAY_PLAN_RETENTION_DAYS",
    unit: "days",
    period: (env) => config(env).DAY_PLAN_RETENTION_DAYS,
    run: purgeDayPlansBefore,
  },
];

export interface RetentionRun {
  at: string;
  kinds: { kind: string; deleted: number; more: boolean; before: string }[];
}

/** One bounded pass of every retention job (the daily cron). */
export async function runRetention(env: Env, now: number): Promise<RetentionRun> {
  const limit = config(env).RETENTION_BATCH_SIZE;
  const kinds: RetentionRun["kinds"] = [];
  for (const job of RETENTION_JOBS) {
    if (!job.run) continue;
    const before = now - job.period(env) * (job.unit === "days" ? DAY_MS : 3_600_000);
    const deleted = await job.run(env, before, limit);
    kinds.push({ kind: job.kind, deleted, more: deleted >= limit, before: new Date(before).toISOString() });
  }
  const run = { at: new Date(now).toISOString(), kinds };
  logger.info("privacy.retention", { ...run });
  await putSetting(getDb(env), LAST_RUN_KEY, run, "system", now);
  return run;
}

/** The periods as configured and what the last run did (the dashboard's retention panel). */
export async function retentionSettings(env: Env) {
  const last = await findSetting(getDb(env), LAST_RUN_KEY);
  const c = config(env);
  return {
    items: RETENTION_JOBS.map((j) => ({ kind: j.kind, variable: j.variable, unit: j.unit, period: j.period(env), byCell: !j.run })),
    batchSize: c.RETENTION_BATCH_SIZE,
    coolingOffDays: c.DELETION_COOLING_OFF_DAYS,
    exportLinkMinutes: c.EXPORT_LINK_TTL_MINUTES,
    policyVersion: c.PRIVACY_POLICY_VERSION,
    lastRun: (last?.value as RetentionRun | undefined) ?? null,
  };
}

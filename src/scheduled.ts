/**
 * The cron trigger's work (every minute): payments, refunds and payouts the providers left
 * pending, yesterday's daily statements once a day (from STATEMENTS_AFTER_HOUR), unpaid served orders
 * (split what arrived, remind, escalate to the exception queue), reminders that fell due, technicians' lifecycle
 * (certificate reminders 30 and 7 days ahead, once each; expired certificates; suspensions that ended), virtual-number bindings to make, retry or end,
 * recurring series due for a run (visits that came into their horizon: src/series),
 * referrals to reward or refuse (src/coupons/referrals.service.ts),
 * the coordinates backfill (rows from before coordinates were sealed), and a share of an unfinished D1
 * backup (the daily cron `BACKUP_CRON` starts one: `runDailyBackup`).
 * The outbox messages those steps write are sent to the queue when they are done (collected as
 * they are written, no D1 read); then the outbox backstop sends what the work that wrote it failed
 * to hand over (`OUTBOX_GRACE_MS` after it was written). Each step runs even if an earlier one
 * fails; the run fails (and is logged) when any step did.
 */
import { drainOutbox, withOutbox } from "./notifications/outbox.service";
import { writeDueReminders } from "./notifications/reminders.service";
import { reconcilePendingPayments } from "./money/reconcile.service";
import { reconcileNumberBindings } from "./visit/number-privacy.service";
import { runDueStatements } from "./money/statements.service";
import { backfillCoordinates } from "./identity/coordinates-backfill.service";
import { runPaymentDues } from "./money/collection.service";
import { runBackup } from "./backups";
import { runDueDeletions, runExportBackstop, runRetention } from "./privacy";
import { recalculateLevels } from "./credit";
import { lapseCertifications } from "./training";
import { runLifecycle } from "./technicians";
import { runDueSeries } from "./series";
import { decideReferrals, runCampaignRules } from "./coupons";
import { earnPoints, runMembershipNightly } from "./membership";
import { runForecasts } from "./surge";
import { settleAsks, settleLapsedAccepts, settleLostQueued } from "./route-plans";
import { settleLostDayPlans } from "./routing";
import { settleLapsedMoves } from "./board";

/** The daily cron (02:30 UTC): starts today's D1 backup, works on it for one run's share, prunes old backups. */
export async function runDailyBackup(env: Env, now = Date.now()): Promise<void> {
  const result = await runBackup(env, now, { start: true });
  logger.info("backup.run", { ...result });
}

/**
 * The daily cron's personal-data work (README "Personal data"): deletions whose cooling-off ended
 * are carried out, then one bounded pass of the retention jobs (each logs its progress). Both run
 * even if the other fails; the run fails when either did.
 */
export async function runDailyPrivacy(env: Env, now = Date.now()): Promise<void> {
  const failed: string[] = [];
  for (const [name, step] of [
    ["deletions", () => runDueDeletions(env, now)],
    ["retention", () => runRetention(env, now)],
  ] as const) {
    try {
      await step();
    } catch (err) {
      failed.push(name);
      logger.error("scheduled.step_failed", { step: name, error: String(err) });
    }
  }
  if (failed.length) throw new Error(`daily privacy steps failed: ${failed.join(", ")}`);
}

/**
 * Everything the daily cron does, one step after the other and each even if an earlier one failed:
 * the D1 backup, the nightly recalculation of technicians' levels (src/credit), then the
 * personal-data work (due deletions, retention). The run fails when any step did.
 */
export async function runDaily(env: Env, now = Date.now()): Promise<void> {
  const failed: string[] = [];
  for (const [name, step] of [
    ["backup", () => runDailyBackup(env, now)],
    ["credit-levels", () => recalculateLevels(env, now)],
    // Campaign rules (new customer, win-back, birthday): coupons into the wallets of those eligible today.
    ["campaigns", () => runCampaignRules(env, now)],
    [
      "membership",
      async () => {
        // Points past their expiry go, then every customer's level from the rolling year.
        logger.info("membership.nightly", { ...(await runMembershipNightly(env, now)) });
      },
    ],
    ["privacy", () => runDailyPrivacy(env, now)],
    // Demand forecasts per cell for the next days (src/surge).
    ["forecasts", () => runForecasts(env, now)],
  ] as const) {
    try {
      await step();
    } catch (err) {
      failed.push(name);
      logger.error("scheduled.step_failed", { step: name, error: String(err) });
    }
  }
  if (failed.length) throw new Error(`daily steps failed: ${failed.join(", ")}`);
}
import { checkExceptionQueues } from "./observability";
import { logger } from "./lib/log";

export async function runScheduled(env: Env, now = Date.now()): Promise<void> {
  const failed = await withOutbox(env, (scoped) => runSteps(scoped, now));
  try {
    // On the clock, not the run's scheduled time: the grace is measured from when rows were written.
    await drainOutbox(env);
  } catch (err) {
    failed.push("outbox");
    logger.error("scheduled.step_failed", { step: "outbox", error: String(err) });
  }
  if (failed.length) throw new Error(`scheduled steps failed: ${failed.join(", ")}`);
}

/** Runs every step, each even if an earlier one failed; the names of those that failed. */
async function runSteps(env: Env, now: number): Promise<string[]> {
  const steps: [string, () => Promise<unknown>][] = [
    [
      "reconcile",
      async () => {
        const summary = await reconcilePendingPayments(env, now);
        logger.info("reconcile", { ...summary });
      },
    ],
    [
      "statements",
      async () => {
        const summary = await runDueStatements(env, now);
        if (summary.due > 0) logger.info("statements", { ...summary });
      },
    ],
    [
      "payment-dues",
      async () => {
        const summary = await runPaymentDues(env, now);
        if (summary.settled || summary.reminded || summary.escalated) logger.info("payment_dues", { ...summary });
      },
    ],
    ["reminders", () => writeDueReminders(env, now)],
    // Referrals whose new customer completed a first order: both rewarded, or refused by the fraud guard.
    ["referrals", () => decideReferrals(env, now)],
    [
      "points",
      async () => {
        // Completed paid orders earn their points (each once).
        const summary = await earnPoints(env, now);
        if (summary.earned) logger.info("membership.points_earned", { ...summary });
      },
    ],
    [
      "certifications",
      async () => {
        // Expired training certifications: their technicians are reloaded in the cells without the skill.
        const lapsed = await lapseCertifications(env, now);
        if (lapsed > 0) logger.info("training.certifications_lapsed", { lapsed });
      },
    ],
    [
      "technician-lifecycle",
      async () => {
        // Certificate reminders (30 and 7 days, once each), expired certificates, suspensions ended.
        const summary = await runLifecycle(env, now);
        if (summary.reminded || summary.expired || summary.reinstated) logger.info("technician_lifecycle", { ...summary });
      },
    ],
    [
      "series",
      async () => {
        // Recurring visits: series due for a run book the visits that came into their horizon.
        const summary = await runDueSeries(env, now);
        if (summary.series) logger.info("series.run", { ...summary });
      },
    ],
    [
      "number-privacy",
      async () => {
        const summary = await reconcileNumberBindings(env, now);
        if (summary.bound || summary.unbound || summary.failed) logger.info("number_privacy", { ...summary });
      },
    ],
    [
      "exception-queues",
      async () => {
        // Every city's exception queue into the metrics; an alert for each above the threshold.
        const summary = await checkExceptionQueues(env, now);
        if (summary.alerted) logger.warn("exception_queues", { ...summary });
      },
    ],
    [
      "privacy-exports",
      async () => {
        // Exports whose builder died (its lease ran out) are built; files whose link ran out are deleted.
        const summary = await runExportBackstop(env, now);
        if (summary.built || summary.expired) logger.info("privacy.exports", { ...summary });
      },
    ],
    // Route plans whose accept died mid-way (lease lapsed): ready again, accepted, or failed with a reason;
    // plans left queued by a lost queue message: sent again once, then failed with a reason;
    // technicians' day plans left queued: sent again each lease.
    [
      "route-plans",
      async () => [
        await settleLapsedAccepts(env, now),
        await settleLostQueued(env, now),
        await settleAsks(env, now),
        await settleLostDayPlans(env, now),
      ],
    ],
    // Multi-moves across cells that died between their steps: their cells brought to what D1 says.
    [
      "cell-moves",
      async () => {
        const summary = await settleLapsedMoves(env, now);
        if (summary.settled || summary.pending) logger.info("board.moves_settled", { ...summary });
      },
    ],
    // Logs its own progress (coordinates.backfill), and costs one indexed read per table once done.
    ["coordinates", () => backfillCoordinates(env)],
    // Two R2 reads when no backup is unfinished; otherwise a bounded share of it (src/backups/backup.service.ts).
    [
      "backup",
      async () => {
        const result = await runBackup(env, now);
        if (result.pages > 0) logger.info("backup.run", { ...result });
      },
    ],
  ];
  const failed: string[] = [];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      failed.push(name);
      logger.error("scheduled.step_failed", { step: name, error: String(err) });
    }
  }
  return failed;
}

/**
 * The cron trigger's work (every minute): payments, refunds and payouts the providers left
 * pending, yesterday's daily statements once a day (from STATEMENTS_AFTER_HOUR), unpaid served orders
 * (split what arrived, remind, escalate to the exception queue), reminders that fell due, virtual-number bindings to make, retry or end,
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

/** The daily cron (02:30 UTC): starts today's D1 backup, works on it for one run's share, prunes old backups. */
export async function runDailyBackup(env: Env, now = Date.now()): Promise<void> {
  const result = await runBackup(env, now, { start: true });
  console.log(JSON.stringify({ level: "info", msg: "backup.run", ...result }));
}

export async function runScheduled(env: Env, now = Date.now()): Promise<void> {
  const failed = await withOutbox(env, (scoped) => runSteps(scoped, now));
  try {
    // On the clock, not the run's scheduled time: the grace is measured from when rows were written.
    await drainOutbox(env);
  } catch (err) {
    failed.push("outbox");
    console.error(JSON.stringify({ level: "error", msg: "scheduled.step_failed", step: "outbox", error: String(err) }));
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
        console.log(JSON.stringify({ level: "info", msg: "reconcile", ...summary }));
      },
    ],
    [
      "statements",
      async () => {
        const summary = await runDueStatements(env, now);
        if (summary.due > 0) console.log(JSON.stringify({ level: "info", msg: "statements", ...summary }));
      },
    ],
    [
      "payment-dues",
      async () => {
        const summary = await runPaymentDues(env, now);
        if (summary.settled || summary.reminded || summary.escalated)
          console.log(JSON.stringify({ level: "info", msg: "payment_dues", ...summary }));
      },
    ],
    ["reminders", () => writeDueReminders(env, now)],
    [
      "number-privacy",
      async () => {
        const summary = await reconcileNumberBindings(env, now);
        if (summary.bound || summary.unbound || summary.failed)
          console.log(JSON.stringify({ level: "info", msg: "number_privacy", ...summary }));
      },
    ],
    // Logs its own progress (coordinates.backfill), and costs one indexed read per table once done.
    ["coordinates", () => backfillCoordinates(env)],
    // Two R2 reads when no backup is unfinished; otherwise a bounded share of it (src/backups/backup.service.ts).
    [
      "backup",
      async () => {
        const result = await runBackup(env, now);
        if (result.pages > 0) console.log(JSON.stringify({ level: "info", msg: "backup.run", ...result }));
      },
    ],
  ];
  const failed: string[] = [];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      failed.push(name);
      console.error(JSON.stringify({ level: "error", msg: "scheduled.step_failed", step: name, error: String(err) }));
    }
  }
  return failed;
}

/**
 * The cron trigger's work (every minute): payments, refunds and payouts the providers left
 * pending, yesterday's daily statements once a day (from STATEMENTS_AFTER_HOUR), unpaid served orders
 * (split what arrived, remind, escalate to the exception queue), reminders that fell due, virtual-number bindings to make, retry or end, then the outbox drain that sends what those wrote and anything
 * a background drain missed. Each step runs even if an earlier one fails; the run fails (and is
 * logged) when any step did.
 */
import { drainOutbox } from "./notifications/outbox.service";
import { writeDueReminders } from "./notifications/reminders.service";
import { reconcilePendingPayments } from "./money/reconcile.service";
import { reconcileNumberBindings } from "./visit/number-privacy.service";
import { runDueStatements } from "./money/statements.service";
import { runPaymentDues } from "./money/collection.service";

export async function runScheduled(env: Env, now = Date.now()): Promise<void> {
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
    ["outbox", () => drainOutbox(env)],
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
  if (failed.length) throw new Error(`scheduled steps failed: ${failed.join(", ")}`);
}

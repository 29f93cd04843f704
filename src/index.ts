import { createApp } from "./app";
import { consumeCellDeadLetters, consumeCellEvents } from "./cells/cell-events.consumer";
import { CELL_EVENTS_DLQ, CELL_EVENTS_QUEUE } from "./domain/cell-events";
import { consumeDeadLetters, consumeNotifications } from "./notifications/delivery.service";
import { runDailyBackup, runScheduled } from "./scheduled";
import { BACKUP_CRON } from "./backups";
import { consumeWebhooks, WEBHOOKS_QUEUE } from "./webhooks";

export { CellDO } from "../durable/cell.do";

const app = createApp();

/** Queue names as configured in wrangler.toml (a dead-letter queue ends in `-dlq`). */
const isDeadLetterQueue = (name: string) => name.endsWith("-dlq");

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (batch.queue === CELL_EVENTS_QUEUE) await consumeCellEvents(batch, env);
    else if (batch.queue === CELL_EVENTS_DLQ) await consumeCellDeadLetters(batch, env);
    else if (batch.queue === WEBHOOKS_QUEUE) await consumeWebhooks(batch, env);
    else if (isDeadLetterQueue(batch.queue)) await consumeDeadLetters(batch, env);
    else await consumeNotifications(batch, env);
  },
  /** Every minute (wrangler.toml): payments to reconcile, reminders, the outbox backstop; daily: the D1 backup. */
  async scheduled(controller, env) {
    if (controller.cron === BACKUP_CRON) await runDailyBackup(env, controller.scheduledTime);
    else await runScheduled(env, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;

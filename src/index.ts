import { createApp } from "./app";
import { consumeCellDeadLetters, consumeCellEvents } from "./cells/cell-events.consumer";
import { queueRole } from "./domain/cell-events";
import { consumeDeadLetters, consumeNotifications } from "./notifications/delivery.service";
import { runDaily, runScheduled } from "./scheduled";
import { BACKUP_CRON } from "./backups";
import { consumeWebhooks } from "./webhooks";
import { consumeRoutePlans } from "./route-plans";

export { CellDO } from "../durable/cell.do";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    // Queue names differ per wrangler environment (doorstep-production-cell-events, …): the role is the name's ending.
    const role = queueRole(batch.queue);
    if (role === "cell-events") await consumeCellEvents(batch, env);
    else if (role === "cell-events-dlq") await consumeCellDeadLetters(batch, env);
    else if (role === "webhooks") await consumeWebhooks(batch, env);
    else if (role === "route-plans") await consumeRoutePlans(batch, env);
    else if (role === "notifications-dlq" || (role === null && batch.queue.endsWith("-dlq"))) await consumeDeadLetters(batch, env);
    else await consumeNotifications(batch, env);
  },
  /**
   * Every minute (wrangler.toml): payments to reconcile, reminders, the outbox backstop; daily: the D1
   * backup, the technicians' levels and the personal-data work (`runDaily`), each even if another failed.
   */
  async scheduled(controller, env) {
    if (controller.cron === BACKUP_CRON) await runDaily(env, controller.scheduledTime);
    else await runScheduled(env, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;

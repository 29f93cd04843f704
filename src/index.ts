import { createApp } from "./app";
import { reconcilePendingPayments } from "./services/payments/reconcile.service";

export { CellDO } from "../durable/cell.do";

const app = createApp();

export default {
  fetch: app.fetch,
  /** Every minute (wrangler.toml): reconcile payments, refunds and payouts the providers left pending. */
  async scheduled(controller, env, _ctx) {
    const summary = await reconcilePendingPayments(env, controller.scheduledTime);
    console.log(JSON.stringify({ level: "info", msg: "reconcile", cron: controller.cron, ...summary }));
  },
} satisfies ExportedHandler<Env>;

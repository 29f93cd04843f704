/**
 * The benchmark Worker (bench/wrangler.toml): the production Worker (src/index.ts) with the
 * benchmark routes (bench/worker/) mounted on the same app. Only `npm run bench` and its tests run
 * it; it is never deployed and the production bundle holds none of this.
 */
import { createApp } from "../src/app";
import production from "../src/index";
import bench from "./worker/bench.handlers";

export { CellDO } from "../durable/cell.do";

const app = createApp([bench]);

export default {
  // The notifications queues and the cron, exactly as in production.
  ...production,
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;

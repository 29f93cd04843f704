/**
 * The benchmark Worker (bench/wrangler.toml): the production Worker (src/index.ts) with the
 * benchmark routes (bench/worker/) mounted on the same app. Every request, queue batch and cron run
 * gets bindings that count its D1 statements, cell calls and queue sends (bench/worker/counters.ts),
 * so the bench reports them per booking. Only `npm run bench` and its tests run it; it is never
 * deployed and the production bundle holds none of this.
 */
import { createApp } from "../src/app";
import production from "../src/index";
import { countedEnv, sourceOfRequest } from "./worker/counters";
import bench from "./worker/bench.handlers";

export { CellDO } from "../durable/cell.do";

const app = createApp([bench]);

export default {
  fetch(req, env, ctx) {
    const source = sourceOfRequest(req);
    return app.fetch(req, source === null ? env : countedEnv(env, source), ctx);
  },
  // The notifications queues and the cron, exactly as in production.
  queue(batch, env) {
    return production.queue(batch, countedEnv(env, `queue ${batch.queue}`, batch.messages.length));
  },
  scheduled(controller, env) {
    return production.scheduled(controller, countedEnv(env, "cron"));
  },
} satisfies ExportedHandler<Env>;

/**
 * The lease of a queued plan: a plan is `queued` from its request until the queue consumer builds it
 * (seconds). If the queue message is lost, the plan would stay `queued` for ever. Past
 * ROUTE_PLAN_ACCEPT_LEASE_SECONDS the cron takes it up:
 *
 * - sent once (`updatedAt` = `createdAt`: nothing touched it since the request): its id is sent to the
 *   queue again and `updatedAt` moves to now, which starts a new lease;
 * - already sent again (`updatedAt` > `createdAt`; a queued plan changes only by this re-send): `failed`,
 *   "queue message lost" (zh-CN/en in `failureText`).
 *
 * Each change is a compare-and-set on the same queued row (status and `updatedAt`), so a plan built
 * meanwhile is left alone and two runs never send it twice.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { logger } from "../lib/log";
import { lapsedPlans, settleLapsed } from "./route-plans.repo";
import { QUEUE_LOST } from "./route-plans.service";

/** Plans taken up per run (a lost message is rare; the next minute takes the rest). */
const BATCH = 20;

/** Re-sends or fails the plans left `queued` past their lease; answers how many went each way. */
export async function settleLostQueued(env: Env, now = Date.now()): Promise<{ resent: number; failed: number }> {
  const db = getDb(env);
  const out = { resent: 0, failed: 0 };
  const lapsed = await lapsedPlans(db, "queued", now - config(env).ROUTE_PLAN_ACCEPT_LEASE_SECONDS * 1000, BATCH);
  for (const row of lapsed) {
    if (row.updatedAt <= row.createdAt) {
      // the claim first: of two runs only one sends
      if (await settleLapsed(db, row.id, "queued", row.updatedAt, { status: "queued" }, Math.max(now, row.createdAt + 1))) {
        await env.ROUTE_PLANS.send({ planId: row.id });
        out.resent++;
      }
    } else if (await settleLapsed(db, row.id, "queued", row.updatedAt, { status: "failed", failure: QUEUE_LOST }, now)) {
      out.failed++;
    }
  }
  if (lapsed.length > 0) logger.info("route_plans.lost_queued", { ...out });
  return out;
}

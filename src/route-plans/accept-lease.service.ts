/**
 * The lease of an acceptance: an accept moves a plan `ready` → `accepting`, applies its moves and
 * moves it to `accepted`; if the request dies in between, the plan would stay `accepting` for ever
 * (accepts and discards refuse it). Past ROUTE_PLAN_ACCEPT_LEASE_SECONDS the cron settles it from
 * the day as it is now:
 *
 * - the day is as the plan was built from (nothing was applied): back to `ready`, to be accepted again;
 * - every move of the plan (and its proposals, when the accept took them) is in the day (the moves went
 *   through, the last write did not): `accepted`;
 * - otherwise (something else changed the day): `failed`, "accept interrupted" (zh-CN/en in `failureText`).
 *
 * Each change is a compare-and-set on the same lapsed acceptance (status and `updatedAt`), so an
 * accept that finishes meanwhile wins and nothing is settled twice.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { logger } from "../lib/log";
import { lapsedPlans, settleLapsed } from "./route-plans.repo";
import { ACCEPT_INTERRUPTED, appliedMoves, loadDay } from "./route-plans.service";

/** Plans settled per run (a lapsed acceptance is rare; the next minute takes the rest). */
const BATCH = 20;

/** Settles the plans whose acceptance lease lapsed; answers how many went each way. */
export async function settleLapsedAccepts(env: Env, now = Date.now()): Promise<{ ready: number; accepted: number; failed: number }> {
  const db = getDb(env);
  const out = { ready: 0, accepted: 0, failed: 0 };
  const lapsed = await lapsedPlans(db, "accepting", now - config(env).ROUTE_PLAN_ACCEPT_LEASE_SECONDS * 1000, BATCH);
  for (const row of lapsed) {
    const day = await loadDay(env, db, row.cell, row.date, row.merchantId ?? undefined);
    const orders = new Map(day.orders.map((o) => [o.id, o]));
    const moves = appliedMoves(row);
    const applied =
      moves.length > 0 &&
      moves.every((m) => {
        const o = orders.get(m.orderId);
        return o !== undefined && o.technicianId === m.technicianId && o.startAt === m.start && o.endAt === m.end;
      });
    if (day.fingerprint === row.fingerprint) {
      if (await settleLapsed(db, row.id, "accepting", row.updatedAt, { status: "ready", proposalsApplied: false }, now)) out.ready++;
    } else if (applied) {
      if (await settleLapsed(db, row.id, "accepting", row.updatedAt, { status: "accepted" }, now)) {
        out.accepted++;
        await appendAudit(db, {
          actorId: "system",
          action: "route_plan.accepted",
          targetType: "route_plan",
          targetId: row.id,
          data: { cell: row.cell, date: row.date, moves: row.moves.length, moveId: null, settledAfterLease: true },
        });
      }
    } else if (await settleLapsed(db, row.id, "accepting", row.updatedAt, { status: "failed", failure: ACCEPT_INTERRUPTED }, now)) {
      out.failed++;
    }
  }
  if (lapsed.length > 0) logger.info("route_plans.lapsed_accepts", { ...out });
  return out;
}

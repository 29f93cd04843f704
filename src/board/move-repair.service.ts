/**
 * The repair of multi-moves across cells that died between their steps (cron, every minute): a
 * move's intent whose lease lapsed is taken over (its own batch cannot count any more, see
 * `moveRecordStatement`), every cell it touched is brought to what D1 says of its orders, and the
 * intent goes. A cell that cannot agree yet (a clash) keeps the intent for the next run.
 */
import { getDb } from "../db/client";
import { newId } from "../lib/ids";
import { logger } from "../lib/log";
import { deleteMoveIntent, lapsedMoveIntents, takeMoveIntent } from "./board.repo";
import { MOVE_LEASE_MS, settleCells } from "./moves.service";

/** The most intents one run settles. */
const PER_RUN = 20;

/** One pass at `now`: safe to run concurrently and again. */
export async function settleLapsedMoves(env: Env, now = Date.now()): Promise<{ settled: number; pending: number }> {
  const db = getDb(env);
  let settled = 0;
  let pending = 0;
  for (const intent of await lapsedMoveIntents(db, now, PER_RUN)) {
    const token = newId("lse");
    if (!(await takeMoveIntent(db, intent, token, now, now + MOVE_LEASE_MS))) continue;
    const entries = intent.orders.map((o) => ({ order: { id: o.orderId }, key: o.key }));
    if (await settleCells(env, db, intent.cells, entries)) {
      await deleteMoveIntent(db, intent.id, token);
      settled++;
    } else {
      pending++;
      logger.warn("board.move_unsettled", { moveId: intent.id, attempts: intent.attempts + 1 });
    }
  }
  return { settled, pending };
}

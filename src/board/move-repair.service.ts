/**
 * The repair of multi-moves across cells that died between their steps (cron, every minute): a
 * move's intent whose lease lapsed is taken over (its own batch cannot count any more, see
 * `moveRecordStatement`), every cell it touched is brought to what D1 says of its orders, and the
 * intent goes. A cell that cannot agree yet (a clash) keeps the intent for the next run; once it has
 * failed `MOVE_STUCK_NOTICE_ATTEMPTS` runs the operators are told, and staff find it in the cell's
 * stuck moves until it settles.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import type { StaffNoticeRows } from "../db/repositories/staff-notices";
import { newId } from "../lib/ids";
import { logger } from "../lib/log";
import { deleteMoveIntent, lapsedMoveIntents, noticeStuckMove, stuckMoveIntents, takeMoveIntent, type MoveIntent } from "./board.repo";
import { MOVE_LEASE_MS, settleCells } from "./moves.service";

/** The most intents one run settles. */
const PER_RUN = 20;

/** The notice kind operators see when a multi-move cannot be settled. */
export const STUCK_MOVE_KIND = "board.move_stuck";

/** The most stuck moves a cell lists. */
const LIST_MAX = 100;

/** The operators' notice of an intent that failed to settle `attempts` runs: the cell and the orders, ids only. */
export function stuckMoveNotice(intent: MoveIntent, attempts: number): StaffNoticeRows {
  const orders = intent.orders.map((o) => o.orderId);
  const list = orders.join(", ");
  return {
    idPrefix: `${newId("ntf")}_`,
    sourceId: `move-stuck:${intent.id}`,
    merchantId: null,
    kind: STUCK_MOVE_KIND,
    title: { zh: "一次多单调整未能收尾", en: "A multi-move could not be settled" },
    body: {
      zh: `网格 ${intent.cell} 的一次多单调整（订单 ${list}）已连续 ${attempts} 次无法与各网格日程对齐（时间冲突），系统每分钟重试。请在看板上检查这些订单。`,
      en: `A multi-move in cell ${intent.cell} (orders ${list}) has failed to settle ${attempts} times in a row (a clash in a cell's calendar); it is retried every minute. Check these orders on the board.`,
    },
    data: { moveId: intent.id, cell: intent.cell, cells: intent.cells, orderIds: orders, attempts },
  };
}

/** One pass at `now`: safe to run concurrently and again. */
export async function settleLapsedMoves(env: Env, now = Date.now()): Promise<{ settled: number; pending: number }> {
  const db = getDb(env);
  const noticeAfter = config(env).MOVE_STUCK_NOTICE_ATTEMPTS;
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
      const attempts = intent.attempts + 1;
      logger.warn("board.move_unsettled", { moveId: intent.id, attempts });
      // Each operator is told once (a repeat adds nothing), from the run that reaches the count on.
      if (attempts >= noticeAfter) await noticeStuckMove(db, intent.id, token, stuckMoveNotice(intent, attempts), now);
    }
  }
  return { settled, pending };
}

/** The multi-moves touching `cell` that failed to settle at least `MOVE_STUCK_NOTICE_ATTEMPTS` runs, oldest first. */
export async function stuckMoves(env: Env, cell: string) {
  const rows = await stuckMoveIntents(getDb(env), cell, config(env).MOVE_STUCK_NOTICE_ATTEMPTS, LIST_MAX);
  return {
    cellId: cell,
    items: rows.map((r) => ({
      moveId: r.id,
      cell: r.cell,
      cells: r.cells,
      orderIds: r.orders.map((o) => o.orderId),
      attempts: r.attempts,
      since: new Date(r.createdAt).toISOString(),
      text: stuckMoveNotice(r, r.attempts).body,
    })),
  };
}

/**
 * Batched dispatch (DISPATCH_STRATEGY=batch): a newly confirmed auto job is not offered at once but
 * waits, with the interval its booking reserved, in the cell that holds it. Every
 * BATCH_INTERVAL_SECONDS the cell matches all its waiting jobs to its technicians as one
 * minimum-cost assignment and moves the intervals that change hands atomically (durable/batch.store);
 * then each order is offered to the technician the batch chose.
 */
import type { BatchDecision, BatchFacts } from "../../durable/batch.store";
import { getDb } from "../db/client";
import { candidateHistory, findOrder, type OrderRow } from "../db/repositories/orders.repo";
import { merchantRulesOfOrders, rosterEntry } from "../db/repositories/roster.repo";
import { AppError } from "../errors";
import { cellStub } from "../cells/cells.service";
import { hasPriorityDispatch } from "../membership";
import { acceptDeadlineMs, batchIntervalMs, recordDecision, WEEK_MS, windowedStarts } from "./dispatch.service";

/**
 * Scoring history for the technicians and customers of one tick, and the merchant rule of each of
 * its orders (whose technicians a merchant's order may move to; read now, so a merchant that turned
 * platform technicians off since the booking is obeyed).
 */
export async function batchFacts(env: Env, technicianIds: string[], customerIds: string[], orderIds: string[]): Promise<BatchFacts> {
  const db = getDb(env);
  const [h, merchants] = await Promise.all([
    candidateHistory(db, technicianIds, customerIds, Date.now() - WEEK_MS),
    merchantRulesOfOrders(db, orderIds),
  ]);
  return {
    merchants,
    earnings: Object.fromEntries(h.earnings),
    acceptance: Object.fromEntries(h.acceptance),
    favourites: Object.fromEntries([...h.favourites].map(([c, set]) => [c, [...set]])),
    standing: Object.fromEntries(h.standing),
  };
}

/**
 * Puts a dispatching auto order in the batch of the cell that holds its interval, as a priority job
 * when the customer's membership level carries priority dispatch; a flexible-window order with what is left of
 * its window, so the batch may give it another start inside it on another technician. False when it cannot wait there
 * (no reserved technician, or the cell refused); the caller then offers it at once.
 */
export async function enqueueForBatch(env: Env, order: OrderRow, skills: string[]): Promise<boolean> {
  if (!order.technicianId || !order.holdKey) return false;
  const [entry, priority] = await Promise.all([rosterEntry(getDb(env), order.technicianId), hasPriorityDispatch(env, order.customerId)]);
  if (!entry) return false;
  const window = windowedStarts(order, Date.now());
  const r = await cellStub(env, entry.homeCell).enqueueBatch(
    {
      holdKey: order.holdKey,
      orderId: order.id,
      customerId: order.customerId,
      skills,
      exclude: order.triedTechnicians,
      priority,
      ...(window ? { window } : {}),
    },
    batchIntervalMs(env),
  );
  return r.ok;
}

/**
 * Acts on a tick's decisions (a cell event, retried until it returns): each order
 * still waiting for its batch is offered to the technician now holding its interval, with the
 * decision and its candidates recorded (a flexible-window order moved inside its window takes the new start in the
 * same write). Orders that moved on meanwhile are left alone.
 */
export async function onBatchDecided(
  env: Env,
  decisions: BatchDecision[],
  offer: (
    order: OrderRow,
    patch: { technicianId: string; acceptBy: number },
    reason: string,
    held?: BatchDecision["held"],
  ) => Promise<OrderRow>,
): Promise<void> {
  const db = getDb(env);
  for (const d of decisions) {
    const reason =
      d.from === d.to
        ? `offered by a batch of ${d.batch.jobs}`
        : `offered by a batch of ${d.batch.jobs}: moved from ${d.from} (batch cost ${d.batch.cost} against ${d.batch.keptCost} unmoved)`;
    for (let attempt = 0; attempt < 3; attempt++) {
      const order = await findOrder(db, d.orderId);
      if (!order || order.status !== "dispatching" || order.holdKey !== d.holdKey) break;
      try {
        await offer(order, { technicianId: d.to, acceptBy: Date.now() + acceptDeadlineMs(env) }, reason, d.held);
        await recordDecision(env, order.id, order.dispatchRound, "auto", d.to, reason, d.candidates);
        break;
      } catch (err) {
        // Changed meanwhile (e.g. rescheduled): read it again and retry.
        if (err instanceof AppError && err.status === 409 && err.code === "CONCURRENT_UPDATE") continue;
        throw err;
      }
    }
  }
}

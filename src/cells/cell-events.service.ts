/** What a CellDO's alarm reports to the order service. The handlers are idempotent. */
import type { BatchDecision, BatchFacts } from "../../durable/batch.store";
import { batchFacts, onBatchDecided } from "../dispatch/batch-dispatch.service";
import { drainQuietly } from "../notifications/outbox.service";
import { handleDeadline, offerFromBatch } from "../orders/order-flow.service";
import { onHoldExpiredWithPayments } from "../money/settle.service";

export type DeadlineKind = "accept" | "grab" | "enroute";

/** A hold expired unpaid. `holdKey` is the calendar key (`<orderId>:<round>`). */
export function onHoldExpired(env: Env, holdKey: string): Promise<void> {
  return onHoldExpiredWithPayments(env, holdKey);
}

/** A dispatch deadline of an order passed; `version` is the order version it was set for. */
export function onDeadline(env: Env, orderId: string, kind: DeadlineKind, version: number): Promise<void> {
  return handleDeadline(env, orderId, kind, version);
}

/** The history a batch tick scores its candidates with. */
export function factsForBatch(env: Env, technicianIds: string[], customerIds: string[]): Promise<BatchFacts> {
  return batchFacts(env, technicianIds, customerIds);
}

/** A batch tick decided: offer each order to the technician it chose. */
export function onBatch(env: Env, decisions: BatchDecision[]): Promise<void> {
  return onBatchDecided(env, decisions, (order, patch, reason) => offerFromBatch(env, order, patch, reason));
}

/** After an alarm acted on orders: send the notices those changes wrote (never throws). */
export function afterCellEvents(env: Env): Promise<void> {
  return drainQuietly(env, 1);
}

/** What a CellDO's alarm reports to the order service. Both handlers are idempotent. */
import { handleDeadline } from "./order-flow.service";
import { onHoldExpiredWithPayments } from "./payments/settle.service";

export type DeadlineKind = "accept" | "grab" | "enroute";

/** A hold expired unpaid. `holdKey` is the calendar key (`<orderId>:<round>`). */
export function onHoldExpired(env: Env, holdKey: string): Promise<void> {
  return onHoldExpiredWithPayments(env, holdKey);
}

/** A dispatch deadline of an order passed; `version` is the order version it was set for. */
export function onDeadline(env: Env, orderId: string, kind: DeadlineKind, version: number): Promise<void> {
  return handleDeadline(env, orderId, kind, version);
}

/**
 * The order state machine. Every status change goes through `transition`: an illegal move is
 * refused (409 INVALID_TRANSITION upstream) and a legal one names who made it.
 */
export const ORDER_STATUSES = [
  "pending_payment",
  "confirmed",
  "dispatching",
  "assigned",
  "accepted",
  "en_route",
  "arrived",
  "in_service",
  "completed",
  "cancelled",
  "refunded",
  "after_sales",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * What staff work from: `exceptions` is everything waiting for them (dispatch exceptions, late
 * orders, after-sales); `dispatch` only the first two; `after_sales` only complaints and refunds
 * awaiting approval.
 */
export const ORDER_QUEUES = ["exceptions", "dispatch", "after_sales"] as const;
export type OrderQueue = (typeof ORDER_QUEUES)[number];

export type ActorType = "customer" | "technician" | "operator" | "merchant" | "system";

const STAFF: ActorType[] = ["operator", "merchant"];
const ANYONE_BUT_TECH: ActorType[] = ["customer", "operator", "merchant", "system"];

/** Who may move an order from one status to another. */
export const TRANSITIONS: Record<OrderStatus, Partial<Record<OrderStatus, readonly ActorType[]>>> = {
  pending_payment: { confirmed: ["system"], cancelled: ANYONE_BUT_TECH },
  confirmed: { dispatching: ["system", ...STAFF], assigned: ["system", ...STAFF], accepted: ["technician"], cancelled: ANYONE_BUT_TECH },
  // dispatching → dispatching records a change of exception (nobody free, rounds exhausted).
  dispatching: { dispatching: ["system"], assigned: ["system", ...STAFF], accepted: ["technician"], cancelled: ANYONE_BUT_TECH },
  assigned: { accepted: ["technician"], dispatching: ["technician", "system", ...STAFF], assigned: STAFF, cancelled: ANYONE_BUT_TECH },
  accepted: { en_route: ["technician"], dispatching: ["technician", "system", ...STAFF], assigned: STAFF, cancelled: ANYONE_BUT_TECH },
  en_route: { arrived: ["technician"], dispatching: ["technician", ...STAFF], cancelled: ANYONE_BUT_TECH },
  arrived: { in_service: ["technician"], dispatching: STAFF, cancelled: ["operator", "merchant"] },
  in_service: { completed: ["technician"], cancelled: ["operator"] },
  // A complaint opens after-sales; it ends with the order completed again or refunded in full.
  completed: { refunded: ["operator", "system"], after_sales: ["customer", ...STAFF] },
  after_sales: { completed: ["system", ...STAFF], refunded: ["system", ...STAFF] },
  // Cancelled with money paid: refunded once the policy's refund has reached the customer.
  cancelled: { refunded: ["operator", "system"] },
  refunded: {},
};

export function canTransition(from: OrderStatus, to: OrderStatus, actor: ActorType): boolean {
  return TRANSITIONS[from][to]?.includes(actor) ?? false;
}

/** Statuses after the visit or without one: no interval is held for the order any more. */
export const FINAL_STATUSES: readonly OrderStatus[] = ["completed", "cancelled", "refunded", "after_sales"];

/** Statuses in which a technician's interval is on the order's behalf: all but the final ones. */
export const LIVE_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter((s) => !FINAL_STATUSES.includes(s));

/** Statuses whose service was delivered (the order's money has been split). */
export const SERVED_STATUSES: readonly OrderStatus[] = ["completed", "after_sales"];

/** Statuses before the technician set off: the time can still move and cancelling costs no visit fee. */
export const BEFORE_DEPARTURE: readonly OrderStatus[] = ["pending_payment", "confirmed", "dispatching", "assigned", "accepted"];

/** From acceptance until completion the technician sees the exact address and the customer's phone. */
export const REVEAL_STATUSES: readonly OrderStatus[] = ["accepted", "en_route", "arrived", "in_service"];

/**
 * Whether the order's technician sees the exact address and the contact's phone at `now`: from
 * acceptance until completion, and `graceMs` (REVEAL_GRACE_MINUTES) after it.
 */
export function isRevealed(
  order: { status: OrderStatus; completedAt: number | null; updatedAt: number },
  graceMs: number,
  now: number,
): boolean {
  if (REVEAL_STATUSES.includes(order.status)) return true;
  return order.status === "completed" && now <= (order.completedAt ?? order.updatedAt) + graceMs;
}

/**
 * From departure until arrival the order's customer may watch the technician come; not before,
 * so an order accepted days ahead never shows where the technician is on other jobs.
 */
export const TRACK_STATUSES: readonly OrderStatus[] = ["en_route", "arrived"];

/**
 * Whether a change from `from` (with `technicianId`) to `to` (with `nextTechnicianId`) ends the
 * customer's view of the technician: the order leaves the tracked statuses or changes hands.
 */
export function endsTracking(from: OrderStatus, technicianId: string | null, to: OrderStatus, nextTechnicianId: string | null): boolean {
  if (!technicianId || !TRACK_STATUSES.includes(from)) return false;
  return !TRACK_STATUSES.includes(to) || nextTechnicianId !== technicianId;
}

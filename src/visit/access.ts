/** Who may reach an order during the visit, and the answers for an order in the wrong state. */
import { getDb } from "../db/client";
import { findOrder, type OrderRow } from "../db/repositories/orders.repo";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { ConflictError, NotFoundError } from "../errors";
import type { Localized } from "../lib/locale";

export type Viewer = "customer" | "technician" | "staff";

/**
 * The order with the caller's relation to it: its customer, its current technician, or staff who
 * manage it (operators any order, a merchant_admin its merchant's). Anyone else gets 404.
 */
export async function orderFor(env: Env, auth: Auth, orderId: string): Promise<{ order: OrderRow; viewer: Viewer }> {
  const order = await findOrder(getDb(env), orderId);
  if (!order) throw new NotFoundError("Order");
  if (order.customerId === auth.accountId) return { order, viewer: "customer" };
  if (auth.technicianId !== null && order.technicianId === auth.technicianId) return { order, viewer: "technician" };
  if (isPlatform(auth.roles)) return { order, viewer: "staff" };
  if (auth.roles.includes("merchant_admin") && auth.merchantId !== null && order.merchantId === auth.merchantId) {
    return { order, viewer: "staff" };
  }
  throw new NotFoundError("Order");
}

/** The technician's own current order, or 404. */
export async function technicianOrder(env: Env, technicianId: string, orderId: string): Promise<OrderRow> {
  const order = await findOrder(getDb(env), orderId);
  if (!order || order.technicianId !== technicianId) throw new NotFoundError("Order");
  return order;
}

/** 409 INVALID_STATE: the order is not in a status that allows `what` (e.g. "photos of arrival"). */
export function invalidState(order: OrderRow, what: Localized): ConflictError {
  return new ConflictError(
    "INVALID_STATE",
    { en: `Not possible while the order is ${order.status}: ${what.en}.`, zh: `订单当前状态为 ${order.status}，不能${what.zh}。` },
    { extra: { status: order.status } },
  );
}

/** Who may reach an order during the visit, and the answers for an order in the wrong state. */
import { getDb } from "../db/client";
import { findOrder, type OrderRow } from "../db/repositories/orders.repo";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import type { Localized } from "../lib/locale";

export type Viewer = "customer" | "technician" | "staff";

/**
 * The order with the caller's relation to it: its customer, its current technician, or staff who
 * manage it (operators any order, a merchant_admin its merchant's). Anyone else gets 404.
 */
export async function orderFor(env: Env, auth: Auth, orderId: string): Promise<{ order: OrderRow; viewer: Viewer }> {
  const order = await findOrder(getDb(env), orderId);
  if (!order) throw notFound("Order");
  if (order.customerId === auth.accountId) return { order, viewer: "customer" };
  if (auth.technicianId !== null && order.technicianId === auth.technicianId) return { order, viewer: "technician" };
  if (isPlatform(auth.roles)) return { order, viewer: "staff" };
  if (auth.roles.includes("merchant_admin") && auth.merchantId !== null && order.merchantId === auth.merchantId) {
    return { order, viewer: "staff" };
  }
  throw notFound("Order");
}

/** The technician's own current order, or 404. */
export async function technicianOrder(env: Env, technicianId: string, orderId: string): Promise<OrderRow> {
  const order = await findOrder(getDb(env), orderId);
  if (!order || order.technicianId !== technicianId) throw notFound("Order");
  return order;
}

/** 409 INVALID_STATE: the order is not in a status that allows `what` (e.g. "photos of arrival"). */
export function invalidState(order: OrderRow, what: Localized): AppError {
  return AppError.of("INVALID_STATE", { status: order.status, what }, { extra: { status: order.status } });
}

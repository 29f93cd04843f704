import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../client";
import { serviceCities, services } from "../schema";
import { ORDER_STATUSES } from "../../domain/order-state";
import type { Guard } from "./statements";

export type ServiceRow = typeof services.$inferSelect;

/** A live, bookable service with the cities it is offered in. */
export async function bookableService(db: Db, serviceId: string): Promise<{ service: ServiceRow; cityIds: string[] } | undefined> {
  // Plain selects: drizzle's relational findFirst inside a batch fails on an empty result.
  const [[service], cities] = await db.batch([
    db
      .select()
      .from(services)
      .where(and(eq(services.id, serviceId), eq(services.active, true), isNull(services.deletedAt)))
      .limit(1),
    db.select({ cityId: serviceCities.cityId }).from(serviceCities).where(eq(serviceCities.serviceId, serviceId)),
  ]);
  return service ? { service, cityIds: cities.map((c) => c.cityId) } : undefined;
}

/**
 * True while the service is live and offered in the city, and (with `updatedAt`) unchanged since
 * the version that was read: a write guarded by it happens only for a service bookable as read.
 */
export function bookableAsRead(serviceId: string, cityId: string, updatedAt?: number): Guard {
  return {
    sql: `EXISTS (SELECT 1 FROM services s JOIN service_cities sc ON sc.service_id = s.id
      WHERE s.id = ? AND sc.city_id = ? AND s.active = 1 AND s.deleted_at IS NULL${updatedAt === undefined ? "" : " AND s.updated_at = ?"})`,
    params: updatedAt === undefined ? [serviceId, cityId] : [serviceId, cityId, updatedAt],
  };
}

/** A customer's open holds waiting for payment: pending_payment orders whose hold has not expired. */
const UNPAID_HOLDS = `SELECT count(*) FROM orders WHERE customer_id = ? AND status = 'pending_payment' AND hold_expires_at > ?`;
/**
 * A customer's pay-after-service orders not yet paid: not cancelled or refunded, no full payment
 * succeeded (`+` keeps SQLite on payments_order_idx rather than walking every succeeded payment).
 */
const UNPAID_AFTER_SERVICE = `SELECT count(*) FROM orders o WHERE o.customer_id = ? AND o.payment_plan = 'after_service'
  AND o.status IN (${ORDER_STATUSES.filter((s) => s !== "cancelled" && s !== "refunded" && s !== "pending_payment")
    .map((s) => `'${s}'`)
    .join(", ")})
  AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND +p.stage = 'full' AND +p.status = 'succeeded')`;

export type OpenOrderKind = "hold" | "after_service";

/**
 * True while the customer has fewer than `max` open orders of the new order's kind (see
 * UNPAID_HOLDS, UNPAID_AFTER_SERVICE): in the order's own write it caps slot hoarding atomically,
 * since D1 runs one batch at a time.
 */
export function fewerOpenOrders(customerId: string, kind: OpenOrderKind, max: number, now: number): Guard {
  return kind === "hold"
    ? { sql: `(${UNPAID_HOLDS}) < ?`, params: [customerId, now, max] }
    : { sql: `(${UNPAID_AFTER_SERVICE}) < ?`, params: [customerId, max] };
}

/** How many open orders of that kind the customer has (to explain a refused booking). */
export async function openOrderCount(db: Db, customerId: string, kind: OpenOrderKind, now: number): Promise<number> {
  const stmt =
    kind === "hold" ? db.$client.prepare(UNPAID_HOLDS).bind(customerId, now) : db.$client.prepare(UNPAID_AFTER_SERVICE).bind(customerId);
  return (await stmt.first<number>("count(*)")) ?? 0;
}

/**
 * What served orders still wait to be paid (payment_dues) and cash technicians collected
 * (cash_collections). "Collected" is what the customer paid towards the order: applied payments
 * plus cash. Every condition that decides money is evaluated by SQL at write time, so concurrent
 * payments, cash and completions cannot make an order look paid when it is not (or the reverse).
 */
import { and, asc, eq, isNull, lte, sql } from "drizzle-orm";
import type { Db } from "../client";
import { cashCollections, orderEvents, paymentDues } from "../schema";
import { insertRow, type Guard } from "./statements";

export type PaymentDueRow = typeof paymentDues.$inferSelect;
export type CashRow = typeof cashCollections.$inferSelect;

/** SQL for what was collected towards order `?` (applied payments plus cash); binds the id twice. */
const COLLECTED =
  "((SELECT coalesce(sum(amount), 0) FROM payments WHERE order_id = ? AND status = 'succeeded' AND disposition = 'applied') + (SELECT coalesce(sum(amount), 0) FROM cash_collections WHERE order_id = ?))";

/**
 * True while the customer has no served order left unpaid. Part of the order insert's guard: a
 * customer with an unpaid balance cannot book (the booking batch refuses, no extra round trip).
 */
export const noUnpaidBalance = (customerId: string): Guard => ({
  sql: "NOT EXISTS (SELECT 1 FROM payment_dues WHERE customer_id = ? AND settled_at IS NULL)",
  params: [customerId],
});

/** Whether the customer has a served order left unpaid (why a booking was refused). */
export async function unpaidOrderOf(db: Db, customerId: string): Promise<PaymentDueRow | undefined> {
  const [row] = await db
    .select()
    .from(paymentDues)
    .where(and(eq(paymentDues.customerId, customerId), isNull(paymentDues.settledAt)))
    .limit(1);
  return row;
}

export async function findDue(db: Db, orderId: string): Promise<PaymentDueRow | undefined> {
  const [row] = await db.select().from(paymentDues).where(eq(paymentDues.orderId, orderId)).limit(1);
  return row;
}

/** True while order `orderId`'s total is more than what was collected towards it. */
export const stillDue = (orderId: string): Guard => ({
  sql: `(SELECT total FROM orders WHERE id = ?) > ${COLLECTED}`,
  params: [orderId, orderId, orderId],
});

/** True while `amount` more fits within what is still due on the order. */
export const fitsDue = (orderId: string, amount: number): Guard => ({
  sql: `(SELECT total FROM orders WHERE id = ?) - ${COLLECTED} >= ?`,
  params: [orderId, orderId, orderId, amount],
});

/** The order's due, written at its completion (only if the completion won). */
export function dueInsert(db: Db, row: PaymentDueRow, guard: Guard): D1PreparedStatement {
  return insertRow(db, paymentDues, row, guard, true);
}

/**
 * Settles the order's due once its total is collected, and takes the order out of the exception
 * queue if it waited there for the money. Both conditions are checked when the batch runs.
 */
export function dueSettledStatements(db: Db, orderId: string, now: number): D1PreparedStatement[] {
  return [
    db.$client
      .prepare(`UPDATE payment_dues SET settled_at = ? WHERE order_id = ? AND settled_at IS NULL AND NOT (${stillDue(orderId).sql})`)
      .bind(now, orderId, ...stillDue(orderId).params),
    db.$client
      .prepare(
        "UPDATE orders SET exception = NULL WHERE id = ? AND exception = 'unpaid' AND EXISTS (SELECT 1 FROM payment_dues WHERE order_id = ? AND settled_at IS NOT NULL)",
      )
      .bind(orderId, orderId),
  ];
}

/** True while the order's due was not waived (money may be applied to the order's balance). */
export const notWaived = (orderId: string): Guard => ({
  sql: "NOT EXISTS (SELECT 1 FROM payment_dues WHERE order_id = ? AND waived_at IS NOT NULL)",
  params: [orderId],
});

/** True once the due of `orderId` was waived by exactly this waiver (`at`, `by`): what the waiver's other writes hang on. */
export const waivedBy = (orderId: string, at: number, by: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM payment_dues WHERE order_id = ? AND waived_at = ? AND waived_by = ?)",
  params: [orderId, at, by],
});

/**
 * Waives the order's due: settles it with the waiver recorded, only while it is unsettled and
 * exactly `amount` is still due when the batch runs (a payment or cash that arrived meanwhile makes
 * it fail, and the caller looks again); and takes the order out of the exception queue.
 */
export function dueWaivedStatements(
  db: Db,
  orderId: string,
  w: { at: number; by: string; reason: string; amount: number },
): D1PreparedStatement[] {
  return [
    db.$client
      .prepare(
        `UPDATE payment_dues SET settled_at = ?, waived_at = ?, waived_by = ?, waive_reason = ?, waived_amount = ?
         WHERE order_id = ? AND settled_at IS NULL AND (SELECT total FROM orders WHERE id = ?) - ${COLLECTED} = ?`,
      )
      .bind(w.at, w.at, w.by, w.reason, w.amount, orderId, orderId, orderId, orderId, w.amount),
    db.$client
      .prepare("UPDATE orders SET exception = NULL WHERE id = ? AND exception = 'unpaid' AND " + waivedBy(orderId, w.at, w.by).sql)
      .bind(orderId, ...waivedBy(orderId, w.at, w.by).params),
  ];
}

/** A timeline entry of the order that stays as it is (e.g. its balance waived), written only under `guard`. */
export function sameStatusEvent(db: Db, row: typeof orderEvents.$inferSelect, guard: Guard): D1PreparedStatement {
  return insertRow(db, orderEvents, row, guard);
}

/** Unsettled dues whose order took money that is not split yet (or is paid in full): to settle. */
export async function duesToSettle(db: Db, limit: number): Promise<PaymentDueRow[]> {
  return db
    .select()
    .from(paymentDues)
    .where(
      and(
        isNull(paymentDues.settledAt),
        sql`(${sql.raw(COLLECTED.replaceAll("?", "payment_dues.order_id"))}) > coalesce((SELECT sum(e.amount) FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.tx_id WHERE t.order_id = payment_dues.order_id AND t.kind = 'split' AND e.account = 'customer_funds'), 0)`,
      ),
    )
    .orderBy(asc(paymentDues.createdAt))
    .limit(limit);
}

/** Unsettled dues of orders completed at or before `before` that were not reminded yet. */
export async function duesToRemind(db: Db, before: number, limit: number): Promise<PaymentDueRow[]> {
  return db
    .select()
    .from(paymentDues)
    .where(and(isNull(paymentDues.settledAt), isNull(paymentDues.remindedAt), lte(paymentDues.createdAt, before)))
    .orderBy(asc(paymentDues.createdAt))
    .limit(limit);
}

/** Unsettled dues of orders completed at or before `before` not in the exception queue yet. */
export async function duesToEscalate(db: Db, before: number, limit: number): Promise<PaymentDueRow[]> {
  return db
    .select()
    .from(paymentDues)
    .where(and(isNull(paymentDues.settledAt), isNull(paymentDues.escalatedAt), lte(paymentDues.createdAt, before)))
    .orderBy(asc(paymentDues.createdAt))
    .limit(limit);
}

/** Marks the due reminded at `now` (if it still is unsettled and unreminded). */
export function dueReminded(db: Db, orderId: string, now: number): D1PreparedStatement {
  return db.$client
    .prepare("UPDATE payment_dues SET reminded_at = ? WHERE order_id = ? AND reminded_at IS NULL AND settled_at IS NULL")
    .bind(now, orderId);
}

/** True when the due of `orderId` was reminded at exactly `now` (the reminder's own write won). */
export const remindedAt = (orderId: string, now: number): Guard => ({
  sql: "EXISTS (SELECT 1 FROM payment_dues WHERE order_id = ? AND reminded_at = ?)",
  params: [orderId, now],
});

/** Puts the unpaid order in the operators' exception queue (`exception = unpaid`), once. */
export function dueEscalatedStatements(db: Db, orderId: string, now: number): D1PreparedStatement[] {
  return [
    db.$client
      .prepare("UPDATE payment_dues SET escalated_at = ? WHERE order_id = ? AND escalated_at IS NULL AND settled_at IS NULL")
      .bind(now, orderId),
    db.$client
      .prepare(
        "UPDATE orders SET exception = 'unpaid' WHERE id = ? AND exception IS NULL AND EXISTS (SELECT 1 FROM payment_dues WHERE order_id = ? AND escalated_at = ?)",
      )
      .bind(orderId, orderId, now),
  ];
}

export async function cashOfOrder(db: Db, orderId: string): Promise<CashRow[]> {
  return db.select().from(cashCollections).where(eq(cashCollections.orderId, orderId)).orderBy(asc(cashCollections.createdAt));
}

/** Records cash collected, only while it fits what is still due on the order (checked at write time). */
export function cashInsert(db: Db, row: CashRow, guard?: Guard): D1PreparedStatement {
  return insertRow(db, cashCollections, row, guard);
}

/** True once cash row `id` exists (its ledger entries are written only with it). */
export const cashExists = (id: string): Guard => ({ sql: "EXISTS (SELECT 1 FROM cash_collections WHERE id = ?)", params: [id] });

/** True while the order has exactly `count` split transactions (nobody split it meanwhile). */
export const splitCountIs = (orderId: string, count: number): Guard => ({
  sql: "(SELECT count(*) FROM ledger_transactions WHERE order_id = ? AND kind = 'split') = ?",
  params: [orderId, count],
});

/** True while the order is served (completed or in after-sales): money collected now is split. */
export const orderServed = (orderId: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM orders WHERE id = ? AND status IN ('completed', 'after_sales'))",
  params: [orderId],
});

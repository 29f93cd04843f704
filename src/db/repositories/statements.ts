/**
 * Building blocks for atomic money writes: prepared statements that share one D1 batch with the
 * state change that causes them. A `Guard` is an SQL condition true only if that change won (e.g.
 * the order row carries the new event id): a guarded insert then happens exactly when the change did.
 */
import type { OutboxMessage } from "../../domain/outbox";

export interface Guard {
  sql: string;
  params: unknown[];
}

const toColumn = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toDb = (v: unknown) =>
  v === undefined ? null : typeof v === "boolean" ? (v ? 1 : 0) : typeof v === "object" && v !== null ? JSON.stringify(v) : v;

/** `INSERT INTO table (…) SELECT … [WHERE guard]`, columns named after the row's keys in snake_case. */
export function insertRow(
  raw: D1Database,
  table: string,
  row: Record<string, unknown>,
  guard?: Guard,
  orIgnore = false,
): D1PreparedStatement {
  const keys = Object.keys(row);
  const cols = keys.map(toColumn).join(", ");
  const values = keys.map(() => "?").join(", ");
  const where = guard ? ` WHERE ${guard.sql}` : "";
  return raw
    .prepare(`INSERT${orIgnore ? " OR IGNORE" : ""} INTO ${table} (${cols}) SELECT ${values}${where}`)
    .bind(...keys.map((k) => toDb(row[k])), ...(guard?.params ?? []));
}

/** `UPDATE table SET … WHERE <where> [AND guard]`. */
export function updateRows(
  raw: D1Database,
  table: string,
  set: Record<string, unknown>,
  where: { sql: string; params: unknown[] },
  guard?: Guard,
): D1PreparedStatement {
  const keys = Object.keys(set);
  const sets = keys.map((k) => `${toColumn(k)} = ?`).join(", ");
  const cond = guard ? `(${where.sql}) AND ${guard.sql}` : where.sql;
  return raw
    .prepare(`UPDATE ${table} SET ${sets} WHERE ${cond}`)
    .bind(...keys.map((k) => toDb(set[k])), ...where.params, ...(guard?.params ?? []));
}

/** All of the guards (none: always true). */
export function allOf(...guards: (Guard | undefined)[]): Guard {
  const g = guards.filter((x): x is Guard => x !== undefined);
  return g.length === 0 ? { sql: "1", params: [] } : { sql: g.map((x) => `(${x.sql})`).join(" AND "), params: g.flatMap((x) => x.params) };
}

/** True while a new refund of `amount` keeps the payment's refunds (asked, open or done) within what it paid. */
export const refundFits = (paymentId: string, amount: number): Guard => ({
  sql: "(SELECT coalesce(sum(amount), 0) FROM refunds WHERE payment_id = ? AND status IN ('pending_approval', 'processing', 'succeeded')) + ? <= (SELECT amount FROM payments WHERE id = ? AND status = 'succeeded')",
  params: [paymentId, amount, paymentId],
});

export const refundExists = (refundId: string): Guard => ({ sql: "EXISTS (SELECT 1 FROM refunds WHERE id = ?)", params: [refundId] });

export const orderWon = (orderId: string, eventId: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM orders WHERE id = ? AND last_event_id = ?)",
  params: [orderId, eventId],
});
export const paymentSucceededBy = (paymentId: string, eventId: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM payments WHERE id = ? AND success_event_id = ?)",
  params: [paymentId, eventId],
});
export const paymentDisposedBy = (paymentId: string, ref: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM payments WHERE id = ? AND disposition_ref = ?)",
  params: [paymentId, ref],
});
export const refundMarked = (refundId: string, marker: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM refunds WHERE id = ? AND change_id = ?)",
  params: [refundId, marker],
});
export const withdrawalMarked = (withdrawalId: string, marker: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM withdrawals WHERE id = ? AND change_id = ?)",
  params: [withdrawalId, marker],
});

/** An outbox message written only if the guarded change won. */
export function outboxRow(raw: D1Database, m: OutboxMessage, now: number, guard?: Guard) {
  return insertRow(raw, "outbox", { id: m.id, topic: m.topic, payload: m.payload, createdAt: now }, guard);
}

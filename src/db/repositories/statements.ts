/**
 * Building blocks for atomic money writes: prepared statements that share one D1 batch with the
 * state change that causes them. A `Guard` is an SQL condition true only if that change won (e.g.
 * the order row carries the new event id): a guarded insert then happens exactly when the change did.
 */
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
export function outboxRow(raw: D1Database, m: { id: string; topic: string; payload: Record<string, unknown> }, now: number, guard?: Guard) {
  return insertRow(raw, "outbox", { id: m.id, topic: m.topic, payload: m.payload, createdAt: now }, guard);
}

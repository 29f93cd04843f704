/**
 * Building blocks for atomic money writes: prepared statements that share one D1 batch with the
 * state change that causes them. A `Guard` is an SQL condition true only if that change won (e.g.
 * the order row carries the new event id): a guarded insert then happens exactly when the change did.
 */
import { getTableColumns, getTableName } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { OutboxMessage } from "../../domain/outbox";
import type { Db } from "../client";
import { collectMessage } from "../outbox-collector";
import { outbox } from "../schema";

export interface Guard {
  sql: string;
  params: unknown[];
}

/** Values for some of a table's columns, by their drizzle keys. */
export type Values<T extends SQLiteTable> = { [K in keyof T["$inferInsert"]]?: T["$inferInsert"][K] | null };

/** The SQL names of the row's keys and its values as D1 binds them, both from the table's drizzle schema. */
export function encodeRow<T extends SQLiteTable>(table: T, row: Values<T>): { names: string[]; values: unknown[] } {
  const columns = getTableColumns(table);
  const names: string[] = [];
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(row)) {
    const column = columns[key];
    if (!column) throw new Error(`${getTableName(table)} has no column ${key}`);
    names.push(column.name);
    values.push(value === undefined || value === null ? null : column.mapToDriverValue(value));
  }
  return { names, values };
}

/** `INSERT INTO table (…) SELECT … [WHERE guard]`, columns named by the table's schema. */
export function insertRow<T extends SQLiteTable>(db: Db, table: T, row: Values<T>, guard?: Guard, orIgnore = false): D1PreparedStatement {
  const { names, values } = encodeRow(table, row);
  const where = guard ? ` WHERE ${guard.sql}` : "";
  return db.$client
    .prepare(
      `INSERT${orIgnore ? " OR IGNORE" : ""} INTO ${getTableName(table)} (${names.join(", ")}) SELECT ${names.map(() => "?").join(", ")}${where}`,
    )
    .bind(...values, ...(guard?.params ?? []));
}

/** `UPDATE table SET … WHERE <where> [AND guard]`. */
export function updateRows<T extends SQLiteTable>(
  db: Db,
  table: T,
  set: Values<T>,
  where: { sql: string; params: unknown[] },
  guard?: Guard,
): D1PreparedStatement {
  const { names, values } = encodeRow(table, set);
  const sets = names.map((name) => `${name} = ?`).join(", ");
  const cond = guard ? `(${where.sql}) AND ${guard.sql}` : where.sql;
  return db.$client
    .prepare(`UPDATE ${getTableName(table)} SET ${sets} WHERE ${cond}`)
    .bind(...values, ...where.params, ...(guard?.params ?? []));
}

/** Runs statements as one D1 batch: one round trip, all or nothing. */
export function runBatch(db: Db, statements: D1PreparedStatement[]): Promise<D1Result[]> {
  return db.$client.batch(statements);
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

/** An outbox message written only if the guarded change won (and collected for the queue: src/db/outbox-collector.ts). */
export function outboxRow(db: Db, m: OutboxMessage, now: number, guard?: Guard) {
  collectMessage(db.$client, m);
  return insertRow(db, outbox, { id: m.id, topic: m.topic, payload: m.payload, createdAt: now }, guard);
}

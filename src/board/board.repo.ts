/** The board's reads and the multi-move's record, the only SQL of src/board. */
import { and, asc, eq, gte, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import { chunked } from "../db/chunks";
import type { Db } from "../db/client";
import type { OrderRow } from "../db/repositories/orders.repo";
import { cellMoveIntents, cellMoves, cities, orders, services, technicians } from "../db/schema";
import { encodeRow } from "../db/repositories/statements";
import { staffNoticeRows, type StaffNoticeRows } from "../db/repositories/staff-notices";

/** The orders with these ids (any order, missing ones left out), ids in parts under D1's parameter limit. */
export async function ordersByIds(db: Db, ids: string[]): Promise<OrderRow[]> {
  const parts = chunked([...new Set(ids)]).map((part) => db.select().from(orders).where(inArray(orders.id, part)));
  const [first, ...rest] = parts;
  if (!first) return [];
  return (await db.batch([first, ...rest])).flat();
}

export type MoveRecord = typeof cellMoves.$inferInsert;

/** A move across cells holds its intent's lease while its D1 batch runs: the batch counts only then. */
export interface IntentLease {
  id: string;
  token: string;
  now: number;
}

/** Orders per guard statement: two parameters each, with the record's own under D1's limit of 100. */
const GUARD_PART = 40;

/**
 * The multi-move's record, written last in its batch: its `created_at` is NULL, which fails the
 * whole batch (NOT NULL), unless every order of it carries the event id this batch gave it (and,
 * for a move across cells, its intent still holds the lease). The orders are checked in parts of
 * 40 (two parameters each, under D1's limit of 100): the first part with the record's insert, each
 * further part by a statement that sets `created_at` to NULL again — failing the batch the same
 * way — when one of its orders does not carry its event id.
 */
export function moveRecordStatements(
  db: Db,
  record: MoveRecord,
  won: { orderId: string; eventId: string }[],
  lease?: IntentLease,
): D1PreparedStatement[] {
  const { createdAt, ...rest } = record;
  const { names, values } = encodeRow(cellMoves, rest);
  const [first = [], ...others] = chunked(won, GUARD_PART);
  const pairs = (part: typeof won) => part.map(() => "(id = ? AND last_event_id = ?)").join(" OR ") || "0";
  const binds = (part: typeof won) => part.flatMap((w) => [w.orderId, w.eventId]);
  const leased = lease ? " AND EXISTS (SELECT 1 FROM cell_move_intents WHERE id = ? AND lease_token = ? AND lease_until > ?)" : "";
  const insert = db.$client
    .prepare(
      `INSERT INTO cell_moves (${[...names, "created_at"].join(", ")})
       SELECT ${names.map(() => "?").join(", ")}, CASE WHEN (SELECT COUNT(*) FROM orders WHERE ${pairs(first)}) = ?${leased} THEN ? ELSE NULL END`,
    )
    .bind(...values, ...binds(first), first.length, ...(lease ? [lease.id, lease.token, lease.now] : []), createdAt);
  return [
    insert,
    ...others.map((part) =>
      db.$client
        .prepare(
          `UPDATE cell_moves SET created_at = CASE WHEN (SELECT COUNT(*) FROM orders WHERE ${pairs(part)}) = ? THEN created_at ELSE NULL END WHERE id = ?`,
        )
        .bind(...binds(part), part.length, record.id),
    ),
  ];
}

export type MoveIntent = typeof cellMoveIntents.$inferSelect;

/** Records a move across cells before its first cell is touched. */
export async function insertMoveIntent(db: Db, intent: typeof cellMoveIntents.$inferInsert): Promise<void> {
  await db.insert(cellMoveIntents).values(intent);
}

/** The move across cells is settled: every cell agrees with D1 on its orders. */
export async function deleteMoveIntent(db: Db, id: string, token: string): Promise<void> {
  await db.delete(cellMoveIntents).where(and(eq(cellMoveIntents.id, id), eq(cellMoveIntents.leaseToken, token)));
}

/** Intents whose lease lapsed by `now` (their move died half-way), oldest lease first. */
export async function lapsedMoveIntents(db: Db, now: number, limit: number): Promise<MoveIntent[]> {
  return db
    .select()
    .from(cellMoveIntents)
    .where(lte(cellMoveIntents.leaseUntil, now))
    .orderBy(asc(cellMoveIntents.leaseUntil))
    .limit(limit);
}

/** Takes a lapsed intent's lease for `token` until `until`; false when another took it first. */
export async function takeMoveIntent(db: Db, intent: MoveIntent, token: string, now: number, until: number): Promise<boolean> {
  const rows = await db
    .update(cellMoveIntents)
    .set({ leaseToken: token, leaseUntil: until, attempts: sql`${cellMoveIntents.attempts} + 1` })
    .where(and(eq(cellMoveIntents.id, intent.id), eq(cellMoveIntents.leaseToken, intent.leaseToken), lte(cellMoveIntents.leaseUntil, now)))
    .returning({ id: cellMoveIntents.id });
  return rows.length === 1;
}

/** Whether a batch failed because its multi-move record refused (an order changed meanwhile). */
export const moveRecordRefused = (err: unknown) => String(err).includes("NOT NULL constraint failed: cell_moves.created_at");

/** Statuses in which an order is on a technician's day or waits for one (the board shows them). */
const ON_THE_BOARD = ["confirmed", "dispatching", "assigned", "accepted", "en_route", "arrived", "in_service", "completed"] as const;

/**
 * The board's orders of one day: those of the technicians given starting in [from, to), and the
 * unassigned ones of the cells given (waiting for dispatch or an operator) in the same window.
 * Bounded by the window; ids in parts under D1's parameter limit.
 */
export async function boardOrders(
  db: Db,
  technicianIds: string[],
  cells: string[],
  from: number,
  to: number,
  merchantId: string | undefined,
): Promise<(OrderRow & { serviceName: { zh: string; en: string } })[]> {
  const columns = { o: orders, nameZh: services.nameZh, nameEn: services.nameEn };
  const window = and(gte(orders.startAt, from), lt(orders.startAt, to));
  const scope = merchantId === undefined ? undefined : eq(orders.merchantId, merchantId);
  const queries = [
    ...chunked(technicianIds, 80).map((ids) =>
      db
        .select(columns)
        .from(orders)
        .innerJoin(services, eq(services.id, orders.serviceId))
        .where(and(inArray(orders.technicianId, ids), window, inArray(orders.status, ON_THE_BOARD), scope)),
    ),
    ...chunked(cells, 80).map((part) =>
      db
        .select(columns)
        .from(orders)
        .innerJoin(services, eq(services.id, orders.serviceId))
        .where(
          and(
            inArray(orders.cell, part),
            window,
            or(isNull(orders.technicianId), eq(orders.status, "dispatching")),
            inArray(orders.status, ["confirmed", "dispatching"]),
            scope,
          ),
        ),
    ),
  ];
  const [first, ...rest] = queries;
  if (!first) return [];
  const seen = new Set<string>();
  const out: (OrderRow & { serviceName: { zh: string; en: string } })[] = [];
  for (const row of (await db.batch([first, ...rest])).flat()) {
    if (seen.has(row.o.id)) continue;
    seen.add(row.o.id);
    out.push({ ...row.o, serviceName: { zh: row.nameZh, en: row.nameEn } });
  }
  return out;
}

/** The technicians homed in `cell` (at most `limit`) with their city's time zone, for the board's rows. */
export async function cellTechnicians(db: Db, cell: string, merchantId: string | undefined, limit: number) {
  return db
    .select({
      id: technicians.id,
      name: technicians.name,
      merchantId: technicians.merchantId,
      status: technicians.status,
      timeZone: cities.timeZone,
    })
    .from(technicians)
    .innerJoin(cities, eq(cities.id, technicians.cityId))
    .where(and(eq(technicians.homeCell, cell), merchantId === undefined ? undefined : eq(technicians.merchantId, merchantId)))
    .orderBy(technicians.name, technicians.id)
    .limit(limit);
}

/**
 * Tells staff of an intent the repair could not settle, while this run holds its lease (`token`): one
 * notice per account and intent (a repeat adds nothing).
 */
export async function noticeStuckMove(db: Db, intentId: string, token: string, notice: StaffNoticeRows, now: number): Promise<void> {
  await staffNoticeRows(db, notice, now, {
    sql: "EXISTS (SELECT 1 FROM cell_move_intents WHERE id = ? AND lease_token = ?)",
    params: [intentId, token],
  }).run();
}

/** Intents touching `cell` that failed to settle at least `minAttempts` times, oldest first (at most `limit`). */
export async function stuckMoveIntents(db: Db, cell: string, minAttempts: number, limit: number): Promise<MoveIntent[]> {
  return db
    .select()
    .from(cellMoveIntents)
    .where(
      and(
        gte(cellMoveIntents.attempts, minAttempts),
        sql`EXISTS (SELECT 1 FROM json_each(${cellMoveIntents.cells}) WHERE value = ${cell})`,
      ),
    )
    .orderBy(asc(cellMoveIntents.createdAt))
    .limit(limit);
}

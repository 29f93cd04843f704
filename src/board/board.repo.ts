/** The board's reads and the multi-move's record, the only SQL of src/board. */
import { and, eq, gte, inArray, isNull, lt, or } from "drizzle-orm";
import { chunked } from "../db/chunks";
import type { Db } from "../db/client";
import type { OrderRow } from "../db/repositories/orders.repo";
import { cellMoves, cities, orders, services, technicians } from "../db/schema";
import { encodeRow } from "../db/repositories/statements";

/** The orders with these ids (any order, missing ones left out), ids in parts under D1's parameter limit. */
export async function ordersByIds(db: Db, ids: string[]): Promise<OrderRow[]> {
  const parts = chunked([...new Set(ids)]).map((part) => db.select().from(orders).where(inArray(orders.id, part)));
  const [first, ...rest] = parts;
  if (!first) return [];
  return (await db.batch([first, ...rest])).flat();
}

export type MoveRecord = typeof cellMoves.$inferInsert;

/**
 * The multi-move's record, written last in its batch: its `created_at` is NULL, which fails the
 * whole batch (NOT NULL), unless every order of it carries the event id this batch gave it.
 * At most 45 orders (two parameters each, under D1's limit of 100).
 */
export function moveRecordStatement(db: Db, record: MoveRecord, won: { orderId: string; eventId: string }[]): D1PreparedStatement {
  if (won.length > 45) throw new RangeError("at most 45 orders per multi-move");
  const { createdAt, ...rest } = record;
  const { names, values } = encodeRow(cellMoves, rest);
  const pairs = won.map(() => "(id = ? AND last_event_id = ?)").join(" OR ");
  return db.$client
    .prepare(
      `INSERT INTO cell_moves (${[...names, "created_at"].join(", ")})
       SELECT ${names.map(() => "?").join(", ")}, CASE WHEN (SELECT COUNT(*) FROM orders WHERE ${pairs}) = ? THEN ? ELSE NULL END`,
    )
    .bind(...values, ...won.flatMap((w) => [w.orderId, w.eventId]), won.length, createdAt);
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

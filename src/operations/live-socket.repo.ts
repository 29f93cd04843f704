/** The rows the operators' live map socket hands to a cell: its open orders and its technicians on a visit. */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { OPEN_STATUSES, VISIT_STATUSES } from "../db/repositories/dashboard.repo";
import { chunked } from "../db/chunks";
import { orders, technicians } from "../db/schema";

const orderColumns = {
  id: orders.id,
  status: orders.status,
  merchantId: orders.merchantId,
  technicianId: orders.technicianId,
  cell: orders.cell,
  coordsEnc: orders.coordsEnc,
  areaLat: orders.areaLat,
  areaLng: orders.areaLng,
  lat: orders.lat,
  lng: orders.lng,
  startAt: orders.startAt,
  exception: orders.exception,
};

/** The open orders whose address is in `cell` (at most 2000, soonest first). */
export async function openOrdersOfCell(db: Db, cell: string) {
  return db
    .select(orderColumns)
    .from(orders)
    .where(and(eq(orders.cell, cell), inArray(orders.status, [...OPEN_STATUSES])))
    .orderBy(orders.startAt)
    .limit(2000);
}

/**
 * Orders by id, with what the live map shows of them, and of each order's technician the home cell
 * and whether a visit of theirs is under way: one statement per 90 orders.
 */
export async function liveOrdersByIds(db: Db, ids: string[]) {
  const visiting = sql.join(
    VISIT_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  );
  const rows = [];
  for (const part of chunked(ids)) {
    rows.push(
      ...(await db
        .select({
          ...orderColumns,
          technicianHome: technicians.homeCell,
          technicianBusy: sql<number>`exists (select 1 from orders v where v.technician_id = ${orders.technicianId} and v.status in (${visiting}))`,
        })
        .from(orders)
        .leftJoin(technicians, eq(technicians.id, orders.technicianId))
        .where(inArray(orders.id, part))),
    );
  }
  return rows;
}

/** Technicians homed in `cell` with a visit under way. */
export async function busyTechniciansOfCell(db: Db, cell: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ id: technicians.id })
    .from(technicians)
    .innerJoin(orders, eq(orders.technicianId, technicians.id))
    .where(and(eq(technicians.homeCell, cell), inArray(orders.status, [...VISIT_STATUSES])));
  return rows.map((r) => r.id);
}

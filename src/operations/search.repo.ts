/** What the map's search reads: orders and technicians by id, technicians by name, a customer's recent orders. */
import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { escapeLike } from "../domain/catalog";
import { orders, technicians } from "../db/schema";

const orderColumns = {
  id: orders.id,
  status: orders.status,
  merchantId: orders.merchantId,
  cityId: orders.cityId,
  cell: orders.cell,
  coordsEnc: orders.coordsEnc,
  areaLat: orders.areaLat,
  areaLng: orders.areaLng,
  lat: orders.lat,
  lng: orders.lng,
  startAt: orders.startAt,
};

const technicianColumns = {
  id: technicians.id,
  name: technicians.name,
  status: technicians.status,
  merchantId: technicians.merchantId,
  cityId: technicians.cityId,
  homeCell: technicians.homeCell,
};

const scoped = (column: typeof orders.merchantId | typeof technicians.merchantId, merchantId: string | undefined): SQL[] =>
  merchantId === undefined ? [] : [eq(column, merchantId)];

export async function searchOrderById(db: Db, id: string, merchantId?: string) {
  return db
    .select(orderColumns)
    .from(orders)
    .where(and(eq(orders.id, id), ...scoped(orders.merchantId, merchantId)))
    .limit(1);
}

/** A customer's most recent orders (by start), at most `limit`. */
export async function searchOrdersOfCustomer(db: Db, customerId: string, limit: number, merchantId?: string) {
  return db
    .select(orderColumns)
    .from(orders)
    .where(and(eq(orders.customerId, customerId), ...scoped(orders.merchantId, merchantId)))
    .orderBy(desc(orders.startAt))
    .limit(limit);
}

export async function searchTechnicianById(db: Db, id: string, merchantId?: string) {
  return db
    .select(technicianColumns)
    .from(technicians)
    .where(and(eq(technicians.id, id), ...scoped(technicians.merchantId, merchantId)))
    .limit(1);
}

export async function searchTechnicianOfAccount(db: Db, accountId: string, merchantId?: string) {
  return db
    .select(technicianColumns)
    .from(technicians)
    .where(and(eq(technicians.accountId, accountId), ...scoped(technicians.merchantId, merchantId)))
    .limit(1);
}

/** Technicians whose name contains `q` (case-insensitive for Latin letters), by name. */
export async function searchTechniciansByName(db: Db, q: string, limit: number, merchantId?: string) {
  const pattern = `%${escapeLike(q)}%`;
  return db
    .select(technicianColumns)
    .from(technicians)
    .where(and(sql`${technicians.name} like ${pattern} escape '\\'`, ...scoped(technicians.merchantId, merchantId)))
    .orderBy(technicians.name)
    .limit(limit);
}

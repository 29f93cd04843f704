/**
 * Read models of the operators' and merchants' dashboard: the live city picture and the rows that
 * reports aggregate. Every query takes an optional merchant scope.
 */
import { and, asc, eq, gte, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { merchants, orderEvents, orders, services, technicians } from "../schema";
import type { ReportEvent, ReportOrder } from "../../domain/reports";
import { chunked } from "../chunks";

/** Order statuses that are still open work on the map. */
export const OPEN_STATUSES = ["confirmed", "dispatching", "assigned", "accepted", "en_route", "arrived", "in_service"] as const;

/** Statuses in which the technician is on the way or at the customer. */
export const VISIT_STATUSES = ["en_route", "arrived", "in_service"] as const;

/** Approved technicians of a city (of one merchant when scoped). */
export async function cityTechnicians(db: Db, cityId: string, merchantId?: string) {
  const where: SQL[] = [eq(technicians.cityId, cityId), eq(technicians.status, "approved")];
  if (merchantId !== undefined) where.push(eq(technicians.merchantId, merchantId));
  return db
    .select({
      id: technicians.id,
      name: technicians.name,
      merchantId: technicians.merchantId,
      homeCell: technicians.homeCell,
      homeLat: technicians.homeLat,
      homeLng: technicians.homeLng,
      ratingX100: technicians.ratingX100,
      skills: technicians.skills,
    })
    .from(technicians)
    .where(and(...where))
    .orderBy(asc(technicians.id))
    .limit(2000);
}

/** Open orders of a city whose start lies in [from, to) (of one merchant when scoped). */
export async function openCityOrders(db: Db, cityId: string, from: number, to: number, merchantId?: string) {
  const where: SQL[] = [
    eq(orders.cityId, cityId),
    inArray(orders.status, [...OPEN_STATUSES]),
    gte(orders.startAt, from),
    lt(orders.startAt, to),
  ];
  if (merchantId !== undefined) where.push(eq(orders.merchantId, merchantId));
  return db
    .select({
      id: orders.id,
      status: orders.status,
      serviceId: orders.serviceId,
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
    })
    .from(orders)
    .where(and(...where))
    .orderBy(asc(orders.startAt))
    .limit(1000);
}

/** Technicians among `ids` with a visit under way (on the way, arrived or working). */
export async function technicianIdsOnVisit(db: Db, ids: string[]): Promise<Set<string>> {
  const busy = new Set<string>();
  for (const part of chunked(ids)) {
    const rows = await db
      .select({ id: orders.technicianId })
      .from(orders)
      .where(and(inArray(orders.technicianId, part), inArray(orders.status, [...VISIT_STATUSES])));
    for (const r of rows) if (r.id) busy.add(r.id);
  }
  return busy;
}

/** The orders of a city whose start lies in [from, to), for reports (of one merchant when scoped). */
export async function reportOrders(db: Db, cityId: string, from: number, to: number, merchantId?: string): Promise<ReportOrder[]> {
  const where: SQL[] = [eq(orders.cityId, cityId), gte(orders.startAt, from), lt(orders.startAt, to)];
  if (merchantId !== undefined) where.push(eq(orders.merchantId, merchantId));
  return db
    .select({
      id: orders.id,
      merchantId: orders.merchantId,
      serviceId: orders.serviceId,
      cell: orders.cell,
      technicianId: orders.technicianId,
      status: orders.status,
      startAt: orders.startAt,
      endAt: orders.endAt,
      total: orders.total,
      createdAt: orders.createdAt,
    })
    .from(orders)
    .where(and(...where))
    .limit(100_000);
}

/** Offers, acceptances and refusals in the timelines of the same orders as reportOrders. */
export async function reportEvents(db: Db, cityId: string, from: number, to: number, merchantId?: string): Promise<ReportEvent[]> {
  const scope = merchantId === undefined ? sql`` : sql` AND o.merchant_id = ${merchantId}`;
  const rows = await db.all<{ order_id: string; to_status: string; reason: string; at: number }>(sql`
    SELECT e.order_id, e.to_status, e.reason, e.at FROM ${orderEvents} e JOIN ${orders} o ON o.id = e.order_id
    WHERE o.city_id = ${cityId} AND o.start_at >= ${from} AND o.start_at < ${to}${scope}
      AND (e.to_status IN ('assigned', 'accepted') OR e.reason IN ('declined', 'accept deadline missed'))
    LIMIT 200000`);
  return rows.map((r) => ({
    orderId: r.order_id,
    at: r.at,
    kind: r.reason === "declined" || r.reason === "accept deadline missed" ? "refuse" : r.to_status === "accepted" ? "accept" : "offer",
  }));
}

/** Display names of services and merchants by id. */
export async function catalogNames(db: Db, serviceIds: string[], merchantIds: string[]) {
  const names = new Map<string, { zh: string; en: string }>();
  for (const part of chunked(serviceIds)) {
    const rows = await db
      .select({ id: services.id, zh: services.nameZh, en: services.nameEn })
      .from(services)
      .where(inArray(services.id, part));
    for (const r of rows) names.set(r.id, { zh: r.zh, en: r.en });
  }
  for (const part of chunked(merchantIds)) {
    const rows = await db.select({ id: merchants.id, name: merchants.name }).from(merchants).where(inArray(merchants.id, part));
    for (const r of rows) names.set(r.id, { zh: r.name, en: r.name });
  }
  return names;
}

import { and, asc, eq, gt, inArray, isNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { cities, merchants, serviceCities, services } from "../schema";
import { escapeLike } from "../../domain/catalog";
import { chunked } from "../chunks";

export type ServiceRow = typeof services.$inferSelect;

// D1 binds at most 100 parameters a statement: 2 per service_cities row.
const CITIES_PER_INSERT = 49;

function cityInserts(db: Db, serviceId: string, cityIds: string[]) {
  const inserts = [];
  for (let i = 0; i < cityIds.length; i += CITIES_PER_INSERT) {
    inserts.push(db.insert(serviceCities).values(cityIds.slice(i, i + CITIES_PER_INSERT).map((cityId) => ({ serviceId, cityId }))));
  }
  return inserts;
}

/** Inserts a service and the cities it is offered in, atomically. */
export async function insertService(db: Db, row: ServiceRow, cityIds: string[]): Promise<void> {
  await db.batch([db.insert(services).values(row), ...cityInserts(db, row.id, cityIds)]);
}

/**
 * Updates the given columns of a service that is not deleted and, when `cityIds` is given,
 * replaces its cities, all in one atomic batch. Undefined when there is no such service.
 */
export async function updateService(
  db: Db,
  id: string,
  patch: Partial<Omit<ServiceRow, "id" | "createdAt" | "deletedAt">>,
  cityIds?: string[],
): Promise<ServiceRow | undefined> {
  const update = db
    .update(services)
    .set(patch)
    .where(and(eq(services.id, id), isNull(services.deletedAt)))
    .returning();
  if (cityIds === undefined) {
    const [row] = await update;
    return row;
  }
  const [rows] = await db.batch([update, db.delete(serviceCities).where(eq(serviceCities.serviceId, id)), ...cityInserts(db, id, cityIds)]);
  return rows[0];
}

/** Marks a service deleted; false when it was missing or already deleted. */
export async function softDeleteService(db: Db, id: string, now = Date.now()): Promise<boolean> {
  const rows = await db
    .update(services)
    .set({ deletedAt: now, updatedAt: now })
    .where(and(eq(services.id, id), isNull(services.deletedAt)))
    .returning({ id: services.id });
  return rows.length > 0;
}

/** Customers see a service only while it is active, not deleted, and its merchant (if any) is active. */
const publiclyVisible = sql`${services.active} = 1 and ${services.deletedAt} is null and (${services.merchantId} is null or exists (
  select 1 from ${merchants} where ${merchants.id} = ${services.merchantId} and ${merchants.active} = 1))`;

/** A service that is not deleted (and, with `publicOnly`, visible to customers). */
export async function findService(db: Db, id: string, opts: { publicOnly: boolean }): Promise<ServiceRow | undefined> {
  const [row] = await db
    .select()
    .from(services)
    .where(and(eq(services.id, id), opts.publicOnly ? publiclyVisible : isNull(services.deletedAt)));
  return row;
}

export interface ServiceFilter {
  /** Only customer-visible services (else every service not deleted). */
  publicOnly: boolean;
  /** Only this merchant's services; null = only the platform's own. */
  merchantId?: string | null;
  /** This category and every category below it. */
  categoryId?: string;
  /** Case-insensitive text in the names or descriptions, either language. */
  q?: string;
  /** Only services offered in this city. */
  cityId?: string;
  afterId?: string;
  limit: number;
}

/** A page of services ordered by id (`limit + 1` rows). */
export async function listServices(db: Db, f: ServiceFilter): Promise<ServiceRow[]> {
  const conditions: (SQL | undefined)[] = [f.publicOnly ? publiclyVisible : isNull(services.deletedAt)];
  if (f.merchantId !== undefined)
    conditions.push(f.merchantId === null ? isNull(services.merchantId) : eq(services.merchantId, f.merchantId));
  if (f.categoryId !== undefined) {
    conditions.push(sql`${services.categoryId} in (
      with recursive sub(id) as (select ${f.categoryId} union select c.id from categories c join sub on c.parent_id = sub.id)
      select id from sub)`);
  }
  if (f.q !== undefined) {
    const pattern = `%${escapeLike(f.q)}%`;
    conditions.push(
      sql`(${services.nameZh} like ${pattern} escape '\\' or ${services.nameEn} like ${pattern} escape '\\'
        or ${services.descriptionZh} like ${pattern} escape '\\' or ${services.descriptionEn} like ${pattern} escape '\\')`,
    );
  }
  if (f.cityId !== undefined) {
    conditions.push(
      sql`exists (select 1 from ${serviceCities} where ${serviceCities.serviceId} = ${services.id} and ${serviceCities.cityId} = ${f.cityId})`,
    );
  }
  if (f.afterId !== undefined) conditions.push(gt(services.id, f.afterId));
  return db
    .select()
    .from(services)
    .where(and(...conditions))
    .orderBy(asc(services.id))
    .limit(f.limit + 1);
}

/** The cities each of the services is offered in, sorted. */
export async function citiesOfServices(db: Db, serviceIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(serviceIds.map((id) => [id, []]));
  for (const part of chunked(serviceIds)) {
    const rows = await db.select().from(serviceCities).where(inArray(serviceCities.serviceId, part)).orderBy(asc(serviceCities.cityId));
    for (const r of rows) out.get(r.serviceId)?.push(r.cityId);
  }
  return out;
}

/** The ids among `ids` that name a city. */
export async function existingCityIds(db: Db, ids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const part of chunked(ids)) {
    const rows = await db.select({ id: cities.id }).from(cities).where(inArray(cities.id, part));
    for (const r of rows) found.add(r.id);
  }
  return found;
}

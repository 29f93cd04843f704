import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../client";
import { serviceCities, services } from "../schema";
import type { Guard } from "./statements";

export type ServiceRow = typeof services.$inferSelect;

/** A live, bookable service with the cities it is offered in. */
export async function bookableService(db: Db, serviceId: string): Promise<{ service: ServiceRow; cityIds: string[] } | undefined> {
  // Plain selects: drizzle's relational findFirst inside a batch fails on an empty result.
  const [[service], cities] = await db.batch([
    db
      .select()
      .from(services)
      .where(and(eq(services.id, serviceId), eq(services.active, true), isNull(services.deletedAt)))
      .limit(1),
    db.select({ cityId: serviceCities.cityId }).from(serviceCities).where(eq(serviceCities.serviceId, serviceId)),
  ]);
  return service ? { service, cityIds: cities.map((c) => c.cityId) } : undefined;
}

/**
 * True while the service is live and offered in the city, and (with `updatedAt`) unchanged since
 * the version that was read: a write guarded by it happens only for a service bookable as read.
 */
export function bookableAsRead(serviceId: string, cityId: string, updatedAt?: number): Guard {
  return {
    sql: `EXISTS (SELECT 1 FROM services s JOIN service_cities sc ON sc.service_id = s.id
      WHERE s.id = ? AND sc.city_id = ? AND s.active = 1 AND s.deleted_at IS NULL${updatedAt === undefined ? "" : " AND s.updated_at = ?"})`,
    params: updatedAt === undefined ? [serviceId, cityId] : [serviceId, cityId, updatedAt],
  };
}

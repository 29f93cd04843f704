import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../client";
import { serviceCities, services } from "../schema";

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

/**
 * Reference data every booking reads, kept per isolate for a few seconds: the bookable service
 * (with the cities it is offered in) and the city that owns a cell.
 *
 * How stale it can be:
 * - A service is kept for SERVICE_CACHE_MS (5 s). A change made through this isolate (patch,
 *   delete) drops it at once; a change made through another isolate is seen within 5 s. So a
 *   deactivated service stops being quoted within 5 s everywhere.
 * - Orders never rely on it: an order is written only if its service is still bookable in its
 *   city and unchanged since the version used (same `updated_at`), checked by the order insert
 *   itself; otherwise the service is read again and the booking tried once more.
 * - A cell's city is kept for CITY_CACHE_MS (60 s): cells never change hands and cities are not
 *   edited after they are created.
 * Only hits are kept: an unknown or inactive service and a cell outside every city are read from
 * D1 every time, so a service that becomes bookable is bookable at once, and unknown ids cannot
 * fill the cache (which keeps at most a few hundred entries of each kind).
 */
import { getDb } from "../db/client";
import { bookableService, type ServiceRow } from "../db/repositories/booking.repo";
import type { CityRow } from "../db/repositories/cities.repo";
import { cityOfCellWithSurge, type SurgeQuoteTerms } from "../surge";
import { TtlCache } from "../lib/ttl-cache";

export const SERVICE_CACHE_MS = 5_000;
export const CITY_CACHE_MS = 60_000;

export interface BookableService {
  service: ServiceRow;
  cityIds: string[];
}

const services = new TtlCache<string, BookableService | undefined>(SERVICE_CACHE_MS, 500);
const cities = new TtlCache<string, CityRow | undefined>(CITY_CACHE_MS, 500);
/** A cell's surge terms, read along with its city (same age). */
const surgeTerms = new TtlCache<string, SurgeQuoteTerms>(CITY_CACHE_MS, 500);
const found = <T>(v: T | undefined) => v !== undefined;

/** The live, bookable service with its cities, at most SERVICE_CACHE_MS old (`fresh`: read now). */
export function cachedService(env: Env, serviceId: string, opts: { fresh?: boolean } = {}): Promise<BookableService | undefined> {
  if (opts.fresh) services.delete(serviceId);
  return services.get(serviceId, () => bookableService(getDb(env), serviceId), found);
}

/** The city that owns a cell, at most CITY_CACHE_MS old. */
export function cachedCityOfCell(env: Env, cell: string): Promise<CityRow | undefined> {
  return cities.get(
    cell,
    async () => {
      const r = await cityOfCellWithSurge(env, getDb(env), cell);
      if (r.city) surgeTerms.prime(cell, r.surge);
      return r.city;
    },
    found,
  );
}

/** What a quote in the cell needs of surge pricing, as old as the cell's city (read with it). */
export function cachedSurgeTerms(env: Env, cell: string): Promise<SurgeQuoteTerms> {
  return surgeTerms.get(cell, async () => (await cityOfCellWithSurge(env, getDb(env), cell)).surge);
}

/** Drops a service this isolate has just changed, so its next read sees the change. */
export function forgetService(serviceId: string): void {
  services.delete(serviceId);
}

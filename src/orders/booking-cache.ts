/**
 * What a booking reads besides the reference data, kept per isolate so that a warm isolate books
 * without reading D1 first: the customer's address and the chosen technician.
 *
 * How stale it can be: an entry is kept for BOOKING_READS_CACHE_MS (60 s), but an order never
 * relies on it. The order's insert checks, in the same D1 batch, that the address is still the
 * customer's, not deleted and unchanged (same `updated_at`), and that the technician is unchanged;
 * when either changed, both are read again and the booking is tried once more (booking.service).
 * So a deleted address or a suspended technician is never booked, however old the copy.
 * Only hits are kept: unknown ids are read from D1 every time and cannot fill the cache.
 */
import { getDb } from "../db/client";
import { findOwnAddress, type AddressRow } from "../db/repositories/addresses.repo";
import { rosterEntry, type RosterEntry } from "../db/repositories/roster.repo";
import { TtlCache } from "../lib/ttl-cache";

export const BOOKING_READS_CACHE_MS = 60_000;

const addresses = new TtlCache<string, AddressRow | undefined>(BOOKING_READS_CACHE_MS, 2_000);
const technicians = new TtlCache<string, RosterEntry | undefined>(BOOKING_READS_CACHE_MS, 2_000);
const found = <T>(v: T | undefined) => v !== undefined;

/** The customer's live address, at most BOOKING_READS_CACHE_MS old (`fresh`: read now). */
export function cachedOwnAddress(env: Env, accountId: string, addressId: string, fresh: boolean): Promise<AddressRow | undefined> {
  const key = `${accountId}/${addressId}`;
  if (fresh) addresses.delete(key);
  return addresses.get(key, () => findOwnAddress(getDb(env), accountId, addressId), found);
}

/** The technician as the cells see them, at most BOOKING_READS_CACHE_MS old (`fresh`: read now). */
export function cachedRosterEntry(env: Env, technicianId: string, fresh: boolean): Promise<RosterEntry | undefined> {
  if (fresh) technicians.delete(technicianId);
  return technicians.get(technicianId, () => rosterEntry(getDb(env), technicianId), found);
}

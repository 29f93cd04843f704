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
 *
 * A technician the isolate has no copy of is read together with the roster of the cell the
 * booking is in (up to CELL_ROSTER_LIMIT technicians homed there, in the same round trip, once per
 * cell and BOOKING_READS_CACHE_MS): customers there choose among the technicians homed there, so
 * the next booking of another of them reads nothing first. Those copies are checked by the
 * order's write like any other.
 */
import { getDb } from "../db/client";
import { findOwnAddress, type AddressRow } from "../db/repositories/addresses.repo";
import { rosterEntry, rosterEntryAndCell, type RosterEntry } from "../db/repositories/roster.repo";
import { TtlCache } from "../lib/ttl-cache";

export const BOOKING_READS_CACHE_MS = 60_000;

const addresses = new TtlCache<string, AddressRow | undefined>(BOOKING_READS_CACHE_MS, 2_000);
const technicians = new TtlCache<string, RosterEntry | undefined>(BOOKING_READS_CACHE_MS, 5_000);
const found = <T>(v: T | undefined) => v !== undefined;

/** The customer's live address, at most BOOKING_READS_CACHE_MS old (`fresh`: read now). */
export function cachedOwnAddress(env: Env, accountId: string, addressId: string, fresh: boolean): Promise<AddressRow | undefined> {
  const key = `${accountId}/${addressId}`;
  if (fresh) addresses.delete(key);
  return addresses.get(key, () => findOwnAddress(getDb(env), accountId, addressId), found);
}

/** At most this many technicians of a cell are copied from one read (a bound on the rows it reads). */
export const CELL_ROSTER_LIMIT = 500;

/** When this isolate last read each cell's roster (at most 200 cells, the oldest read goes first). */
const cellsRead = new Map<string, number>();

/** Whether `cell`'s roster is to be read now (not read within BOOKING_READS_CACHE_MS); marks it read. */
function cellToRead(cell: string, now: number): boolean {
  const readAt = cellsRead.get(cell);
  if (readAt !== undefined && now - readAt < BOOKING_READS_CACHE_MS) return false;
  cellsRead.delete(cell);
  cellsRead.set(cell, now);
  if (cellsRead.size > 200) cellsRead.delete(cellsRead.keys().next().value as string);
  return true;
}

/**
 * The technician as the cells see them, at most BOOKING_READS_CACHE_MS old (`fresh`: read now). On
 * a miss, `nearCell` (the booking's cell) has its roster read along, unless it was read lately.
 */
export function cachedRosterEntry(env: Env, technicianId: string, fresh: boolean, nearCell?: string): Promise<RosterEntry | undefined> {
  if (fresh) technicians.delete(technicianId);
  return technicians.get(
    technicianId,
    async () => {
      if (fresh || nearCell === undefined || !cellToRead(nearCell, Date.now())) return rosterEntry(getDb(env), technicianId);
      try {
        const read = await rosterEntryAndCell(getDb(env), technicianId, nearCell, CELL_ROSTER_LIMIT);
        for (const e of read.cell) if (e.profile.id !== technicianId) technicians.prime(e.profile.id, e);
        return read.entry;
      } catch (err) {
        cellsRead.delete(nearCell);
        throw err;
      }
    },
    found,
  );
}

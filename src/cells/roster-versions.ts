/**
 * The roster versions of a ring of cells (`max(updated_at)` and the approved count of each cell's
 * technicians in D1), kept per isolate for ROSTER_VERSIONS_CACHE_MS so that a warm isolate asks the
 * cells for candidates and availability at once, without a D1 round trip first.
 *
 * How stale it can be, and why that is safe:
 * - Every profile change is pushed to the technician's home cell when it is made (`pushTechnician`),
 *   and a push made in this isolate forgets every copy here. The versions are only the backstop for
 *   a lost push: with a copy up to ROSTER_VERSIONS_CACHE_MS old, a cell whose copy fell behind
 *   through a lost push is repaired that much later.
 * - A cell with no approved technician in the copy is not asked; a technician approved there in
 *   another isolate is asked for by this one at most ROSTER_VERSIONS_CACHE_MS later.
 * - Nothing is booked on the strength of the copy: the cell holds only what its own rules allow,
 *   and a suspended technician's push has already removed them there.
 */
import { getDb } from "../db/client";
import { cellVersions, cellVersionsForMerchant } from "../db/repositories/roster.repo";
import { TtlCache } from "../lib/ttl-cache";

export const ROSTER_VERSIONS_CACHE_MS = 10_000;

type Versions = Map<string, { version: number; approved: number }>;
interface RingFacts {
  versions: Versions;
  /** Whether the merchant lets dispatch use platform technicians (only when asked for a merchant). */
  platformTechnicians: boolean;
}

const cache = new TtlCache<string, RingFacts>(ROSTER_VERSIONS_CACHE_MS, 1_000);

/** The roster versions of `cells` (and the merchant's rule), at most ROSTER_VERSIONS_CACHE_MS old. */
export function cachedCellVersions(env: Env, cells: string[], merchantId?: string): Promise<RingFacts> {
  const key = `${merchantId ?? ""}|${cells.join(",")}`;
  return cache.get(key, async () => {
    const db = getDb(env);
    if (merchantId === undefined) return { versions: await cellVersions(db, cells), platformTechnicians: false };
    return cellVersionsForMerchant(db, cells, merchantId);
  });
}

/** Forgets every copy (a profile was pushed to a cell, or a merchant's rule changed, in this isolate). */
export function forgetCellVersions(): void {
  cache.clear();
}

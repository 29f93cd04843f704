/**
 * The SQL of the benchmark's naive booking path: a check-then-insert on D1's orders
 * with nothing serialising the two, to show what the owner cell prevents.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../src/db/client";

/** Marks the orders the naive path wrote, so its audit counts only them. */
export const NAIVE_MARK = "bench:naive";

const LIVE = sql`status NOT IN ('cancelled', 'refunded')`;

/** Whether the technician has a live order overlapping [start, end) (the "check" of the naive path). */
export async function hasOverlappingOrder(db: Db, technicianId: string, start: number, end: number): Promise<boolean> {
  const rows = await db.all<{ one: number }>(
    sql`SELECT 1 AS one FROM orders WHERE technician_id = ${technicianId} AND start_at < ${end} AND end_at > ${start} AND ${LIVE} LIMIT 1`,
  );
  return rows.length > 0;
}

/** Overlapping pairs among the naive path's live orders, and how many orders it wrote. */
export async function naiveAudit(db: Db): Promise<{ orders: number; overlappingPairs: number; technicians: number }> {
  const [counts] = await db.all<{ orders: number; technicians: number }>(
    sql`SELECT count(*) AS orders, count(DISTINCT technician_id) AS technicians FROM orders WHERE notes = ${NAIVE_MARK} AND ${LIVE}`,
  );
  const [pairs] = await db.all<{ n: number }>(
    sql`SELECT count(*) AS n FROM orders a JOIN orders b
          ON a.technician_id = b.technician_id AND a.id < b.id AND a.start_at < b.end_at AND b.start_at < a.end_at
        WHERE a.notes = ${NAIVE_MARK} AND b.notes = ${NAIVE_MARK}
          AND a.status NOT IN ('cancelled', 'refunded') AND b.status NOT IN ('cancelled', 'refunded')`,
  );
  return { orders: counts?.orders ?? 0, technicians: counts?.technicians ?? 0, overlappingPairs: pairs?.n ?? 0 };
}

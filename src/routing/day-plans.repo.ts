/** The stored day plans of technicians, the only SQL of src/routing. */
import { and, asc, eq, lt, ne, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { dayPlans } from "../db/schema";

export type DayPlanRow = typeof dayPlans.$inferSelect;

const key = (technicianId: string, date: string) => and(eq(dayPlans.technicianId, technicianId), eq(dayPlans.date, date));

export async function dayPlanOf(db: Db, technicianId: string, date: string): Promise<DayPlanRow | undefined> {
  return db.select().from(dayPlans).where(key(technicianId, date)).get();
}

/**
 * Asks for a build of the day as it is (`basis`): true when this call queued it (and so must send its
 * message). One statement: a new day is inserted; a stored plan of another basis, a build queued
 * before `lapsedBefore` (its message lost) or one that failed before it, is queued again. The same basis already queued or built
 * is left alone, so of parallel reads of one day exactly one queues it.
 */
export async function queueDayPlan(db: Db, technicianId: string, date: string, basis: string, now: number, lapsedBefore: number) {
  const rows = await db
    .insert(dayPlans)
    .values({ technicianId, date, status: "queued", basis, moves: [], createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [dayPlans.technicianId, dayPlans.date],
      set: { status: "queued", basis, moves: [], updatedAt: now },
      setWhere: or(
        ne(dayPlans.basis, basis),
        and(or(eq(dayPlans.status, "queued"), eq(dayPlans.status, "failed")), lt(dayPlans.updatedAt, lapsedBefore)),
      ),
    })
    .returning({ technicianId: dayPlans.technicianId });
  return rows.length === 1;
}

/**
 * Stores a build's result on the queued row it started from (same basis and `updatedAt`); false when
 * a read queued the day again meanwhile (that build's message stores the newer day).
 */
export async function storeDayPlan(
  db: Db,
  from: Pick<DayPlanRow, "technicianId" | "date" | "basis" | "updatedAt">,
  patch: { status: "ready" | "failed"; basis: string; moves: DayPlanRow["moves"] },
  now: number,
): Promise<boolean> {
  const rows = await db
    .update(dayPlans)
    .set({ ...patch, updatedAt: now })
    .where(
      and(
        key(from.technicianId, from.date),
        eq(dayPlans.status, "queued"),
        eq(dayPlans.basis, from.basis),
        eq(dayPlans.updatedAt, from.updatedAt),
      ),
    )
    .returning({ technicianId: dayPlans.technicianId });
  return rows.length === 1;
}

/** Marks the moves stored for `basis` as applied (a repeat of the apply then changes nothing). */
export async function markApplied(db: Db, technicianId: string, date: string, basis: string, now: number): Promise<void> {
  await db
    .update(dayPlans)
    .set({ appliedBasis: basis, updatedAt: now })
    .where(and(key(technicianId, date), eq(dayPlans.basis, basis)));
}

/** Builds queued since before `before` (their queue message lost), oldest first. */
export async function lapsedDayPlans(db: Db, before: number, limit: number): Promise<DayPlanRow[]> {
  return db
    .select()
    .from(dayPlans)
    .where(and(eq(dayPlans.status, "queued"), lt(dayPlans.updatedAt, before)))
    .orderBy(asc(dayPlans.updatedAt))
    .limit(limit);
}

/** Starts a new lease on a lapsed queued build, only if nothing touched it since it was read; false otherwise. */
export async function renewLease(db: Db, row: Pick<DayPlanRow, "technicianId" | "date" | "updatedAt">, now: number): Promise<boolean> {
  const rows = await db
    .update(dayPlans)
    .set({ updatedAt: sql`max(${now}, ${dayPlans.updatedAt} + 1)` })
    .where(and(key(row.technicianId, row.date), eq(dayPlans.status, "queued"), eq(dayPlans.updatedAt, row.updatedAt)))
    .returning({ technicianId: dayPlans.technicianId });
  return rows.length === 1;
}

/**
 * Retention (DAY_PLAN_RETENTION_DAYS): deletes at most `limit` plans of local dates before `beforeDate`
 * (YYYY-MM-DD), oldest first; how many it deleted.
 */
export async function deleteDayPlansBefore(db: Db, beforeDate: string, limit: number): Promise<number> {
  const r = await db.$client
    .prepare("DELETE FROM day_plans WHERE rowid IN (SELECT rowid FROM day_plans WHERE date < ? ORDER BY date LIMIT ?)")
    .bind(beforeDate, limit)
    .run();
  return r.meta.changes ?? 0;
}

/** The route plans' rows and the reads the builder needs, the only SQL of src/route-plans. */
import { and, asc, desc, eq, inArray, lt } from "drizzle-orm";
import { chunked } from "../db/chunks";
import type { Db } from "../db/client";
import { routePlans, services } from "../db/schema";

export type RoutePlanRow = typeof routePlans.$inferSelect;
export type RoutePlanStatus = RoutePlanRow["status"];

export async function insertPlan(db: Db, row: typeof routePlans.$inferInsert): Promise<void> {
  await db.insert(routePlans).values(row);
}

export async function planById(db: Db, id: string): Promise<RoutePlanRow | undefined> {
  return db.select().from(routePlans).where(eq(routePlans.id, id)).get();
}

/** The plans of one cell and day, newest first, before the cursor's id; `merchantId` set: only that merchant's. */
export async function plansOf(
  db: Db,
  cell: string,
  date: string,
  merchantId: string | undefined,
  before: string | undefined,
  limit: number,
) {
  return db
    .select()
    .from(routePlans)
    .where(
      and(
        eq(routePlans.cell, cell),
        eq(routePlans.date, date),
        merchantId === undefined ? undefined : eq(routePlans.merchantId, merchantId),
        before === undefined ? undefined : lt(routePlans.id, before),
      ),
    )
    .orderBy(desc(routePlans.id))
    .limit(limit);
}

/**
 * Moves a plan from one status to another and writes `patch` with it; false when the plan was not
 * in `from` (someone else moved it first): the compare-and-set that lets exactly one accept apply.
 */
export async function transitionPlan(
  db: Db,
  id: string,
  from: RoutePlanStatus,
  patch: Partial<typeof routePlans.$inferInsert> & { status: RoutePlanStatus },
  now = Date.now(),
): Promise<boolean> {
  const rows = await db
    .update(routePlans)
    .set({ ...patch, updatedAt: now })
    .where(and(eq(routePlans.id, id), eq(routePlans.status, from)))
    .returning({ id: routePlans.id });
  return rows.length === 1;
}

/**
 * Plans left in `status` since before `before`, oldest first: `accepting` (their accept died) or
 * `queued` (their queue message was lost).
 */
export async function lapsedPlans(db: Db, status: "accepting" | "queued", before: number, limit: number): Promise<RoutePlanRow[]> {
  return db
    .select()
    .from(routePlans)
    .where(and(eq(routePlans.status, status), lt(routePlans.updatedAt, before)))
    .orderBy(asc(routePlans.updatedAt))
    .limit(limit);
}

/**
 * Writes `patch` on a lapsed plan only while it is still in `from` with the same `updatedAt`: an accept
 * that started again, a build that finished or another run meanwhile leaves it alone. False when it changed.
 */
export async function settleLapsed(
  db: Db,
  id: string,
  from: "accepting" | "queued",
  updatedAt: number,
  patch: Partial<typeof routePlans.$inferInsert> & { status: RoutePlanStatus },
  now = Date.now(),
): Promise<boolean> {
  const rows = await db
    .update(routePlans)
    .set({ ...patch, updatedAt: now })
    .where(and(eq(routePlans.id, id), eq(routePlans.status, from), eq(routePlans.updatedAt, updatedAt)))
    .returning({ id: routePlans.id });
  return rows.length === 1;
}

/** The skills each service requires and the notice it needs (lead time), ids in parts under D1's parameter limit. */
export async function serviceNeedsOf(db: Db, serviceIds: string[]): Promise<Map<string, { skills: string[]; leadTimeMinutes: number }>> {
  const out = new Map<string, { skills: string[]; leadTimeMinutes: number }>();
  for (const part of chunked([...new Set(serviceIds)])) {
    if (part.length === 0) continue;
    const rows = await db
      .select({ id: services.id, skills: services.requiredSkills, leadTimeMinutes: services.leadTimeMinutes })
      .from(services)
      .where(inArray(services.id, part));
    for (const r of rows) out.set(r.id, { skills: r.skills, leadTimeMinutes: r.leadTimeMinutes });
  }
  return out;
}

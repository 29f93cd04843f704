/**
 * Number privacy bindings (virtual number X between an order's contact and its technician). A row
 * is worked on by one worker at a time: `claimBinding` takes a short lease before any call to the
 * provider, and every outcome clears it.
 */
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lte, notInArray, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { numberBindings, orders } from "../schema";
import type { OrderStatus } from "../../domain/order-state";

export type NumberBindingRow = typeof numberBindings.$inferSelect;
export type NumberBindingStatus = NumberBindingRow["status"];

/** The order's bindings that still count: pending, active and skipped (released ones are history). */
export function bindingsOfOrder(db: Db, orderId: string): Promise<NumberBindingRow[]> {
  return db
    .select()
    .from(numberBindings)
    .where(and(eq(numberBindings.orderId, orderId), inArray(numberBindings.status, ["pending", "active", "skipped"])))
    .orderBy(asc(numberBindings.createdAt), asc(numberBindings.id))
    .all();
}

/** The order's active binding not expired at `now` (the newest if ever two). */
export async function activeBinding(db: Db, orderId: string, now: number): Promise<NumberBindingRow | undefined> {
  const [row] = await db
    .select()
    .from(numberBindings)
    .where(and(eq(numberBindings.orderId, orderId), eq(numberBindings.status, "active"), gt(numberBindings.expiresAt, now)))
    .orderBy(desc(numberBindings.boundAt))
    .limit(1);
  return row;
}

/**
 * Writes a pending binding for the order and technician; undefined when a live one (pending or
 * active) already exists for them (another worker was first).
 */
export async function insertPendingBinding(
  db: Db,
  row: Pick<NumberBindingRow, "id" | "orderId" | "technicianId" | "provider" | "poolKey">,
  now: number,
): Promise<NumberBindingRow | undefined> {
  const [inserted] = await db
    .insert(numberBindings)
    .values({ ...row, status: "pending", createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning();
  return inserted;
}

/**
 * Takes the row in `status` for one call to the provider (a lease of `leaseMs`), counting the
 * attempt; undefined when it moved on or another worker holds it.
 */
export async function claimBinding(
  db: Db,
  id: string,
  status: "pending" | "active",
  now: number,
  leaseMs: number,
): Promise<NumberBindingRow | undefined> {
  const [row] = await db
    .update(numberBindings)
    .set({ leaseUntil: now + leaseMs, attempts: sql`${numberBindings.attempts} + 1`, updatedAt: now })
    .where(
      and(
        eq(numberBindings.id, id),
        eq(numberBindings.status, status),
        or(isNull(numberBindings.leaseUntil), lte(numberBindings.leaseUntil, now)),
      ),
    )
    .returning();
  return row;
}

/** The provider bound it: X and its binding id, until `expiresAt`. */
export async function markBound(
  db: Db,
  id: string,
  bound: { subsId: string; secretNo: string; expiresAt: number },
  now: number,
): Promise<void> {
  await db
    .update(numberBindings)
    .set({ ...bound, status: "active", boundAt: now, attempts: 0, nextAttemptAt: null, leaseUntil: null, lastError: null, updatedAt: now })
    .where(and(eq(numberBindings.id, id), eq(numberBindings.status, "pending")));
}

/**
 * The binding ended (unbound, expired at the provider) or a pending one is no longer wanted. A
 * pending row held by another worker is left alone: its bind may be succeeding right now.
 */
export async function markReleased(db: Db, id: string, now: number, opts: { leased?: boolean } = {}): Promise<boolean> {
  const mine = and(eq(numberBindings.id, id), inArray(numberBindings.status, ["pending", "active"]));
  const rows = await db
    .update(numberBindings)
    .set({ status: "released", unboundAt: now, nextAttemptAt: null, leaseUntil: null, updatedAt: now })
    .where(opts.leased ? mine : and(mine, or(isNull(numberBindings.leaseUntil), lte(numberBindings.leaseUntil, now))))
    .returning({ id: numberBindings.id });
  return rows.length > 0;
}

/** This pair cannot be bound (the provider refuses a number): not tried again. */
export async function markSkipped(db: Db, id: string, code: string, now: number): Promise<void> {
  await db
    .update(numberBindings)
    .set({ status: "skipped", lastError: code, nextAttemptAt: null, leaseUntil: null, updatedAt: now })
    .where(and(eq(numberBindings.id, id), eq(numberBindings.status, "pending")));
}

/** A call failed: the row stays as it was and is tried again at `nextAttemptAt`. */
export async function scheduleRetry(db: Db, id: string, code: string, nextAttemptAt: number, now: number): Promise<void> {
  await db
    .update(numberBindings)
    .set({ lastError: code, nextAttemptAt, leaseUntil: null, updatedAt: now })
    .where(eq(numberBindings.id, id));
}

/**
 * Orders whose bindings need work at `now`, at most `limit` of each kind: a pending binding due
 * for another try; an active one that may have to end (the order left the statuses that show the
 * number, changed technician, or the binding nears `expiringBefore`), due and not held; a live
 * order with its technician (in `bindStatuses`) and no binding for them yet. `graceMs` is
 * REVEAL_GRACE_MINUTES: a completed order keeps its number that long (the service decides; this
 * only finds candidates).
 */
export async function ordersNeedingBindingWork(
  db: Db,
  q: { now: number; graceMs: number; expiringBefore: number; bindStatuses: readonly OrderStatus[]; limit: number },
): Promise<string[]> {
  const free = and(
    or(isNull(numberBindings.nextAttemptAt), lte(numberBindings.nextAttemptAt, q.now)),
    or(isNull(numberBindings.leaseUntil), lte(numberBindings.leaseUntil, q.now)),
  );
  const statuses = [...q.bindStatuses];
  const [pending, ending, missing] = await Promise.all([
    db
      .selectDistinct({ orderId: numberBindings.orderId })
      .from(numberBindings)
      .where(and(eq(numberBindings.status, "pending"), free))
      .limit(q.limit)
      .all(),
    db
      .selectDistinct({ orderId: numberBindings.orderId })
      .from(numberBindings)
      .innerJoin(orders, eq(orders.id, numberBindings.orderId))
      .where(
        and(
          eq(numberBindings.status, "active"),
          free,
          or(
            sql`${orders.technicianId} is not ${numberBindings.technicianId}`,
            lte(numberBindings.expiresAt, q.expiringBefore),
            and(
              notInArray(orders.status, statuses),
              sql`not (${orders.status} = 'completed' and coalesce(${orders.completedAt}, ${orders.updatedAt}) + ${q.graceMs} >= ${q.now})`,
            ),
          ),
        ),
      )
      .limit(q.limit)
      .all(),
    db
      .select({ orderId: orders.id })
      .from(orders)
      .where(
        and(
          inArray(orders.status, statuses),
          isNotNull(orders.technicianId),
          sql`not exists (select 1 from ${numberBindings} b where b.order_id = ${orders.id} and b.technician_id = ${orders.technicianId}
                and b.status in ('pending', 'active', 'skipped'))`,
        ),
      )
      .limit(q.limit)
      .all(),
  ]);
  return [...new Set([...pending, ...ending, ...missing].map((r) => r.orderId))];
}

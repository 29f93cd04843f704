/**
 * The SQL of the personal-data area: consent records, data requests (exports and deletions), what
 * holds a deletion back, the erasure of one person's rows and the retention deletes.
 */
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { consentEvents, dataRequests } from "../db/schema";

export type ConsentEventRow = typeof consentEvents.$inferSelect;
export type DataRequestRow = typeof dataRequests.$inferSelect;

// ——— Consents ———

/** Appends one consent change. */
export async function insertConsent(db: Db, row: Omit<ConsentEventRow, "seq">): Promise<ConsentEventRow> {
  const [saved] = await db.insert(consentEvents).values(row).returning();
  return saved!;
}

/** The account's consent history, newest first (bounded: a person changes their mind a few times). */
export function consentHistory(db: Db, accountId: string, limit = 200): Promise<ConsentEventRow[]> {
  return db.select().from(consentEvents).where(eq(consentEvents.accountId, accountId)).orderBy(desc(consentEvents.seq)).limit(limit);
}

/** The newest record of one purpose for an account (one indexed read), or undefined: never recorded. */
export async function latestConsent(db: Db, accountId: string, purpose: string): Promise<ConsentEventRow | undefined> {
  const [row] = await db
    .select()
    .from(consentEvents)
    .where(and(eq(consentEvents.accountId, accountId), eq(consentEvents.purpose, purpose)))
    .orderBy(desc(consentEvents.seq))
    .limit(1);
  return row;
}

/** The account of a technician (consents are the person's, kept by account). */
export async function accountOfTechnician(db: Db, technicianId: string): Promise<string | undefined> {
  const row = await db.$client.prepare("SELECT account_id AS a FROM technicians WHERE id = ?").bind(technicianId).first<{ a: string }>();
  return row?.a;
}

/** The orders a technician is being watched on now (en route or arrived). */
export async function trackedOrdersOf(db: Db, technicianId: string): Promise<string[]> {
  const { results } = await db.$client
    .prepare("SELECT id FROM orders WHERE technician_id = ? AND status IN ('en_route', 'arrived')")
    .bind(technicianId)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

// ——— Data requests ———

/**
 * Inserts a request unless the partial unique index already holds one of its kind in flight for
 * the account (a waiting deletion, an export being built): then undefined, however many race.
 */
export async function insertRequest(db: Db, row: DataRequestRow): Promise<DataRequestRow | undefined> {
  const [saved] = await db.insert(dataRequests).values(row).onConflictDoNothing().returning();
  return saved;
}

export async function findRequest(db: Db, id: string): Promise<DataRequestRow | undefined> {
  const [row] = await db.select().from(dataRequests).where(eq(dataRequests.id, id)).limit(1);
  return row;
}

/** The account's request of `kind` in one of `statuses`, newest first. */
export async function requestOfAccount(db: Db, accountId: string, kind: DataRequestRow["kind"], statuses: DataRequestRow["status"][]) {
  const [row] = await db
    .select()
    .from(dataRequests)
    .where(and(eq(dataRequests.accountId, accountId), eq(dataRequests.kind, kind), inArray(dataRequests.status, statuses)))
    .orderBy(desc(dataRequests.createdAt))
    .limit(1);
  return row;
}

/** A page of requests for staff, newest first, optionally of one kind and status (cursor: the last id seen). */
export function listRequests(
  db: Db,
  q: { kind?: DataRequestRow["kind"]; status?: DataRequestRow["status"]; accountId?: string; before?: string; limit: number },
): Promise<DataRequestRow[]> {
  const where = [
    q.kind ? eq(dataRequests.kind, q.kind) : undefined,
    q.status ? eq(dataRequests.status, q.status) : undefined,
    q.accountId ? eq(dataRequests.accountId, q.accountId) : undefined,
    q.before ? lt(dataRequests.id, q.before) : undefined,
  ].filter((x) => x !== undefined);
  return db
    .select()
    .from(dataRequests)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(dataRequests.id))
    .limit(q.limit);
}

/** Changes a request only while it is in one of `from` (a guarded write: of two racing changes one wins). */
export async function moveRequest(
  db: Db,
  id: string,
  from: DataRequestRow["status"][],
  set: Partial<Omit<DataRequestRow, "id" | "accountId" | "kind" | "createdAt">>,
): Promise<DataRequestRow | undefined> {
  const [row] = await db
    .update(dataRequests)
    .set(set)
    .where(and(eq(dataRequests.id, id), inArray(dataRequests.status, from)))
    .returning();
  return row;
}

/**
 * Takes the lease of an export to build it: queued, or running with a lapsed lease (its builder
 * died). Undefined when someone else holds it or it is done.
 */
export async function claimExport(db: Db, id: string, now: number, leaseMs: number): Promise<DataRequestRow | undefined> {
  const [row] = await db
    .update(dataRequests)
    .set({ status: "running", leaseUntil: now + leaseMs, updatedAt: now })
    .where(
      and(
        eq(dataRequests.id, id),
        sql`(${dataRequests.status} = 'queued' OR (${dataRequests.status} = 'running' AND ${dataRequests.leaseUntil} < ${now}))`,
      ),
    )
    .returning();
  return row;
}

/** Exports waiting to be built or whose builder died, oldest first (the cron's backstop). */
export async function exportsToBuild(db: Db, now: number, limit: number): Promise<string[]> {
  const { results } = await db.$client
    .prepare(
      "SELECT id FROM data_requests WHERE kind = 'export' AND (status = 'queued' OR (status = 'running' AND lease_until < ?)) ORDER BY created_at LIMIT ?",
    )
    .bind(now, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** Ready exports whose link ran out (their file is deleted by the caller). */
export function expiredExports(db: Db, now: number, limit: number): Promise<DataRequestRow[]> {
  return db
    .select()
    .from(dataRequests)
    .where(and(eq(dataRequests.kind, "export"), eq(dataRequests.status, "ready"), lt(dataRequests.expiresAt, now)))
    .limit(limit);
}

/** Deletions whose cooling-off has ended, oldest first. */
export function dueDeletions(db: Db, now: number, limit: number): Promise<DataRequestRow[]> {
  return db
    .select()
    .from(dataRequests)
    .where(and(eq(dataRequests.kind, "deletion"), eq(dataRequests.status, "pending"), lt(dataRequests.dueAt, now + 1)))
    .orderBy(dataRequests.dueAt)
    .limit(limit);
}

// ——— What holds a deletion back ———

export interface DeletionBlockers {
  openOrders: number;
  unpaid: number;
  withdrawals: number;
}

/**
 * What keeps the account from being deleted: orders of it (as customer or technician) not final yet,
 * payment dues not settled, and withdrawals not paid or refused. Three counts in one batch.
 */
export async function deletionBlockers(db: Db, accountId: string): Promise<DeletionBlockers> {
  const raw = db.$client;
  // after_sales is open here: a complaint is still being handled.
  const final = "('completed', 'cancelled', 'refunded')";
  const [orders, dues, withdrawals] = await raw.batch<{ n: number }>([
    raw
      .prepare(
        `SELECT COUNT(*) AS n FROM orders WHERE status NOT IN ${final} AND (customer_id = ?1 OR technician_id IN (SELECT id FROM technicians WHERE account_id = ?1))`,
      )
      .bind(accountId),
    raw.prepare("SELECT COUNT(*) AS n FROM payment_dues WHERE customer_id = ? AND settled_at IS NULL").bind(accountId),
    raw
      .prepare(
        "SELECT COUNT(*) AS n FROM withdrawals WHERE status IN ('requested', 'approved', 'processing') AND technician_id IN (SELECT id FROM technicians WHERE account_id = ?)",
      )
      .bind(accountId),
  ]);
  return { openOrders: orders!.results[0]!.n, unpaid: dues!.results[0]!.n, withdrawals: withdrawals!.results[0]!.n };
}

// ——— Reads for the export and the erasure ———

/** Rows of `table` where `column` is the value (the export's contributors read through this; bounded). */
export async function rowsWhere<T = Record<string, unknown>>(db: Db, query: string, ...params: unknown[]): Promise<T[]> {
  const { results } = await db.$client
    .prepare(query)
    .bind(...params)
    .all<T>();
  return results;
}

/** Runs prepared statements of the erasure as one batch (all or nothing). */
export function erasureStatement(db: Db, query: string, ...params: unknown[]): D1PreparedStatement {
  return db.$client.prepare(query).bind(...params);
}

// ——— Retention ———

/** The oldest visit photos taken before `before` (check-in and completion; review photos belong to reviews). */
export function oldVisitPhotos(db: Db, before: number, limit: number): Promise<{ id: string; r2Key: string }[]> {
  return rowsWhere(
    db,
    "SELECT id, r2_key AS r2Key FROM order_photos WHERE created_at < ? AND kind IN ('arrive', 'complete') ORDER BY created_at LIMIT ?",
    before,
    limit,
  );
}

export async function deleteRowsById(db: Db, table: "order_photos", ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    await db.$client
      .prepare(`DELETE FROM ${table} WHERE id IN (${chunk.map(() => "?").join(", ")})`)
      .bind(...chunk)
      .run();
  }
}

/** Deletes at most `limit` notification delivery records sent before `before`, oldest first; how many. */
export async function deleteOldDeliveries(db: Db, before: number, limit: number): Promise<number> {
  const r = await db.$client
    .prepare(
      "DELETE FROM notification_deliveries WHERE rowid IN (SELECT rowid FROM notification_deliveries WHERE sent_at < ? ORDER BY sent_at LIMIT ?)",
    )
    .bind(before, limit)
    .run();
  return r.meta.changes ?? 0;
}

/** The technician profile of an account, if any. */
export async function technicianOfAccount(db: Db, accountId: string): Promise<string | null> {
  const row = await db.$client.prepare("SELECT id FROM technicians WHERE account_id = ?").bind(accountId).first<{ id: string }>();
  return row?.id ?? null;
}

/** The audit entries about one data request, oldest first. */
export function trailOf(db: Db, requestId: string) {
  return rowsWhere<{ seq: number; at: number; action: string; actorId: string | null; data: string }>(
    db,
    "SELECT seq, at, action, actor_id AS actorId, data FROM audit_log WHERE target_type = 'data_request' AND target_id = ? ORDER BY seq LIMIT 100",
    requestId,
  );
}

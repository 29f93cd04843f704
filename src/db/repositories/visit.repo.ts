/**
 * The visit's records: photos (metadata; the bytes live in R2), changes the customer must approve,
 * and customers' favourite technicians. Every guarded write checks its condition in the same
 * statement, so two concurrent requests cannot both pass the check.
 */
import type { OutboxMessageOf } from "../../domain/outbox";
import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { collectMessage } from "../outbox-collector";
import { favourites, orderChanges, orderPhotos, technicians } from "../schema";
import type { OrderStatus } from "../../domain/order-state";

export type PhotoRow = typeof orderPhotos.$inferSelect;
export type PhotoKind = PhotoRow["kind"];
export type ChangeRow = typeof orderChanges.$inferSelect;
export type ChangeKind = ChangeRow["kind"];
export type ChangeStatus = ChangeRow["status"];

const inList = (values: readonly string[]) =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );

// ——— photos ———

/**
 * Records a photo only while the order is still the technician's and in one of `statuses`, and
 * while the technician has fewer than `max` photos of that kind on it. False when any condition failed.
 */
export async function insertPhotoGuarded(
  db: Db,
  row: PhotoRow,
  guard: { technicianId: string; statuses: readonly OrderStatus[]; max: number },
): Promise<boolean> {
  const result = await db.run(sql`
    INSERT INTO order_photos (id, order_id, kind, r2_key, content_type, size, created_by, created_at)
    SELECT ${row.id}, ${row.orderId}, ${row.kind}, ${row.r2Key}, ${row.contentType}, ${row.size}, ${row.createdBy}, ${row.createdAt}
    WHERE EXISTS (SELECT 1 FROM orders WHERE id = ${row.orderId} AND technician_id = ${guard.technicianId} AND status IN (${inList(guard.statuses)}))
      AND (SELECT COUNT(*) FROM order_photos WHERE order_id = ${row.orderId} AND kind = ${row.kind} AND created_by = ${guard.technicianId}) < ${guard.max}`);
  return result.meta.changes > 0;
}

/** How many photos of `kind` the technician took for the order. */
export async function countPhotos(db: Db, orderId: string, kind: PhotoKind, technicianId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(orderPhotos)
    .where(and(eq(orderPhotos.orderId, orderId), eq(orderPhotos.kind, kind), eq(orderPhotos.createdBy, technicianId)));
  return Number(row?.n ?? 0);
}

/** A page of the order's photos, oldest first (ids are time-ordered). */
export async function listPhotos(db: Db, orderId: string, afterId: string | undefined, limit: number): Promise<PhotoRow[]> {
  return db
    .select()
    .from(orderPhotos)
    .where(and(eq(orderPhotos.orderId, orderId), afterId ? gt(orderPhotos.id, afterId) : undefined))
    .orderBy(asc(orderPhotos.id))
    .limit(limit);
}

export async function findPhoto(db: Db, orderId: string, id: string): Promise<PhotoRow | undefined> {
  const [row] = await db
    .select()
    .from(orderPhotos)
    .where(and(eq(orderPhotos.orderId, orderId), eq(orderPhotos.id, id)))
    .limit(1);
  return row;
}

// ——— changes ———

export type ChangeMessage = OutboxMessageOf<"order.change">;

/**
 * Records a change request while the order is still the requester's and in one of `statuses`,
 * and while no other change of its kind is pending. Pending changes by a technician who no longer
 * has the order are withdrawn first (they can never apply). The outbox message is written only
 * if the change was. False when a condition failed.
 *
 * Plain D1 statements: drizzle cannot put a raw `sql` statement with parameters into a D1 batch.
 */
export async function insertChangeGuarded(
  db: Db,
  row: ChangeRow,
  guard: { statuses: readonly OrderStatus[] },
  message: ChangeMessage,
): Promise<boolean> {
  const raw = db.$client;
  const statuses = guard.statuses.map(() => "?").join(", ");
  const [, inserted] = await raw.batch([
    raw
      .prepare(
        `UPDATE order_changes SET status = 'withdrawn', decided_at = ?1,
           payload = json_set(payload, '$.decisionReason', 'the technician changed')
         WHERE order_id = ?2 AND status = 'pending' AND requested_by != ?3
           AND EXISTS (SELECT 1 FROM orders WHERE id = ?2 AND technician_id = ?3)`,
      )
      .bind(row.createdAt, row.orderId, row.requestedBy),
    raw
      .prepare(
        `INSERT INTO order_changes (id, order_id, kind, requested_by, payload, status, decided_at, created_at)
         SELECT ?, ?, ?, ?, ?, 'pending', NULL, ?
         WHERE EXISTS (SELECT 1 FROM orders WHERE id = ? AND technician_id = ? AND status IN (${statuses}))
           AND NOT EXISTS (SELECT 1 FROM order_changes WHERE order_id = ? AND kind = ? AND status = 'pending')`,
      )
      .bind(
        row.id,
        row.orderId,
        row.kind,
        row.requestedBy,
        JSON.stringify(row.payload),
        row.createdAt,
        row.orderId,
        row.requestedBy,
        ...guard.statuses,
        row.orderId,
        row.kind,
      ),
    outboxIfChange(raw, row.id, "pending", message, row.createdAt),
  ]);
  return inserted!.meta.changes > 0;
}

/** The change's outbox message, written only if the change is (still) in `status` as of `now` (and collected for the queue). */
const outboxIfChange = (raw: D1Database, changeId: string, status: ChangeStatus, m: ChangeMessage, now: number) => {
  collectMessage(raw, m);
  return raw
    .prepare(
      `INSERT INTO outbox (id, topic, payload, created_at)
       SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM order_changes WHERE id = ?5 AND status = ?6 AND decided_at IS ?7)`,
    )
    .bind(m.id, m.topic, JSON.stringify(m.payload), now, changeId, status, status === "pending" ? null : now);
};

export async function findChange(db: Db, orderId: string, id: string): Promise<ChangeRow | undefined> {
  const [row] = await db
    .select()
    .from(orderChanges)
    .where(and(eq(orderChanges.orderId, orderId), eq(orderChanges.id, id)))
    .limit(1);
  return row;
}

export async function pendingChangeOf(db: Db, orderId: string, kind: ChangeKind): Promise<ChangeRow | undefined> {
  const [row] = await db
    .select()
    .from(orderChanges)
    .where(and(eq(orderChanges.orderId, orderId), eq(orderChanges.kind, kind), eq(orderChanges.status, "pending")))
    .limit(1);
  return row;
}

/** A page of the order's changes, oldest first. */
export async function listChanges(db: Db, orderId: string, afterId: string | undefined, limit: number): Promise<ChangeRow[]> {
  return db
    .select()
    .from(orderChanges)
    .where(and(eq(orderChanges.orderId, orderId), afterId ? gt(orderChanges.id, afterId) : undefined))
    .orderBy(asc(orderChanges.id))
    .limit(limit);
}

/**
 * Moves a change from `from` to `to` (with the reason for the decision, and a message when given)
 * only if it is still in `from`: of two concurrent decisions exactly one wins. Returns the new
 * row, or undefined when the change was no longer in `from`.
 */
export async function decideChange(
  db: Db,
  change: ChangeRow,
  from: ChangeStatus,
  to: ChangeStatus,
  decisionReason: string | null,
  message: ChangeMessage | null,
  now = Date.now(),
): Promise<ChangeRow | undefined> {
  const raw = db.$client;
  const decidedAt = to === "pending" ? null : now;
  const update = raw
    .prepare(
      `UPDATE order_changes SET status = ?1, decided_at = ?2, payload = json_set(payload, '$.decisionReason', ?3)
       WHERE id = ?4 AND status = ?5`,
    )
    .bind(to, decidedAt, decisionReason, change.id, from);
  const [result] = message ? await raw.batch([update, outboxIfChange(raw, change.id, to, message, now)]) : [await update.run()];
  if (!result || result.meta.changes !== 1) return undefined;
  return { ...change, status: to, decidedAt, payload: { ...change.payload, decisionReason } };
}

// ——— favourites ———

/**
 * Adds a favourite only if the technician completed one of the account's orders. Returns the
 * favourite (new or already there), or undefined when the technician never served the account.
 */
export async function addFavouriteIfServed(
  db: Db,
  accountId: string,
  technicianId: string,
  now = Date.now(),
): Promise<FavouriteRow | undefined> {
  await db.run(sql`
    INSERT INTO favourites (account_id, technician_id, created_at)
    SELECT ${accountId}, ${technicianId}, ${now}
    WHERE EXISTS (SELECT 1 FROM orders WHERE customer_id = ${accountId} AND technician_id = ${technicianId} AND status = 'completed')
    ON CONFLICT (account_id, technician_id) DO NOTHING`);
  return findFavourite(db, accountId, technicianId);
}

export interface FavouriteRow {
  technicianId: string;
  name: string;
  ratingX100: number;
  createdAt: number;
}

const favouriteColumns = {
  technicianId: favourites.technicianId,
  name: technicians.name,
  ratingX100: technicians.ratingX100,
  createdAt: favourites.createdAt,
};

export async function findFavourite(db: Db, accountId: string, technicianId: string): Promise<FavouriteRow | undefined> {
  const [row] = await db
    .select(favouriteColumns)
    .from(favourites)
    .innerJoin(technicians, eq(technicians.id, favourites.technicianId))
    .where(and(eq(favourites.accountId, accountId), eq(favourites.technicianId, technicianId)))
    .limit(1);
  return row;
}

/** A page of the account's favourites, by technician id. */
export async function listFavourites(db: Db, accountId: string, afterId: string | undefined, limit: number): Promise<FavouriteRow[]> {
  return db
    .select(favouriteColumns)
    .from(favourites)
    .innerJoin(technicians, eq(technicians.id, favourites.technicianId))
    .where(and(eq(favourites.accountId, accountId), afterId ? gt(favourites.technicianId, afterId) : undefined))
    .orderBy(asc(favourites.technicianId))
    .limit(limit);
}

/** False when the technician was not a favourite. */
export async function removeFavourite(db: Db, accountId: string, technicianId: string): Promise<boolean> {
  const rows = await db
    .delete(favourites)
    .where(and(eq(favourites.accountId, accountId), eq(favourites.technicianId, technicianId)))
    .returning({ id: favourites.technicianId });
  return rows.length > 0;
}

/**
 * Counts one wrong start code atomically (parallel guesses each count): the `max`-th locks the code
 * and bumps the order's version, so a correct code read before the lock cannot start the work
 * after it. Only while the order is arrived and the code not locked; undefined otherwise.
 */
export async function countWrongStartCode(
  db: Db,
  orderId: string,
  max: number,
  now: number,
): Promise<{ failures: number; lockedAt: number | null } | undefined> {
  const row = await db.$client
    .prepare(
      `UPDATE orders SET start_code_failures = start_code_failures + 1,
        start_code_locked_at = CASE WHEN start_code_failures + 1 >= ? THEN ? ELSE NULL END,
        version = version + CASE WHEN start_code_failures + 1 >= ? THEN 1 ELSE 0 END
      WHERE id = ? AND status = 'arrived' AND start_code_locked_at IS NULL
      RETURNING start_code_failures AS failures, start_code_locked_at AS lockedAt`,
    )
    .bind(max, now, max, orderId)
    .first<{ failures: number; lockedAt: number | null }>();
  return row ?? undefined;
}

/**
 * Reviews and their photos. Writing a review, and hiding one, change the technician's rating in
 * the same batch, each guarded so that a review counts exactly once.
 */
import { and, desc, eq, gte, isNull, lt, lte, sql } from "drizzle-orm";
import type { Db } from "../client";
import { collectMessage } from "../outbox-collector";
import { accounts, orderPhotos, reviews } from "../schema";
import type { OutboxMessage } from "./orders.repo";

export type ReviewRow = typeof reviews.$inferSelect;

/** Order statuses in which a completed visit can be reviewed (after-sales and refunds included). */
export const REVIEWABLE = ["completed", "after_sales", "refunded"] as const;

const reviewable = sql.join(
  REVIEWABLE.map((s) => sql`${s}`),
  sql`, `,
);

/**
 * The running average of the technician's rating with `sign` × the review's score, the same
 * arithmetic as domain/reviews `nextRating`. `guard` is SQL that may use ?1 (the review id).
 */
const ratingUpdate = (raw: D1Database, reviewId: string, sign: 1 | -1, guard: string, now: number) =>
  raw
    .prepare(
      `UPDATE technicians SET
         rating_x100 = CASE WHEN rating_count + ?2 <= 0 THEN 500
           ELSE MIN(500, MAX(100, CAST(ROUND((rating_x100 * rating_count + ?2 * (SELECT overall_x100 FROM reviews WHERE id = ?1)) * 1.0 / (rating_count + ?2)) AS INTEGER))) END,
         rating_count = MAX(0, rating_count + ?2),
         updated_at = ?3
       WHERE id = (SELECT technician_id FROM reviews WHERE id = ?1) AND ${guard}`,
    )
    .bind(reviewId, sign, now);

/**
 * Writes a review if the order is the customer's, reviewable and not reviewed yet, the photos are
 * the customer's review photos of that order, and the review window is open; in the same batch the
 * technician's rating takes the review and the outbox gets `message`. False when any check failed.
 */
export async function insertReviewGuarded(
  db: Db,
  row: ReviewRow,
  opts: { completedAfter: number; message: OutboxMessage; extra?: D1PreparedStatement[] },
): Promise<boolean> {
  const raw = db.$client;
  const now = row.createdAt;
  const photos = JSON.stringify(row.photoIds);
  const insert = raw
    .prepare(
      `INSERT INTO reviews (id, order_id, customer_id, technician_id, merchant_id, service_id, ratings, overall_x100, text, photo_ids, hidden_at, hidden_reason, created_at)
       SELECT ?1, o.id, o.customer_id, o.technician_id, o.merchant_id, o.service_id, ?2, ?3, ?4, ?5, NULL, NULL, ?6
       FROM orders o
       WHERE o.id = ?7 AND o.customer_id = ?8 AND o.technician_id IS NOT NULL
         AND o.status IN (${REVIEWABLE.map((s) => `'${s}'`).join(", ")})
         AND COALESCE(o.completed_at, o.updated_at) >= ?9
         AND (SELECT COUNT(*) FROM json_each(?5)) =
             (SELECT COUNT(*) FROM order_photos p WHERE p.order_id = o.id AND p.kind = 'review' AND p.created_by = o.customer_id
                AND p.id IN (SELECT value FROM json_each(?5)))
       ON CONFLICT (order_id) DO NOTHING`,
    )
    .bind(row.id, JSON.stringify(row.ratings), row.overallX100, row.text, photos, now, row.orderId, row.customerId, opts.completedAfter);
  // Only this review, if this batch wrote it (another one for the order keeps its own id).
  collectMessage(raw, opts.message);
  const [result] = await raw.batch([
    insert,
    ratingUpdate(raw, row.id, 1, "EXISTS (SELECT 1 FROM reviews WHERE id = ?1)", now),
    raw
      .prepare(
        "INSERT INTO outbox (id, topic, payload, created_at) SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM reviews WHERE id = ?5)",
      )
      .bind(opts.message.id, opts.message.topic, JSON.stringify(opts.message.payload), now, row.id),
    // What else the review is a fact of (the technician's credit), guarded on the review by its caller.
    ...(opts.extra ?? []),
  ]);
  return (result?.meta.changes ?? 0) > 0;
}

export async function findReviewByOrder(db: Db, orderId: string): Promise<ReviewRow | undefined> {
  const [row] = await db.select().from(reviews).where(eq(reviews.orderId, orderId)).limit(1);
  return row;
}

export async function findReview(db: Db, id: string): Promise<ReviewRow | undefined> {
  const [row] = await db.select().from(reviews).where(eq(reviews.id, id)).limit(1);
  return row;
}

export interface ReviewFilter {
  technicianId?: string;
  merchantId?: string;
  visibleOnly?: boolean;
  minOverall?: number;
  maxOverall?: number;
  beforeId?: string;
}

/** Reviews newest first, with the reviewing customer's display name. */
export async function listReviews(db: Db, f: ReviewFilter, limit: number) {
  return db
    .select({ review: reviews, customerName: accounts.name })
    .from(reviews)
    .leftJoin(accounts, eq(accounts.id, reviews.customerId))
    .where(
      and(
        f.technicianId ? eq(reviews.technicianId, f.technicianId) : undefined,
        f.merchantId ? eq(reviews.merchantId, f.merchantId) : undefined,
        f.visibleOnly ? isNull(reviews.hiddenAt) : undefined,
        f.minOverall !== undefined ? gte(reviews.overallX100, f.minOverall) : undefined,
        f.maxOverall !== undefined ? lte(reviews.overallX100, f.maxOverall) : undefined,
        f.beforeId ? lt(reviews.id, f.beforeId) : undefined,
      ),
    )
    .orderBy(desc(reviews.id))
    .limit(limit);
}

/** Hides a visible review and takes it out of the technician's rating, once. False when already hidden. */
export async function hideReviewGuarded(
  db: Db,
  id: string,
  reason: string,
  now = Date.now(),
  extra: D1PreparedStatement[] = [],
): Promise<boolean> {
  const raw = db.$client;
  const [, hidden] = await raw.batch([
    // The rating first, while the review is still visible: the guard is that it is.
    ratingUpdate(raw, id, -1, `EXISTS (SELECT 1 FROM reviews WHERE id = ?1 AND hidden_at IS NULL)`, now),
    raw.prepare("UPDATE reviews SET hidden_at = ?1, hidden_reason = ?2 WHERE id = ?3 AND hidden_at IS NULL").bind(now, reason, id),
    // What else the change is (the credit reversal), guarded on the state this batch leaves by its caller.
    ...extra,
  ]);
  return (hidden?.meta.changes ?? 0) > 0;
}

/** Shows a hidden review again: back in public lists and in the rating (one batch with `extra`). False when it was not hidden. */
export async function showReviewGuarded(db: Db, id: string, now = Date.now(), extra: D1PreparedStatement[] = []): Promise<boolean> {
  const raw = db.$client;
  const [, shown] = await raw.batch([
    ratingUpdate(raw, id, 1, `EXISTS (SELECT 1 FROM reviews WHERE id = ?1 AND hidden_at IS NOT NULL)`, now),
    raw.prepare("UPDATE reviews SET hidden_at = NULL, hidden_reason = NULL WHERE id = ?1 AND hidden_at IS NOT NULL").bind(id),
    ...extra,
  ]);
  return (shown?.meta.changes ?? 0) > 0;
}

// ——— review photos ———

/**
 * Records one of the customer's review photos while the order is theirs, reviewable, not reviewed
 * yet, and they have fewer than `max` review photos on it. False when any condition failed.
 */
export async function insertReviewPhotoGuarded(
  db: Db,
  row: { id: string; orderId: string; r2Key: string; contentType: string; size: number; customerId: string; createdAt: number },
  max: number,
): Promise<boolean> {
  const result = await db.run(sql`
    INSERT INTO order_photos (id, order_id, kind, r2_key, content_type, size, created_by, created_at)
    SELECT ${row.id}, ${row.orderId}, 'review', ${row.r2Key}, ${row.contentType}, ${row.size}, ${row.customerId}, ${row.createdAt}
    WHERE EXISTS (SELECT 1 FROM orders WHERE id = ${row.orderId} AND customer_id = ${row.customerId} AND status IN (${reviewable}))
      AND NOT EXISTS (SELECT 1 FROM reviews WHERE order_id = ${row.orderId})
      AND (SELECT COUNT(*) FROM order_photos WHERE order_id = ${row.orderId} AND kind = 'review') < ${max}`);
  return result.meta.changes > 0;
}

/** The review photo `photoId` of a visible review, for public display. */
export async function visibleReviewPhoto(db: Db, reviewId: string, photoId: string) {
  const [row] = await db
    .select({ photo: orderPhotos, photoIds: reviews.photoIds })
    .from(reviews)
    .innerJoin(orderPhotos, and(eq(orderPhotos.orderId, reviews.orderId), eq(orderPhotos.id, photoId), eq(orderPhotos.kind, "review")))
    .where(and(eq(reviews.id, reviewId), isNull(reviews.hiddenAt)))
    .limit(1);
  return row && row.photoIds.includes(photoId) ? row.photo : undefined;
}

/**
 * After the visit: the customer reviews it (ratings in four dimensions, text, photos), once per
 * order within REVIEW_WINDOW_DAYS of completion. The overall score moves the technician's rating,
 * which dispatch scores on, and the technician's credit score; operators can hide an abusive review,
 * which takes it back out of both (a credit line explains the reversal), and show it again.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { findOrder, type OrderRow } from "../db/repositories/orders.repo";
import {
  findReview,
  findReviewByOrder,
  hideReviewGuarded,
  showReviewGuarded,
  insertReviewGuarded,
  insertReviewPhotoGuarded,
  listReviews,
  REVIEWABLE,
  visibleReviewPhoto,
  type ReviewRow,
} from "../db/repositories/reviews.repo";
import { findPhoto } from "../db/repositories/visit.repo";
import { rosterEntry } from "../db/repositories/roster.repo";
import { maskName } from "../domain/masking";
import { overallX100, publicName, type Ratings } from "../domain/reviews";
import type { Auth } from "../env";
import { AppError, notFound, invalid } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { merchantScope } from "../identity/scope";
import { creditFactStatementsOf, reviewVisibilityStatementsOf } from "../credit";
import { ratingReason } from "../domain/credit";
import { orderFor } from "../visit/access";
import { readImage } from "../visit/photos.service";

/** Photos a review may carry. */
export const MAX_REVIEW_PHOTOS = 6;

const windowMs = (env: Env) => config(env).REVIEW_WINDOW_DAYS * 86_400_000;
const completedAt = (o: OrderRow) => o.completedAt ?? o.updatedAt;
const isReviewable = (o: OrderRow) => (REVIEWABLE as readonly string[]).includes(o.status);

function notReviewable(order: OrderRow): AppError {
  return AppError.of(
    "INVALID_STATE",
    { status: order.status, what: { en: "review the visit", zh: "评价" } },
    { extra: { status: order.status } },
  );
}

const alreadyReviewed = () => AppError.of("ALREADY_REVIEWED");

const windowClosed = (days: number) => AppError.of("REVIEW_WINDOW_CLOSED", { days });

function photoUrl(reviewId: string, photoId: string) {
  return `/v1/reviews/${reviewId}/photos/${photoId}`;
}

/** A review as its customer, the technician and staff see it. */
function reviewView(r: ReviewRow) {
  return {
    id: r.id,
    orderId: r.orderId,
    technicianId: r.technicianId,
    serviceId: r.serviceId,
    ratings: r.ratings,
    overall: r.overallX100 / 100,
    text: r.text,
    photos: r.photoIds.map((id) => ({ id, url: photoUrl(r.id, id) })),
    hidden: r.hiddenAt !== null,
    hiddenReason: r.hiddenReason,
    createdAt: new Date(r.createdAt).toISOString(),
  };
}

/** A review as anyone may see it: no order, no customer beyond a masked name. */
function publicView(r: ReviewRow, customerName: string | null) {
  return {
    id: r.id,
    serviceId: r.serviceId,
    ratings: r.ratings,
    overall: r.overallX100 / 100,
    text: r.text,
    photos: r.photoIds.map((id) => ({ id, url: photoUrl(r.id, id) })),
    customer: publicName(customerName),
    createdAt: new Date(r.createdAt).toISOString(),
  };
}

/** The caller's reviewable order (404 if not theirs, 409 if not reviewable, reviewed or too late). */
async function reviewableOrder(env: Env, customerId: string, orderId: string, now: number): Promise<OrderRow> {
  const db = getDb(env);
  const order = await findOrder(db, orderId);
  if (!order || order.customerId !== customerId) throw notFound("Order");
  if (!isReviewable(order) || !order.technicianId) throw notReviewable(order);
  if (await findReviewByOrder(db, order.id)) throw alreadyReviewed();
  if (completedAt(order) < now - windowMs(env)) throw windowClosed(windowMs(env) / 86_400_000);
  return order;
}

/**
 * The customer reviews their completed order. Photos are those uploaded for the review first
 * (`POST /v1/orders/{id}/review/photos`). The review, the technician's new rating and the
 * technician's notice are one batch; a second review of the order is 409 ALREADY_REVIEWED.
 */
export async function reviewOrder(
  env: Env,
  customerId: string,
  orderId: string,
  input: { ratings: Ratings; text?: string; photoIds?: string[] },
) {
  const now = Date.now();
  const order = await reviewableOrder(env, customerId, orderId, now);
  const photoIds = input.photoIds ?? [];
  if (new Set(photoIds).size !== photoIds.length) throw invalid([{ path: "body.photoIds", message: "listed twice" }]);
  const db = getDb(env);
  for (const [i, id] of photoIds.entries()) {
    const photo = await findPhoto(db, order.id, id);
    if (!photo || photo.kind !== "review" || photo.createdBy !== customerId) {
      throw invalid([{ path: `body.photoIds.${i}`, message: "not a review photo of this order" }]);
    }
  }
  const row: ReviewRow = {
    id: newId("rev", now),
    orderId: order.id,
    customerId,
    technicianId: order.technicianId!,
    merchantId: order.merchantId,
    serviceId: order.serviceId,
    ratings: input.ratings,
    overallX100: overallX100(input.ratings),
    text: input.text?.trim() ? input.text.trim() : null,
    photoIds,
    hiddenAt: null,
    hiddenReason: null,
    createdAt: now,
  };
  const written = await insertReviewGuarded(db, row, {
    completedAfter: now - windowMs(env),
    message: {
      id: newId("msg", now),
      topic: "review.created",
      payload: { orderId: order.id, customerId, technicianId: row.technicianId, reviewId: row.id, overall: row.overallX100 },
    },
    // The rating moves the technician's credit score, in the review's batch (only if the review is written).
    extra: creditFactStatementsOf(
      db,
      { technicianId: row.technicianId, kind: "rating", sourceType: "review", sourceId: row.id, reasonCode: ratingReason(row.overallX100) },
      { sql: "EXISTS (SELECT 1 FROM reviews WHERE id = ?)", params: [row.id] },
      now,
    ),
  });
  if (!written) {
    // Someone was faster (a second request for the same order) or the order moved meanwhile.
    await reviewableOrder(env, customerId, orderId, now);
    throw alreadyReviewed();
  }
  return reviewView(row);
}

/** The order's review, for its customer, its technician and staff; 404 when there is none. */
export async function orderReview(env: Env, auth: Auth, orderId: string) {
  const { order } = await orderFor(env, auth, orderId);
  const review = await findReviewByOrder(getDb(env), order.id);
  if (!review) throw notFound({ en: "Review", zh: "评价" });
  return reviewView(review);
}

/** Stores a photo for the customer's coming review of a completed order (R2, like visit photos). */
export async function uploadReviewPhoto(
  env: Env,
  customerId: string,
  orderId: string,
  upload: { contentType?: string; body: ArrayBuffer },
) {
  const { type, bytes } = readImage(upload.contentType, upload.body);
  const now = Date.now();
  await reviewableOrder(env, customerId, orderId, now);
  const id = newId("pho", now);
  const r2Key = `orders/${orderId}/review/${id}`;
  await env.PHOTOS.put(r2Key, bytes, { httpMetadata: { contentType: type }, customMetadata: { orderId, kind: "review", photoId: id } });
  let recorded: boolean;
  try {
    recorded = await insertReviewPhotoGuarded(
      getDb(env),
      { id, orderId, r2Key, contentType: type, size: bytes.byteLength, customerId, createdAt: now },
      MAX_REVIEW_PHOTOS,
    );
  } catch (err) {
    await env.PHOTOS.delete(r2Key);
    throw err;
  }
  if (!recorded) {
    await env.PHOTOS.delete(r2Key);
    await reviewableOrder(env, customerId, orderId, now);
    throw AppError.of("PHOTO_LIMIT", { max: MAX_REVIEW_PHOTOS });
  }
  return { id, orderId, kind: "review" as const, contentType: type, size: bytes.byteLength, createdAt: new Date(now).toISOString() };
}

/** A photo of a visible review, for anyone. */
export async function reviewPhotoFile(env: Env, reviewId: string, photoId: string) {
  const photo = await visibleReviewPhoto(getDb(env), reviewId, photoId);
  const object = photo ? await env.PHOTOS.get(photo.r2Key) : null;
  if (!photo || !object) throw notFound({ en: "Photo", zh: "照片" });
  return { body: object.body, contentType: photo.contentType, size: object.size, etag: object.httpEtag };
}

/** A technician's visible reviews, newest first, with their rating: what customers see when choosing. */
export async function technicianReviews(env: Env, technicianId: string, q: { limit: number; cursor?: string }) {
  const db = getDb(env);
  const entry = await rosterEntry(db, technicianId);
  if (!entry || entry.profile.status !== "approved") throw notFound("Technician");
  const rows = await listReviews(db, { technicianId, visibleOnly: true, beforeId: decodeCursor(q.cursor) }, q.limit + 1);
  const page = toPage(
    rows.map((r) => ({ ...r, id: r.review.id })),
    q.limit,
  );
  return {
    technician: { id: entry.profile.id, name: maskName(entry.profile.name), rating: entry.profile.ratingX100 / 100 },
    items: page.items.map((r) => publicView(r.review, r.customerName)),
    nextCursor: page.nextCursor,
  };
}

/** Reviews for staff (a merchant_admin sees its merchant's), filterable by technician and score. */
export async function staffReviews(
  env: Env,
  auth: Auth,
  q: { technicianId?: string; minOverall?: number; maxOverall?: number; limit: number; cursor?: string },
) {
  const rows = await listReviews(
    getDb(env),
    {
      technicianId: q.technicianId,
      merchantId: merchantScope(auth),
      minOverall: q.minOverall === undefined ? undefined : Math.round(q.minOverall * 100),
      maxOverall: q.maxOverall === undefined ? undefined : Math.round(q.maxOverall * 100),
      beforeId: decodeCursor(q.cursor),
    },
    q.limit + 1,
  );
  const page = toPage(
    rows.map((r) => ({ ...r, id: r.review.id })),
    q.limit,
  );
  return { items: page.items.map((r) => ({ ...reviewView(r.review), customer: publicName(r.customerName) })), nextCursor: page.nextCursor };
}

/**
 * Operators hide a review (abuse, personal data): out of public lists, of the rating and of the
 * credit score (a RATING_HIDDEN line reverses its rating fact, in the same batch). Audited. Two
 * hides at once: one wins, the other is 409 ALREADY_HIDDEN, and the score moves once.
 */
export async function hideReview(env: Env, auth: Auth, id: string, reason: string) {
  const db = getDb(env);
  const review = await findReview(db, id);
  if (!review) throw notFound({ en: "Review", zh: "评价" });
  if (review.hiddenAt !== null) {
    throw AppError.of("ALREADY_HIDDEN");
  }
  const now = Date.now();
  if (!(await hideReviewGuarded(db, id, reason, now, reviewVisibilityStatementsOf(db, id, true, auth.accountId, now)))) {
    throw AppError.of("ALREADY_HIDDEN");
  }
  await appendAudit(db, { actorId: auth.accountId, action: "review.hide", targetType: "review", targetId: id, data: { reason } });
  return reviewView((await findReview(db, id))!);
}

/**
 * Operators show a hidden review again: back in public lists, in the rating and in the credit score
 * (a RATING_RESTORED line puts its rating fact back). Audited with the reason. 409 NOT_HIDDEN when it
 * is visible (also for the loser of two at once: the score moves once).
 */
export async function unhideReview(env: Env, auth: Auth, id: string, reason: string) {
  const db = getDb(env);
  const review = await findReview(db, id);
  if (!review) throw notFound({ en: "Review", zh: "评价" });
  if (review.hiddenAt === null) throw AppError.of("REVIEW_NOT_HIDDEN");
  const now = Date.now();
  if (!(await showReviewGuarded(db, id, now, reviewVisibilityStatementsOf(db, id, false, auth.accountId, now)))) {
    throw AppError.of("REVIEW_NOT_HIDDEN");
  }
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "review.unhide",
    targetType: "review",
    targetId: id,
    data: { reason, hiddenFor: review.hiddenReason },
  });
  return reviewView((await findReview(db, id))!);
}

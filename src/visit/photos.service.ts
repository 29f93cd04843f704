/** Visit photos: the technician's check-in and completion pictures, bytes in R2, records in D1. */
import { getDb } from "../db/client";
import { countPhotos, findPhoto, insertPhotoGuarded, listPhotos, type PhotoKind, type PhotoRow } from "../db/repositories/visit.repo";
import type { OrderStatus } from "../domain/order-state";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { bytesMatch, mediaType } from "../lib/media";
import { invalidState, orderFor, technicianOrder } from "./access";

/** The largest photo accepted, in bytes. */
export const PHOTO_MAX_BYTES = 5 * 1024 * 1024;

/** More than this many photos of one kind by one technician per order is refused (409 PHOTO_LIMIT). */
const MAX_PHOTOS_PER_KIND = 10;

/** While the order is in these statuses its technician may add photos of the kind. */
const UPLOAD_STATUSES: Record<TechnicianPhotoKind, readonly OrderStatus[]> = {
  arrive: ["en_route", "arrived"],
  complete: ["arrived", "in_service"],
};

const WHAT: Record<TechnicianPhotoKind, { en: string; zh: string }> = {
  arrive: { en: "add arrival photos", zh: "上传到达照片" },
  complete: { en: "add completion photos", zh: "上传完工照片" },
};

const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;

/** 413 PHOTO_TOO_LARGE (also the upload route's body limit). */
export function photoTooLarge(): AppError {
  return AppError.of("PHOTO_TOO_LARGE", { mb: PHOTO_MAX_BYTES / 1024 / 1024 });
}

function photoView(row: PhotoRow) {
  return {
    id: row.id,
    orderId: row.orderId,
    kind: row.kind,
    contentType: row.contentType,
    size: row.size,
    url: `/v1/orders/${row.orderId}/photos/${row.id}`,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

/**
 * The image in an upload body: 415 unless the declared type is JPEG, PNG or WebP, 413 over
 * PHOTO_MAX_BYTES, 400 PHOTO_INVALID when the bytes are not that format.
 */
export function readImage(contentType: string | undefined, body: ArrayBuffer): { type: string; bytes: Uint8Array } {
  const type = mediaType(contentType, IMAGE_TYPES);
  if (!type) {
    throw AppError.of("UNSUPPORTED_MEDIA_TYPE");
  }
  if (body.byteLength > PHOTO_MAX_BYTES) throw photoTooLarge();
  const bytes = new Uint8Array(body);
  if (!bytesMatch(type, bytes)) {
    throw AppError.of("PHOTO_INVALID", { type }, { errors: [{ path: "body", message: `not ${type}` }] });
  }
  return { type, bytes };
}

/** The kinds of photo a technician takes (customers add `review` photos through their review). */
export type TechnicianPhotoKind = Exclude<PhotoKind, "review">;

export interface PhotoUpload {
  kind: TechnicianPhotoKind;
  contentType: string | undefined;
  body: ArrayBuffer;
}

/**
 * Stores a photo taken by the order's technician: arrival photos while on the way or arrived,
 * completion photos while arrived or in service. The bytes go to R2 at
 * `orders/<orderId>/<kind>/<photoId>`; the record is written only if the order is still the
 * technician's and in such a status, otherwise the stored bytes are deleted again.
 */
export async function uploadPhoto(env: Env, technicianId: string, orderId: string, input: PhotoUpload) {
  const { type, bytes } = readImage(input.contentType, input.body);
  const db = getDb(env);
  const order = await technicianOrder(env, technicianId, orderId);
  const statuses = UPLOAD_STATUSES[input.kind];
  if (!statuses.includes(order.status)) throw invalidState(order, WHAT[input.kind]);
  const limit = () => AppError.of("PHOTO_LIMIT", { max: MAX_PHOTOS_PER_KIND });
  if ((await countPhotos(db, orderId, input.kind, technicianId)) >= MAX_PHOTOS_PER_KIND) throw limit();

  const now = Date.now();
  const id = newId("pho", now);
  const row: PhotoRow = {
    id,
    orderId,
    kind: input.kind,
    r2Key: `orders/${orderId}/${input.kind}/${id}`,
    contentType: type,
    size: bytes.byteLength,
    createdBy: technicianId,
    createdAt: now,
  };
  await env.PHOTOS.put(row.r2Key, bytes, {
    httpMetadata: { contentType: type },
    customMetadata: { orderId, kind: input.kind, photoId: id, technicianId },
  });
  let recorded: boolean;
  try {
    recorded = await insertPhotoGuarded(db, row, { technicianId, statuses, max: MAX_PHOTOS_PER_KIND });
  } catch (err) {
    // No orphan bytes: what has no record is deleted before the failure is reported.
    await env.PHOTOS.delete(row.r2Key);
    throw err;
  }
  if (!recorded) {
    await env.PHOTOS.delete(row.r2Key);
    // The order moved on (or the limit was reached) between the check and the write.
    const current = await technicianOrder(env, technicianId, orderId);
    throw statuses.includes(current.status) ? limit() : invalidState(current, WHAT[input.kind]);
  }
  return photoView(row);
}

/** The order's photos, for its customer, its technician and staff (404 for anyone else). */
export async function orderPhotos(env: Env, auth: Auth, orderId: string, q: { limit: number; cursor?: string }) {
  const { order } = await orderFor(env, auth, orderId);
  const rows = await listPhotos(getDb(env), order.id, decodeCursor(q.cursor), q.limit + 1);
  const page = toPage(rows, q.limit);
  return { items: page.items.map(photoView), nextCursor: page.nextCursor };
}

/** One photo's bytes, for the same callers as the list; 404 when it is not this order's. */
export async function photoFile(env: Env, auth: Auth, orderId: string, photoId: string) {
  const { order } = await orderFor(env, auth, orderId);
  const row = await findPhoto(getDb(env), order.id, photoId);
  const object = row ? await env.PHOTOS.get(row.r2Key) : null;
  if (!row || !object) throw notFound({ en: "Photo", zh: "照片" });
  return { body: object.body, contentType: row.contentType, size: object.size, etag: object.httpEtag };
}

/**
 * 409 PHOTO_REQUIRED unless this technician uploaded at least one photo of `kind` for the order:
 * photos a previous technician of the order took prove nothing about this one's visit.
 */
export async function assertPhotoTaken(env: Env, orderId: string, kind: TechnicianPhotoKind, technicianId: string): Promise<void> {
  if ((await countPhotos(getDb(env), orderId, kind, technicianId)) > 0) return;
  throw AppError.of(
    "PHOTO_REQUIRED",
    {
      photo:
        kind === "arrive"
          ? { en: "a photo of your arrival", zh: "到达现场的照片" }
          : { en: "a photo of the finished work", zh: "完工照片" },
    },
    { extra: { kind } },
  );
}

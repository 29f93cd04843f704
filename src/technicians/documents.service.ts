/**
 * Technicians' qualification documents (ID card, certificates, health papers): the bytes in R2 at
 * `technicians/<technicianId>/documents/<documentId>`, the records in D1. Staff of the technician's
 * merchant (or operators) and the technician upload; staff read them, and every read is audited.
 * Each document is decided on its own (lifecycle.service.ts); rejecting the application rejects
 * the ones still pending.
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import {
  countDocuments,
  findDocument,
  insertDocument,
  listDocuments,
  type DocumentKind,
  type DocumentRow,
} from "../db/repositories/documents.repo";
import { findTechnician } from "../db/repositories/technicians.repo";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { bytesMatch, mediaType } from "../lib/media";
import { merchantScope } from "../identity/scope";

/** The largest document accepted, in bytes. */
export const DOCUMENT_MAX_BYTES = 10 * 1024 * 1024;
const MAX_DOCUMENTS = 30;
export const DOCUMENT_TYPES = ["image/jpeg", "image/png", "image/webp", "application/pdf"] as const;

/** 413 DOCUMENT_TOO_LARGE (also the upload routes' body limit). */
export function documentTooLarge(): AppError {
  return AppError.of("DOCUMENT_TOO_LARGE", { mb: DOCUMENT_MAX_BYTES / 1024 / 1024 });
}

export function documentView(row: DocumentRow) {
  return {
    id: row.id,
    technicianId: row.technicianId,
    kind: row.kind,
    contentType: row.contentType,
    size: row.size,
    status: row.status,
    reviewReason: row.reviewReason,
    reviewedAt: row.reviewedAt === null ? null : new Date(row.reviewedAt).toISOString(),
    expiresAt: row.expiresAt === null ? null : new Date(row.expiresAt).toISOString(),
    expired: row.expiredAt !== null,
    url: `/v1/admin/technicians/${row.technicianId}/documents/${row.id}`,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

/**
 * The instant a certificate valid through `day` (YYYY-MM-DD) stops being valid: the end of that
 * day in China time (UTC+8). 400 for a date that does not exist or has already passed.
 */
export function expiryOf(day: string, path: string, now = Date.now()): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const start = Date.UTC(y, mo - 1, d);
  const real = m !== null && new Date(start).getUTCDate() === d && new Date(start).getUTCMonth() === mo - 1;
  const at = start + 16 * 3_600_000; // 24:00 at UTC+8
  if (!real || at <= now)
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path, message: "a real date, not yet past (YYYY-MM-DD)" }] });
  return at;
}

/** The technician when the staff caller may see it (a merchant_admin: its merchant's only). */
async function visibleTechnician(env: Env, actor: Auth, technicianId: string) {
  const found = await findTechnician(getDb(env), technicianId, merchantScope(actor));
  if (!found) throw notFound("Technician");
  return found.technician;
}

export interface DocumentUpload {
  kind: DocumentKind;
  contentType: string | undefined;
  body: ArrayBuffer;
  /** The certificate's last valid day (YYYY-MM-DD), if it expires. */
  expiresOn?: string;
}

/** Stores one document of `technicianId` (status `pending`) in R2 and D1, audited. */
export async function storeDocument(env: Env, technicianId: string, uploadedBy: string, input: DocumentUpload) {
  const type = mediaType(input.contentType, DOCUMENT_TYPES);
  if (!type) {
    throw AppError.of("UNSUPPORTED_MEDIA_TYPE");
  }
  if (input.body.byteLength > DOCUMENT_MAX_BYTES) throw documentTooLarge();
  const expiresAt = input.expiresOn === undefined ? null : expiryOf(input.expiresOn, "query.expiresOn");
  const bytes = new Uint8Array(input.body);
  if (!bytesMatch(type, bytes)) {
    throw AppError.of("DOCUMENT_INVALID", { type }, { errors: [{ path: "body", message: `not ${type}` }] });
  }
  const db = getDb(env);
  if ((await countDocuments(db, technicianId)) >= MAX_DOCUMENTS) {
    throw AppError.of("DOCUMENT_LIMIT", { max: MAX_DOCUMENTS });
  }
  const now = Date.now();
  const id = newId("doc", now);
  const row: DocumentRow = {
    id,
    technicianId,
    kind: input.kind,
    r2Key: `technicians/${technicianId}/documents/${id}`,
    contentType: type,
    size: bytes.byteLength,
    status: "pending",
    reviewReason: null,
    reviewedBy: null,
    reviewedAt: null,
    uploadedBy,
    expiresAt,
    reminded30At: null,
    reminded7At: null,
    expiredAt: null,
    createdAt: now,
  };
  await env.PHOTOS.put(row.r2Key, bytes, { httpMetadata: { contentType: type }, customMetadata: { technicianId, documentId: id } });
  try {
    await insertDocument(db, row);
    await appendAudit(db, {
      actorId: uploadedBy,
      action: "technician.document.upload",
      targetType: "technician",
      targetId: technicianId,
      data: { documentId: id, kind: input.kind, contentType: type, size: row.size },
    });
  } catch (err) {
    // No orphan bytes: what has no record is deleted before the failure is reported.
    await env.PHOTOS.delete(row.r2Key);
    throw err;
  }
  return documentView(row);
}

/** Staff upload a document for a technician they may see (status `pending`). */
export async function uploadForTechnician(env: Env, actor: Auth, technicianId: string, input: DocumentUpload) {
  const technician = await visibleTechnician(env, actor, technicianId);
  return storeDocument(env, technician.id, actor.accountId, input);
}

/** A technician uploads one of their own documents (status `pending`). */
export async function uploadOwn(env: Env, actor: Auth, input: DocumentUpload) {
  if (!actor.technicianId) throw notFound("Technician");
  return storeDocument(env, actor.technicianId, actor.accountId, input);
}

/** A page of a technician's documents, oldest first. */
export async function technicianDocuments(env: Env, actor: Auth, technicianId: string, q: { limit: number; cursor?: string }) {
  const technician = await visibleTechnician(env, actor, technicianId);
  const rows = await listDocuments(getDb(env), technician.id, decodeCursor(q.cursor), q.limit + 1);
  const page = toPage(rows, q.limit);
  return { items: page.items.map(documentView), nextCursor: page.nextCursor };
}

/** The technician's own documents with their review status. */
export async function ownDocuments(env: Env, actor: Auth, q: { limit: number; cursor?: string }) {
  if (!actor.technicianId) throw notFound("Technician");
  const rows = await listDocuments(getDb(env), actor.technicianId, decodeCursor(q.cursor), q.limit + 1);
  const page = toPage(rows, q.limit);
  return { items: page.items.map(documentView), nextCursor: page.nextCursor };
}

/** One document's bytes for staff who may see the technician; the read is audited. */
export async function documentFile(env: Env, actor: Auth, technicianId: string, documentId: string) {
  const technician = await visibleTechnician(env, actor, technicianId);
  const db = getDb(env);
  const row = await findDocument(db, technician.id, documentId);
  const object = row ? await env.PHOTOS.get(row.r2Key) : null;
  if (!row || !object) throw notFound({ en: "Document", zh: "证件" });
  await appendAudit(db, {
    actorId: actor.accountId,
    action: "technician.document.view",
    targetType: "technician",
    targetId: technician.id,
    data: { documentId: row.id, kind: row.kind },
  });
  return { body: object.body, contentType: row.contentType, size: object.size, etag: object.httpEtag };
}

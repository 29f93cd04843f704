/**
 * Public technician profiles: the profile photo, the rating breakdown, completed jobs and the case
 * showcase (before/after photos of a completed visit, shown only with the customer's consent).
 */
import { and, desc, eq, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import { chunked } from "../chunks";
import type { Db } from "../client";
import { orderPhotos, orders, skills, technicianCases, technicianProfilePhotos, technicians } from "../schema";
import type { OutboxMessage } from "../../domain/outbox";
import { REVIEWABLE } from "./reviews.repo";
import { insertRow, outboxRow, runBatch } from "./statements";

export type TechnicianRow = typeof technicians.$inferSelect;
export type ProfilePhotoRow = typeof technicianProfilePhotos.$inferSelect;
export type CaseRow = typeof technicianCases.$inferSelect;
export type CaseConsent = CaseRow["consent"];

export async function findTechnicianRow(db: Db, id: string): Promise<TechnicianRow | undefined> {
  const [row] = await db.select().from(technicians).where(eq(technicians.id, id)).limit(1);
  return row;
}

export async function technicianRows(db: Db, ids: string[]): Promise<TechnicianRow[]> {
  const out: TechnicianRow[] = [];
  for (const part of chunked(ids)) out.push(...(await db.select().from(technicians).where(inArray(technicians.id, part))));
  return out;
}

/** zh-CN and en names of skill codes. */
export async function skillLabels(db: Db, codes: string[]): Promise<Map<string, { zh: string; en: string }>> {
  const out = new Map<string, { zh: string; en: string }>();
  for (const part of chunked([...new Set(codes)])) {
    for (const s of await db.select().from(skills).where(inArray(skills.code, part))) out.set(s.code, { zh: s.nameZh, en: s.nameEn });
  }
  return out;
}

export async function profilePhotos(db: Db, technicianIds: string[]): Promise<Map<string, ProfilePhotoRow>> {
  const out = new Map<string, ProfilePhotoRow>();
  for (const part of chunked(technicianIds)) {
    for (const p of await db.select().from(technicianProfilePhotos).where(inArray(technicianProfilePhotos.technicianId, part)))
      out.set(p.technicianId, p);
  }
  return out;
}

/** Replaces the technician's profile photo; answers the previous one (its bytes are the caller's to delete). */
export async function replaceProfilePhoto(db: Db, row: ProfilePhotoRow): Promise<ProfilePhotoRow | undefined> {
  const [previous] = await db
    .select()
    .from(technicianProfilePhotos)
    .where(eq(technicianProfilePhotos.technicianId, row.technicianId))
    .limit(1);
  await db
    .insert(technicianProfilePhotos)
    .values(row)
    .onConflictDoUpdate({
      target: technicianProfilePhotos.technicianId,
      set: { photoId: row.photoId, r2Key: row.r2Key, contentType: row.contentType, size: row.size, updatedAt: row.updatedAt },
    });
  return previous;
}

/**
 * Visible reviews per star (1–5) for each technician: a review's star is its overall score rounded
 * half up (4.5 → 5, 4.25 → 4). Hidden reviews are left out, as they are out of the rating.
 */
export async function ratingBreakdowns(db: Db, technicianIds: string[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>(technicianIds.map((id) => [id, [0, 0, 0, 0, 0]]));
  for (const part of chunked(technicianIds)) {
    const rows = await db.all<{ t: string; star: number; n: number }>(sql`
      SELECT technician_id AS t, (overall_x100 + 50) / 100 AS star, COUNT(*) AS n
      FROM reviews WHERE technician_id IN (${sql.join(
        part.map((id) => sql`${id}`),
        sql`, `,
      )}) AND hidden_at IS NULL
      GROUP BY technician_id, star`);
    for (const r of rows) {
      const counts = out.get(r.t);
      if (counts && r.star >= 1 && r.star <= 5) counts[r.star - 1]! += r.n;
    }
  }
  return out;
}

/** Orders each technician carried to completion (completed, and those in after-sales or refunded since). */
export async function completedJobs(db: Db, technicianIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>(technicianIds.map((id) => [id, 0]));
  for (const part of chunked(technicianIds)) {
    const rows = await db
      .select({ t: orders.technicianId, n: sql<number>`COUNT(*)` })
      .from(orders)
      .where(and(inArray(orders.technicianId, part), inArray(orders.status, [...REVIEWABLE])))
      .groupBy(orders.technicianId);
    for (const r of rows) if (r.t) out.set(r.t, r.n);
  }
  return out;
}

// ——— cases ———

/** The technician's own completed order with its customer (undefined when it is not that). */
export async function completedOrderOf(db: Db, technicianId: string, orderId: string) {
  const [row] = await db
    .select({ id: orders.id, customerId: orders.customerId, serviceId: orders.serviceId, status: orders.status })
    .from(orders)
    .where(and(eq(orders.id, orderId), eq(orders.technicianId, technicianId)))
    .limit(1);
  return row;
}

/** The technician's photo of `kind` on the order, if it is one. */
export async function technicianPhoto(db: Db, orderId: string, photoId: string, kind: "arrive" | "complete", technicianId: string) {
  const [row] = await db
    .select()
    .from(orderPhotos)
    .where(
      and(
        eq(orderPhotos.id, photoId),
        eq(orderPhotos.orderId, orderId),
        eq(orderPhotos.kind, kind),
        eq(orderPhotos.createdBy, technicianId),
      ),
    )
    .limit(1);
  return row;
}

export async function photoById(db: Db, photoId: string) {
  const [row] = await db.select().from(orderPhotos).where(eq(orderPhotos.id, photoId)).limit(1);
  return row;
}

/** Writes the case unless the order already has one; false when it does. */
/** Writes a case unless its order has one; `message` (the customer's consent request) only if it was written, in the same batch. */
export async function insertCase(db: Db, row: CaseRow, message?: OutboxMessage): Promise<boolean> {
  const [result] = await runBatch(db, [
    insertRow(db, technicianCases, row, undefined, true),
    ...(message
      ? [outboxRow(db, message, row.createdAt, { sql: "EXISTS (SELECT 1 FROM technician_cases WHERE id = ?)", params: [row.id] })]
      : []),
  ]);
  return (result?.meta.changes ?? 0) > 0;
}

/** Staff or the technician show a hidden case again; false when it was not hidden. */
export async function showCaseGuarded(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db
    .update(technicianCases)
    .set({ hiddenAt: null, hiddenReason: null, updatedAt: now })
    .where(and(eq(technicianCases.id, id), isNotNull(technicianCases.hiddenAt)));
  return result.meta.changes > 0;
}

export async function findCase(db: Db, id: string): Promise<CaseRow | undefined> {
  const [row] = await db.select().from(technicianCases).where(eq(technicianCases.id, id)).limit(1);
  return row;
}

export async function caseOfOrder(db: Db, orderId: string): Promise<CaseRow | undefined> {
  const [row] = await db.select().from(technicianCases).where(eq(technicianCases.orderId, orderId)).limit(1);
  return row;
}

/** The technician's cases newest first; `publicOnly` keeps those with consent and not hidden. */
export async function listCases(db: Db, technicianId: string, opts: { publicOnly: boolean; beforeId?: string }, limit: number) {
  return db
    .select()
    .from(technicianCases)
    .where(
      and(
        eq(technicianCases.technicianId, technicianId),
        opts.publicOnly ? and(eq(technicianCases.consent, "granted"), isNull(technicianCases.hiddenAt)) : undefined,
        opts.beforeId ? lt(technicianCases.id, opts.beforeId) : undefined,
      ),
    )
    .orderBy(desc(technicianCases.id))
    .limit(limit);
}

/** The customer's decision on their order's case. False when the case is not theirs. */
export async function setConsent(db: Db, caseId: string, customerId: string, consent: CaseConsent, now: number): Promise<boolean> {
  const result = await db
    .update(technicianCases)
    .set({ consent, consentAt: now, updatedAt: now })
    .where(and(eq(technicianCases.id, caseId), eq(technicianCases.customerId, customerId)));
  return result.meta.changes > 0;
}

/** Staff hide a case; false when it was hidden already. */
export async function hideCaseGuarded(db: Db, id: string, reason: string, now: number): Promise<boolean> {
  const result = await db
    .update(technicianCases)
    .set({ hiddenAt: now, hiddenReason: reason, updatedAt: now })
    .where(and(eq(technicianCases.id, id), isNull(technicianCases.hiddenAt)));
  return result.meta.changes > 0;
}

/** The technician withdraws their own case. */
export async function deleteCase(db: Db, id: string, technicianId: string): Promise<boolean> {
  const result = await db.delete(technicianCases).where(and(eq(technicianCases.id, id), eq(technicianCases.technicianId, technicianId)));
  return result.meta.changes > 0;
}

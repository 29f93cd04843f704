/**
 * A technician's lifecycle in D1: documents required per skill, per-document decisions and expiry,
 * status changes (suspend, reinstate, remove) and proposed profile changes.
 */
import { and, asc, eq, gt, inArray, isNotNull, isNull, lte } from "drizzle-orm";
import type { OutboxMessage } from "../../domain/outbox";
import type { Db } from "../client";
import { orders, skillRequiredDocuments, technicianChangeRequests, technicianDocuments, technicians } from "../schema";
import { outboxRow, runBatch } from "./statements";
import type { DocumentKind, DocumentRow } from "./documents.repo";
import type { TechnicianRow, TechnicianStatus } from "./technicians.repo";

export type ChangeRequestRow = typeof technicianChangeRequests.$inferSelect;
export type ChangeRequestStatus = ChangeRequestRow["status"];

/** Every configured requirement, by skill code. */
export async function allRequirements(db: Db): Promise<Map<string, DocumentKind[]>> {
  const rows = await db
    .select()
    .from(skillRequiredDocuments)
    .orderBy(asc(skillRequiredDocuments.skillCode), asc(skillRequiredDocuments.kind));
  const out = new Map<string, DocumentKind[]>();
  for (const r of rows) out.set(r.skillCode, [...(out.get(r.skillCode) ?? []), r.kind]);
  return out;
}

/** The document kinds each of `skills` requires (skills without any are left out). */
export async function requirementsOf(db: Db, skills: string[]): Promise<Map<string, DocumentKind[]>> {
  if (skills.length === 0) return new Map();
  const rows = await db
    .select()
    .from(skillRequiredDocuments)
    .where(inArray(skillRequiredDocuments.skillCode, skills))
    .orderBy(asc(skillRequiredDocuments.skillCode), asc(skillRequiredDocuments.kind));
  const out = new Map<string, DocumentKind[]>();
  for (const r of rows) out.set(r.skillCode, [...(out.get(r.skillCode) ?? []), r.kind]);
  return out;
}

/** Replaces the kinds one skill requires, in one batch. */
export async function replaceRequirements(db: Db, skillCode: string, kinds: DocumentKind[], by: string, now = Date.now()): Promise<void> {
  const del = db.delete(skillRequiredDocuments).where(eq(skillRequiredDocuments.skillCode, skillCode));
  if (kinds.length === 0) {
    await del;
    return;
  }
  await db.batch([
    del,
    db.insert(skillRequiredDocuments).values(kinds.map((kind) => ({ skillCode, kind, createdBy: by, createdAt: now }))),
  ]);
}

/** Every document of a technician (at most 30), oldest first. */
export async function documentsOf(db: Db, technicianId: string): Promise<DocumentRow[]> {
  return db
    .select()
    .from(technicianDocuments)
    .where(eq(technicianDocuments.technicianId, technicianId))
    .orderBy(asc(technicianDocuments.id));
}

/**
 * Decides one pending document (approve with an optional expiry, or reject with a reason); a single
 * conditional update, so of two staff deciding it at once exactly one wins. False when it was not pending.
 */
export async function decidePending(
  db: Db,
  technicianId: string,
  id: string,
  set: { status: "approved" | "rejected"; reviewedBy: string; reviewReason: string | null; expiresAt?: number | null },
  now = Date.now(),
): Promise<boolean> {
  const rows = await db
    .update(technicianDocuments)
    .set({ ...set, reviewedAt: now })
    .where(
      and(eq(technicianDocuments.technicianId, technicianId), eq(technicianDocuments.id, id), eq(technicianDocuments.status, "pending")),
    )
    .returning({ id: technicianDocuments.id });
  return rows.length > 0;
}

/** Sets the skills not offered for want of a valid document (and `updated_at`, the roster version). */
export async function setLapsedSkills(db: Db, technicianId: string, lapsed: string[], now = Date.now()): Promise<void> {
  await db.update(technicians).set({ lapsedSkills: lapsed, updatedAt: now }).where(eq(technicians.id, technicianId));
}

/**
 * Moves a technician from one of `from` to `to` with the reason and suspension end given; a single
 * conditional update (two staff acting at once: one wins). False when the status did not allow it.
 */
export async function moveStatus(
  db: Db,
  id: string,
  from: TechnicianStatus[],
  set: { status: TechnicianStatus; statusReason: string | null; suspendedUntil: number | null },
  now = Date.now(),
): Promise<boolean> {
  const rows = await db
    .update(technicians)
    .set({ ...set, updatedAt: now })
    .where(and(eq(technicians.id, id), inArray(technicians.status, from)))
    .returning({ id: technicians.id });
  return rows.length > 0;
}

/** Suspended technicians whose suspension ended by `now`. */
export async function suspensionsEnded(db: Db, now: number, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: technicians.id })
    .from(technicians)
    .where(and(isNotNull(technicians.suspendedUntil), lte(technicians.suspendedUntil, now), eq(technicians.status, "suspended")))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Orders of the technician still to be served from `now` on (assigned or accepted, not started). */
export async function openFutureOrderIds(db: Db, technicianId: string, now: number): Promise<string[]> {
  const rows = await db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.technicianId, technicianId), inArray(orders.status, ["assigned", "accepted"]), gt(orders.startAt, now)))
    .orderBy(asc(orders.startAt))
    .limit(200);
  return rows.map((r) => r.id);
}

export type ReminderLead = "30d" | "7d";
const REMINDED = { "30d": technicianDocuments.reminded30At, "7d": technicianDocuments.reminded7At } as const;
const REMINDED_COLUMN = { "30d": "reminded30_at", "7d": "reminded7_at" } as const;

/** Approved documents expiring within `withinMs` of `now` (not yet expired) whose `lead` reminder was not written. */
export async function documentsToRemind(db: Db, lead: ReminderLead, now: number, withinMs: number, limit: number): Promise<DocumentRow[]> {
  return db
    .select()
    .from(technicianDocuments)
    .where(
      and(
        isNotNull(technicianDocuments.expiresAt),
        isNull(technicianDocuments.expiredAt),
        gt(technicianDocuments.expiresAt, now),
        lte(technicianDocuments.expiresAt, now + withinMs),
        eq(technicianDocuments.status, "approved"),
        isNull(REMINDED[lead]),
      ),
    )
    .limit(limit);
}

/**
 * Marks the `lead` reminder written and writes its outbox message in one batch; the message is
 * inserted only if this run set the mark (a concurrent run finds it set), so it goes out once.
 */
export async function remindOnce(db: Db, documentId: string, lead: ReminderLead, m: OutboxMessage, now: number): Promise<boolean> {
  const col = REMINDED_COLUMN[lead];
  const results = await runBatch(db, [
    db.$client.prepare(`UPDATE technician_documents SET ${col} = ? WHERE id = ? AND ${col} IS NULL`).bind(now, documentId),
    outboxRow(db, m, now, { sql: `EXISTS (SELECT 1 FROM technician_documents WHERE id = ? AND ${col} = ?)`, params: [documentId, now] }),
  ]);
  return results[0]?.meta.changes === 1;
}

/** Marks the `lead` reminder as passed without a message (a later, nearer one went out instead). */
export async function passReminder(db: Db, documentId: string, lead: ReminderLead, now: number): Promise<void> {
  await db
    .update(technicianDocuments)
    .set(lead === "30d" ? { reminded30At: now } : { reminded7At: now })
    .where(and(eq(technicianDocuments.id, documentId), isNull(REMINDED[lead])));
}

/** Approved documents whose expiry passed, not yet handled. */
export async function documentsExpiredBy(db: Db, now: number, limit: number): Promise<DocumentRow[]> {
  return db
    .select()
    .from(technicianDocuments)
    .where(
      and(
        isNotNull(technicianDocuments.expiresAt),
        isNull(technicianDocuments.expiredAt),
        lte(technicianDocuments.expiresAt, now),
        eq(technicianDocuments.status, "approved"),
      ),
    )
    .limit(limit);
}

/** Marks a document expired (once) with its outbox message; false when another run did. */
export async function expireOnce(db: Db, documentId: string, m: OutboxMessage, now: number): Promise<boolean> {
  const results = await runBatch(db, [
    db.$client.prepare("UPDATE technician_documents SET expired_at = ? WHERE id = ? AND expired_at IS NULL").bind(now, documentId),
    outboxRow(db, m, now, {
      sql: "EXISTS (SELECT 1 FROM technician_documents WHERE id = ? AND expired_at = ?)",
      params: [documentId, now],
    }),
  ]);
  return results[0]?.meta.changes === 1;
}

/** Inserts a proposal; false when the technician has one pending already (the partial unique index). */
export async function insertChangeRequest(db: Db, row: ChangeRequestRow): Promise<boolean> {
  const rows = await db.insert(technicianChangeRequests).values(row).onConflictDoNothing().returning({ id: technicianChangeRequests.id });
  return rows.length > 0;
}

export async function findChangeRequest(db: Db, id: string): Promise<ChangeRequestRow | undefined> {
  const [row] = await db.select().from(technicianChangeRequests).where(eq(technicianChangeRequests.id, id));
  return row;
}

/** A page of change requests in `status` (with their technicians), oldest first, after `afterId`. */
export async function listChangeRequests(
  db: Db,
  f: { status: ChangeRequestStatus; technicianId?: string; merchantId?: string; afterId?: string },
  limit: number,
): Promise<{ request: ChangeRequestRow; technician: TechnicianRow }[]> {
  const where = [eq(technicianChangeRequests.status, f.status)];
  if (f.technicianId !== undefined) where.push(eq(technicianChangeRequests.technicianId, f.technicianId));
  if (f.merchantId !== undefined) where.push(eq(technicians.merchantId, f.merchantId));
  if (f.afterId !== undefined) where.push(gt(technicianChangeRequests.id, f.afterId));
  return db
    .select({ request: technicianChangeRequests, technician: technicians })
    .from(technicianChangeRequests)
    .innerJoin(technicians, eq(technicians.id, technicianChangeRequests.technicianId))
    .where(and(...where))
    .orderBy(asc(technicianChangeRequests.id))
    .limit(limit);
}

/** Decides a pending request (one conditional update: one decision wins). */
export async function decideChangeRequest(
  db: Db,
  id: string,
  set: { status: "approved" | "rejected" | "withdrawn"; reason: string | null; decidedBy: string },
  now = Date.now(),
): Promise<boolean> {
  const rows = await db
    .update(technicianChangeRequests)
    .set({ ...set, decidedAt: now })
    .where(and(eq(technicianChangeRequests.id, id), eq(technicianChangeRequests.status, "pending")))
    .returning({ id: technicianChangeRequests.id });
  return rows.length > 0;
}

/** Puts a decided-approved request back to pending (its change could not be applied). */
export async function reopenChangeRequest(db: Db, id: string): Promise<void> {
  await db
    .update(technicianChangeRequests)
    .set({ status: "pending", decidedBy: null, decidedAt: null, reason: null })
    .where(and(eq(technicianChangeRequests.id, id), eq(technicianChangeRequests.status, "approved")));
}

/** Sealed real name of a technician. */
export async function setRealName(db: Db, technicianId: string, realNameEnc: string): Promise<void> {
  await db.update(technicians).set({ realNameEnc }).where(eq(technicians.id, technicianId));
}

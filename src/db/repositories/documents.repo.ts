/** Technicians' qualification documents: records in D1, bytes in R2. */
import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { technicianDocuments } from "../schema";

export type DocumentRow = typeof technicianDocuments.$inferSelect;
export type DocumentKind = DocumentRow["kind"];
export type DocumentStatus = DocumentRow["status"];

export async function insertDocument(db: Db, row: DocumentRow): Promise<void> {
  await db.insert(technicianDocuments).values(row);
}

export async function countDocuments(db: Db, technicianId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(technicianDocuments)
    .where(eq(technicianDocuments.technicianId, technicianId));
  return Number(row?.n ?? 0);
}

/** A page of a technician's documents, oldest first, after `afterId`. */
export async function listDocuments(db: Db, technicianId: string, afterId: string | undefined, limit: number): Promise<DocumentRow[]> {
  const where = [eq(technicianDocuments.technicianId, technicianId)];
  if (afterId !== undefined) where.push(gt(technicianDocuments.id, afterId));
  return db
    .select()
    .from(technicianDocuments)
    .where(and(...where))
    .orderBy(asc(technicianDocuments.id))
    .limit(limit);
}

export async function findDocument(db: Db, technicianId: string, id: string): Promise<DocumentRow | undefined> {
  const [row] = await db
    .select()
    .from(technicianDocuments)
    .where(and(eq(technicianDocuments.technicianId, technicianId), eq(technicianDocuments.id, id)));
  return row;
}

/** Decides every still-pending document of a technician (when the application itself is decided). */
export async function decidePendingDocuments(
  db: Db,
  technicianId: string,
  status: "approved" | "rejected",
  by: string,
  reason: string | null,
  now = Date.now(),
): Promise<number> {
  const rows = await db
    .update(technicianDocuments)
    .set({ status, reviewedBy: by, reviewedAt: now, reviewReason: reason })
    .where(and(eq(technicianDocuments.technicianId, technicianId), eq(technicianDocuments.status, "pending")))
    .returning({ id: technicianDocuments.id });
  return rows.length;
}

/** Decides one document while it is pending; false when it was decided already. */
export async function decideDocument(
  db: Db,
  technicianId: string,
  id: string,
  status: "approved" | "rejected",
  by: string,
  reason: string | null,
  now = Date.now(),
): Promise<boolean> {
  const rows = await db
    .update(technicianDocuments)
    .set({ status, reviewedBy: by, reviewedAt: now, reviewReason: reason })
    .where(
      and(eq(technicianDocuments.technicianId, technicianId), eq(technicianDocuments.id, id), eq(technicianDocuments.status, "pending")),
    )
    .returning({ id: technicianDocuments.id });
  return rows.length > 0;
}

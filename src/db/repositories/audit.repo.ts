import { desc, lt } from "drizzle-orm";
import type { Db } from "../client";
import { auditLog } from "../schema";
import { sha256Hex } from "../../lib/encoding";

export interface AuditEntry {
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  data?: Record<string, unknown>;
}

export const GENESIS_HASH = "0".repeat(64);

/** The hash that chains an entry to its predecessor. */
export function entryHash(prevHash: string, seq: number, at: number, e: AuditEntry): Promise<string> {
  return sha256Hex(JSON.stringify([prevHash, seq, at, e.actorId, e.action, e.targetType, e.targetId, e.data ?? {}]));
}

/**
 * Appends to the hash-chained audit log. The next sequence number is the primary key, so two
 * concurrent appends cannot both take it: the loser re-reads the head and retries.
 */
export async function appendAudit(db: Db, entry: AuditEntry, now = Date.now()): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const head = await db.query.auditLog.findFirst({ orderBy: desc(auditLog.seq) });
    const seq = (head?.seq ?? 0) + 1;
    const prevHash = head?.hash ?? GENESIS_HASH;
    const hash = await entryHash(prevHash, seq, now, entry);
    const inserted = await db
      .insert(auditLog)
      .values({
        seq,
        at: now,
        actorId: entry.actorId,
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId,
        data: entry.data ?? {},
        prevHash,
        hash,
      })
      .onConflictDoNothing()
      .returning({ seq: auditLog.seq });
    if (inserted.length > 0) return;
  }
  throw new Error("audit log append kept colliding");
}

export async function listAudit(db: Db, beforeSeq: number | undefined, limit: number) {
  return db.query.auditLog.findMany({
    where: beforeSeq !== undefined ? lt(auditLog.seq, beforeSeq) : undefined,
    orderBy: desc(auditLog.seq),
    limit,
  });
}

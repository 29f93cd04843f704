import { and, asc, desc, eq, isNotNull, isNull, lt } from "drizzle-orm";
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

/** Entries sealed per round of `sealAudit`. */
const SEAL_BATCH = 50;

/**
 * Appends to the audit log, then seals it. The insert takes the next sequence number itself (one
 * statement, so concurrent appends never collide); sealing chains the new entry, and any other
 * unsealed one, to its predecessor.
 */
export async function appendAudit(db: Db, entry: AuditEntry, now = Date.now()): Promise<void> {
  await db.insert(auditLog).values({
    at: now,
    actorId: entry.actorId,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    data: entry.data ?? {},
    prevHash: null,
    hash: null,
  });
  await sealAudit(db);
}

/**
 * Chains every unsealed entry, in sequence order, to the sealed entry before it. Sealing is
 * deterministic (the hash depends only on the entry and its predecessor), so concurrent sealers
 * write the same values and each row is written once (`hash IS NULL` guard). Returns how many it sealed.
 */
export async function sealAudit(db: Db): Promise<number> {
  let sealed = 0;
  for (let round = 0; round < 100; round++) {
    const pending = await db.select().from(auditLog).where(isNull(auditLog.hash)).orderBy(asc(auditLog.seq)).limit(SEAL_BATCH);
    const first = pending[0];
    if (!first) break;
    const [before] = await db
      .select({ seq: auditLog.seq, hash: auditLog.hash })
      .from(auditLog)
      .where(and(lt(auditLog.seq, first.seq), isNotNull(auditLog.hash)))
      .orderBy(desc(auditLog.seq))
      .limit(1);
    let prev = before?.hash ?? GENESIS_HASH;
    const updates = [];
    for (const row of pending) {
      const hash = await entryHash(prev, row.seq, row.at, row);
      updates.push(
        db
          .update(auditLog)
          .set({ prevHash: prev, hash })
          .where(and(eq(auditLog.seq, row.seq), isNull(auditLog.hash))),
      );
      prev = hash;
    }
    const [head, ...rest] = updates;
    await db.batch([head!, ...rest]);
    sealed += pending.length;
    if (pending.length < SEAL_BATCH) break;
  }
  return sealed;
}

export async function listAudit(db: Db, beforeSeq: number | undefined, limit: number) {
  return db.query.auditLog.findMany({
    where: beforeSeq !== undefined ? lt(auditLog.seq, beforeSeq) : undefined,
    orderBy: desc(auditLog.seq),
    limit,
  });
}

import { getDb } from "../db/client";
import { appendAudit, entryHash, GENESIS_HASH, listAudit, sealAudit, type AuditEntry } from "../db/repositories/audit.repo";
import { AppError } from "../errors";

export type { AuditEntry };

/**
 * Appends a sensitive action to the audit log (who, what, on which record, and the details that
 * explain it — never personal data) and seals it into the chain. For areas that keep no SQL of their own.
 */
export async function recordAudit(env: Env, entry: AuditEntry): Promise<void> {
  await appendAudit(getDb(env), entry);
}

/**
 * A page of the audit log, newest first, each entry with whether its hash still matches its
 * content and links to its predecessor (a page checks the links it can see). Entries still
 * unsealed (an append whose seal did not run) are sealed first.
 */
export async function auditPage(env: Env, q: { limit: number; cursor?: string }) {
  const before = q.cursor === undefined ? undefined : Number(q.cursor);
  if (before !== undefined && !(Number.isInteger(before) && before > 0)) {
    throw AppError.of("INVALID_CURSOR");
  }
  const db = getDb(env);
  await sealAudit(db);
  const rows = await listAudit(db, before, q.limit + 1);
  const page = rows.slice(0, q.limit);
  const items = await Promise.all(
    page.map(async (r, i) => {
      const older = rows[i + 1];
      const intact =
        r.prevHash !== null &&
        r.hash !== null &&
        (await entryHash(r.prevHash, r.seq, r.at, {
          actorId: r.actorId,
          action: r.action,
          targetType: r.targetType,
          targetId: r.targetId,
          data: r.data,
        })) === r.hash;
      const linked = older ? older.hash === r.prevHash : r.seq === 1 ? r.prevHash === GENESIS_HASH : true;
      return {
        seq: r.seq,
        at: new Date(r.at).toISOString(),
        actorId: r.actorId,
        action: r.action,
        targetType: r.targetType,
        targetId: r.targetId,
        data: r.data,
        hash: r.hash,
        prevHash: r.prevHash,
        verified: intact && linked,
      };
    }),
  );
  const last = page[page.length - 1];
  return { items, nextCursor: rows.length > q.limit && last ? String(last.seq) : null };
}

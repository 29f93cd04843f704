import { and, asc, eq, gte, inArray, lt } from "drizzle-orm";
import type { Db } from "../client";
import { localProviderRecords } from "../schema";

export type LocalProviderRecord = typeof localProviderRecords.$inferSelect;

/** Inserts the record unless one with its ref exists; returns the stored one either way. */
export async function putLocalRecord(db: Db, row: LocalProviderRecord): Promise<LocalProviderRecord> {
  await db.insert(localProviderRecords).values(row).onConflictDoNothing();
  return (await getLocalRecord(db, row.ref))!;
}

export async function getLocalRecord(db: Db, ref: string): Promise<LocalProviderRecord | undefined> {
  const [row] = await db.select().from(localProviderRecords).where(eq(localProviderRecords.ref, ref)).limit(1);
  return row;
}

export async function setLocalState(db: Db, ref: string, state: string, data?: Record<string, unknown>, now = Date.now()): Promise<void> {
  await db
    .update(localProviderRecords)
    .set({ state, updatedAt: now, ...(data ? { data } : {}) })
    .where(eq(localProviderRecords.ref, ref));
}

/** The local provider's trades and refunds of `provider` last changed in [from, to): its "statement" of that time. */
export async function localRecordsBetween(db: Db, provider: string, from: number, to: number): Promise<LocalProviderRecord[]> {
  return db
    .select()
    .from(localProviderRecords)
    .where(
      and(
        eq(localProviderRecords.provider, provider),
        inArray(localProviderRecords.kind, ["trade", "refund"]),
        gte(localProviderRecords.updatedAt, from),
        lt(localProviderRecords.updatedAt, to),
      ),
    )
    .orderBy(asc(localProviderRecords.updatedAt), asc(localProviderRecords.ref));
}

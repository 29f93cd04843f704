/** Technicians' payout accounts (one per technician and provider; account and name as ciphertext). */
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../client";
import { technicianPayees } from "../schema";

export type PayeeRow = typeof technicianPayees.$inferSelect;
export type PayeeProvider = PayeeRow["provider"];

/** Sets the technician's account for the provider, replacing the one there was. */
export async function upsertPayee(db: Db, row: PayeeRow): Promise<void> {
  await db
    .insert(technicianPayees)
    .values(row)
    .onConflictDoUpdate({
      target: [technicianPayees.technicianId, technicianPayees.provider],
      set: { accountEnc: row.accountEnc, accountType: row.accountType, nameEnc: row.nameEnc, updatedAt: row.updatedAt },
    });
}

export async function findPayee(db: Db, technicianId: string, provider: PayeeProvider): Promise<PayeeRow | undefined> {
  const [row] = await db
    .select()
    .from(technicianPayees)
    .where(and(eq(technicianPayees.technicianId, technicianId), eq(technicianPayees.provider, provider)));
  return row;
}

export async function listPayees(db: Db, technicianId: string): Promise<PayeeRow[]> {
  return db.select().from(technicianPayees).where(eq(technicianPayees.technicianId, technicianId)).orderBy(asc(technicianPayees.provider));
}

/** Removes the technician's account for the provider; false when there was none. */
export async function deletePayee(db: Db, technicianId: string, provider: PayeeProvider): Promise<boolean> {
  const rows = await db
    .delete(technicianPayees)
    .where(and(eq(technicianPayees.technicianId, technicianId), eq(technicianPayees.provider, provider)))
    .returning({ id: technicianPayees.technicianId });
  return rows.length > 0;
}

import { inArray } from "drizzle-orm";
import type { Db } from "../client";
import { commissionRules } from "../schema";

export type CommissionRuleRow = typeof commissionRules.$inferSelect;

export async function rulesFor(db: Db, scopes: string[]): Promise<CommissionRuleRow[]> {
  return db.select().from(commissionRules).where(inArray(commissionRules.scope, scopes));
}

export async function allRules(db: Db): Promise<CommissionRuleRow[]> {
  return db.select().from(commissionRules).orderBy(commissionRules.scope);
}

export async function upsertRule(db: Db, row: CommissionRuleRow): Promise<CommissionRuleRow> {
  const [saved] = await db
    .insert(commissionRules)
    .values(row)
    .onConflictDoUpdate({
      target: commissionRules.scope,
      set: { takeRateBps: row.takeRateBps, technicianShareBps: row.technicianShareBps, updatedBy: row.updatedBy, updatedAt: row.updatedAt },
    })
    .returning();
  return saved!;
}

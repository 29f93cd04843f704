import { and, asc, desc, eq, lt, lte, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { ledgerEntries, withdrawals } from "../schema";
import type { WithdrawalStatus } from "../../domain/money";
import { updateRows } from "./statements";

export type WithdrawalRow = typeof withdrawals.$inferSelect;

/**
 * Inserts a requested withdrawal only if the technician's available balance (earnings past the
 * settlement delay, less withdrawals not yet paid) covers it and today's count is under the limit,
 * in one statement: two concurrent requests cannot both spend the same money.
 */
export async function insertWithdrawalIfCovered(
  db: Db,
  w: WithdrawalRow,
  o: { account: string; dayStart: number; perDay: number },
): Promise<"inserted" | "insufficient" | "limit"> {
  const raw = db.$client;
  const res = await raw
    .prepare(
      `INSERT INTO withdrawals (id, technician_id, merchant_id, amount, currency, status, payout_provider, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, 'requested', ?6, ?7, ?7
       WHERE (SELECT -coalesce(sum(amount), 0) FROM ledger_entries WHERE account = ?8 AND available_at <= ?7)
           - (SELECT coalesce(sum(amount), 0) FROM withdrawals WHERE technician_id = ?2 AND status IN ('requested', 'approved')) >= ?4
         AND (SELECT count(*) FROM withdrawals WHERE technician_id = ?2 AND created_at >= ?9 AND status <> 'rejected') < ?10`,
    )
    .bind(w.id, w.technicianId, w.merchantId, w.amount, w.currency, w.payoutProvider, w.createdAt, o.account, o.dayStart, o.perDay)
    .run();
  if (res.meta.changes === 1) return "inserted";
  const today = await raw
    .prepare("SELECT count(*) AS n FROM withdrawals WHERE technician_id = ? AND created_at >= ? AND status <> 'rejected'")
    .bind(w.technicianId, o.dayStart)
    .first<{ n: number }>();
  return (today?.n ?? 0) >= o.perDay ? "limit" : "insufficient";
}

export async function findWithdrawal(db: Db, id: string): Promise<WithdrawalRow | undefined> {
  const [row] = await db.select().from(withdrawals).where(eq(withdrawals.id, id)).limit(1);
  return row;
}

export interface WithdrawalFilter {
  technicianId?: string;
  merchantId?: string;
  status?: WithdrawalStatus;
  beforeId?: string;
}

export async function listWithdrawals(db: Db, f: WithdrawalFilter, limit: number): Promise<WithdrawalRow[]> {
  const where: SQL[] = [];
  if (f.technicianId) where.push(eq(withdrawals.technicianId, f.technicianId));
  if (f.merchantId) where.push(eq(withdrawals.merchantId, f.merchantId));
  if (f.status) where.push(eq(withdrawals.status, f.status));
  if (f.beforeId) where.push(lt(withdrawals.id, f.beforeId));
  return db
    .select()
    .from(withdrawals)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(withdrawals.id))
    .limit(limit);
}

/** Withdrawals in `status` last changed at or before `before`, the longest waiting first. */
export async function withdrawalsInStatus(db: Db, status: WithdrawalStatus, before: number, limit: number): Promise<WithdrawalRow[]> {
  return db
    .select()
    .from(withdrawals)
    .where(and(eq(withdrawals.status, status), lte(withdrawals.updatedAt, before)))
    .orderBy(asc(withdrawals.updatedAt))
    .limit(limit);
}

/** Moves a withdrawal from `from` to the values in `set` (guarded by its status). */
export function withdrawalMoved(db: Db, id: string, from: WithdrawalStatus, set: Partial<WithdrawalRow>, now: number) {
  return updateRows(db, withdrawals, { ...set, updatedAt: now }, { sql: "id = ? AND status = ?", params: [id, from] });
}

/** A technician's earnings entries (not withdrawals), newest first. */
export async function earningEntries(db: Db, account: string, beforeId: string | undefined, limit: number) {
  return db
    .select()
    .from(ledgerEntries)
    .where(
      and(
        eq(ledgerEntries.account, account),
        sql`${ledgerEntries.orderId} is not null`,
        beforeId ? lt(ledgerEntries.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(ledgerEntries.id))
    .limit(limit);
}

export async function earningTotals(db: Db, account: string, technicianId: string, now: number) {
  const [row] = await db
    .select({
      balance: sql<number>`coalesce(-sum(${ledgerEntries.amount}), 0)`,
      available: sql<number>`coalesce(-sum(case when ${ledgerEntries.availableAt} <= ${now} then ${ledgerEntries.amount} else 0 end), 0)`,
      earned: sql<number>`coalesce(-sum(case when ${ledgerEntries.orderId} is not null then ${ledgerEntries.amount} else 0 end), 0)`,
      withdrawn: sql<number>`coalesce(sum(case when ${ledgerEntries.orderId} is null then ${ledgerEntries.amount} else 0 end), 0)`,
    })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.account, account));
  const [open] = await db
    .select({
      sum: sql<number>`coalesce(sum(case when ${withdrawals.status} in ('requested', 'approved') then ${withdrawals.amount} else 0 end), 0)`,
      inTransit: sql<number>`coalesce(sum(case when ${withdrawals.status} = 'processing' then ${withdrawals.amount} else 0 end), 0)`,
    })
    .from(withdrawals)
    .where(and(eq(withdrawals.technicianId, technicianId), sql`${withdrawals.status} in ('requested', 'approved', 'processing')`));
  return {
    balance: Number(row?.balance ?? 0),
    available: Number(row?.available ?? 0),
    earned: Number(row?.earned ?? 0),
    /** Net of payouts set aside (payout_request) and given back (payout_reversal): processing ones included. */
    withdrawn: Number(row?.withdrawn ?? 0),
    /** Requested or approved: still in the ledger balance. */
    withdrawing: Number(open?.sum ?? 0),
    /** Processing at the provider: already out of the ledger balance (payouts_payable). */
    inTransit: Number(open?.inTransit ?? 0),
  };
}

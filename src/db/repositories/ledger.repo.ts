import { and, desc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { ledgerAccounts, ledgerEntries, ledgerTransactions } from "../schema";
import { txHeader, type TxDraft } from "../../domain/ledger";
import type { LedgerTxKind } from "../../domain/money";
import { newId } from "../../lib/ids";
import { insertRow, type Guard } from "./statements";

export type LedgerTxRow = typeof ledgerTransactions.$inferSelect;
export type LedgerEntryRow = typeof ledgerEntries.$inferSelect;

/**
 * The statements that write one balanced transaction (accounts on first use, the transaction, its
 * entries), each guarded so it is written only if the causing change won. `(kind, ref)` is unique,
 * so a second write of the same movement fails its whole batch instead of moving money twice.
 */
export function ledgerStatements(db: Db, tx: TxDraft, now: number, guard?: Guard): D1PreparedStatement[] {
  const txId = newId("ltx", now);
  const accounts = new Map(tx.entries.map((e) => [e.account.code, e.account]));
  return [
    ...[...accounts.values()].map((a) =>
      insertRow(db, ledgerAccounts, { code: a.code, kind: a.kind, type: a.type, ownerId: a.ownerId, createdAt: now }, undefined, true),
    ),
    insertRow(db, ledgerTransactions, { id: txId, ...txHeader(tx), createdAt: now }, guard),
    ...tx.entries.map((e) =>
      insertRow(
        db,
        ledgerEntries,
        {
          id: newId("len", now),
          txId,
          account: e.account.code,
          amount: e.amount,
          orderId: tx.orderId,
          availableAt: e.availableAt ?? now,
          createdAt: now,
        },
        { sql: "EXISTS (SELECT 1 FROM ledger_transactions WHERE id = ?)", params: [txId] },
      ),
    ),
  ];
}

export async function findTx(db: Db, kind: LedgerTxKind, ref: string): Promise<(LedgerTxRow & { entries: LedgerEntryRow[] }) | undefined> {
  const [tx] = await db
    .select()
    .from(ledgerTransactions)
    .where(and(eq(ledgerTransactions.kind, kind), eq(ledgerTransactions.ref, ref)))
    .limit(1);
  if (!tx) return undefined;
  const entries = await db.select().from(ledgerEntries).where(eq(ledgerEntries.txId, tx.id));
  return { ...tx, entries };
}

export interface TxFilter {
  orderId?: string;
  merchantId?: string;
  kind?: LedgerTxKind;
  account?: string;
  from?: number;
  to?: number;
  beforeId?: string;
}

function txWhere(f: TxFilter): SQL | undefined {
  const where: SQL[] = [];
  if (f.orderId) where.push(eq(ledgerTransactions.orderId, f.orderId));
  if (f.merchantId) where.push(eq(ledgerTransactions.merchantId, f.merchantId));
  if (f.kind) where.push(eq(ledgerTransactions.kind, f.kind));
  if (f.from !== undefined) where.push(gte(ledgerTransactions.createdAt, f.from));
  if (f.to !== undefined) where.push(lt(ledgerTransactions.createdAt, f.to));
  if (f.beforeId) where.push(lt(ledgerTransactions.id, f.beforeId));
  if (f.account)
    where.push(sql`exists (select 1 from ledger_entries le where le.tx_id = ${ledgerTransactions.id} and le.account = ${f.account})`);
  return where.length ? and(...where) : undefined;
}

/** Transactions newest first, each with its entries. */
export async function listTx(db: Db, f: TxFilter, limit: number) {
  const txs = await db.select().from(ledgerTransactions).where(txWhere(f)).orderBy(desc(ledgerTransactions.id)).limit(limit);
  if (txs.length === 0) return [];
  const entries = await db
    .select()
    .from(ledgerEntries)
    .where(
      sql`${ledgerEntries.txId} in (${sql.join(
        txs.map((t) => sql`${t.id}`),
        sql`, `,
      )})`,
    );
  return txs.map((t) => ({ ...t, entries: entries.filter((e) => e.txId === t.id) }));
}

/** Entries (with their transaction) in a time window, oldest first: the CSV export. */
export async function entriesBetween(db: Db, f: { from: number; to: number; merchantId?: string }, limit: number) {
  return db
    .select({ entry: ledgerEntries, tx: ledgerTransactions })
    .from(ledgerEntries)
    .innerJoin(ledgerTransactions, eq(ledgerEntries.txId, ledgerTransactions.id))
    .where(
      and(
        gte(ledgerTransactions.createdAt, f.from),
        lt(ledgerTransactions.createdAt, f.to),
        f.merchantId ? eq(ledgerTransactions.merchantId, f.merchantId) : undefined,
      ),
    )
    .orderBy(ledgerTransactions.createdAt, ledgerEntries.id)
    .limit(limit);
}

/** Every account with its balance (sum of entries, debit positive), optionally by owner. */
export async function accountBalances(db: Db, ownerId?: string) {
  return db
    .select({
      code: ledgerAccounts.code,
      kind: ledgerAccounts.kind,
      type: ledgerAccounts.type,
      ownerId: ledgerAccounts.ownerId,
      sum: sql<number>`coalesce((select sum(amount) from ledger_entries where account = ${ledgerAccounts.code}), 0)`,
    })
    .from(ledgerAccounts)
    .where(ownerId ? eq(ledgerAccounts.ownerId, ownerId) : undefined)
    .orderBy(ledgerAccounts.code);
}

/** Sum of an account's entries, optionally only those available by `availableBy` or of one order. */
export async function accountSum(db: Db, code: string, opts: { availableBy?: number; orderId?: string } = {}): Promise<number> {
  const [row] = await db
    .select({ sum: sql<number>`coalesce(sum(${ledgerEntries.amount}), 0)` })
    .from(ledgerEntries)
    .where(
      and(
        eq(ledgerEntries.account, code),
        opts.availableBy !== undefined ? sql`${ledgerEntries.availableAt} <= ${opts.availableBy}` : undefined,
        opts.orderId ? eq(ledgerEntries.orderId, opts.orderId) : undefined,
      ),
    );
  return Number(row?.sum ?? 0);
}

/** Transactions whose entries do not sum to zero (there must never be any). */
export async function unbalancedTx(db: Db, from: number, to: number) {
  return db
    .select({
      id: ledgerTransactions.id,
      kind: ledgerTransactions.kind,
      ref: ledgerTransactions.ref,
      sum: sql<number>`sum(${ledgerEntries.amount})`,
    })
    .from(ledgerTransactions)
    .innerJoin(ledgerEntries, eq(ledgerEntries.txId, ledgerTransactions.id))
    .where(and(gte(ledgerTransactions.createdAt, from), lt(ledgerTransactions.createdAt, to)))
    .groupBy(ledgerTransactions.id)
    .having(sql`sum(${ledgerEntries.amount}) <> 0`);
}

/** Per-provider movements of provider_clearing in a window: payments in, refunds and payouts out. */
export async function clearingByProvider(db: Db, from: number, to: number) {
  return db
    .select({
      account: ledgerEntries.account,
      kind: ledgerTransactions.kind,
      sum: sql<number>`sum(${ledgerEntries.amount})`,
      count: sql<number>`count(*)`,
    })
    .from(ledgerEntries)
    .innerJoin(ledgerTransactions, eq(ledgerEntries.txId, ledgerTransactions.id))
    .where(
      and(
        sql`${ledgerEntries.account} like 'provider_clearing:%'`,
        gte(ledgerTransactions.createdAt, from),
        lt(ledgerTransactions.createdAt, to),
      ),
    )
    .groupBy(ledgerEntries.account, ledgerTransactions.kind);
}

/** Split transactions in a window with their credits per share kind: the revenue report's rows. */
export async function splitRows(db: Db, f: { from: number; to: number; merchantId?: string }) {
  return db
    .select({
      txId: ledgerTransactions.id,
      kind: ledgerTransactions.kind,
      merchantId: ledgerTransactions.merchantId,
      serviceId: ledgerTransactions.serviceId,
      createdAt: ledgerTransactions.createdAt,
      account: ledgerEntries.account,
      amount: ledgerEntries.amount,
    })
    .from(ledgerTransactions)
    .innerJoin(ledgerEntries, eq(ledgerEntries.txId, ledgerTransactions.id))
    .where(
      and(
        sql`${ledgerTransactions.kind} in ('split', 'refund_request', 'refund_reversal')`,
        gte(ledgerTransactions.createdAt, f.from),
        lt(ledgerTransactions.createdAt, f.to),
        f.merchantId ? eq(ledgerTransactions.merchantId, f.merchantId) : undefined,
      ),
    );
}

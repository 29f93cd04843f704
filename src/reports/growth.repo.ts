/** The rows the growth reports read: completed orders (customer, visit start), in a city or all, of a merchant or all. */
import { and, eq, gte, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { orders } from "../db/schema";
import type { GrowthOrder } from "../domain/growth";

/** Completed orders whose visit started before `toMs`: the whole history, so that first orders are known. */
export async function completedOrdersBefore(
  db: Db,
  q: { cityId: string | null; merchantId: string | undefined; toMs: number },
): Promise<(GrowthOrder & { total: number })[]> {
  const where: SQL[] = [eq(orders.status, "completed"), lt(orders.startAt, q.toMs)];
  if (q.cityId !== null) where.push(eq(orders.cityId, q.cityId));
  if (q.merchantId !== undefined) where.push(eq(orders.merchantId, q.merchantId));
  return db
    .select({ customerId: orders.customerId, startAt: orders.startAt, total: orders.total })
    .from(orders)
    .where(and(...where))
    .limit(200_000);
}

/**
 * The sum of ledger entries on `account` (exact, or every `account:` owner with `prefix`) of
 * transactions of `kinds` made in [fromMs, toMs) (from the beginning when fromMs is null), of a
 * merchant or all. Transactions without an order (package sales, refunds, breakage) belong to no
 * city: with a city chosen, only those of orders in that city count.
 */
export async function ledgerSum(
  db: Db,
  q: {
    kinds: string[];
    account: string;
    prefix?: boolean;
    cityId: string | null;
    merchantId: string | undefined;
    fromMs: number | null;
    toMs: number;
  },
): Promise<number> {
  const where = [
    `t.kind IN (${q.kinds.map(() => "?").join(", ")})`,
    q.prefix ? "e.account LIKE ? || ':%'" : "e.account = ?",
    "t.created_at < ?",
  ];
  const params: unknown[] = [...q.kinds, q.account, q.toMs];
  if (q.fromMs !== null) {
    where.push("t.created_at >= ?");
    params.push(q.fromMs);
  }
  if (q.merchantId !== undefined) {
    where.push("t.merchant_id = ?");
    params.push(q.merchantId);
  }
  if (q.cityId !== null) {
    where.push("t.order_id IN (SELECT id FROM orders WHERE city_id = ?)");
    params.push(q.cityId);
  }
  const row = await db.$client
    .prepare(
      `SELECT coalesce(sum(e.amount), 0) AS s FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.tx_id WHERE ${where.join(" AND ")}`,
    )
    .bind(...params)
    .first<{ s: number }>();
  return row?.s ?? 0;
}

/** The price lines of orders completed with a visit in [fromMs, toMs), in a city or all, of a merchant or all. */
export async function completedLines(db: Db, q: { cityId: string | null; merchantId: string | undefined; fromMs: number; toMs: number }) {
  const where: SQL[] = [eq(orders.status, "completed"), gte(orders.startAt, q.fromMs), lt(orders.startAt, q.toMs)];
  if (q.cityId !== null) where.push(eq(orders.cityId, q.cityId));
  if (q.merchantId !== undefined) where.push(eq(orders.merchantId, q.merchantId));
  return db
    .select({ lines: orders.lines })
    .from(orders)
    .where(and(...where))
    .limit(200_000);
}

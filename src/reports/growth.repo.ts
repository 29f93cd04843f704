/** The rows the growth reports read: completed orders (customer, visit start), in a city or all, of a merchant or all. */
import { and, eq, lt, type SQL } from "drizzle-orm";
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

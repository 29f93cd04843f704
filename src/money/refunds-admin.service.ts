/** The refunds list operators and merchants work from (the approval queue). */
import { getDb } from "../db/client";
import { listRefunds } from "../db/repositories/payments.repo";
import type { RefundStatus } from "../domain/money";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { decodeCursor, toPage } from "../lib/cursor";
import { refundView } from "./payments.service";

export async function refundsForStaff(
  env: Env,
  auth: Auth,
  q: { status?: RefundStatus; orderId?: string; limit: number; cursor?: string },
) {
  const merchantId = isPlatform(auth.roles) ? undefined : (auth.merchantId ?? "__none__");
  const rows = await listRefunds(
    getDb(env),
    { status: q.status, orderId: q.orderId, merchantId, beforeId: decodeCursor(q.cursor) },
    q.limit + 1,
  );
  const page = toPage(rows, q.limit);
  return { items: page.items.map(refundView), nextCursor: page.nextCursor };
}

/** The rows the campaign cost-and-return report reads: campaigns, their coupons issued and redeemed, and the orders that used them. */
import type { Db } from "../db/client";

/** Order statuses whose money was taken and kept (not awaiting payment, cancelled or refunded). */
export const PAID_STATUSES = [
  "confirmed",
  "dispatching",
  "assigned",
  "accepted",
  "en_route",
  "arrived",
  "in_service",
  "completed",
  "after_sales",
];
const paidIn = `(${PAID_STATUSES.map((s) => `'${s}'`).join(", ")})`;
const CHUNK = 90;

export interface CampaignRow {
  id: string;
  nameZh: string;
  nameEn: string;
  fundedBy: "platform" | "merchant";
}

/** Campaigns of a merchant, or every campaign (platform's and merchants'). */
export async function campaignsOf(db: Db, merchantId: string | undefined): Promise<CampaignRow[]> {
  const where = merchantId === undefined ? "" : "WHERE merchant_id = ?";
  const { results } = await db.$client
    .prepare(`SELECT id, name_zh AS nameZh, name_en AS nameEn, funded_by AS fundedBy FROM campaigns ${where} ORDER BY id LIMIT 1000`)
    .bind(...(merchantId === undefined ? [] : [merchantId]))
    .all<CampaignRow>();
  return results;
}

/** Coupons issued by each campaign in [fromMs, toMs) (a coupon belongs to no city). */
export async function issuedCounts(db: Db, q: { fromMs: number; toMs: number }): Promise<Map<string, number>> {
  const { results } = await db.$client
    .prepare(
      "SELECT campaign_id AS campaignId, count(*) AS n FROM coupons WHERE campaign_id IS NOT NULL AND created_at >= ? AND created_at < ? GROUP BY campaign_id",
    )
    .bind(q.fromMs, q.toMs)
    .all<{ campaignId: string; n: number }>();
  return new Map(results.map((r) => [r.campaignId, r.n]));
}

export interface Redemption {
  campaignId: string;
  orderId: string;
  customerId: string;
  amount: number;
  fundedBy: "platform" | "merchant";
  total: number;
  startAt: number;
}

/** Applied campaign coupons on paid orders whose visit starts in [fromMs, toMs), in a city or all, of a merchant or all. */
export async function redemptionsIn(
  db: Db,
  q: { cityId: string | null; merchantId: string | undefined; fromMs: number; toMs: number },
): Promise<Redemption[]> {
  const where = ["r.status = 'applied'", "c.campaign_id IS NOT NULL", `o.status IN ${paidIn}`, "o.start_at >= ?", "o.start_at < ?"];
  const params: unknown[] = [q.fromMs, q.toMs];
  if (q.cityId !== null) {
    where.push("o.city_id = ?");
    params.push(q.cityId);
  }
  if (q.merchantId !== undefined) {
    where.push("o.merchant_id = ?");
    params.push(q.merchantId);
  }
  const { results } = await db.$client
    .prepare(
      `SELECT c.campaign_id AS campaignId, r.order_id AS orderId, r.customer_id AS customerId, r.amount AS amount,
        c.funded_by AS fundedBy, o.total AS total, o.start_at AS startAt
       FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id JOIN orders o ON o.id = r.order_id
       WHERE ${where.join(" AND ")} LIMIT 200000`,
    )
    .bind(...params)
    .all<Redemption>();
  return results;
}

/** Each customer's first paid order (by visit start, then id), over every city and merchant. */
export async function firstPaidOrders(db: Db, customerIds: readonly string[]): Promise<Map<string, string>> {
  const first = new Map<string, string>();
  for (let i = 0; i < customerIds.length; i += CHUNK) {
    const ids = customerIds.slice(i, i + CHUNK);
    const { results } = await db.$client
      .prepare(
        `SELECT customer_id AS customerId, id FROM (
           SELECT customer_id, id, row_number() OVER (PARTITION BY customer_id ORDER BY start_at, id) AS n
           FROM orders WHERE status IN ${paidIn} AND customer_id IN (${ids.map(() => "?").join(", ")})
         ) WHERE n = 1`,
      )
      .bind(...ids)
      .all<{ customerId: string; id: string }>();
    for (const r of results) first.set(r.customerId, r.id);
  }
  return first;
}

/** Paid orders of these customers whose visit starts in [fromMs, toMs), in a city or all, of a merchant or all. */
export async function paidOrdersOf(
  db: Db,
  customerIds: readonly string[],
  q: { cityId: string | null; merchantId: string | undefined; fromMs: number; toMs: number },
): Promise<{ id: string; customerId: string; startAt: number; total: number }[]> {
  const out: { id: string; customerId: string; startAt: number; total: number }[] = [];
  for (let i = 0; i < customerIds.length; i += CHUNK) {
    const ids = customerIds.slice(i, i + CHUNK);
    const where = [`status IN ${paidIn}`, "start_at >= ?", "start_at < ?", `customer_id IN (${ids.map(() => "?").join(", ")})`];
    const params: unknown[] = [q.fromMs, q.toMs, ...ids];
    if (q.cityId !== null) {
      where.push("city_id = ?");
      params.push(q.cityId);
    }
    if (q.merchantId !== undefined) {
      where.push("merchant_id = ?");
      params.push(q.merchantId);
    }
    const { results } = await db.$client
      .prepare(`SELECT id, customer_id AS customerId, start_at AS startAt, total FROM orders WHERE ${where.join(" AND ")} LIMIT 200000`)
      .bind(...params)
      .all<{ id: string; customerId: string; startAt: number; total: number }>();
    out.push(...results);
  }
  return out;
}

/**
 * Campaign cost and return: per coupon campaign over a range of local dates (a city or all; a
 * merchant_admin's own campaigns on its own orders), the coupons issued and redeemed, what they
 * cost (split platform-funded / merchant-funded), the revenue of the paid orders that used them,
 * the new customers they brought and those customers' later revenue, and return = revenue ÷ cost.
 */
import { getDb } from "../db/client";
import type { Auth } from "../env";
import { campaignsOf, firstPaidOrders, issuedCounts, paidOrdersOf, redemptionsIn } from "./campaign-return.repo";
import type { GrowthQuery } from "./growth.service";
import { scopedRange } from "./reports.service";

export const CAMPAIGN_RETURN_COLUMNS = [
  "campaignId",
  "nameZh",
  "nameEn",
  "issued",
  "redeemed",
  "cost",
  "platformFunded",
  "merchantFunded",
  "revenue",
  "newCustomers",
  "newCustomerLaterRevenue",
  "return",
] as const;

type Row = Record<(typeof CAMPAIGN_RETURN_COLUMNS)[number], string | number | null>;

/** revenue ÷ cost to 2 places; null without cost. */
export const returnOf = (revenue: number, cost: number) => (cost > 0 ? Math.round((revenue / cost) * 100) / 100 : null);

export async function campaignReturn(env: Env, actor: Auth, q: GrowthQuery) {
  const r = await scopedRange(env, actor, q);
  const db = getDb(env);
  const scope = { cityId: r.cityId, merchantId: r.scope, fromMs: r.fromMs, toMs: r.toMs };
  const [campaigns, issued, redemptions] = await Promise.all([campaignsOf(db, r.scope), issuedCounts(db, r), redemptionsIn(db, scope)]);
  const customers = [...new Set(redemptions.map((x) => x.customerId))];
  const first = await firstPaidOrders(db, customers);
  const newcomers = redemptions.filter((x) => first.get(x.customerId) === x.orderId);
  const later = await paidOrdersOf(
    db,
    newcomers.map((x) => x.customerId),
    scope,
  );

  const rows: Row[] = [];
  for (const c of campaigns) {
    const used = redemptions.filter((x) => x.campaignId === c.id);
    const n = issued.get(c.id) ?? 0;
    if (n === 0 && used.length === 0) continue;
    const sum = (xs: { amount: number }[]) => xs.reduce((a, x) => a + x.amount, 0);
    const cost = sum(used);
    const revenue = used.reduce((a, x) => a + x.total, 0);
    const brought = newcomers.filter((x) => x.campaignId === c.id);
    const laterRevenue = brought.reduce(
      (a, b) =>
        a +
        later.filter((o) => o.customerId === b.customerId && o.id !== b.orderId && o.startAt >= b.startAt).reduce((s, o) => s + o.total, 0),
      0,
    );
    rows.push({
      campaignId: c.id,
      nameZh: c.nameZh,
      nameEn: c.nameEn,
      issued: n,
      redeemed: used.length,
      cost,
      platformFunded: sum(used.filter((x) => x.fundedBy === "platform")),
      merchantFunded: sum(used.filter((x) => x.fundedBy === "merchant")),
      revenue,
      newCustomers: brought.length,
      newCustomerLaterRevenue: laterRevenue,
      return: returnOf(revenue, cost),
    });
  }
  const total = (k: keyof Row) => rows.reduce((a, x) => a + (x[k] as number), 0);
  return {
    cityId: r.cityId,
    timeZone: r.timeZone,
    from: r.from,
    to: r.to,
    columns: [...CAMPAIGN_RETURN_COLUMNS],
    rows,
    totals: {
      campaigns: rows.length,
      issued: total("issued"),
      redeemed: total("redeemed"),
      cost: total("cost"),
      platformFunded: total("platformFunded"),
      merchantFunded: total("merchantFunded"),
      revenue: total("revenue"),
      newCustomers: total("newCustomers"),
      newCustomerLaterRevenue: total("newCustomerLaterRevenue"),
      return: returnOf(total("revenue"), total("cost")),
    },
  };
}

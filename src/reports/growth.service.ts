/**
 * Growth reports: new and active customers per day or week with the repeat rate, and monthly
 * cohort retention. Over one city or every city (operators); a merchant_admin's cover its own
 * merchant's orders. Each is a table (`columns` + `rows`) that also exports as CSV.
 */
import { getDb } from "../db/client";
import * as G from "../domain/growth";
import type { Localized } from "../lib/locale";
import type { Auth } from "../env";
import { completedLines, completedOrdersBefore, ledgerSum } from "./growth.repo";
import { scopedRange, type ScopedRange } from "./reports.service";

export interface GrowthQuery {
  city?: string;
  from?: string;
  to?: string;
}

/**
 * A revenue or cost line of the growth summary (the `totals` of the customer-growth report, as
 * `revenue.<key>` or `cost.<key>` in 分). EXTENSION POINT: packages (次卡/套餐) revenue, membership
 * revenue and points cost, coupon campaign cost are built on other branches; each adds its source
 * here (an `amount` over the same scope and range), and the dashboard lists every line it gets.
 */
export interface GrowthLineSource {
  key: string;
  kind: "revenue" | "cost";
  label: Localized;
  amount(env: Env, range: ScopedRange, completed: readonly { startAt: number; total: number }[]): Promise<number>;
}

const ledger = (env: Env, r: ScopedRange, q: { kinds: string[]; account: string; prefix?: boolean; fromStart?: boolean }) =>
  ledgerSum(getDb(env), { ...q, cityId: r.cityId, merchantId: r.scope, fromMs: q.fromStart ? null : r.fromMs, toMs: r.toMs });

/** The discount of completed orders' lines whose code passes `pick` (a positive 分 amount). */
async function linesCost(env: Env, r: ScopedRange, pick: (code: string) => boolean): Promise<number> {
  const rows = await completedLines(getDb(env), { cityId: r.cityId, merchantId: r.scope, fromMs: r.fromMs, toMs: r.toMs });
  return -rows.reduce((a, o) => a + o.lines.filter((l) => pick(l.code)).reduce((s, l) => s + l.amount, 0), 0);
}

/**
 * The lines known today: the order value of completed visits in the range; packages (sold: the
 * money paid in; recognised: what visits drew, less what cancellations gave back; breakage: what
 * expired packages left unused; deferred: what packages still owe at the end of the range); the
 * membership's cost (level discounts and free rush, points redeemed) on completed orders.
 */
export const GROWTH_LINES: GrowthLineSource[] = [
  {
    key: "orders",
    kind: "revenue",
    label: { zh: "订单收入", en: "Order revenue" },
    amount: (_env, r, completed) =>
      Promise.resolve(completed.filter((o) => o.startAt >= r.fromMs && o.startAt < r.toMs).reduce((a, o) => a + o.total, 0)),
  },
  {
    key: "packages_sold",
    kind: "revenue",
    label: { zh: "套餐售出", en: "Packages sold" },
    amount: (env, r) => ledger(env, r, { kinds: ["package_sale"], account: "provider_clearing", prefix: true }),
  },
  {
    key: "packages_recognised",
    kind: "revenue",
    label: { zh: "套餐已确认收入", en: "Package revenue recognised" },
    amount: async (env, r) => -(await ledger(env, r, { kinds: ["package_draw", "package_return"], account: "customer_funds" })),
  },
  {
    key: "packages_breakage",
    kind: "revenue",
    label: { zh: "套餐过期收入", en: "Package breakage" },
    amount: async (env, r) => -(await ledger(env, r, { kinds: ["package_breakage"], account: "package_revenue" })),
  },
  {
    key: "packages_deferred",
    kind: "revenue",
    label: { zh: "套餐待确认余额（期末）", en: "Package balance deferred (end of range)" },
    amount: async (env, r) =>
      -(await ledger(env, r, {
        kinds: [
          "package_sale",
          "package_draw",
          "package_return",
          "package_refund",
          "package_breakage",
          "refund_request",
          "refund_reversal",
        ],
        account: "deferred_revenue",
        prefix: true,
        fromStart: true,
      })),
  },
  {
    key: "member_discounts",
    kind: "cost",
    label: { zh: "会员等级优惠", en: "Member level discounts" },
    amount: (env, r) => linesCost(env, r, (code) => code.startsWith("member:")),
  },
  {
    key: "points_redeemed",
    kind: "cost",
    label: { zh: "积分抵扣", en: "Points redeemed" },
    amount: (env, r) => linesCost(env, r, (code) => code === "points"),
  },
];

const frame = (r: ScopedRange) => ({ cityId: r.cityId, timeZone: r.timeZone, from: r.from, to: r.to });

async function history(env: Env, r: ScopedRange) {
  return completedOrdersBefore(getDb(env), { cityId: r.cityId, merchantId: r.scope, toMs: r.toMs });
}

/** New, active and returning customers per period, with the repeat rate and the growth lines in `totals`. */
export async function customerGrowth(env: Env, actor: Auth, q: GrowthQuery & { period: G.GrowthPeriod }) {
  const r = await scopedRange(env, actor, q);
  const orders = await history(env, r);
  const g = G.customerGrowth(orders, r.timeZone, r.from, r.to, q.period);
  const totals: Record<string, number | null> = { ...g.totals };
  for (const line of GROWTH_LINES) totals[`${line.kind}.${line.key}`] = await line.amount(env, r, orders);
  return {
    ...frame(r),
    columns: ["period", "newCustomers", "activeCustomers", "returningCustomers", "returningRate"],
    rows: g.items,
    totals,
    lines: GROWTH_LINES.map((l) => ({ key: `${l.kind}.${l.key}`, kind: l.kind, label: l.label })),
  };
}

/**
 * The revenue and cost lines alone (orders, packages, membership cost…), one row each with its names
 * and amount (分): the same figures as `customerGrowth`'s totals, as a table to chart and download.
 */
export async function revenueLines(env: Env, actor: Auth, q: GrowthQuery) {
  const r = await scopedRange(env, actor, q);
  const orders = await history(env, r);
  const rows: { line: string; kind: string; nameZh: string; nameEn: string; amount: number }[] = [];
  for (const line of GROWTH_LINES) {
    rows.push({ line: line.key, kind: line.kind, nameZh: line.label.zh, nameEn: line.label.en, amount: await line.amount(env, r, orders) });
  }
  const sum = (kind: string) => rows.filter((x) => x.kind === kind).reduce((a, x) => a + x.amount, 0);
  return {
    ...frame(r),
    columns: ["line", "kind", "nameZh", "nameEn", "amount"],
    rows,
    totals: { revenue: sum("revenue"), cost: sum("cost") },
  };
}

/** Monthly cohorts by first completed order × months since: counts (m0…) and shares (r0…). */
export async function cohortRetention(env: Env, actor: Auth, q: GrowthQuery) {
  const r = await scopedRange(env, actor, q);
  const c = G.cohorts(await history(env, r), r.timeZone, r.from, r.to);
  return {
    ...frame(r),
    columns: c.columns,
    rows: c.rows,
    totals: { cohorts: c.rows.length, customers: c.rows.reduce((a, x) => a + (x.customers as number), 0) },
  };
}

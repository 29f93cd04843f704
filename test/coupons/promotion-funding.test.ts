/**
 * Who funds a promotion: a merchant's campaign is funded by the merchant (its discounts come off the
 * merchant's share when the order is split), an operator may fund it by the platform (a coupon
 * expense); the ledger balances either way, the revenue report shows the merchant-funded part, and
 * the budget is never overspent by parallel bookings.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { at, book, newCustomer, orderOf, quote } from "../support/booking";
import { call, expectProblem, signInWithRoles, type Session } from "../support/http";
import { completeVisit, expectBalanced, ledgerOf, payInFull } from "../support/payments";
import { addTechnician, merchantWorld, type MerchantWorld } from "../support/world";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

let m: MerchantWorld;
let op: Session;

beforeAll(async () => {
  m = await merchantWorld();
  op = await signInWithRoles(["operator"]);
  const limits = await call("PUT", `/v1/admin/merchants/${m.merchantId}/campaign-limits`, {
    token: op.token,
    body: { maxBudget: 100_000, maxValue: 3000, maxPercent: 30 },
  });
  expect(limits.status).toBe(200);
});

let codes = 0;
function promotion(token: string, body: Record<string, unknown> = {}) {
  return call("POST", "/v1/campaigns", {
    token,
    body: {
      kind: "promotion",
      name: { zh: "满减", en: "Spend and save" },
      couponKind: "fixed",
      value: 2000,
      minTotal: 10_000,
      budget: 50_000,
      code: `FUND${Date.now().toString(36).toUpperCase()}${(codes += 1)}`,
      serviceIds: [m.w.serviceId],
      startsAt: iso(Date.now() - DAY),
      endsAt: iso(Date.now() + 30 * DAY),
      ...body,
    },
  });
}

/** Books the merchant's service with the promotion's code, pays, completes; the split's entries by account. */
async function servedWith(code: string, day: number) {
  const c = await newCustomer(m.w.center);
  const q = await quote(m.w, c, at(m.w, day, "10:00"), { couponCode: code });
  expect(q.lines.find((l: { code: string }) => l.code.startsWith("coupon:")).amount.amount).toBe(-2000);
  const placed = await book(c, q);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  await payInFull(c, placed.body.id);
  await completeVisit(m.w, m.techSession, await orderOf(c, placed.body.id));
  const txs = await ledgerOf(placed.body.id);
  expectBalanced(txs);
  const split = txs.find((t) => t.kind === "split")!;
  const byAccount: Record<string, number[]> = {};
  for (const e of split.entries as { account: string; amount: number }[]) (byAccount[e.account] ??= []).push(e.amount);
  return { orderId: placed.body.id as string, total: placed.body.total?.amount ?? q.total.amount, byAccount };
}

describe("promotion funding", () => {
  it("a merchant admin's promotion is merchant-funded; the platform's choice is the operators'", async () => {
    const made = await promotion(m.merchantAdmin.token);
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.fundedBy).toBe("merchant");
    expectProblem(await promotion(m.merchantAdmin.token, { fundedBy: "platform" }), 400, "VALIDATION_FAILED");
    expectProblem(await promotion(op.token, { merchantId: undefined, serviceIds: [], fundedBy: "merchant" }), 400, "VALIDATION_FAILED");
    const byOperator = await promotion(op.token, { merchantId: m.merchantId, fundedBy: "platform" });
    expect(byOperator.status, JSON.stringify(byOperator.body)).toBe(201);
    expect(byOperator.body.fundedBy).toBe("platform");
    expect((await promotion(op.token, { serviceIds: [] })).body.fundedBy).toBe("platform");
    expectProblem(await promotion(op.token, { fundedBy: "nobody" }), 400, "VALIDATION_FAILED");
  });

  it("a merchant-funded discount comes off the merchant's share, a platform-funded one is the platform's expense; the report shows it", async () => {
    const from = iso(Date.now() - 60_000);
    const merchantFunded = (await promotion(m.merchantAdmin.token)).body;
    const platformFunded = (await promotion(op.token, { merchantId: m.merchantId, fundedBy: "platform" })).body;
    const mine = await servedWith(merchantFunded.code, 2);
    const theirs = await servedWith(platformFunded.code, 3);
    const merchantAccount = `merchant_payable:${m.merchantId}`;

    // Platform-funded: the coupon is the platform's expense, the merchant's credit is its full share.
    expect(theirs.byAccount.coupon_expense).toEqual([2000]);
    const fullShare = -theirs.byAccount[merchantAccount]![0]!;
    expect(theirs.byAccount[merchantAccount]).toEqual([-fullShare]);
    // Merchant-funded: no coupon expense; the same share credited, and the discount debited in its own entry.
    expect(mine.byAccount.coupon_expense).toBeUndefined();
    expect(mine.byAccount[merchantAccount]!.sort((a, b) => a - b)).toEqual([-fullShare, 2000]);
    // Everyone else is paid alike.
    for (const account of Object.keys(theirs.byAccount).filter((a) => a.startsWith("technician_payable") || a === "platform_revenue"))
      expect(mine.byAccount[account]).toEqual(theirs.byAccount[account]);

    const report = await call(
      "GET",
      `/v1/admin/reports/revenue?from=${encodeURIComponent(from)}&to=${encodeURIComponent(iso(Date.now() + 60_000))}&groupBy=merchant&timeZone=Asia/Shanghai`,
      { token: op.token },
    );
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    const row = report.body.items.find((i: { key: string }) => i.key === m.merchantId);
    expect(row.merchantFunded.amount).toBe(2000);
    expect(row.couponExpense.amount).toBe(2000);
    expect(row.merchantShare.amount).toBe(2 * fullShare - 2000);
    expect(row.gross.amount).toBe(row.platformRevenue.amount + row.merchantShare.amount + row.technicianShare.amount + 2000);
  });

  it("never overspends a merchant-funded promotion's budget under parallel bookings", async () => {
    for (let i = 0; i < 3; i++) await addTechnician(m.w, m.w.center, { merchantId: m.merchantId });
    const made = (await promotion(m.merchantAdmin.token, { budget: 4000 })).body;
    const customers = await Promise.all(Array.from({ length: 6 }, () => newCustomer(m.w.center)));
    const quotes = await Promise.all(customers.map((c, i) => quote(m.w, c, at(m.w, 4 + i, "14:00"), { couponCode: made.code })));
    const results = await Promise.all(customers.map((c, i) => book(c, quotes[i]!)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409, "COUPON_USED_UP");
    const spent = await env.DB.prepare("SELECT spent FROM campaigns WHERE id = ?").bind(made.id).first<{ spent: number }>();
    expect(spent!.spent).toBe(4000);
  });
});

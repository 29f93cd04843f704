/**
 * Campaign cost and return over a small world built through the HTTP routes: a merchant-funded
 * promotion and a platform-funded one, coupons redeemed on paid (and completed) orders in two
 * cities, and the figures computed by hand from the booked totals.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { at, book, newCustomer, orderOf, quote, type Customer } from "../support/booking";
import { call, expectProblem, signIn, signInWithRoles, type Session } from "../support/http";
import { completeVisit, payInFull } from "../support/payments";
import { localDay, merchantWorld, type MerchantWorld } from "../support/world";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

let m: MerchantWorld;
let far: MerchantWorld;
let op: Session;
let mine: { id: string; code: string };
let platform: { id: string; code: string };
const totals: Record<string, number> = {};

async function campaign(token: string, body: Record<string, unknown>) {
  const res = await call("POST", "/v1/campaigns", {
    token,
    body: {
      kind: "promotion",
      couponKind: "fixed",
      minTotal: 0,
      budget: 50_000,
      startsAt: iso(Date.now() - DAY),
      endsAt: iso(Date.now() + 30 * DAY),
      ...body,
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; code: string };
}

/** Books in `world` on `day` (with a coupon code or none), pays, and completes the visit when asked. */
async function order(world: MerchantWorld, c: Customer, day: number, code?: string, complete = false) {
  const q = await quote(world.w, c, at(world.w, day, "10:00"), code ? { couponCode: code } : {});
  const placed = await book(c, q);
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  await payInFull(c, placed.body.id);
  if (complete) await completeVisit(world.w, world.techSession, await orderOf(c, placed.body.id));
  return placed.body.total.amount as number;
}

beforeAll(async () => {
  m = await merchantWorld();
  far = await merchantWorld();
  op = await signInWithRoles(["operator"]);
  const limits = await call("PUT", `/v1/admin/merchants/${m.merchantId}/campaign-limits`, {
    token: op.token,
    body: { maxBudget: 100_000, maxValue: 3000, maxPercent: 30 },
  });
  expect(limits.status).toBe(200);
  const stamp = Date.now().toString(36).toUpperCase();
  mine = await campaign(m.merchantAdmin.token, {
    name: { zh: "商家满减", en: "Merchant saver" },
    value: 2000,
    code: `CRM${stamp}`,
    serviceIds: [m.w.serviceId],
  });
  platform = await campaign(op.token, { name: { zh: "平台立减", en: "Platform saver" }, value: 1000, code: `CRP${stamp}`, serviceIds: [] });

  // X: new, first order with the merchant's coupon (completed), then a later paid order without one.
  const x = await newCustomer(m.w.center);
  totals.x1 = await order(m, x, 2, mine.code, true);
  totals.x2 = await order(m, x, 5);
  // Y: an earlier paid order without a coupon, then the platform's coupon (completed): not new.
  const y = await newCustomer(m.w.center);
  totals.y1 = await order(m, y, 3);
  totals.y2 = await order(m, y, 4, platform.code, true);
  // W: books with the merchant's coupon but never pays: not counted.
  const wq = await quote(m.w, await newCustomer(m.w.center), at(m.w, 6, "10:00"), { couponCode: mine.code });
  expect(wq.lines.some((l: { code: string }) => l.code.startsWith("coupon:"))).toBe(true);
  // Z: in another city, new, with the platform's coupon.
  const z = await newCustomer(far.w.center);
  totals.z1 = await order(far, z, 2, platform.code);
});

const range = () => `from=${localDay(m.w.timeZone, 0)}&to=${localDay(m.w.timeZone, 30)}`;

async function report(session: Session, query: string) {
  const res = await call("GET", `/v1/admin/reports/campaign-return?${query}`, { token: session.token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const rowOf = (r: { rows: { campaignId: string }[] }, id: string) => r.rows.find((x) => x.campaignId === id);

describe("campaign cost and return", () => {
  it("counts issued, redeemed, cost by funder, revenue, new customers and their later revenue, as computed by hand", async () => {
    const r = await report(op, `city=${m.w.cityId}&${range()}`);
    expect(r.cityId).toBe(m.w.cityId);
    expect(rowOf(r, mine.id)).toEqual({
      campaignId: mine.id,
      nameZh: "商家满减",
      nameEn: "Merchant saver",
      issued: 1,
      redeemed: 1,
      cost: 2000,
      platformFunded: 0,
      merchantFunded: 2000,
      revenue: totals.x1,
      newCustomers: 1,
      newCustomerLaterRevenue: totals.x2,
      return: Math.round((totals.x1! / 2000) * 100) / 100,
    });
    expect(rowOf(r, platform.id)).toEqual({
      campaignId: platform.id,
      nameZh: "平台立减",
      nameEn: "Platform saver",
      issued: 1,
      redeemed: 1,
      cost: 1000,
      platformFunded: 1000,
      merchantFunded: 0,
      revenue: totals.y2,
      newCustomers: 0,
      newCustomerLaterRevenue: 0,
      return: Math.round((totals.y2! / 1000) * 100) / 100,
    });
  });

  it("follows the city filter, every city without it, and a merchant_admin's own campaigns", async () => {
    const all = await report(op, range());
    expect(all.cityId).toBeNull();
    expect(rowOf(all, platform.id)).toMatchObject({
      redeemed: 2,
      cost: 2000,
      platformFunded: 2000,
      revenue: totals.y2! + totals.z1!,
      newCustomers: 1,
      newCustomerLaterRevenue: 0,
    });
    const farOnly = await report(op, `city=${far.w.cityId}&${range()}`);
    expect(rowOf(farOnly, platform.id)).toMatchObject({ redeemed: 1, cost: 1000, revenue: totals.z1, newCustomers: 1 });
    // the merchant's promotion was issued (a coupon belongs to no city) but not redeemed there
    expect(rowOf(farOnly, mine.id)).toMatchObject({ issued: 1, redeemed: 0, cost: 0, revenue: 0, return: null });

    const own = await report(m.merchantAdmin, `city=${m.w.cityId}&${range()}`);
    expect(own.rows.map((x: { campaignId: string }) => x.campaignId)).toEqual([mine.id]);
    expect(own.totals).toMatchObject({ campaigns: 1, cost: 2000, merchantFunded: 2000, revenue: totals.x1, newCustomers: 1 });

    const before = await report(op, `city=${m.w.cityId}&from=2025-01-01&to=2025-01-31`);
    expect(rowOf(before, mine.id)).toBeUndefined();
  });

  it("exports CSV and refuses bad ranges, unknown cities and strangers", async () => {
    const query = `city=${m.w.cityId}&${range()}`;
    const json = await report(op, query);
    const csv = await call("GET", `/v1/admin/reports/campaign-return?${query}&format=csv`, { token: op.token });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("Content-Disposition")).toBe(`attachment; filename="campaign-return-${m.w.cityId}-${json.from}-${json.to}.csv"`);
    const lines = (csv.body as string).trimEnd().split("\r\n");
    expect(lines[0]).toBe(json.columns.join(","));
    expect(lines).toHaveLength(json.rows.length + 1);
    const i = json.rows.findIndex((x: { campaignId: string }) => x.campaignId === mine.id);
    expect(lines[i + 1]).toContain(`"${mine.id}","商家满减","Merchant saver","1","1","2000","0","2000","${totals.x1}","1","${totals.x2}"`);

    const p = "/v1/admin/reports/campaign-return";
    expectProblem(await call("GET", `${p}?from=2025-03-01&to=2025-01-01`, { token: op.token }), 400, "INVALID_RANGE");
    expectProblem(await call("GET", `${p}?from=2024-01-01&to=2025-06-01`, { token: op.token }), 400, "INVALID_RANGE");
    expectProblem(await call("GET", `${p}?format=xml`, { token: op.token }), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", `${p}?city=cty_nope`, { token: op.token }), 404);
    expectProblem(await call("GET", p), 401);
    expectProblem(await call("GET", p, { token: (await signIn()).token }), 403);
  });
});

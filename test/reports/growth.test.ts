import { describe, expect, it } from "vitest";
import { call, expectProblem, signIn, signInWithRoles, type Session } from "../support/http";
import { insertMerchant } from "../support/fixtures";
import { merchantWorld } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";
import { cloneOrder } from "../support/clone";
import { zonedToUtc } from "../../src/domain/zoned";

/**
 * One world for the file: a merchant's city with a small history of completed orders written as
 * copies of one real booking, on fixed dates in 2024–2025 (10:00 local):
 *
 *   A: 2025-01-06, 2025-01-08, 2025-02-10, 2025-03-03     B: 2025-01-07, 2025-03-04
 *   C: 2025-02-11 (and 2025-02-12 cancelled: not counted)  D: 2024-12-20, 2025-01-09
 *   E (another merchant): 2025-01-06
 */
async function build() {
  const { w, merchantId, merchantAdmin } = await merchantWorld();
  const otherMerchant = await insertMerchant("Other");
  const booker = await newCustomer(w.center);
  const template = await book(booker, await quote(w, booker, at(w, 2, "10:00")));
  expect(template.status).toBe(201);
  const people = Object.fromEntries(
    await Promise.all(["A", "B", "C", "D", "E"].map(async (k) => [k, (await signIn()).accountId] as const)),
  );
  const day = (date: string) => zonedToUtc(date, 600, w.timeZone);
  const history: [string, string, string?, string?][] = [
    ["A", "2025-01-06"],
    ["A", "2025-01-08"],
    ["A", "2025-02-10"],
    ["A", "2025-03-03"],
    ["B", "2025-01-07"],
    ["B", "2025-03-04"],
    ["C", "2025-02-11"],
    ["C", "2025-02-12", "cancelled"],
    ["D", "2024-12-20"],
    ["D", "2025-01-09"],
    ["E", "2025-01-06", "completed", otherMerchant],
  ];
  for (const [who, date, status, merchant] of history) {
    await cloneOrder(template.body.id, {
      customer_id: people[who]!,
      status: status ?? "completed",
      merchant_id: merchant ?? merchantId,
      start_at: day(date),
      end_at: day(date) + 7_200_000,
      completed_at: day(date) + 7_200_000,
    });
  }
  const operator = await signInWithRoles(["operator"]);
  return { w, merchantAdmin, operator, total: template.body.total.amount as number };
}
let shared: ReturnType<typeof build> | undefined;
const world = () => (shared ??= build());

async function report(session: Session, path: string) {
  const res = await call("GET", path, { token: session.token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const cells = (rows: Record<string, unknown>[], keys: string[]) => rows.map((r) => keys.map((k) => r[k]));

describe("customer growth", () => {
  it("counts new, active and returning customers per week and the repeat rate, as computed by hand", async () => {
    const { w, operator, total } = await world();
    const g = await report(operator, `/v1/admin/reports/customer-growth?city=${w.cityId}&from=2025-01-06&to=2025-03-09&period=week`);
    const keys = ["period", "newCustomers", "activeCustomers", "returningCustomers", "returningRate"];
    expect(g.columns).toEqual(keys);
    expect(cells(g.rows, keys)).toEqual([
      ["2025-01-06", 3, 4, 1, 0.25],
      ["2025-01-13", 0, 0, 0, null],
      ["2025-01-20", 0, 0, 0, null],
      ["2025-01-27", 0, 0, 0, null],
      ["2025-02-03", 0, 0, 0, null],
      ["2025-02-10", 1, 2, 1, 0.5],
      ["2025-02-17", 0, 0, 0, null],
      ["2025-02-24", 0, 0, 0, null],
      ["2025-03-03", 0, 2, 2, 1],
    ]);
    // new: A, B, C, E (D's first order was in December); active: 5; repeat (2+ in range): A, B
    expect(g.totals).toEqual({
      newCustomers: 4,
      activeCustomers: 5,
      repeatCustomers: 2,
      repeatRate: 0.4,
      completedOrders: 9,
      "revenue.orders": 9 * total,
      // no packages sold and no membership benefits in this world
      "revenue.packages_sold": 0,
      "revenue.packages_recognised": 0,
      "revenue.packages_breakage": 0,
      "revenue.packages_deferred": 0,
      "cost.member_discounts": 0,
      "cost.points_redeemed": 0,
    });
    expect(g.lines[0]).toEqual({ key: "revenue.orders", kind: "revenue", label: { zh: "订单收入", en: "Order revenue" } });
    expect(g.lines.map((l: { key: string }) => l.key)).toEqual([
      "revenue.orders",
      ...Object.keys(g.totals).filter((k) => k.includes(".") && k !== "revenue.orders"),
    ]);

    // the same lines as a table: one row each, with its names, the amounts equal to the totals above
    const lines = await report(operator, `/v1/admin/reports/revenue-lines?city=${w.cityId}&from=2025-01-06&to=2025-03-09`);
    expect(lines.columns).toEqual(["line", "kind", "nameZh", "nameEn", "amount"]);
    expect(lines.rows.map((r: { kind: string; line: string; amount: number }) => [`${r.kind}.${r.line}`, r.amount])).toEqual(
      g.lines.map((l: { key: string }) => [l.key, g.totals[l.key]]),
    );
    expect(lines.rows[0]).toMatchObject({ nameZh: "订单收入", nameEn: "Order revenue", amount: 9 * total });
    expect(lines.totals).toEqual({ revenue: 9 * total, cost: 0 });

    const daily = await report(operator, `/v1/admin/reports/customer-growth?city=${w.cityId}&from=2025-01-06&to=2025-01-10&period=day`);
    expect(cells(daily.rows, ["period", "newCustomers", "activeCustomers"])).toEqual([
      ["2025-01-06", 2, 2],
      ["2025-01-07", 1, 1],
      ["2025-01-08", 0, 1],
      ["2025-01-09", 0, 1],
      ["2025-01-10", 0, 0],
    ]);
    expect(daily.totals).toMatchObject({ newCustomers: 3, activeCustomers: 4, repeatCustomers: 1, repeatRate: 0.25 });
  });

  it("covers only a merchant_admin's merchant, every city for operators, and an empty period as zeros", async () => {
    const { w, merchantAdmin, operator } = await world();
    const path = "/v1/admin/reports/customer-growth?from=2025-01-06&to=2025-03-09&period=week";
    const own = await report(merchantAdmin, `${path}&city=${w.cityId}`);
    expect(own.rows[0]).toMatchObject({ newCustomers: 2, activeCustomers: 3, returningCustomers: 1 });
    expect(own.totals).toMatchObject({ newCustomers: 3, activeCustomers: 4, repeatCustomers: 2, repeatRate: 0.5, completedOrders: 8 });
    const nobody = await signInWithRoles(["merchant_admin"], await insertMerchant("Nobody"));
    expect((await report(nobody, path)).totals).toMatchObject({ newCustomers: 0, activeCustomers: 0, repeatRate: null });

    const all = await report(operator, path);
    expect(all.cityId).toBeNull();
    expect(all.timeZone).toBe("Asia/Shanghai");
    expect(all.totals).toMatchObject({ newCustomers: 4, activeCustomers: 5, repeatCustomers: 2, completedOrders: 9 });

    const empty = await report(operator, `/v1/admin/reports/customer-growth?city=${w.cityId}&from=2025-06-02&to=2025-06-15&period=week`);
    expect(cells(empty.rows, ["period", "newCustomers", "activeCustomers", "returningRate"])).toEqual([
      ["2025-06-02", 0, 0, null],
      ["2025-06-09", 0, 0, null],
    ]);
    expect(empty.totals).toEqual({
      newCustomers: 0,
      activeCustomers: 0,
      repeatCustomers: 0,
      repeatRate: null,
      completedOrders: 0,
      "revenue.orders": 0,
      "revenue.packages_sold": 0,
      "revenue.packages_recognised": 0,
      "revenue.packages_breakage": 0,
      "revenue.packages_deferred": 0,
      "cost.member_discounts": 0,
      "cost.points_redeemed": 0,
    });
  });
});

describe("cohort retention", () => {
  it("follows monthly cohorts by first completed order over the months since, as computed by hand", async () => {
    const { w, operator, merchantAdmin } = await world();
    const c = await report(operator, `/v1/admin/reports/cohorts?city=${w.cityId}&from=2024-12-01&to=2025-03-31`);
    expect(c.columns).toEqual(["cohort", "customers", "m0", "m1", "m2", "m3", "r0", "r1", "r2", "r3"]);
    expect(cells(c.rows, c.columns)).toEqual([
      ["2024-12", 1, 1, 1, 0, 0, 1, 1, 0, 0],
      ["2025-01", 3, 3, 1, 2, null, 1, 0.3333, 0.6667, null],
      ["2025-02", 1, 1, 0, null, null, 1, 0, null, null],
      ["2025-03", 0, 0, null, null, null, null, null, null, null],
    ]);
    expect(c.totals).toEqual({ cohorts: 4, customers: 5 });

    // E belongs to another merchant: January's cohort is A and B for the merchant's admin
    const own = await report(merchantAdmin, `/v1/admin/reports/cohorts?city=${w.cityId}&from=2025-01-01&to=2025-03-31`);
    expect(cells(own.rows, own.columns)).toEqual([
      ["2025-01", 2, 2, 1, 2, 1, 0.5, 1],
      ["2025-02", 1, 1, 0, null, 1, 0, null],
      ["2025-03", 0, 0, null, null, null, null, null],
    ]);

    const empty = await report(operator, `/v1/admin/reports/cohorts?city=${w.cityId}&from=2025-07-01&to=2025-07-31`);
    expect(empty.rows).toEqual([{ cohort: "2025-07", customers: 0, m0: 0, r0: null }]);
  });

  it("exports the reports as CSV and refuses bad ranges, unknown cities and strangers", async () => {
    const { w, operator } = await world();
    for (const [path, name] of [
      [`/v1/admin/reports/customer-growth?city=${w.cityId}&from=2025-01-06&to=2025-01-19&period=week`, "customer-growth-by-week"],
      [`/v1/admin/reports/cohorts?city=${w.cityId}&from=2024-12-01&to=2025-03-31`, "cohorts"],
      [`/v1/admin/reports/revenue-lines?city=${w.cityId}&from=2025-01-06&to=2025-01-19`, "revenue-lines"],
    ] as const) {
      const json = await report(operator, path);
      const csv = await call("GET", `${path}&format=csv`, { token: operator.token });
      expect(csv.status).toBe(200);
      expect(csv.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
      expect(csv.headers.get("Content-Disposition")).toBe(`attachment; filename="${name}-${w.cityId}-${json.from}-${json.to}.csv"`);
      const lines = (csv.body as string).trimEnd().split("\r\n");
      expect(lines[0]).toBe(json.columns.join(","));
      expect(lines).toHaveLength(json.rows.length + 1);
    }
    const csv = await call(
      "GET",
      `/v1/admin/reports/customer-growth?city=${w.cityId}&from=2025-01-06&to=2025-01-19&period=week&format=csv`,
      {
        token: operator.token,
      },
    );
    expect((csv.body as string).split("\r\n")[1]).toBe('"2025-01-06","3","4","1","0.25"');

    const g = "/v1/admin/reports/customer-growth";
    expectProblem(await call("GET", `${g}?from=2025-03-01&to=2025-01-01`, { token: operator.token }), 400, "INVALID_RANGE");
    expectProblem(await call("GET", `${g}?from=2024-01-01&to=2025-06-01`, { token: operator.token }), 400, "INVALID_RANGE");
    expectProblem(await call("GET", `${g}?period=month`, { token: operator.token }), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", `/v1/admin/reports/cohorts?from=2025-02-30`, { token: operator.token }), 400, "INVALID_RANGE");
    expectProblem(await call("GET", `${g}?city=cty_nope`, { token: operator.token }), 404);
    expectProblem(await call("GET", g), 401);
    expectProblem(await call("GET", g, { token: (await signIn()).token }), 403);
  });
});

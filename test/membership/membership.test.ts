/**
 * Packages and membership over the Worker: a package bought, paid at the counter, drawn by bookings
 * (atomically: parallel bookings never overspend it), given back by a cancellation and refunded pro
 * rata, all in a balanced ledger; points spent within the cap and never below zero, earned on
 * completed paid orders at the merchant's rate; levels recalculated nightly, shown in the profile,
 * pricing quotes. One world for the file.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { at, book, newCustomer, quote, type Customer } from "../support/booking";
import { call, expectProblem, signInWithRoles, type Session } from "../support/http";
import { payInFull } from "../support/payments";
import { visitTo } from "../support/visit";
import { merchantWorld, type MerchantWorld } from "../support/world";
import fc from "fast-check";
import { earnPoints, memberBooking, memberReleaseStatements, runMembershipNightly } from "../../src/membership";
import { getDb } from "../../src/db/client";
import { creditPointsStatements } from "../../src/db/repositories/membership.repo";
import { insertRow, runBatch, type Guard } from "../../src/db/repositories/statements";
import { outbox } from "../../src/db/schema";
import { DEFAULT_SETTINGS } from "../../src/domain/membership";

let mw: MerchantWorld;
let op: Session;
let slot = 0;
/** A distinct bookable start for every booking of the file (one technician, two-hour jobs). */
const nextStart = () => {
  const n = slot++;
  return at(mw.w, 2 + Math.floor(n / 4), ["08:00", "11:00", "14:00", "17:00"][n % 4]!);
};

beforeAll(async () => {
  mw = await merchantWorld();
  // a rush fee, so a level's free rush shows (before any quote reads the service into the cache)
  await env.DB.prepare("UPDATE services SET rush_fee = 2000 WHERE id = ?").bind(mw.w.serviceId).run();
  op = await signInWithRoles(["operator"]);
});

async function plan(body: Record<string, unknown> = {}, token = mw.merchantAdmin.token) {
  const res = await call("POST", "/v1/admin/package-plans", {
    token,
    body: {
      serviceId: mw.w.serviceId,
      kind: "visits",
      units: 3,
      price: 30_001,
      validDays: 90,
      refundPercent: 80,
      nameZh: "保洁三次卡",
      nameEn: "3 cleanings",
      ...body,
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

/** A package of `c` on a new plan, paid at the counter. */
async function paidPackage(c: Customer, body: Record<string, unknown> = {}) {
  const bought = await call("POST", "/v1/me/packages", { token: c.session.token, body: { planId: (await plan(body)).id } });
  expect(bought.status).toBe(201);
  expect(bought.body.status).toBe("pending_payment");
  const paid = await call("POST", `/v1/admin/packages/${bought.body.id}/payment`, {
    token: op.token,
    body: { provider: "cash", reference: "R-001" },
  });
  expect(paid.status, JSON.stringify(paid.body)).toBe(200);
  return paid.body as { id: string; unitsLeft: number; deferredLeft: { amount: number } };
}

const ledgerBalance = async (account: string) =>
  Number(
    (await env.DB.prepare("SELECT coalesce(sum(amount), 0) AS s FROM ledger_entries WHERE account = ?")
      .bind(account)
      .first<{ s: number }>())!.s,
  );

/** Every transaction touching the package sums to zero, and its deferred account (credit balance) is what the package says. */
async function expectPackageLedger(packageId: string) {
  const p = (await env.DB.prepare("SELECT units_left, deferred_left FROM customer_packages WHERE id = ?")
    .bind(packageId)
    .first<{ units_left: number; deferred_left: number }>())!;
  expect(p.units_left).toBeGreaterThanOrEqual(0);
  expect(0 - (await ledgerBalance(`deferred_revenue:${packageId}`))).toBe(p.deferred_left);
  const unbalanced = await env.DB.prepare(
    `SELECT t.id FROM ledger_transactions t JOIN ledger_entries e ON e.tx_id = t.id
     WHERE t.id IN (SELECT tx_id FROM ledger_entries WHERE account = ?) GROUP BY t.id HAVING sum(e.amount) <> 0`,
  )
    .bind(`deferred_revenue:${packageId}`)
    .all();
  expect(unbalanced.results).toEqual([]);
  return p;
}

const pointsOf = async (accountId: string) =>
  (await env.DB.prepare("SELECT balance FROM points_accounts WHERE account_id = ?").bind(accountId).first<{ balance: number }>())
    ?.balance ?? 0;

describe("packages", () => {
  it("pays for a booking by drawing a visit, gives it back on cancellation and refunds the unused rest pro rata, the ledger balanced throughout", async () => {
    const c = await newCustomer(mw.w.center);
    const pkg = await paidPackage(c);
    // 30001 over 3 visits: 10000 a visit deferred, the 1 分 remainder earned at the sale
    expect(pkg.deferredLeft.amount).toBe(30_000);
    await expectPackageLedger(pkg.id);

    const q = await quote(mw.w, c, nextStart(), { packageId: pkg.id });
    expect(q.lines.at(-1)).toMatchObject({ code: `package:${pkg.id}`, amount: { amount: -12_000 } });
    expect(q.total.amount).toBe(0);
    const placed = await book(c, q, { paymentPlan: undefined });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.status).not.toBe("pending_payment");
    expect(await expectPackageLedger(pkg.id)).toEqual({ units_left: 2, deferred_left: 20_000 });

    const cancelled = await call("POST", `/v1/orders/${placed.body.id}/cancel`, {
      token: c.session.token,
      body: { reason: "plans changed" },
    });
    expect(cancelled.status).toBe(200);
    expect(await expectPackageLedger(pkg.id)).toEqual({ units_left: 3, deferred_left: 30_000 });

    // one visit used, then the rest refunded: 80 % of the 20000 still deferred
    expect((await book(c, await quote(mw.w, c, nextStart(), { packageId: pkg.id }))).status).toBe(201);
    const refunded = await call("POST", `/v1/admin/packages/${pkg.id}/refund`, { token: op.token, body: { reason: "moving away" } });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);
    expect(refunded.body).toMatchObject({ status: "refunded", unitsLeft: 0, deferredLeft: { amount: 0 } });
    expect(refunded.body.history.map((h: { kind: string; givenBack: boolean }) => `${h.kind}${h.givenBack ? "-" : ""}`)).toEqual([
      "purchase",
      "draw-",
      "draw",
      "refund",
    ]);
    expect(refunded.body.history.at(-1).amount.amount).toBe(16_000);
    await expectPackageLedger(pkg.id);
    // cash in 30001, cash out 16000
    expect(await ledgerBalance("provider_clearing:cash")).toBeGreaterThanOrEqual(14_001);

    // a refunded package pays for nothing, and is refunded once
    expectProblem(
      await call("POST", "/v1/quotes", {
        token: c.session.token,
        body: { serviceId: mw.w.serviceId, ...mw.w.center, start: nextStart(), packageId: pkg.id },
      }),
      400,
      "PACKAGE_NOT_USABLE",
    );
    expectProblem(
      await call("POST", `/v1/admin/packages/${pkg.id}/refund`, { token: op.token, body: { reason: "again" } }),
      409,
      "PACKAGE_NOT_ACTIVE",
    );
  });

  it("never lets parallel bookings overspend one package: exactly its visits are drawn, the rest are refused and hold nothing", async () => {
    const c = await newCustomer(mw.w.center);
    const pkg = await paidPackage(c, { units: 3, price: 30_000 });
    const quotes = [];
    for (let i = 0; i < 8; i++) quotes.push(await quote(mw.w, c, nextStart(), { packageId: pkg.id }));
    const results = await Promise.all(quotes.map((q) => book(c, q, { paymentPlan: undefined })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409, "PACKAGE_USED_UP");
    expect(await expectPackageLedger(pkg.id)).toEqual({ units_left: 0, deferred_left: 0 });
    // a refused booking keeps no time held: its slot books again (paid the ordinary way)
    const refused = quotes[results.findIndex((r) => r.status !== 201)]!;
    expect((await book(c, await quote(mw.w, c, refused.start))).status).toBe(201);
    expect(
      (await call("GET", `/v1/me/packages/${pkg.id}`, { token: c.session.token })).body.history.filter(
        (h: { kind: string }) => h.kind === "draw",
      ),
    ).toHaveLength(3);
  });

  it("keeps packages to their owners and their merchant, refuses bad input with 4xx and pays a package only once", async () => {
    const c = await newCustomer(mw.w.center);
    const other = await newCustomer(mw.w.center);
    const pkg = await paidPackage(c);
    expectProblem(await call("GET", `/v1/me/packages/${pkg.id}`, { token: other.session.token }), 404, "NOT_FOUND");
    const foreign = await call("POST", "/v1/quotes", {
      token: other.session.token,
      body: { serviceId: mw.w.serviceId, ...mw.w.center, start: nextStart(), packageId: pkg.id },
    });
    expectProblem(foreign, 400, "PACKAGE_NOT_USABLE");
    expectProblem(
      await call("POST", `/v1/admin/packages/${pkg.id}/payment`, { token: op.token, body: { provider: "cash", reference: "x" } }),
      409,
      "PACKAGE_NOT_PENDING",
    );
    const otherMerchant = await merchantWorld({ technician: false });
    expectProblem(await call("GET", `/v1/admin/packages/${pkg.id}`, { token: otherMerchant.merchantAdmin.token }), 404, "NOT_FOUND");
    expectProblem(
      await call("POST", "/v1/admin/package-plans", {
        token: otherMerchant.merchantAdmin.token,
        body: { serviceId: mw.w.serviceId, kind: "visits", units: 3, price: 100, validDays: 9, nameZh: "x", nameEn: "x" },
      }),
      404,
      "NOT_FOUND",
    );
    expectProblem(
      await call("POST", "/v1/admin/package-plans", {
        token: op.token,
        body: { serviceId: mw.w.serviceId, kind: "visits", units: 5000, price: 1, validDays: 1, nameZh: "x", nameEn: "x" },
      }),
      400,
      "VALIDATION_FAILED",
    );
    const listed = await call("GET", "/v1/me/packages", { token: c.session.token });
    expect(listed.body.items.map((p: { id: string }) => p.id)).toEqual([pkg.id]);
  });
});

describe("points and levels", () => {
  it("earns points on a completed paid order at the merchant's rate, spends them within the cap, never below zero under parallel bookings, and gives them back on cancellation", async () => {
    const rate = await call("PUT", `/v1/admin/membership/merchant-rates/${mw.merchantId}`, { token: op.token, body: { earnPerYuan: 3 } });
    expect(rate.status).toBe(200);
    expect(rate.body.merchantRates).toContainEqual({ merchantId: mw.merchantId, earnPerYuan: 3 });
    const c = await newCustomer(mw.w.center);
    const done = await visitTo(mw.w, mw.techSession, "completed", { customer: c, start: nextStart() });
    await payInFull(c, done.order.id);
    await earnPoints(env);
    await earnPoints(env); // once per order
    const me = await call("GET", "/v1/me", { token: c.session.token });
    const accountId = me.body.id as string;
    expect(await pointsOf(accountId)).toBe(120 * 3);

    // the cap: 20 % of 12000 = 2400 分 = 2400 points at 1 分 each; asking more than the balance is refused
    expectProblem(
      await call("POST", "/v1/quotes", {
        token: c.session.token,
        body: { serviceId: mw.w.serviceId, ...mw.w.center, start: nextStart(), points: 361 },
      }),
      409,
      "POINTS_NOT_ENOUGH",
    );
    const quotes = [];
    for (let i = 0; i < 3; i++) quotes.push(await quote(mw.w, c, nextStart(), { points: 200 }));
    expect(quotes[0].lines.at(-1)).toMatchObject({ code: "points", amount: { amount: -200 } });
    const results = await Promise.all(quotes.map((q) => book(c, q)));
    // 360 points: one booking of 200 fits, the others find too few
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409, "POINTS_NOT_ENOUGH");
    expect(await pointsOf(accountId)).toBe(160);
    const sum = await env.DB.prepare("SELECT sum(delta) AS s FROM points_entries WHERE account_id = ?")
      .bind(accountId)
      .first<{ s: number }>();
    expect(sum!.s).toBe(160);

    const spent = results.find((r) => r.status === 201)!;
    expect((await call("POST", `/v1/orders/${spent.body.id}/cancel`, { token: c.session.token, body: { reason: "changed" } })).status).toBe(
      200,
    );
    expect(await pointsOf(accountId)).toBe(360);
    const membership = await call("GET", "/v1/me/membership", { token: c.session.token });
    expect(membership.body.points.balance).toBe(360);
    expect(membership.body.points.history.map((h: { kind: string }) => h.kind).sort()).toEqual(["earn", "release", "spend"]);
  });

  it("recalculates levels nightly from the rolling year, shows them in the profile and prices quotes with their benefits; points past their period expire", async () => {
    const levels = [
      DEFAULT_SETTINGS.levels[0]!,
      {
        code: "vip",
        nameZh: "贵宾",
        nameEn: "VIP",
        minSpend: 10_000,
        minPoints: 100,
        discountPercent: 10,
        priorityDispatch: true,
        freeRush: true,
      },
    ];
    const bad = await call("PUT", "/v1/admin/membership/settings", { token: op.token, body: { ...DEFAULT_SETTINGS, levels: [levels[1]] } });
    expectProblem(bad, 400, "VALIDATION_FAILED");
    const saved = await call("PUT", "/v1/admin/membership/settings", {
      token: op.token,
      body: { ...DEFAULT_SETTINGS, expiryDays: 30, levels },
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);

    const c = await newCustomer(mw.w.center);
    const done = await visitTo(mw.w, mw.techSession, "completed", { customer: c, start: nextStart() });
    await payInFull(c, done.order.id);
    await earnPoints(env);
    const accountId = (await call("GET", "/v1/me", { token: c.session.token })).body.id as string;
    const before = await call("GET", "/v1/me/membership", { token: c.session.token });
    expect(before.body.level.code).toBe("member");

    await runMembershipNightly(env);
    const after = await call("GET", "/v1/me/membership", { token: c.session.token });
    expect(after.body).toMatchObject({ level: { code: "vip", nameZh: "贵宾" }, spend: 12_000, next: null });

    const q = await quote(mw.w, c, nextStart(), { memberBenefits: true, rush: true });
    const rush = q.lines.find((l: { code: string }) => l.code === "rush");
    expect(rush).toBeDefined();
    expect(q.lines.find((l: { code: string }) => l.code === "member:rush").amount.amount).toBe(-rush.amount.amount);
    expect(q.lines.find((l: { code: string }) => l.code === "member:level").amount.amount).toBe(-1_200);
    // without asking, a quote is priced as before (no extra read on the plain path)
    expect((await quote(mw.w, c, nextStart(), { rush: true })).lines.some((l: { code: string }) => l.code.startsWith("member:"))).toBe(
      false,
    );

    // 40 days on, the points earned are past the 30-day period
    const balance = await pointsOf(accountId);
    expect(balance).toBeGreaterThan(0);
    await runMembershipNightly(env, Date.now() + 40 * 86_400_000);
    expect(await pointsOf(accountId)).toBe(0);
    const sum = await env.DB.prepare("SELECT sum(delta) AS s FROM points_entries WHERE account_id = ?")
      .bind(accountId)
      .first<{ s: number }>();
    expect(sum!.s).toBe(0);
    await call("PUT", "/v1/admin/membership/settings", { token: op.token, body: DEFAULT_SETTINGS });
  });
});

type Op =
  | { kind: "draw" }
  | { kind: "return"; i: number }
  | { kind: "spend"; points: number }
  | { kind: "earn"; points: number }
  | { kind: "take"; points: number };

const ledgerOp: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ kind: "draw" as const }),
  fc.record({ kind: fc.constant("return" as const), i: fc.nat(20) }),
  fc.record({ kind: fc.constant("spend" as const), points: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant("earn" as const), points: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant("take" as const), points: fc.integer({ min: -50, max: -1 }) }),
);

describe("the package and points ledgers under random concurrent sequences", () => {
  it("stay balanced and never go below zero: draws, give-backs, spends, earnings and deductions racing in parallel", async () => {
    const db = getDb(env);
    const c = await newCustomer(mw.w.center);
    const customerId = (await call("GET", "/v1/me", { token: c.session.token })).body.id as string;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(ledgerOp, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), async (groups) => {
        run += 1;
        const pkg = await paidPackage(c, { units: 4, price: 40_003 });
        const account = `acc_prop${run}_${crypto.randomUUID().slice(0, 8)}`;
        const drawn: string[] = [];
        // What a booking does: its order row is written only under the membership guard, and the draw
        // and the spend only if it was (here a marker row stands in for the order).
        const booking = (terms: Parameters<typeof memberBooking>[1], customer: string) => {
          const orderId = `ord_prop_${crypto.randomUUID()}`;
          const now = Date.now();
          const won: Guard = { sql: "EXISTS (SELECT 1 FROM outbox WHERE id = ?)", params: [orderId] };
          const m = memberBooking(db, terms, { orderId, customerId: customer, serviceId: mw.w.serviceId, currency: "CNY" }, won, now);
          return {
            orderId,
            statements: [
              insertRow(db, outbox, { id: orderId, topic: "test.marker", payload: {} as never, createdAt: now }, m.guard),
              ...m.statements,
            ],
          };
        };
        const always: Guard = { sql: "1", params: [] };
        for (const group of groups) {
          await Promise.all(
            group.map(async (o) => {
              if (o.kind === "draw") {
                const b = booking({ package: { id: pkg.id, merchantId: mw.merchantId, units: 1, amount: 10_000 } }, customerId);
                const [marker] = await runBatch(db, b.statements);
                if (marker?.meta.changes === 1) drawn.push(b.orderId);
              } else if (o.kind === "return") {
                const orderId = drawn[o.i % Math.max(1, drawn.length)];
                if (orderId) await runBatch(db, memberReleaseStatements(db, orderId, always, Date.now()));
              } else if (o.kind === "spend") {
                await runBatch(db, booking({ points: o.points }, account).statements);
              } else {
                const ref = `${o.kind}:${crypto.randomUUID()}`;
                await runBatch(
                  db,
                  creditPointsStatements(
                    db,
                    { accountId: account, kind: o.kind === "earn" ? "earn" : "adjust", points: o.points, orderId: null, ref },
                    Date.now(),
                  ),
                );
              }
            }),
          );
        }
        const p = await expectPackageLedger(pkg.id);
        const open = await env.DB.prepare(
          "SELECT coalesce(sum(units), 0) AS u FROM package_entries WHERE package_id = ? AND kind = 'draw' AND released_at IS NULL",
        )
          .bind(pkg.id)
          .first<{ u: number }>();
        expect(p.units_left).toBe(4 - open!.u);
        expect(p.deferred_left).toBe(10_000 * p.units_left);
        const balance = await pointsOf(account);
        const entries = await env.DB.prepare("SELECT coalesce(sum(delta), 0) AS s FROM points_entries WHERE account_id = ?")
          .bind(account)
          .first<{ s: number }>();
        expect(balance).toBeGreaterThanOrEqual(0);
        expect(entries!.s).toBe(balance);
      }),
      { numRuns: 12 },
    );
  });
});

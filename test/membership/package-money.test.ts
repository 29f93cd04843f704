/**
 * The money of packages over the Worker: a package paid through the providers (the payment's subject
 * a package, not an order), activated once by the verified notification however often and however
 * concurrently it comes; a second payment refunded in full; the unused rest refunded to the original
 * payment through the provider's refund flow; a visit drawn from a package split to merchant,
 * technician and platform by the commission rules at completion; the nightly breakage of expired
 * packages, once. The ledger balanced throughout.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { at, book, newCustomer, quote, type Customer } from "../support/booking";
import { call, expectProblem, signInWithRoles, type Session } from "../support/http";
import { alipayNotification, alipayTrade, completeVisit, postWebhook, wechatNotification, wechatTransaction } from "../support/payments";
import { localDay, merchantWorld, type MerchantWorld } from "../support/world";
import { runMembershipNightly } from "../../src/membership";
import { WEEKDAYS } from "../../src/domain/shifts";

let mw: MerchantWorld;
let op: Session;
let slot = 0;
const nextStart = () => {
  const n = slot++;
  return at(mw.w, 2 + Math.floor(n / 4), ["08:00", "11:00", "14:00", "17:00"][n % 4]!);
};

beforeAll(async () => {
  mw = await merchantWorld();
  op = await signInWithRoles(["operator"]);
});

async function pendingPackage(c: Customer, body: Record<string, unknown> = {}) {
  const plan = await call("POST", "/v1/admin/package-plans", {
    token: mw.merchantAdmin.token,
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
  expect(plan.status, JSON.stringify(plan.body)).toBe(201);
  const bought = await call("POST", "/v1/me/packages", { token: c.session.token, body: { planId: plan.body.id } });
  expect(bought.status).toBe(201);
  return bought.body as { id: string; price: { amount: number } };
}

let keys = 0;
const payPackage = (c: Customer, id: string, body: Record<string, unknown>) =>
  call("POST", `/v1/me/packages/${id}/payments`, {
    token: c.session.token,
    headers: { "Idempotency-Key": `pkg-pay-${Date.now()}-${(keys += 1)}` },
    body,
  });

const myPackage = async (c: Customer, id: string) => (await call("GET", `/v1/me/packages/${id}`, { token: c.session.token })).body;

/** Every transaction naming the package (or its payments' refunds) with its entries. */
async function txsOf(packageId: string) {
  const rows = await env.DB.prepare(
    `SELECT t.id, t.kind, t.ref, e.account, e.amount FROM ledger_transactions t JOIN ledger_entries e ON e.tx_id = t.id
     WHERE t.id IN (SELECT tx_id FROM ledger_entries WHERE account = ?)
        OR t.ref IN (SELECT id FROM payments WHERE package_id = ?) OR t.ref IN (SELECT id FROM refunds WHERE package_id = ?)`,
  )
    .bind(`deferred_revenue:${packageId}`, packageId, packageId)
    .all<{ id: string; kind: string; ref: string; account: string; amount: number }>();
  return rows.results;
}

/** Each transaction sums to zero; the deferred account is what the package says; returns the sum per account. */
async function expectBalanced(packageId: string) {
  const rows = await txsOf(packageId);
  const perTx = new Map<string, number>();
  const perAccount: Record<string, number> = {};
  for (const r of rows) {
    perTx.set(r.id, (perTx.get(r.id) ?? 0) + r.amount);
    perAccount[r.account] = (perAccount[r.account] ?? 0) + r.amount;
  }
  for (const [, sum] of perTx) expect(sum + 0).toBe(0);
  const p = (await env.DB.prepare("SELECT deferred_left FROM customer_packages WHERE id = ?")
    .bind(packageId)
    .first<{ deferred_left: number }>())!;
  expect(0 - (perAccount[`deferred_revenue:${packageId}`] ?? 0) + 0).toBe(p.deferred_left);
  return { perAccount, kinds: rows.map((r) => `${r.kind}:${r.ref}`) };
}

describe("buying a package online", () => {
  it("activates the package once from WeChat Pay's notification, however often and however concurrently it comes", async () => {
    const c = await newCustomer(mw.w.center);
    const pkg = await pendingPackage(c);
    const created = await payPackage(c, pkg.id, { provider: "wechatpay" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ orderId: null, packageId: pkg.id, amount: { amount: 30_001 }, status: "pending" });
    expect(created.body.clientParams).toBeDefined();

    const notice = await wechatNotification(wechatTransaction(created.body));
    expect((await postWebhook("wechatpay", notice.body, notice.headers)).status).toBe(204);
    expect((await postWebhook("wechatpay", notice.body, notice.headers)).status).toBe(204);
    // the same payment reported by several notifications at once (different ids): still one activation
    const more = await Promise.all(Array.from({ length: 6 }, () => wechatNotification(wechatTransaction(created.body))));
    const answers = await Promise.all(more.map((n) => postWebhook("wechatpay", n.body, n.headers)));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(204));

    const after = await myPackage(c, pkg.id);
    expect(after).toMatchObject({ status: "active", unitsLeft: 3, deferredLeft: { amount: 30_000 } });
    expect(after.history.map((h: { kind: string }) => h.kind)).toEqual(["purchase"]);
    const { perAccount, kinds } = await expectBalanced(pkg.id);
    expect(kinds.filter((k) => k.startsWith("package_sale:"))).toHaveLength(3); // one transaction, three entries
    expect(perAccount["provider_clearing:wechatpay"]).toBe(30_001);
    const payment = await env.DB.prepare("SELECT status, disposition FROM payments WHERE id = ?").bind(created.body.id).first();
    expect(payment).toEqual({ status: "succeeded", disposition: "applied" });

    expectProblem(await payPackage(c, pkg.id, { provider: "wechatpay" }), 409, "PACKAGE_NOT_PENDING");
    const stranger = await newCustomer(mw.w.center);
    expectProblem(await payPackage(stranger, pkg.id, { provider: "wechatpay" }), 404, "NOT_FOUND");
    const other = await pendingPackage(c);
    expectProblem(await payPackage(c, other.id, { provider: "wechatpay", channel: "page" }), 400, "VALIDATION_FAILED");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM payments WHERE package_id = ?").bind(other.id).first()).toEqual({ n: 0 });
  });

  it("refunds a second payment of a paid package in full through its provider", async () => {
    const c = await newCustomer(mw.w.center);
    const pkg = await pendingPackage(c, { price: 9_000 });
    const first = (await payPackage(c, pkg.id, { provider: "wechatpay" })).body;
    const second = (await payPackage(c, pkg.id, { provider: "alipay" })).body;
    const n1 = await wechatNotification(wechatTransaction(first));
    expect((await postWebhook("wechatpay", n1.body, n1.headers)).status).toBe(204);
    const n2 = await alipayNotification(alipayTrade(second, "90.00"));
    const res = await postWebhook("alipay", n2, { "Content-Type": "application/x-www-form-urlencoded" });
    expect(res.body).toBe("success");
    const p2 = await env.DB.prepare("SELECT disposition FROM payments WHERE id = ?").bind(second.id).first();
    expect(p2).toEqual({ disposition: "refunded_duplicate" });
    const refund = await env.DB.prepare("SELECT kind, amount, status FROM refunds WHERE payment_id = ?").bind(second.id).first();
    // Alipay refunds synchronously
    expect(refund).toEqual({ kind: "duplicate", amount: 9_000, status: "succeeded" });
    const { perAccount } = await expectBalanced(pkg.id);
    expect(perAccount["provider_clearing:alipay"]).toBe(0);
    expect(perAccount["refunds_payable"] ?? 0).toBe(0);
    expect((await myPackage(c, pkg.id)).history.map((h: { kind: string }) => h.kind)).toEqual(["purchase"]);
  });

  it("refunds the unused rest to the original payment through the provider's refund flow, confirmed by its notification once", async () => {
    const c = await newCustomer(mw.w.center);
    const pkg = await pendingPackage(c);
    const payment = (await payPackage(c, pkg.id, { provider: "wechatpay" })).body;
    const paid = await wechatNotification(wechatTransaction(payment));
    expect((await postWebhook("wechatpay", paid.body, paid.headers)).status).toBe(204);
    expect((await book(c, await quote(mw.w, c, nextStart(), { packageId: pkg.id }))).status).toBe(201);

    const refunded = await call("POST", `/v1/admin/packages/${pkg.id}/refund`, { token: op.token, body: { reason: "moving away" } });
    expect(refunded.status, JSON.stringify(refunded.body)).toBe(200);
    expect(refunded.body).toMatchObject({ status: "refunded", unitsLeft: 0, deferredLeft: { amount: 0 } });
    const refund = (await env.DB.prepare("SELECT id, kind, amount, status, payment_id FROM refunds WHERE package_id = ?")
      .bind(pkg.id)
      .first<{ id: string; kind: string; amount: number; status: string; payment_id: string }>())!;
    // 80 % of the 20000 still deferred goes back to the WeChat Pay payment; WeChat Pay confirms later
    expect(refund).toMatchObject({ kind: "package", amount: 16_000, status: "processing", payment_id: payment.id });
    let money = await expectBalanced(pkg.id);
    expect(money.perAccount["refunds_payable"]).toBe(-16_000);

    const notice = await wechatNotification(
      {
        mchid: env.WECHATPAY_MCHID,
        out_trade_no: payment.id,
        transaction_id: "4200000009",
        out_refund_no: refund.id,
        refund_id: `503${Date.now()}`,
        refund_status: "SUCCESS",
        amount: { total: 30_001, refund: 16_000, payer_total: 30_001, payer_refund: 16_000 },
      },
      { eventType: "REFUND.SUCCESS", associatedData: "refund" },
    );
    expect((await postWebhook("wechatpay", notice.body, notice.headers)).status).toBe(204);
    expect((await postWebhook("wechatpay", notice.body, notice.headers)).status).toBe(204);
    expect(await env.DB.prepare("SELECT status FROM refunds WHERE id = ?").bind(refund.id).first()).toEqual({ status: "succeeded" });
    money = await expectBalanced(pkg.id);
    expect(money.perAccount["refunds_payable"]).toBe(0);
    expect(money.perAccount["provider_clearing:wechatpay"]).toBe(30_001 - 16_000);
    expect(money.kinds.filter((k) => k === `refund:${refund.id}`)).toHaveLength(2);
    expectProblem(
      await call("POST", `/v1/admin/packages/${pkg.id}/refund`, { token: op.token, body: { reason: "again" } }),
      409,
      "PACKAGE_NOT_ACTIVE",
    );
  });
});

describe("package visits and expiry", () => {
  it("splits a visit drawn from a package to merchant, technician and platform at completion, as a paid order's", async () => {
    const c = await newCustomer(mw.w.center);
    const pkg = await pendingPackage(c, { units: 2, price: 20_000 });
    const payment = (await payPackage(c, pkg.id, { provider: "wechatpay" })).body;
    const paid = await wechatNotification(wechatTransaction(payment));
    expect((await postWebhook("wechatpay", paid.body, paid.headers)).status).toBe(204);
    const placed = await book(c, await quote(mw.w, c, nextStart(), { packageId: pkg.id }), { paymentPlan: undefined });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    await completeVisit(mw.w, mw.techSession, placed.body);

    const entries = await env.DB.prepare(
      `SELECT e.account, e.amount FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.tx_id WHERE t.order_id = ? AND t.kind = 'split'`,
    )
      .bind(placed.body.id)
      .all<{ account: string; amount: number }>();
    const of = (prefix: string) => -entries.results.filter((e) => e.account.startsWith(prefix)).reduce((s, e) => s + e.amount, 0);
    // the visit's 10000 of prepaid money, split by the default rules; no coupon expense for a package
    expect(of("platform_revenue") + of("merchant_payable") + of("technician_payable")).toBe(10_000);
    expect(of("merchant_payable")).toBeGreaterThan(0);
    expect(of("technician_payable")).toBeGreaterThan(0);
    expect(entries.results.some((e) => e.account === "coupon_expense")).toBe(false);
    const funds = await env.DB.prepare(
      "SELECT coalesce(sum(amount), 0) AS s FROM ledger_entries WHERE account = 'customer_funds' AND order_id = ?",
    )
      .bind(placed.body.id)
      .first<{ s: number }>();
    expect(funds!.s).toBe(0);
  });

  it("earns what an expired package left unused once, however often and concurrently the nightly job runs, and shows it in the history", async () => {
    const c = await newCustomer(mw.w.center);
    const pkg = await pendingPackage(c, { units: 4, price: 40_000 });
    const payment = (await payPackage(c, pkg.id, { provider: "wechatpay" })).body;
    const paid = await wechatNotification(wechatTransaction(payment));
    expect((await postWebhook("wechatpay", paid.body, paid.headers)).status).toBe(204);
    expect((await book(c, await quote(mw.w, c, nextStart(), { packageId: pkg.id }))).status).toBe(201);
    await env.DB.prepare("UPDATE customer_packages SET valid_until = ? WHERE id = ?")
      .bind(Date.now() - 1000, pkg.id)
      .run();

    await Promise.all([runMembershipNightly(env), runMembershipNightly(env), runMembershipNightly(env)]);
    await runMembershipNightly(env);
    const after = await myPackage(c, pkg.id);
    expect(after).toMatchObject({ status: "expired", unitsLeft: 0, deferredLeft: { amount: 0 } });
    expect(after.history.map((h: { kind: string }) => h.kind)).toEqual(["purchase", "draw", "expire"]);
    expect(after.history.at(-1)).toMatchObject({ units: 3, amount: { amount: 30_000 } });
    const { perAccount, kinds } = await expectBalanced(pkg.id);
    expect(new Set(kinds.filter((k) => k.startsWith("package_breakage:"))).size).toBe(1);
    expect(perAccount[`deferred_revenue:${pkg.id}`]).toBe(0);
    expectProblem(
      await call("POST", "/v1/quotes", {
        token: c.session.token,
        body: { serviceId: mw.w.serviceId, ...mw.w.center, start: nextStart(), packageId: pkg.id },
      }),
      400,
      "PACKAGE_NOT_USABLE",
    );
  });

  it("keeps every package's ledger balanced over random sequences of draws, cancellations, refunds and expiry", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("draw", "cancel", "refund", "expire"), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1_000, max: 50_000 }),
        async (steps, units, price) => {
          const c = await newCustomer(mw.w.center);
          const pkg = await pendingPackage(c, { units, price, refundPercent: 70 });
          const payment = (await payPackage(c, pkg.id, { provider: "alipay" })).body;
          const n = await alipayNotification(alipayTrade(payment, (price / 100).toFixed(2)));
          await postWebhook("alipay", n, { "Content-Type": "application/x-www-form-urlencoded" });
          const orders: string[] = [];
          for (const step of steps) {
            if (step === "draw") {
              const q = await call("POST", "/v1/quotes", {
                token: c.session.token,
                body: { serviceId: mw.w.serviceId, ...mw.w.center, start: nextStart(), packageId: pkg.id },
              });
              if (q.status === 201) {
                const placed = await book(c, q.body, { paymentPlan: undefined });
                if (placed.status === 201) orders.push(placed.body.id);
              }
            } else if (step === "cancel" && orders.length > 0) {
              await call("POST", `/v1/orders/${orders.pop()}/cancel`, { token: c.session.token, body: { reason: "changed" } });
            } else if (step === "refund") {
              await call("POST", `/v1/admin/packages/${pkg.id}/refund`, { token: op.token, body: { reason: "asked" } });
            } else if (step === "expire") {
              await env.DB.prepare("UPDATE customer_packages SET valid_until = ? WHERE id = ? AND status <> 'pending_payment'")
                .bind(Date.now() - 1, pkg.id)
                .run();
              await runMembershipNightly(env);
            }
          }
          const { perAccount } = await expectBalanced(pkg.id);
          // money in through Alipay less what went back equals what was earned, still deferred or still an order's
          const earned = -(perAccount["package_revenue"] ?? 0);
          const deferred = -(perAccount[`deferred_revenue:${pkg.id}`] ?? 0);
          const orders_ = -(perAccount["customer_funds"] ?? 0);
          expect((perAccount["provider_clearing:alipay"] ?? 0) + (perAccount["refunds_payable"] ?? 0)).toBe(earned + deferred + orders_);
        },
      ),
      { numRuns: 6 },
    );
  });
});

describe("a series paid from a package", () => {
  async function cashPackage(c: Customer, units: number) {
    const pkg = await pendingPackage(c, { units, price: units * 10_000 });
    const paid = await call("POST", `/v1/admin/packages/${pkg.id}/payment`, {
      token: op.token,
      body: { provider: "cash", reference: "R-9" },
    });
    expect(paid.status).toBe(200);
    return pkg;
  }
  const series = (c: Customer, packageId: string, days: number, timeOfDay: string, count: number) =>
    call("POST", "/v1/series", {
      token: c.session.token,
      body: {
        serviceId: mw.w.serviceId,
        addressId: c.addressId,
        timeOfDay,
        rule: { freq: "weekly", interval: 1, byDay: [...WEEKDAYS] },
        startDate: localDay(mw.w.timeZone, days),
        count,
        packageId,
      },
    });

  it("draws a visit for each booked occurrence, then falls back to pay-per-visit and tells the customer in both languages", async () => {
    const c = await newCustomer(mw.w.center);
    const pkg = await cashPackage(c, 2);
    // three visits on consecutive days within the service's horizon, after the other tests' bookings
    const res = await series(c, pkg.id, 11, "08:00", 3);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.packageId).toBe(pkg.id);
    const booked = res.body.visits.filter((v: { status: string }) => v.status === "booked");
    expect(booked.length).toBe(3);
    const after = await myPackage(c, pkg.id);
    expect(after.unitsLeft).toBe(0);
    const drawn = new Set(after.history.filter((h: { kind: string }) => h.kind === "draw").map((h: { orderId: string }) => h.orderId));
    expect(drawn.size).toBe(2);
    const notices = await env.DB.prepare(
      `SELECT json_extract(payload, '$.orderId') AS orderId, json_extract(payload, '$.packageUsedUp') AS usedUp FROM outbox
       WHERE topic = 'series.visit' AND json_extract(payload, '$.seriesId') = ?`,
    )
      .bind(res.body.id)
      .all<{ orderId: string; usedUp: number | null }>();
    const usedUp = notices.results.filter((n) => n.usedUp === 1).map((n) => n.orderId);
    expect(usedUp).toHaveLength(1);
    for (const id of usedUp) expect(drawn.has(id)).toBe(false);
    expectProblem(await series(c, "pkg_missing", 11, "14:00", 1), 400, "VALIDATION_FAILED");
  });

  it("never overdraws a package shared by series booking in parallel", async () => {
    const c = await newCustomer(mw.w.center);
    const pkg = await cashPackage(c, 2);
    const made = await Promise.all([
      series(c, pkg.id, 12, "11:00", 1),
      series(c, pkg.id, 12, "14:00", 1),
      series(c, pkg.id, 12, "17:00", 1),
      series(c, pkg.id, 13, "11:00", 1),
    ]);
    for (const m of made) expect(m.status, JSON.stringify(m.body)).toBe(201);
    const after = await myPackage(c, pkg.id);
    expect(after.unitsLeft).toBe(0);
    expect(after.history.filter((h: { kind: string }) => h.kind === "draw")).toHaveLength(2);
    const booked = made.flatMap((m) => m.body.visits.filter((v: { status: string }) => v.status === "booked"));
    expect(booked.length).toBe(4);
    await expectBalanced(pkg.id);
  });
});

describe("growth report lines", () => {
  it("reports packages sold, recognised, breakage and the deferred balance of a merchant as computed by hand", async () => {
    const m2 = await merchantWorld();
    const c = await newCustomer(m2.w.center);
    const buy = async (units: number, price: number) => {
      const plan = await call("POST", "/v1/admin/package-plans", {
        token: m2.merchantAdmin.token,
        body: { serviceId: m2.w.serviceId, kind: "visits", units, price, validDays: 30, nameZh: "次卡", nameEn: "Card" },
      });
      return (await call("POST", "/v1/me/packages", { token: c.session.token, body: { planId: plan.body.id } })).body as { id: string };
    };
    const a = await buy(3, 30_000);
    expect(
      (await call("POST", `/v1/admin/packages/${a.id}/payment`, { token: op.token, body: { provider: "cash", reference: "R" } })).status,
    ).toBe(200);
    const b = await buy(2, 20_000);
    const payment = (await payPackage(c, b.id, { provider: "wechatpay" })).body;
    const paid = await wechatNotification(wechatTransaction(payment));
    expect((await postWebhook("wechatpay", paid.body, paid.headers)).status).toBe(204);
    expect((await book(c, await quote(m2.w, c, at(m2.w, 2, "11:00"), { packageId: a.id }))).status).toBe(201);
    await env.DB.prepare("UPDATE customer_packages SET valid_until = ? WHERE id = ?")
      .bind(Date.now() - 1, b.id)
      .run();
    await runMembershipNightly(env);

    const res = await call("GET", "/v1/admin/reports/customer-growth", { token: m2.merchantAdmin.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.totals).toMatchObject({
      "revenue.packages_sold": 50_000,
      "revenue.packages_recognised": 10_000,
      "revenue.packages_breakage": 20_000,
      "revenue.packages_deferred": 20_000,
      "cost.member_discounts": 0,
      "cost.points_redeemed": 0,
    });
    expect(res.body.lines).toContainEqual({
      key: "revenue.packages_breakage",
      kind: "revenue",
      label: { zh: "套餐过期收入", en: "Package breakage" },
    });
  });
});

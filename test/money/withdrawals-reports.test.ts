import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createMerchant, signInMerchantAdmin } from "../support/catalog";
import { at } from "../support/booking";
import { call, expectProblem, signIn, signInWithRoles, type Session } from "../support/http";
import { localDay, merchantWorld, type MerchantWorld } from "../support/world";
import { completeVisit, expectBalanced, ledgerOf, paidOrder } from "../support/payments";

async function completed(m: MerchantWorld, day = 2) {
  const { customer, order } = await paidOrder(m.w, { start: at(m.w, day, "10:00") });
  await completeVisit(m.w, m.techSession, order);
  return { customer, order };
}

let keys = 0;
const withdraw = (s: Session, amount: unknown, key: string | null = `wd-${Date.now()}-${(keys += 1)}`) =>
  call("POST", "/v1/technician/withdrawals", { token: s.token, headers: key ? { "Idempotency-Key": key } : {}, body: { amount } });
const earnings = async (s: Session) => (await call("GET", "/v1/technician/earnings", { token: s.token })).body;
/** Lets the settlement delay pass for the technician's earnings (test set-up). */
const settle = (techId: string) =>
  env.DB.prepare("UPDATE ledger_entries SET available_at = ? WHERE account = ?")
    .bind(Date.now() - 1, `technician_payable:${techId}`)
    .run();

describe("technician earnings and withdrawals", () => {
  it("splits by the merchant's shares, keeps earnings pending for the settlement delay, then lets one of concurrent withdrawals through", async () => {
    const m = await merchantWorld();
    const { order } = await completed(m);
    const split = (await ledgerOf(order.id)).find((t) => t.kind === "split")!;
    expect(Object.fromEntries(split.entries.map((e) => [e.account, e.amount]))).toEqual({
      customer_funds: 12000,
      platform_revenue: -2400,
      [`merchant_payable:${m.merchantId}`]: -2880,
      [`technician_payable:${m.tech.id}`]: -6720,
    });
    let e = await earnings(m.techSession);
    expect(e.totals).toMatchObject({ earned: { amount: 6720 }, pending: { amount: 6720 }, available: { amount: 0 } });
    expect(e.items).toMatchObject([{ orderId: order.id, amount: { amount: 6720 }, status: "pending" }]);
    expectProblem(await withdraw(m.techSession, 1000), 409, "INSUFFICIENT_BALANCE");
    expectProblem(await withdraw(m.techSession, 10), 400, "WITHDRAWAL_AMOUNT_OUT_OF_RANGE");
    expectProblem(await withdraw(m.techSession, 1000, null), 400, "IDEMPOTENCY_KEY_REQUIRED");
    expectProblem(await withdraw(m.techSession, "1000"), 400, "VALIDATION_FAILED");

    await settle(m.tech.id);
    e = await earnings(m.techSession);
    expect(e.totals).toMatchObject({ pending: { amount: 0 }, available: { amount: 6720 } });
    const tries = await Promise.all(Array.from({ length: 3 }, () => withdraw(m.techSession, 4000)));
    expect(tries.map((t) => t.status).sort()).toEqual([201, 409, 409]);
    const wd = tries.find((t) => t.status === 201)!.body;
    expect(wd).toMatchObject({ status: "requested", amount: { amount: 4000 } });
    expect((await earnings(m.techSession)).totals).toMatchObject({ withdrawing: { amount: 4000 }, available: { amount: 2720 } });

    // Separation of duties: another merchant's admin sees nothing; its own merchant's admin sees it but
    // may neither approve nor reject it (403, nothing changes); a platform operator approves it.
    const stranger = await signInMerchantAdmin(m.w.admin, await createMerchant(m.w.admin));
    expectProblem(await call("POST", `/v1/admin/withdrawals/${wd.id}/approve`, { token: stranger.token }), 403, "FORBIDDEN");
    expect((await call("GET", "/v1/admin/withdrawals", { token: stranger.token })).body.items).toEqual([]);
    expect(
      (await call("GET", "/v1/admin/withdrawals?status=requested", { token: m.merchantAdmin.token })).body.items.map(
        (x: { id: string }) => x.id,
      ),
    ).toEqual([wd.id]);
    expectProblem(await call("POST", `/v1/admin/withdrawals/${wd.id}/approve`, { token: m.merchantAdmin.token }), 403, "FORBIDDEN");
    expectProblem(
      await call("POST", `/v1/admin/withdrawals/${wd.id}/reject`, { token: m.merchantAdmin.token, body: { reason: "no" } }),
      403,
      "FORBIDDEN",
    );
    expect((await call("GET", "/v1/technician/withdrawals", { token: m.techSession.token })).body.items).toMatchObject([
      { id: wd.id, status: "requested" },
    ]);
    const operator = await signInWithRoles(["operator"]);
    const approved = await call("POST", `/v1/admin/withdrawals/${wd.id}/approve`, { token: operator.token });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: "paid", payoutProvider: "wechatpay" });
    expect(approved.body.payoutRef).toMatch(/^po_/);
    expectProblem(await call("POST", `/v1/admin/withdrawals/${wd.id}/approve`, { token: operator.token }), 409, "WITHDRAWAL_DECIDED");
    const tx = (await ledgerOf()).find((t) => t.kind === "withdrawal" && t.ref === wd.id)!;
    expect(Object.fromEntries(tx.entries.map((x) => [x.account, x.amount]))).toEqual({
      [`technician_payable:${m.tech.id}`]: 4000,
      "provider_clearing:wechatpay": -4000,
    });
    expect(await env.DB.prepare("SELECT action, actor_id FROM audit_log WHERE target_id = ?").bind(wd.id).first()).toEqual({
      action: "withdrawal.approve",
      actor_id: operator.accountId,
    });
    expect((await earnings(m.techSession)).totals).toMatchObject({
      withdrawn: { amount: 4000 },
      withdrawing: { amount: 0 },
      available: { amount: 2720 },
    });
    expect((await call("GET", "/v1/technician/withdrawals", { token: m.techSession.token })).body.items).toMatchObject([
      { id: wd.id, status: "paid" },
    ]);
  });

  it("rejects (audited, money stays available) and limits the withdrawals a day", async () => {
    const m = await merchantWorld();
    await completed(m);
    await settle(m.tech.id);
    const first = (await withdraw(m.techSession, 2000)).body;
    expectProblem(
      await call("POST", `/v1/admin/withdrawals/${first.id}/reject`, { token: m.w.admin.token, body: {} }),
      400,
      "VALIDATION_FAILED",
    );
    const rejected = await call("POST", `/v1/admin/withdrawals/${first.id}/reject`, {
      token: m.w.admin.token,
      body: { reason: "bank details missing" },
    });
    expect(rejected.body).toMatchObject({ status: "rejected", reason: "bank details missing" });
    expect((await earnings(m.techSession)).totals.available.amount).toBe(6720);
    for (let i = 0; i < 3; i++) expect((await withdraw(m.techSession, 1000)).status).toBe(201);
    expectProblem(await withdraw(m.techSession, 1000), 409, "WITHDRAWAL_LIMIT");
    const customer = await signIn();
    expectProblem(await call("GET", "/v1/technician/earnings", { token: customer.token }), 403);
    expectProblem(await call("GET", "/v1/technician/earnings"), 401);
    expectProblem(await call("POST", `/v1/admin/withdrawals/${first.id}/approve`, { token: customer.token }), 403);
    expectProblem(await call("POST", "/v1/admin/withdrawals/wdr_missing/approve", { token: m.w.admin.token }), 404);
  });
});

describe("a merchant's own refunds", () => {
  it("its admin approves a complaint about its order, and sees it in the queue", async () => {
    const m = await merchantWorld();
    const { customer, order } = await completed(m);
    const complaint = await call("POST", `/v1/orders/${order.id}/complaints`, {
      token: customer.session.token,
      body: { reason: "stains left", amount: 2000 },
    });
    const [request] = complaint.body.items;
    expect(
      (await call("GET", "/v1/admin/refunds?status=pending_approval", { token: m.merchantAdmin.token })).body.items.map(
        (r: { id: string }) => r.id,
      ),
    ).toEqual([request.id]);
    const approved = await call("POST", `/v1/admin/refunds/${request.id}/approve`, { token: m.merchantAdmin.token, body: {} });
    expect(approved.body).toMatchObject({ status: "succeeded", amount: { amount: 2000 } });
    const takeBack = (await ledgerOf(order.id)).find((t) => t.kind === "refund_request")!;
    // in proportion to the split 2400 : 2880 : 6720
    expect(Object.fromEntries(takeBack.entries.map((e) => [e.account, e.amount]))).toEqual({
      platform_revenue: 400,
      [`merchant_payable:${m.merchantId}`]: 480,
      [`technician_payable:${m.tech.id}`]: 1120,
      refunds_payable: -2000,
    });
  });
});

describe("operator reports and the ledger", () => {
  it("reconciles the day, reports revenue by merchant, browses and exports the ledger, scoped for merchant admins", async () => {
    const m = await merchantWorld();
    const { order } = await completed(m);
    const today = localDay("Asia/Shanghai", 0);
    const rec = await call("GET", `/v1/admin/reports/reconciliation?date=${today}`, { token: m.w.admin.token });
    expect(rec.status).toBe(200);
    const sandbox = rec.body.providers.find((p: { provider: string }) => p.provider === "sandbox");
    expect(sandbox.matches).toBe(true);
    expect(sandbox.reported.paid.amount).toBe(sandbox.ledger.paid.amount);
    expect(sandbox.reported.paid.amount).toBeGreaterThanOrEqual(12000);
    expect(rec.body).toMatchObject({ unbalancedTransactions: [], unsettledPayments: [], balanced: true });
    expectProblem(await call("GET", `/v1/admin/reports/reconciliation?date=${today}`, { token: m.merchantAdmin.token }), 403);
    expectProblem(await call("GET", "/v1/admin/reports/reconciliation?date=2026-13-45", { token: m.w.admin.token }), 400);

    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    const rev = await call("GET", `/v1/admin/reports/revenue?from=${from}&to=${to}&groupBy=merchant`, { token: m.merchantAdmin.token });
    expect(rev.body.items).toEqual([
      {
        key: m.merchantId,
        gross: { amount: 12000, currency: "CNY" },
        platformRevenue: { amount: 2400, currency: "CNY" },
        merchantShare: { amount: 2880, currency: "CNY" },
        technicianShare: { amount: 6720, currency: "CNY" },
        couponExpense: { amount: 0, currency: "CNY" },
        merchantFunded: { amount: 0, currency: "CNY" },
      },
    ]);
    const byService = await call("GET", `/v1/admin/reports/revenue?from=${from}&to=${to}&groupBy=service`, { token: m.w.admin.token });
    expect(byService.body.items.find((i: { key: string }) => i.key === m.w.serviceId).gross.amount).toBe(12000);
    expectProblem(await call("GET", `/v1/admin/reports/revenue?from=${to}&to=${from}`, { token: m.w.admin.token }), 400);

    const page = await call("GET", `/v1/admin/ledger/transactions?orderId=${order.id}`, { token: m.merchantAdmin.token });
    expect(page.body.items.map((t: { kind: string }) => t.kind).sort()).toEqual(["payment", "split"]);
    expect(page.body.items.every((t: { balanced: boolean }) => t.balanced)).toBe(true);
    const stranger = await signInMerchantAdmin(m.w.admin, await createMerchant(m.w.admin));
    expect((await call("GET", `/v1/admin/ledger/transactions?orderId=${order.id}`, { token: stranger.token })).body.items).toEqual([]);
    const byAccount = await call("GET", `/v1/admin/ledger/transactions?account=technician_payable:${m.tech.id}`, {
      token: m.w.admin.token,
    });
    expect(byAccount.body.items.map((t: { kind: string }) => t.kind)).toEqual(["split"]);
    const accounts = await call("GET", "/v1/admin/ledger/accounts", { token: m.merchantAdmin.token });
    expect(accounts.body.items).toEqual([
      {
        code: `merchant_payable:${m.merchantId}`,
        kind: "merchant_payable",
        type: "liability",
        ownerId: m.merchantId,
        balance: { amount: 2880, currency: "CNY" },
      },
    ]);

    const csv = await call<string>("GET", `/v1/admin/ledger/export.csv?from=${from}&to=${to}`, { token: m.merchantAdmin.token });
    expect(csv.headers.get("Content-Type")).toMatch(/^text\/csv/);
    const lines = csv.body.trim().split("\r\n");
    expect(lines[0]).toBe("at,transaction,kind,ref,order,merchant,provider,account,debit,credit,currency,memo");
    expect(lines.slice(1).every((l) => l.includes(`"${m.merchantId}"`))).toBe(true);
    expect(lines).toHaveLength(1 + 2 + 4);
    expectProblem(await call("GET", `/v1/admin/ledger/export.csv?from=${from}&to=${to}`, { token: (await signIn()).token }), 403);
    expectBalanced(await ledgerOf());
  });

  it("applies commission rules per merchant to later splits (platform only, audited)", async () => {
    const m = await merchantWorld();
    expectProblem(
      await call("PUT", "/v1/admin/commission-rules", {
        token: m.merchantAdmin.token,
        body: { scope: `merchant:${m.merchantId}`, takeRateBps: 0, technicianShareBps: 10000 },
      }),
      403,
    );
    expectProblem(
      await call("PUT", "/v1/admin/commission-rules", {
        token: m.w.admin.token,
        body: { scope: "merchant:mer_missing", takeRateBps: 1000, technicianShareBps: null },
      }),
      404,
    );
    expectProblem(
      await call("PUT", "/v1/admin/commission-rules", {
        token: m.w.admin.token,
        body: { scope: `merchant:${m.merchantId}`, takeRateBps: 10001, technicianShareBps: null },
      }),
      400,
    );
    const saved = await call("PUT", "/v1/admin/commission-rules", {
      token: m.w.admin.token,
      body: { scope: `merchant:${m.merchantId}`, takeRateBps: 1000, technicianShareBps: 5000 },
    });
    expect(saved.body).toMatchObject({ scope: `merchant:${m.merchantId}`, takeRateBps: 1000, technicianShareBps: 5000 });
    const list = await call("GET", "/v1/admin/commission-rules", { token: m.w.admin.token });
    expect(list.body.defaults).toEqual({ takeRateBps: 2000, technicianShareBps: 7000 });
    const { order } = await completed(m, 3);
    const split = (await ledgerOf(order.id)).find((t) => t.kind === "split")!;
    expect(Object.fromEntries(split.entries.map((e) => [e.account, e.amount]))).toMatchObject({
      platform_revenue: -1200,
      [`merchant_payable:${m.merchantId}`]: -5400,
      [`technician_payable:${m.tech.id}`]: -5400,
    });
    expect(await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ?").bind(`merchant:${m.merchantId}`).first()).toEqual({
      action: "commission.set",
    });
  });
});

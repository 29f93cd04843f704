/**
 * The live Alipay client against a local fake of Alipay's OpenAPI gateway (test/support/alipay-fake.ts),
 * which verifies every request's RSA2 signature and signs every answer as Alipay does.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { alipayClient, alipayPayUrl, AlipayUnavailableError, rawJsonValue } from "../../src/adapters/alipay";
import { providerClient, type RefundRequest } from "../../src/adapters/payment-provider";
import { ConfigError, parseConfig } from "../../src/config";
import { derToPem } from "../../src/lib/provider-crypto";
import { reconcilePendingPayments } from "../../src/money/reconcile.service";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld } from "../support/world";
import { pay, pendingOrder, rsaVerifyB64 } from "../support/payments";
import { FakeAlipay, GATEWAY, live } from "../support/alipay-fake";

let fake: FakeAlipay;
beforeEach(() => {
  fake = new FakeAlipay();
  const original = globalThis.fetch.bind(globalThis);
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    return req.url.startsWith(GATEWAY) ? fake.handle(req) : original(input, init);
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const id = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
const refundOf = (paymentId: string, amount: number, over: Partial<RefundRequest> = {}): RefundRequest => ({
  refundId: id("rfd"),
  paymentId,
  provider: "alipay",
  providerTxnId: null,
  amount,
  paymentAmount: 12_800,
  currency: "CNY",
  reason: "取消订单",
  ...over,
});

describe("configuration of the live Alipay client", () => {
  const base = { JWT_SECRET: env.JWT_SECRET };
  it("defaults to the local client and Alipay's production gateway", () => {
    const c = parseConfig(base);
    expect(c.PAYMENT_PROVIDER_CLIENT).toBe("local");
    expect(c.ALIPAY_GATEWAY_URL).toBe("https://openapi.alipay.com/gateway.do");
  });
  it("refuses a gateway that is not an http(s) URL and an unknown client", () => {
    expect(() => parseConfig({ ...base, ALIPAY_GATEWAY_URL: "openapi.alipay.com" })).toThrow(ConfigError);
    expect(() => parseConfig({ ...base, ALIPAY_GATEWAY_URL: "ftp://openapi.alipay.com/gateway.do" })).toThrow(ConfigError);
    expect(() => parseConfig({ ...base, PAYMENT_PROVIDER_CLIENT: "remote" })).toThrow(/PAYMENT_PROVIDER_CLIENT/);
  });
});

describe("live Alipay client: trades", () => {
  it("reports a paid trade with its trade_no and the exact amount in fen", async () => {
    const paymentId = id("pay");
    fake.open(paymentId, 12_801, true);
    const state = await providerClient(live).queryPayment("alipay", paymentId);
    expect(state).toEqual({ state: "paid", transactionId: fake.trades.get(paymentId)!.tradeNo, amount: 12_801 });
    expect(fake.calls).toEqual(["alipay.trade.query"]);
  });

  it("reports unpaid both while the payer has not paid and before the cashier was opened", async () => {
    const opened = id("pay");
    fake.open(opened, 500);
    expect(await alipayClient(live).queryPayment("alipay", opened)).toEqual({ state: "unpaid" });
    expect(await alipayClient(live).queryPayment("alipay", id("pay"))).toEqual({ state: "unpaid" });
  });

  it("closes an unpaid trade, and treats a trade that never opened or is already paid as nothing to close", async () => {
    const client = alipayClient(live);
    const open = id("pay");
    fake.open(open, 500);
    await client.closePayment("alipay", open);
    expect(await client.queryPayment("alipay", open)).toEqual({ state: "closed" });
    await client.closePayment("alipay", id("pay"));
    const paid = id("pay");
    fake.open(paid, 500, true);
    await client.closePayment("alipay", paid);
    expect((await client.queryPayment("alipay", paid)).state).toBe("paid");
  });

  it("needs no server call to prepare app pay (the app signs the order string)", async () => {
    expect(
      await providerClient(live).prepay({
        paymentId: id("pay"),
        provider: "alipay",
        channel: "app",
        amount: 100,
        currency: "CNY",
        description: "x",
        notifyUrl: "https://x.test/n",
      }),
    ).toEqual({
      providerRef: null,
    });
    expect(fake.calls).toEqual([]);
  });

  it("keeps the local client when PAYMENT_PROVIDER_CLIENT is unset, and for other providers when live", async () => {
    const paymentId = id("pay");
    fake.open(paymentId, 500, true);
    expect(await providerClient(env).queryPayment("alipay", paymentId)).toEqual({ state: "unpaid" });
    expect(await providerClient(live).queryPayment("sandbox", paymentId)).toEqual({ state: "unpaid" });
    expect(fake.calls).toEqual([]);
  });
});

describe("live Alipay client: refunds", () => {
  it("refunds (fund_change Y is done) and the refund query then says succeeded", async () => {
    const paymentId = id("pay");
    fake.open(paymentId, 12_800, true);
    const client = providerClient(live);
    const req = refundOf(paymentId, 3_001);
    const tradeNo = fake.trades.get(paymentId)!.tradeNo;
    expect(await client.refund(req)).toEqual({ status: "succeeded", providerRefundId: tradeNo });
    expect(fake.refunds.get(req.refundId)).toEqual({ outTradeNo: paymentId, amount: "30.01" });
    expect(await client.queryRefund("alipay", req.refundId, paymentId)).toEqual({ status: "succeeded", providerRefundId: tradeNo });
    // Asking again with the same out_request_no moves no money: the query decides.
    expect(await client.refund(req)).toEqual({ status: "processing", providerRefundId: tradeNo });
    expect(fake.trades.get(paymentId)!.refunded).toBe(3_001);
  });

  it("has no answer yet for a refund Alipay does not know, and fails a refund Alipay refuses", async () => {
    const paymentId = id("pay");
    fake.open(paymentId, 12_800, true);
    const client = alipayClient(live);
    expect(await client.queryRefund("alipay", id("rfd"), paymentId)).toBeNull();
    const refused = await client.refund(refundOf(paymentId, 12_801));
    expect(refused).toEqual({ status: "failed", reason: expect.stringContaining("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL") });
  });
});

describe("live Alipay client: payouts", () => {
  const payout = (over: Record<string, unknown> = {}) => ({
    withdrawalId: id("wdr"),
    provider: "alipay",
    technicianId: "tch_1",
    amount: 10_050,
    currency: "CNY",
    payee: { identity: "tech@example.com", identityType: "ALIPAY_LOGON_ID" as const, name: "张三" },
    ...over,
  });

  it("transfers to the payee's Alipay account and the transfer query confirms it", async () => {
    const client = alipayClient(live);
    const req = payout();
    const state = await client.payout(req);
    expect(state).toEqual({ status: "succeeded", payoutRef: fake.transfers.get(req.withdrawalId)!.orderId });
    expect(fake.transfers.get(req.withdrawalId)!.amount).toBe("100.50");
    expect(await client.queryPayout(req.withdrawalId)).toEqual(state);
    expect(await client.queryPayout(id("wdr"))).toBeNull();
  });

  it("fails a payout to an account that does not exist, or without an account on file", async () => {
    const client = providerClient(live);
    expect(await client.payout(payout({ payee: { identity: "nobody@example.com", identityType: "ALIPAY_LOGON_ID" } }))).toEqual({
      status: "failed",
      reason: expect.stringContaining("PAYEE_NOT_EXIST"),
    });
    expect((await client.payout(payout({ payee: undefined }))).status).toBe("failed");
    expect(fake.calls).toEqual(["alipay.fund.trans.uni.transfer"]);
  });
});

describe("live Alipay client: signatures and failures", () => {
  it("is refused by the gateway when the request is altered on its way, and records nothing", async () => {
    const paymentId = id("pay");
    fake.open(paymentId, 12_800, true);
    fake.tamperRequest = (body) => body.replace("30.00", "300.00");
    const err = await alipayClient(live)
      .refund(refundOf(paymentId, 3_000))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlipayUnavailableError);
    expect(String(err)).toContain("isv.invalid-signature");
    expect(fake.refunds.size).toBe(0);
  });

  it("is refused by the gateway when signed with another app key", async () => {
    const pair = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const stranger = derToPem(new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer), "PRIVATE KEY");
    const wrongKey = { ...live, ALIPAY_APP_PRIVATE_KEY: stranger } as Env;
    await expect(alipayClient(wrongKey).queryPayment("alipay", id("pay"))).rejects.toThrow(AlipayUnavailableError);
  });

  it("refuses an answer altered after Alipay signed it", async () => {
    const paymentId = id("pay");
    fake.open(paymentId, 100, true);
    fake.tamperAnswer = (raw) => raw.replace('"total_amount":"1.00"', '"total_amount":"0.01"');
    await expect(alipayClient(live).queryPayment("alipay", paymentId)).rejects.toThrow(/signature invalid/);
  });

  it("refuses a refund answer altered after signing, so the refund is not reported done", async () => {
    const paymentId = id("pay");
    fake.open(paymentId, 12_800, true);
    fake.tamperAnswer = (raw) => raw.replace('"fund_change":"Y"', '"fund_change":"Y" ');
    await expect(providerClient(live).refund(refundOf(paymentId, 100))).rejects.toThrow(AlipayUnavailableError);
  });

  it("turns a 5xx or no answer into a retryable AlipayUnavailableError", async () => {
    fake.status = 502;
    await expect(alipayClient(live).queryPayment("alipay", id("pay"))).rejects.toThrow(/HTTP 502/);
    fake.status = 200;
    fake.handle = () => Promise.reject(new TypeError("Network connection lost."));
    await expect(alipayClient(live).closePayment("alipay", id("pay"))).rejects.toThrow(AlipayUnavailableError);
  });

  it("signs the WAP cashier URL like any request", async () => {
    const url = new URL(
      await alipayPayUrl(live, { kind: "wap", paymentId: "pay_1", amount: 1, subject: "上门保洁", notifyUrl: "https://api.test/n" }),
    );
    expect(url.origin + url.pathname).toBe(GATEWAY);
    const params = Object.fromEntries(url.searchParams);
    expect(params.method).toBe("alipay.trade.wap.pay");
    expect(JSON.parse(params.biz_content!)).toMatchObject({ out_trade_no: "pay_1", total_amount: "0.01", product_code: "QUICK_WAP_WAY" });
    const signed = Object.keys(params)
      .filter((k) => k !== "sign")
      .sort()
      .map((k) => `${k}=${params[k]}`)
      .join("&");
    expect(await rsaVerifyB64(env.TEST_ALIPAY_APP_PUBLIC_KEY, params.sign!, signed)).toBe(true);
  });

  it("takes the signed response text exactly as sent", () => {
    const body = '{"sign":"x_response","x_response" : {"a":"}\\"","b":[1,{"c":2}]} ,"y":1}';
    expect(rawJsonValue(body, "x_response")).toBe('{"a":"}\\"","b":[1,{"c":2}]}');
    expect(rawJsonValue('{"a":{"x_response":{}}}', "x_response")).toBeNull();
  });
});

describe("reconciliation with the live Alipay client", () => {
  const statusOf = async (paymentId: string) =>
    (await env.DB.prepare("SELECT status FROM payments WHERE id = ?").bind(paymentId).first<{ status: string }>())?.status;

  it("leaves a payment pending while Alipay fails, and completes it once Alipay says it is paid", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const res = await pay(customer, order.id, { provider: "alipay" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const payment = res.body as { id: string; amount: { amount: number } };

    fake.status = 503;
    await expect(reconcilePendingPayments(live, Date.now() + 1000)).rejects.toThrow(AlipayUnavailableError);
    expect(await statusOf(payment.id)).toBe("pending");

    fake.status = 200;
    fake.open(payment.id, payment.amount.amount, true);
    const summary = await reconcilePendingPayments(live, Date.now() + 1000);
    expect(summary.paid).toBeGreaterThanOrEqual(1);
    expect(await statusOf(payment.id)).toBe("succeeded");

    // Asked about a refund by its id alone, the client finds its payment (Alipay's out_trade_no) in D1.
    const refundId = id("rfd");
    const now = Date.now();
    await env.DB.prepare(
      `INSERT INTO refunds (id, order_id, payment_id, customer_id, provider, kind, amount, currency, status, reason, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'alipay', 'operator', 100, 'CNY', 'processing', 'test', ?, ?)`,
    )
      .bind(refundId, order.id, payment.id, customer.session.accountId, now, now)
      .run();
    const client = alipayClient(live);
    expect(await client.queryRefund("alipay", refundId)).toBeNull();
    expect(await client.refund(refundOf(payment.id, 100, { refundId, paymentAmount: payment.amount.amount }))).toMatchObject({
      status: "succeeded",
    });
    expect(await client.queryRefund("alipay", refundId)).toMatchObject({ status: "succeeded" });
    expect(await client.queryRefund("alipay", id("rfd"))).toBeNull();
  });
});

import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { providerClient } from "../../src/adapters/payment-provider";
import { parseConfig } from "../../src/config";
import { ProviderError, outBillNo, wechatpayClient } from "../../src/adapters/wechatpay";
import { derToPem } from "../../src/lib/provider-crypto";
import { clientParams } from "../../src/money/client-params";
import { reconcilePendingPayments } from "../../src/money/reconcile.service";
import { freshCenter } from "../support/fixtures";
import { callWith } from "../support/http";
import { orderOf } from "../support/booking";
import { pendingOrder, rsaVerifyB64, strangerKey } from "../support/payments";
import { FAKE_BASE, WechatPayFake, liveEnv } from "../support/wechatpay-fake";
import { addTechnician, createWorld } from "../support/world";

let fake: WechatPayFake;
beforeEach(() => {
  fake = new WechatPayFake().install();
});
afterEach(() => fake.uninstall());

const live = liveEnv();
const client = () => wechatpayClient(live);
let n = 0;
const ids = () => {
  n += 1;
  const tag = `${Date.now()}${n}`;
  return { paymentId: `pay_T${tag}`, refundId: `ref_T${tag}`, withdrawalId: `wd_T${tag}` };
};
const prepayReq = (paymentId: string, channel = "app", amount = 12000) => ({
  paymentId,
  provider: "wechatpay" as const,
  channel,
  amount,
  currency: "CNY",
  description: "空调清洗 ord_1",
  notifyUrl: "https://doorstep.test/v1/webhooks/wechatpay",
  payerOpenId: channel === "jsapi" ? "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" : undefined,
});
/** Awaits a call that must fail as a provider failure. */
async function providerFailure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe("the live WeChat Pay client against the fake API", () => {
  it("is chosen only with PAYMENT_PROVIDER_CLIENT=live, and the fake refuses a request whose signature was tampered with", async () => {
    const { paymentId } = ids();
    // The default stays local: nothing reaches the WeChat Pay API.
    await providerClient(env).prepay(prepayReq(`${paymentId}L`));
    expect(fake.seen).toHaveLength(0);
    await providerClient(live).prepay(prepayReq(paymentId));
    expect(fake.seen).toHaveLength(1);
    const sent = fake.seen[0]!;
    expect(sent).toMatchObject({ method: "POST", path: "/v3/pay/transactions/app", status: 200 });
    expect(sent.authorization).toMatch(
      /^WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="[A-Za-z0-9]{32}",signature="[A-Za-z0-9+/=]+",timestamp="\d{10}",serial_no="3775B6A45ACD588826D15E583A95F5DD5A9C7B21"$/,
    );
    // The same request with one character of the signature changed does not pass.
    expect(await fake.signedByMerchant("POST", sent.path, sent.body, sent.authorization)).toBe(true);
    const tampered = sent.authorization.replace(/signature="(.)/, (_, c: string) => `signature="${c === "A" ? "B" : "A"}`);
    expect(await fake.signedByMerchant("POST", sent.path, sent.body, tampered)).toBe(false);
    expect(await fake.signedByMerchant("POST", sent.path, sent.body.replace("12000", "1"), sent.authorization)).toBe(false);
    const res = await fetch(`${FAKE_BASE}${sent.path}`, {
      method: "POST",
      headers: { Authorization: tampered, "Content-Type": "application/json" },
      body: sent.body,
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "SIGN_ERROR" });
  });

  it("signing with a key that is not the merchant's is refused by WeChat Pay: a provider failure", async () => {
    const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", await exportable())) as ArrayBuffer);
    const wrong = wechatpayClient(liveEnv({ WECHATPAY_MERCHANT_PRIVATE_KEY: derToPem(pkcs8, "PRIVATE KEY") }));
    const err = await providerFailure(wrong.prepay(prepayReq(ids().paymentId)));
    expect(err).toMatchObject({ status: 401, code: "SIGN_ERROR", retryable: false });
    expect(fake.trades.size).toBe(0);
  });

  it("prepays JSAPI, APP and Native; the JSAPI parameters the app gets are signed with the merchant key", async () => {
    const { paymentId } = ids();
    const prepared = await client().prepay(prepayReq(paymentId, "jsapi"));
    expect(prepared.providerRef).toBe(fake.trades.get(paymentId)!.prepay_id);
    expect(JSON.parse(fake.seen[0]!.body)).toMatchObject({
      appid: env.WECHATPAY_APPID,
      mchid: env.WECHATPAY_MCHID,
      out_trade_no: paymentId,
      amount: { total: 12000, currency: "CNY" },
      payer: { openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
    });
    const params = await clientParams(live, {
      paymentId,
      provider: "wechatpay",
      channel: "jsapi",
      amount: 12000,
      description: "x",
      notifyUrl: "https://doorstep.test/v1/webhooks/wechatpay",
      prepared,
      now: Date.now(),
    });
    expect(params).toMatchObject({ appId: env.WECHATPAY_APPID, package: `prepay_id=${prepared.providerRef}`, signType: "RSA" });
    const message = `${String(params.appId)}\n${String(params.timeStamp)}\n${String(params.nonceStr)}\n${String(params.package)}\n`;
    expect(await rsaVerifyB64(env.TEST_WECHATPAY_MERCHANT_PUBLIC_KEY, String(params.paySign), message)).toBe(true);

    const app = await client().prepay(prepayReq(ids().paymentId, "app"));
    expect(app.providerRef).toMatch(/^wx/);
    const native = await client().prepay(prepayReq(ids().paymentId, "native"));
    expect(native).toEqual({ providerRef: null, codeUrl: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/) });
    // JSAPI without the payer's openid is not even sent.
    await providerFailure(client().prepay({ ...prepayReq(ids().paymentId, "jsapi"), payerOpenId: undefined }));
  });

  it("queries a trade: unknown and unpaid, then paid with WeChat Pay's transaction id and amount", async () => {
    const { paymentId } = ids();
    expect(await client().queryPayment("wechatpay", paymentId)).toEqual({ state: "unpaid" });
    await client().prepay(prepayReq(paymentId));
    expect(await client().queryPayment("wechatpay", paymentId)).toEqual({ state: "unpaid" });
    const txn = fake.pay(paymentId);
    expect(await client().queryPayment("wechatpay", paymentId)).toEqual({ state: "paid", transactionId: txn, amount: 12000 });
    expect(fake.seen.at(-1)!.path).toBe(`/v3/pay/transactions/out-trade-no/${paymentId}?mchid=${env.WECHATPAY_MCHID}`);
  });

  it("closes an unpaid trade; closing a paid one leaves it paid", async () => {
    const a = ids().paymentId;
    await client().prepay(prepayReq(a));
    await client().closePayment("wechatpay", a);
    expect(fake.seen.at(-1)).toMatchObject({ method: "POST", path: `/v3/pay/transactions/out-trade-no/${a}/close`, status: 204 });
    expect(await client().queryPayment("wechatpay", a)).toEqual({ state: "closed" });
    const b = ids().paymentId;
    await client().prepay(prepayReq(b));
    fake.pay(b);
    await client().closePayment("wechatpay", b);
    expect(await client().queryPayment("wechatpay", b)).toMatchObject({ state: "paid" });
  });

  it("refunds: processing until WeChat Pay says SUCCESS, asked again with the same out_refund_no", async () => {
    const { paymentId, refundId } = ids();
    await client().prepay(prepayReq(paymentId));
    const txn = fake.pay(paymentId);
    const req = {
      refundId,
      paymentId,
      provider: "wechatpay" as const,
      providerTxnId: txn,
      amount: 5000,
      paymentAmount: 12000,
      currency: "CNY",
      reason: "客户取消",
    };
    const first = await client().refund(req);
    expect(first).toEqual({ status: "processing", providerRefundId: fake.refunds.get(refundId)!.refund_id });
    expect(JSON.parse(fake.seen.at(-1)!.body)).toMatchObject({
      transaction_id: txn,
      out_refund_no: refundId,
      amount: { refund: 5000, total: 12000, currency: "CNY" },
    });
    expect(await client().refund(req)).toEqual(first);
    expect(fake.refunds.size).toBe(1);
    expect(await client().queryRefund("wechatpay", refundId)).toEqual(first);
    fake.settleRefund(refundId);
    expect(await client().queryRefund("wechatpay", refundId)).toEqual({
      status: "succeeded",
      providerRefundId: first.status === "processing" ? first.providerRefundId : "",
    });
    expect(await client().queryRefund("wechatpay", `${refundId}X`)).toBeNull();
    expect(await client().refund({ ...req, refundId: `${refundId}Y`, amount: 12001 })).toMatchObject({ status: "failed" });
  });

  it("pays out by merchant transfer once per withdrawal: accepted, then succeeded when asked again", async () => {
    const { withdrawalId } = ids();
    const req = { withdrawalId, provider: "wechatpay", technicianId: "tech_1", amount: 4000, currency: "CNY", payeeOpenId: "oTech0001" };
    const first = await client().payout(req);
    const bill = fake.bills.get(outBillNo(withdrawalId))!;
    expect(first).toEqual({ status: "processing", payoutRef: bill.transfer_bill_no });
    expect(JSON.parse(fake.seen.at(-1)!.body)).toMatchObject({
      appid: env.WECHATPAY_APPID,
      out_bill_no: outBillNo(withdrawalId),
      transfer_scene_id: "1005",
      openid: "oTech0001",
      transfer_amount: 4000,
    });
    fake.settleBill(outBillNo(withdrawalId));
    expect(await client().payout(req)).toEqual({ status: "succeeded", payoutRef: bill.transfer_bill_no });
    expect(fake.seen.filter((s) => s.method === "POST")).toHaveLength(1);
    // No openid to pay to: refused before anything is sent.
    expect(await client().payout({ ...req, withdrawalId: ids().withdrawalId, payeeOpenId: undefined })).toMatchObject({ status: "failed" });
    const failed = ids().withdrawalId;
    await client().payout({ ...req, withdrawalId: failed });
    fake.settleBill(outBillNo(failed), "FAIL");
    expect(await client().payout({ ...req, withdrawalId: failed })).toMatchObject({ status: "failed" });
  });

  it("refuses an answer whose body was changed after WeChat Pay signed it, or signed by another key", async () => {
    const { paymentId } = ids();
    await client().prepay(prepayReq(paymentId));
    fake.pay(paymentId);
    fake.faults = { tamperAnswer: true };
    expect((await providerFailure(client().queryPayment("wechatpay", paymentId))).message).toMatch(/signature invalid/);
    fake.faults = { signWith: await strangerKey() };
    expect((await providerFailure(client().queryPayment("wechatpay", paymentId))).retryable).toBe(true);
    fake.faults = {};
    expect(await client().queryPayment("wechatpay", paymentId)).toMatchObject({ state: "paid" });
  });

  it("a 5xx or a timeout is a retryable provider failure", async () => {
    fake.faults = { serverError: true };
    expect(await providerFailure(client().prepay(prepayReq(ids().paymentId)))).toMatchObject({ retryable: true, status: 500 });
    fake.faults = { hang: true };
    const quick = wechatpayClient(liveEnv({ WECHATPAY_TIMEOUT_MS: "50" }));
    const err = await providerFailure(quick.queryPayment("wechatpay", ids().paymentId));
    expect(err.message).toMatch(/timed out after 50 ms/);
    expect(err.retryable).toBe(true);
  });
});

describe("paying with WeChat Pay live through the API", () => {
  it("keeps the local client by default; live is opt-in, its base URL must be https", () => {
    const JWT_SECRET = "a-test-secret-of-at-least-32-characters";
    expect(parseConfig({ ENVIRONMENT: "development", JWT_SECRET })).toMatchObject({
      PAYMENT_PROVIDER_CLIENT: "local",
      WECHATPAY_API_BASE: "https://api.mch.weixin.qq.com",
      WECHATPAY_MERCHANT_SERIAL: "",
      WECHATPAY_TIMEOUT_MS: 10_000,
    });
    expect(parseConfig({ ENVIRONMENT: "development", JWT_SECRET, PAYMENT_PROVIDER_CLIENT: "live" }).PAYMENT_PROVIDER_CLIENT).toBe("live");
    expect(() => parseConfig({ ENVIRONMENT: "development", JWT_SECRET, PAYMENT_PROVIDER_CLIENT: "remote" })).toThrow(
      /PAYMENT_PROVIDER_CLIENT="remote"/,
    );
    expect(() => parseConfig({ ENVIRONMENT: "development", JWT_SECRET, WECHATPAY_API_BASE: "http://api.mch.weixin.qq.com" })).toThrow(
      /WECHATPAY_API_BASE/,
    );
  });

  it("pays, is found paid by reconciliation, refunds on cancellation: a failing WeChat Pay leaves the refund to be sent again", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const res = await callWith(live, "POST", `/v1/orders/${order.id}/payments`, {
      token: customer.session.token,
      headers: { "Idempotency-Key": `wx-live-flow-${Date.now()}` },
      body: { provider: "wechatpay" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const txn = fake.pay(res.body.id);
    // The notification is lost; reconciliation asks WeChat Pay and finds it paid.
    await reconcilePendingPayments(live);
    const paid = await orderOf(customer, order.id);
    expect(paid.payments).toMatchObject([{ id: res.body.id, status: "succeeded", providerTxnId: txn }]);

    fake.faults = { serverError: true };
    // The cancellation stands although WeChat Pay failed; the refund waits, unsent, for reconciliation.
    const cancelled = await callWith(live, "POST", `/v1/orders/${order.id}/cancel`, {
      token: customer.session.token,
      body: { reason: "travelling" },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.refunds).toMatchObject([{ status: "processing", provider: "wechatpay" }]);
    const refund = () =>
      env.DB.prepare("SELECT id, status, provider_refund_id AS ref FROM refunds WHERE order_id = ?")
        .bind(order.id)
        .first<{ id: string; status: string; ref: string | null }>();
    expect(await refund()).toMatchObject({ status: "processing", ref: null });
    expect(fake.refunds.size).toBe(0);

    fake.faults = {};
    expect((await reconcilePendingPayments(live)).refundsSent).toBe(1);
    const sent = (await refund())!;
    expect(sent).toMatchObject({ status: "processing", ref: fake.refunds.get(sent.id)!.refund_id });
    fake.settleRefund(sent.id);
    expect((await reconcilePendingPayments(live)).refundsSettled).toBe(1);
    expect(await refund()).toMatchObject({ status: "succeeded" });
    expect((await orderOf(customer, order.id)).status).toBe("refunded");
  });

  it("creates the payment with WeChat Pay's prepay_id; a failing WeChat Pay records nothing and answers 503", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const pay = (key: string) =>
      callWith(live, "POST", `/v1/orders/${order.id}/payments`, {
        token: customer.session.token,
        headers: { "Idempotency-Key": key },
        body: { provider: "wechatpay" },
      });
    // Live without the merchant certificate serial: WeChat Pay is not offered.
    const unsigned = await callWith(liveEnv({ WECHATPAY_MERCHANT_SERIAL: "" }), "POST", `/v1/orders/${order.id}/payments`, {
      token: customer.session.token,
      headers: { "Idempotency-Key": `wx-live-noserial-${Date.now()}` },
      body: { provider: "wechatpay" },
    });
    expect(unsigned.status).toBe(409);
    expect(unsigned.body).toMatchObject({ code: "PROVIDER_NOT_CONFIGURED" });
    expect(fake.seen).toHaveLength(0);

    fake.faults = { serverError: true };
    const key = `wx-live-${Date.now()}`;
    const failed = await pay(key);
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ code: "PROVIDER_UNAVAILABLE" });
    expect(failed.headers.get("Retry-After")).toBe("5");
    const none = await env.DB.prepare("SELECT count(*) AS n FROM payments WHERE order_id = ?").bind(order.id).first<{ n: number }>();
    expect(none?.n).toBe(0);

    // The same Idempotency-Key tries again once WeChat Pay answers.
    fake.faults = {};
    const res = await pay(key);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const trade = fake.trades.get(res.body.id)!;
    expect(trade).toMatchObject({ trade_type: "APP", amount: res.body.amount.amount });
    expect(res.body.clientParams).toMatchObject({ prepayid: trade.prepay_id, partnerid: env.WECHATPAY_MCHID });
  });
});

async function exportable(): Promise<CryptoKey> {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  return pair.privateKey;
}

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { orderOf } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { expectProblem } from "../support/http";
import { addTechnician, createWorld } from "../support/world";
import {
  alipayNotification,
  alipayTrade,
  expectBalanced,
  ledgerOf,
  pay,
  paymentOf,
  paymentIntentEvent,
  pendingOrder,
  postWebhook,
  rsaVerifyB64,
  strangerKey,
  stripeSigned,
} from "../support/payments";
import { alipaySignedString } from "../../src/money/verify";

const FORM = { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" };

async function untouched(orderId: string, paymentId: string) {
  const p = await env.DB.prepare("SELECT status FROM payments WHERE id = ?").bind(paymentId).first<{ status: string }>();
  const e = await env.DB.prepare("SELECT count(*) AS n FROM provider_events WHERE payment_id = ?").bind(paymentId).first<{ n: number }>();
  expect(p?.status).toBe("pending");
  expect(e?.n).toBe(0);
  expect(await ledgerOf(orderId)).toEqual([]);
}

describe("what the app receives to pay", () => {
  it("WeChat Pay app and JSAPI parameters are signed with the merchant key per APIv3", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const app = (await pay(customer, order.id, { provider: "wechatpay" })).body;
    const a = app.clientParams;
    expect(a).toMatchObject({ appid: env.WECHATPAY_APPID, partnerid: env.WECHATPAY_MCHID, package: "Sign=WXPay" });
    expect(a.prepayid).toMatch(/^wx\w+$/);
    expect(a.noncestr).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(a.timestamp).toMatch(/^\d{10}$/);
    expect(
      await rsaVerifyB64(env.TEST_WECHATPAY_MERCHANT_PUBLIC_KEY, a.sign, `${a.appid}\n${a.timestamp}\n${a.noncestr}\n${a.prepayid}\n`),
    ).toBe(true);
    const jsapi = (await pay(customer, order.id, { provider: "wechatpay", channel: "jsapi", openId: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" })).body
      .clientParams;
    expect(jsapi).toMatchObject({ appId: env.WECHATPAY_APPID, signType: "RSA" });
    expect(jsapi.package).toMatch(/^prepay_id=wx\w+$/);
    expect(
      await rsaVerifyB64(
        env.TEST_WECHATPAY_MERCHANT_PUBLIC_KEY,
        jsapi.paySign,
        `${jsapi.appId}\n${jsapi.timeStamp}\n${jsapi.nonceStr}\n${jsapi.package}\n`,
      ),
    ).toBe(true);
    expectProblem(await pay(customer, order.id, { provider: "wechatpay", channel: "jsapi" }), 400, "VALIDATION_FAILED");
  });

  it("Alipay gets an app-pay order string signed RSA2 with the app key; Stripe a PaymentIntent client secret", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    const ali = (await pay(customer, order.id, { provider: "alipay" })).body;
    const params = Object.fromEntries(new URLSearchParams(ali.clientParams.orderString));
    expect(params).toMatchObject({
      app_id: env.ALIPAY_APP_ID,
      method: "alipay.trade.app.pay",
      charset: "utf-8",
      sign_type: "RSA2",
      version: "1.0",
      format: "JSON",
    });
    expect(JSON.parse(params.biz_content!)).toMatchObject({
      out_trade_no: ali.id,
      total_amount: "120.00",
      product_code: "QUICK_MSECURITY_PAY",
    });
    expect(params.notify_url).toMatch(/\/v1\/webhooks\/alipay$/);
    expect(params.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const { sign, ...unsigned } = params;
    expect(await rsaVerifyB64(env.TEST_ALIPAY_APP_PUBLIC_KEY, sign!, alipaySignedString(unsigned, ["sign"]))).toBe(true);
    const stripe = (await pay(customer, order.id, { provider: "stripe" })).body;
    expect(stripe.clientParams.paymentIntentId).toMatch(/^pi_[A-Za-z0-9]{24}$/);
    expect(stripe.clientParams.clientSecret).toMatch(new RegExp(`^${stripe.clientParams.paymentIntentId}_secret_[A-Za-z0-9]+$`));
  });
});

describe("Alipay notifications", () => {
  it("applies TRADE_SUCCESS once and answers exactly `success`, also for a duplicate", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order, payment } = await paymentOf(w, "alipay");
    const body = await alipayNotification(alipayTrade(payment, "120.00"));
    const first = await postWebhook("alipay", body, FORM);
    expect(first.status).toBe(200);
    expect(first.body).toBe("success");
    const again = await Promise.all(Array.from({ length: 5 }, () => postWebhook("alipay", body, FORM)));
    expect(again.map((a) => a.body)).toEqual(Array(5).fill("success"));
    expect((await orderOf(customer, order.id)).status).toBe("assigned");
    const txs = await ledgerOf(order.id);
    expect(txs.map((t) => t.kind)).toEqual(["payment"]);
    expectBalanced(txs);
  });

  it("rejects a tampered amount, another key, another app_id, and an amount that is not ours, changing nothing", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { order, payment } = await paymentOf(w, "alipay");
    const good = await alipayNotification(alipayTrade(payment, "120.00"));
    const cases = [
      good.replace("total_amount=120.00", "total_amount=1.20"),
      await alipayNotification(alipayTrade(payment, "120.00"), await strangerKey()),
      await alipayNotification(alipayTrade(payment, "120.00", { app_id: "2021000000009999" })),
      await alipayNotification(alipayTrade(payment, "1.20")),
      await alipayNotification(alipayTrade(payment, "120.0000")),
      good.replace(/&sign=[^&]*/, ""),
    ];
    for (const body of cases) {
      const res = await postWebhook("alipay", body, FORM);
      expect(res.status, body).toBe(400);
      expect(res.body).not.toBe("success");
    }
    await untouched(order.id, payment.id);
  });
});

describe("Stripe notifications", () => {
  it("applies payment_intent.succeeded once per event id, accepting any matching v1 among several", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order, payment } = await paymentOf(w, "stripe");
    const signed = await stripeSigned(paymentIntentEvent(payment), { extraV1: ["0".repeat(64)] });
    const answers = await Promise.all(Array.from({ length: 10 }, () => postWebhook("stripe", signed.body, signed.headers)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    expect((await orderOf(customer, order.id)).status).toBe("assigned");
    expect((await ledgerOf(order.id)).map((t) => t.kind)).toEqual(["payment"]);
  });

  it("rejects a wrong secret, a stale or future timestamp, a tampered body, no signature, and a mismatched amount", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { order, payment } = await paymentOf(w, "stripe");
    const event = paymentIntentEvent(payment);
    const now = Math.floor(Date.now() / 1000);
    const good = await stripeSigned(event);
    const cases = [
      await stripeSigned(event, { secret: "whsec_someone_else" }),
      await stripeSigned(event, { t: now - 301 }),
      await stripeSigned(event, { t: now + 301 }),
      { ...good, body: good.body.replace('"amount":12000', '"amount":12001') },
      { body: good.body, headers: { "Content-Type": "application/json" } },
      { body: good.body, headers: { ...good.headers, "Stripe-Signature": good.headers["Stripe-Signature"].replace(/v1=/g, "v0=") } },
      await stripeSigned(paymentIntentEvent(payment, "payment_intent.succeeded", { amount: 1 })),
      // a sandbox-signed event cannot pay a Stripe payment
      await stripeSigned(event, { secret: env.SANDBOX_WEBHOOK_SECRET }),
    ];
    for (const c of cases) expectProblem(await postWebhook("stripe", c.body, c.headers), 400, "WEBHOOK_REJECTED");
    await untouched(order.id, payment.id);
  });
});

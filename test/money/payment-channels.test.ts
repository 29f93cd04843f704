/**
 * Choosing how to pay through the payments API: WeChat Pay Native answers the `code_url` to show as
 * a QR code; Alipay WAP and page pay answer a gateway URL whose parameters are signed RSA2 with the
 * app key (the browser opens it; Alipay creates the trade then). Channels a provider does not have
 * are refused with 400, nothing recorded.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { at } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { callWith, expectProblem } from "../support/http";
import { pay, pendingOrder, rsaVerifyB64 } from "../support/payments";
import { WechatPayFake, liveEnv } from "../support/wechatpay-fake";
import { addTechnician, createWorld, type World } from "../support/world";

let world: World | null = null;
let booked = 0;
/** A pending order in this file's world, each at a time of its own. */
async function order() {
  if (!world) {
    world = await createWorld(freshCenter());
    await addTechnician(world, world.center);
  }
  const n = booked++;
  return pendingOrder(world, { start: at(world, 2 + Math.floor(n / 4), ["08:00", "11:00", "14:00", "17:00"][n % 4]!) });
}
const paymentsOf = async (orderId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM payments WHERE order_id = ?").bind(orderId).first<{ n: number }>())?.n;

/** The parameters of a signed Alipay gateway URL, after checking its RSA2 signature with the app's public key. */
async function signedParams(url: string): Promise<Record<string, string>> {
  const u = new URL(url);
  expect(u.origin + u.pathname).toBe(env.ALIPAY_GATEWAY_URL || "https://openapi.alipay.com/gateway.do");
  const params = Object.fromEntries(u.searchParams);
  const signed = Object.keys(params)
    .filter((k) => k !== "sign" && params[k] !== "")
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join("&");
  expect(await rsaVerifyB64(env.TEST_ALIPAY_APP_PUBLIC_KEY, params.sign!, signed)).toBe(true);
  // One character changed: the signature no longer holds.
  expect(await rsaVerifyB64(env.TEST_ALIPAY_APP_PUBLIC_KEY, params.sign!, signed.replace("out_trade_no", "out_trade_nO"))).toBe(false);
  return params;
}

describe("payment channels", () => {
  it("Alipay wap and page answer a signed cashier URL with the amount, notify_url and return_url", async () => {
    for (const [channel, method, product] of [
      ["wap", "alipay.trade.wap.pay", "QUICK_WAP_WAY"],
      ["page", "alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY"],
    ] as const) {
      const { customer, order: o } = await order();
      const res = await pay(customer, o.id, { provider: "alipay", channel, returnUrl: "https://app.example.test/paid" });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ provider: "alipay", channel, status: "pending" });
      expect(Object.keys(res.body.clientParams)).toEqual(["payUrl"]);
      const params = await signedParams(res.body.clientParams.payUrl);
      expect(params).toMatchObject({
        app_id: env.ALIPAY_APP_ID,
        method,
        sign_type: "RSA2",
        charset: "utf-8",
        return_url: "https://app.example.test/paid",
      });
      expect(params.notify_url).toMatch(/\/v1\/webhooks\/alipay$/);
      const biz = JSON.parse(params.biz_content!) as Record<string, unknown>;
      expect(biz).toMatchObject({ out_trade_no: res.body.id, product_code: product });
      expect(biz.total_amount).toBe(`${Math.floor(o.total.amount / 100)}.${String(o.total.amount % 100).padStart(2, "0")}`);
    }
  });

  it("WeChat Pay native answers the code_url (local client), app stays the default", async () => {
    const { customer, order: o } = await order();
    const res = await pay(customer, o.id, { provider: "wechatpay", channel: "native" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      channel: "native",
      clientParams: { codeUrl: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/) },
    });
    const other = await order();
    const app = await pay(other.customer, other.order.id, { provider: "wechatpay" });
    expect(app.body).toMatchObject({ channel: "app", clientParams: { package: "Sign=WXPay" } });
  });

  it("refuses a channel the provider does not have, and returnUrl outside Alipay wap/page, recording nothing", async () => {
    const { customer, order: o } = await order();
    for (const body of [
      { provider: "wechatpay", channel: "wap" },
      { provider: "alipay", channel: "native" },
      { provider: "alipay", channel: "jsapi", openId: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
      { provider: "sandbox", channel: "page" },
      { provider: "wechatpay", channel: "bogus" },
      { provider: "wechatpay", channel: "native", returnUrl: "https://app.example.test/paid" },
      { provider: "alipay", channel: "app", returnUrl: "https://app.example.test/paid" },
      { provider: "alipay", channel: "wap", returnUrl: "javascript:alert(1)" },
    ]) {
      expectProblem(await pay(customer, o.id, body), 400, "VALIDATION_FAILED");
    }
    expect(await paymentsOf(o.id)).toBe(0);
  });
});

describe("WeChat Pay Native with the live client", () => {
  let fake: WechatPayFake;
  beforeEach(() => {
    fake = new WechatPayFake().install();
  });
  afterEach(() => fake.uninstall());

  it("creates a NATIVE trade at WeChat Pay and hands the app its code_url", async () => {
    const { customer, order: o } = await order();
    const res = await callWith(liveEnv(), "POST", `/v1/orders/${o.id}/payments`, {
      token: customer.session.token,
      headers: { "Idempotency-Key": `native-${o.id}` },
      body: { provider: "wechatpay", channel: "native" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const trade = fake.trades.get(res.body.id)!;
    expect(trade).toMatchObject({ trade_type: "NATIVE", amount: o.total.amount });
    expect(fake.seen[0]).toMatchObject({ method: "POST", path: "/v3/pay/transactions/native", status: 200 });
    expect(res.body.clientParams).toEqual({ codeUrl: `weixin://wxpay/bizpayurl?pr=${trade.prepay_id!.slice(-10)}` });
  });
});

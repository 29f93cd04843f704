/**
 * The referral fraud guard's payment-account check for every provider: each provider's notification
 * names its payer (WeChat Pay payer.openid, Alipay buyer_id / buyer_open_id, Stripe the card
 * fingerprint or customer); a keyed hash of it is stored with the payment, and a referral between two
 * accounts that paid as one payer is refused.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { couponsErasure, decideReferrals } from "../../src/coupons";
import { at, type Customer } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, signIn, type Session } from "../support/http";
import {
  alipayNotification,
  alipayTrade,
  pay,
  paymentIntentEvent,
  pendingOrder,
  postWebhook,
  stripeSigned,
  wechatNotification,
  wechatTransaction,
} from "../support/payments";
import { visitTo } from "../support/visit";
import { addTechnician, createWorld, type World } from "../support/world";

const FORM = { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" };

let w: World;
let techSession: Session;
let slot = 0;
let booked = 0;
/** A start of its own for every order of the file (one technician): 13 days × 3 times, three hours apart. */
const nextStart = () => {
  const n = booked++;
  return at(w, 1 + (n % 13), `${String(8 + 3 * Math.floor(n / 13)).padStart(2, "0")}:00`);
};

beforeAll(async () => {
  w = await createWorld(freshCenter());
  techSession = await (await addTechnician(w, w.center)).session();
});

async function customer(): Promise<Customer> {
  const session = await signIn();
  const res = await call("POST", "/v1/me/addresses", {
    token: session.token,
    body: {
      label: "家",
      text: `平安路 ${(slot += 1)} 号`,
      lat: w.center.lat,
      lng: w.center.lng,
      contactName: "李四",
      contactPhone: "13912345678",
    },
  });
  expect(res.status).toBe(201);
  return { session, addressId: res.body.id };
}

type Provider = "wechatpay" | "alipay" | "stripe";

/** The customer pays a fresh order with `provider`, the notification naming `payer`. */
async function payAs(c: Customer, provider: Provider, payer: Record<string, unknown>) {
  const { order } = await pendingOrder(w, {
    customer: c,
    start: nextStart(),
  });
  const payment = (await pay(c, order.id, { provider })).body;
  expect(payment.id).toBeTruthy();
  let res;
  if (provider === "wechatpay") {
    const n = await wechatNotification(wechatTransaction(payment, payer));
    res = await postWebhook("wechatpay", n.body, n.headers);
  } else if (provider === "alipay") {
    res = await postWebhook("alipay", await alipayNotification(alipayTrade(payment, "120.00", payer as Record<string, string>)), FORM);
  } else {
    const s = await stripeSigned(paymentIntentEvent(payment, "payment_intent.succeeded", payer));
    res = await postWebhook("stripe", s.body, s.headers);
  }
  expect(res.status).toBeLessThan(300);
  return payment.id as string;
}

async function referredPair() {
  const referrer = await customer();
  const referee = await customer();
  const code = (await call("GET", "/v1/me/referral", { token: referrer.session.token })).body.code;
  expect((await call("POST", "/v1/me/referral/accept", { token: referee.session.token, body: { code } })).status).toBe(200);
  return { referrer, referee };
}

async function decisionOf(referee: Customer) {
  await visitTo(w, techSession, "completed", {
    customer: referee,
    paid: true,
    start: nextStart(),
  });
  await decideReferrals(env);
  return env.DB.prepare("SELECT status, reason FROM referrals WHERE referee_id = ?").bind(referee.session.accountId).first();
}

const cases: { provider: Provider; same: Record<string, unknown>; other: Record<string, unknown>; raw: string }[] = [
  {
    provider: "wechatpay",
    same: { payer: { openid: "o-shared-person" } },
    other: { payer: { openid: "o-someone-else" } },
    raw: "o-shared-person",
  },
  { provider: "alipay", same: { buyer_id: "2088000000000001" }, other: { buyer_id: "2088000000000002" }, raw: "2088000000000001" },
  {
    provider: "stripe",
    same: { charges: { data: [{ payment_method_details: { card: { fingerprint: "fpSharedCard01" } } }] } },
    other: { charges: { data: [{ payment_method_details: { card: { fingerprint: "fpOtherCard002" } } }] } },
    raw: "fpSharedCard01",
  },
];

describe("the referral guard compares the payer of every provider", () => {
  for (const c of cases) {
    it(`${c.provider}: refuses the reward when both accounts paid as one payer, stores only a keyed hash`, async () => {
      const { referrer, referee } = await referredPair();
      const paid = await payAs(referrer, c.provider, c.same);
      await payAs(referee, c.provider, c.same);
      expect(await decisionOf(referee)).toEqual({ status: "refused", reason: "same_payment_account" });
      const stored = await env.DB.prepare("SELECT provider, payer_hash AS hash FROM payment_payers WHERE payment_id = ?")
        .bind(paid)
        .first<{ provider: string; hash: string }>();
      expect(stored?.provider).toBe(c.provider);
      expect(stored?.hash).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(stored?.hash).not.toContain(c.raw);
    });

    it(`${c.provider}: rewards when the two paid as different payers`, async () => {
      const { referrer, referee } = await referredPair();
      await payAs(referrer, c.provider, c.same);
      await payAs(referee, c.provider, c.other);
      expect(await decisionOf(referee)).toEqual({ status: "rewarded", reason: null });
    });
  }

  it("stripe: the customer names the payer when the event carries no card; alipay: buyer_open_id when there is no buyer_id", async () => {
    const a = await referredPair();
    await payAs(a.referrer, "stripe", { customer: "cus_Shared001" });
    await payAs(a.referee, "stripe", { customer: "cus_Shared001" });
    expect(await decisionOf(a.referee)).toEqual({ status: "refused", reason: "same_payment_account" });
    const b = await referredPair();
    await payAs(b.referrer, "alipay", { buyer_id: "", buyer_open_id: "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5" });
    await payAs(b.referee, "alipay", { buyer_id: "", buyer_open_id: "074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5" });
    expect(await decisionOf(b.referee)).toEqual({ status: "refused", reason: "same_payment_account" });
  });

  it("the same payer id at two providers is two payers", async () => {
    const { referrer, referee } = await referredPair();
    await payAs(referrer, "wechatpay", { payer: { openid: "2088000000000077" } });
    await payAs(referee, "alipay", { buyer_id: "2088000000000077" });
    expect(await decisionOf(referee)).toEqual({ status: "rewarded", reason: null });
  });

  it("an account's deletion removes its payer fingerprints", async () => {
    const c = await customer();
    await payAs(c, "alipay", { buyer_id: "2088000000000099" });
    const count = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM payment_payers WHERE account_id = ?")
        .bind(c.session.accountId)
        .first<{ n: number }>())!.n;
    expect(await count()).toBe(1);
    await env.DB.batch(couponsErasure(env, c.session.accountId, Date.now()).statements);
    expect(await count()).toBe(0);
  });
});

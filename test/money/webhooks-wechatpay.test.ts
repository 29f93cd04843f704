import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { orderOf } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld } from "../support/world";
import { scheduleOf } from "../support/visit";
import {
  SERIALS,
  expectBalanced,
  ledgerOf,
  paymentOf,
  postWebhook,
  strangerKey,
  wechatNotification,
  wechatTransaction,
  type WechatOptions,
} from "../support/payments";

/** Everything a notification could have changed, to compare before and after. */
async function footprint(orderId: string, paymentId: string) {
  const [events, outbox, pays] = await Promise.all([
    env.DB.prepare("SELECT count(*) AS n FROM provider_events WHERE payment_id = ?").bind(paymentId).first<{ n: number }>(),
    env.DB.prepare("SELECT count(*) AS n FROM outbox WHERE topic LIKE 'payment.%' AND payload LIKE ?")
      .bind(`%${orderId}%`)
      .first<{ n: number }>(),
    env.DB.prepare("SELECT status, success_event_id FROM payments WHERE id = ?").bind(paymentId).first(),
  ]);
  return { events: events?.n, outbox: outbox?.n, payment: pays, ledger: (await ledgerOf(orderId)).length };
}

describe("WeChat Pay notifications", () => {
  it("applies a valid TRANSACTION.SUCCESS: payment paid, order confirmed and dispatched, one balanced ledger entry, the customer told", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const { customer, order, payment } = await paymentOf(w);
    const n = await wechatNotification(wechatTransaction(payment));
    const res = await postWebhook("wechatpay", n.body, n.headers);
    expect(res.status).toBe(204);
    const after = await orderOf(customer, order.id);
    expect(after).toMatchObject({ status: "assigned", technician: { id: tech.id }, holdExpiresAt: null });
    expect(after.timeline.map((e: { to: string }) => e.to)).toEqual(["pending_payment", "confirmed", "assigned"]);
    expect(after.payments[0]).toMatchObject({ id: payment.id, status: "succeeded", disposition: "applied", amount: { amount: 12000 } });
    const txs = await ledgerOf(order.id);
    expect(txs.map((t) => t.kind)).toEqual(["payment"]);
    expectBalanced(txs);
    expect(txs[0]!.entries.find((e) => e.account === "provider_clearing:wechatpay")?.amount).toBe(12000);
    const msg = await env.DB.prepare("SELECT payload FROM outbox WHERE topic = 'payment.succeeded' AND payload LIKE ?")
      .bind(`%${payment.id}%`)
      .first<{ payload: string }>();
    expect(JSON.parse(msg!.payload)).toMatchObject({
      orderId: order.id,
      customerId: customer.session.accountId,
      paymentId: payment.id,
      amount: 12000,
    });
    // the hold became a booking on the technician's calendar
    expect((await scheduleOf(w, tech.id)).map((i) => i[3])).toEqual(["booked"]);
  });

  it("accepts either of two platform serials during a key switch", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    await addTechnician(w, w.center);
    for (const serial of SERIALS) {
      const { customer, order, payment } = await paymentOf(w);
      const n = await wechatNotification(wechatTransaction(payment), { serial });
      expect((await postWebhook("wechatpay", n.body, n.headers)).status).toBe(204);
      expect((await orderOf(customer, order.id)).status).not.toBe("pending_payment");
    }
  });

  const rejections: [string, RegExp, (payment: any) => Promise<{ body: string; headers: Record<string, string> }>][] = [
    [
      "a tampered body",
      /signature invalid/,
      async (p) => {
        const n = await wechatNotification(wechatTransaction(p));
        return { ...n, body: n.body.replace('"summary":"支付成功"', '"summary":"支付成功 "') };
      },
    ],
    [
      "a signature by another key",
      /signature invalid/,
      async (p) => wechatNotification(wechatTransaction(p), { key: await strangerKey() }),
    ],
    [
      "a stale timestamp (5 minutes old)",
      /timestamp/,
      async (p) => wechatNotification(wechatTransaction(p), { timestamp: Math.floor(Date.now() / 1000) - 300 }),
    ],
    [
      "a future timestamp",
      /timestamp/,
      async (p) => wechatNotification(wechatTransaction(p), { timestamp: Math.floor(Date.now() / 1000) + 400 }),
    ],
    [
      "an unknown serial",
      /unknown Wechatpay-Serial/,
      async (p) => wechatNotification(wechatTransaction(p), { serial: "PUB_KEY_ID_0000000000000000000000" }),
    ],
    [
      "a SIGNTEST probe",
      /signature invalid/,
      async (p) => wechatNotification(wechatTransaction(p), { signature: "WECHATPAY/SIGNTEST/" + btoa("probe".repeat(40)) }),
    ],
    [
      "the wrong AES-GCM associated data",
      /does not decrypt/,
      async (p) => wechatNotification(wechatTransaction(p), { associatedData: "transaction", encryptAad: "refund" }),
    ],
    [
      "a resource under another APIv3 key",
      /does not decrypt/,
      async (p) => wechatNotification(wechatTransaction(p), { apiV3Key: "ffffffffffffffffffffffffffffffff" }),
    ],
    [
      "a missing Wechatpay-Nonce",
      /header is missing/,
      async (p) => wechatNotification(wechatTransaction(p), { omitHeader: "Wechatpay-Nonce" } as WechatOptions),
    ],
    ["another merchant's mchid", /mchid/, async (p) => wechatNotification(wechatTransaction(p, { mchid: "1900000999" }))],
    ["another app's appid", /appid/, async (p) => wechatNotification(wechatTransaction(p, { appid: "wx0000000000000999" }))],
    [
      "an amount that is not our payment's",
      /amount/,
      async (p) => wechatNotification(wechatTransaction(p, { amount: { total: 1, payer_total: 1, currency: "CNY" } })),
    ],
    ["an unknown out_trade_no", /unknown out_trade_no/, async (p) => wechatNotification(wechatTransaction({ ...p, id: "pay_unknown" }))],
  ];

  it.each(rejections)("rejects %s with FAIL and changes nothing", async (_name, reason, build) => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order, payment } = await paymentOf(w);
    const before = await footprint(order.id, payment.id);
    const n = await build(payment);
    const res = await postWebhook("wechatpay", n.body, n.headers);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body).toMatchObject({ code: "FAIL" });
    expect(res.body.message).toMatch(reason);
    expect(await footprint(order.id, payment.id)).toEqual(before);
    expect((await orderOf(customer, order.id)).status).toBe("pending_payment");
  });

  it("applies the same event delivered ten times concurrently exactly once", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order, payment } = await paymentOf(w);
    const n = await wechatNotification(wechatTransaction(payment));
    const answers = await Promise.all(Array.from({ length: 10 }, () => postWebhook("wechatpay", n.body, n.headers)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(204));
    // and once more afterwards
    expect((await postWebhook("wechatpay", n.body, n.headers)).status).toBe(204);
    const after = await orderOf(customer, order.id);
    expect(after.timeline.filter((e: { to: string }) => e.to === "confirmed")).toHaveLength(1);
    expect(after.status).toBe("assigned");
    const txs = await ledgerOf(order.id);
    expect(txs.map((t) => t.kind)).toEqual(["payment"]);
    expect((await footprint(order.id, payment.id)).events).toBe(1);
    const sent = await env.DB.prepare("SELECT count(*) AS n FROM outbox WHERE topic = 'payment.succeeded' AND payload LIKE ?")
      .bind(`%${payment.id}%`)
      .first<{ n: number }>();
    expect(sent?.n).toBe(1);
  });

  it("a second, different notification of the same payment changes nothing more", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order, payment } = await paymentOf(w);
    const first = await wechatNotification(wechatTransaction(payment));
    const second = await wechatNotification(wechatTransaction(payment));
    await Promise.all([postWebhook("wechatpay", first.body, first.headers), postWebhook("wechatpay", second.body, second.headers)]);
    expect((await ledgerOf(order.id)).map((t) => t.kind)).toEqual(["payment"]);
    expect((await orderOf(customer, order.id)).timeline.filter((e: { to: string }) => e.to === "confirmed")).toHaveLength(1);
  });
});

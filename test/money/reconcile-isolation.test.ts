/**
 * The reconciliation pass isolates its items: one payment, refund or withdrawal whose provider call
 * fails (a 5xx, a timeout, an answer that cannot be believed) is logged without personal data,
 * counted as `failed` and tried again on the next pass, while the others are settled.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { outBillNo } from "../../src/adapters/wechatpay";
import { reconcilePendingPayments } from "../../src/money/reconcile.service";
import { at } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { callWith } from "../support/http";
import { pendingOrder } from "../support/payments";
import { approve, technicianWith, withdraw, withdrawal } from "../support/payouts";
import { WechatPayFake, liveEnv } from "../support/wechatpay-fake";
import { addTechnician, createWorld } from "../support/world";

let fake: WechatPayFake;
beforeEach(() => {
  fake = new WechatPayFake().install();
});
afterEach(() => fake.uninstall());
const live = liveEnv({ WITHDRAWAL_PAYOUT_PROVIDER: "wechatpay" });

const paymentStatus = async (id: string) =>
  (await env.DB.prepare("SELECT status FROM payments WHERE id = ?").bind(id).first<{ status: string }>())?.status;

describe("one failing item does not stop the reconciliation pass", () => {
  it("three pending payments, the middle one's query fails: the other two are paid, it is counted and paid on the next pass", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const ids: string[] = [];
    for (const time of ["09:00", "13:00", "17:00"]) {
      const { customer, order } = await pendingOrder(w, { start: at(w, 2, time) });
      const res = await callWith(live, "POST", `/v1/orders/${order.id}/payments`, {
        token: customer.session.token,
        headers: { "Idempotency-Key": `isolation-${order.id}` },
        body: { provider: "wechatpay" },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids.push(res.body.id);
      fake.pay(res.body.id);
    }
    // The notifications were lost; WeChat Pay answers 500 about the middle trade only.
    fake.faults = { serverErrorFor: ids[1]! };
    const warned = vi.spyOn(console, "warn");
    const first = await reconcilePendingPayments(live);
    expect(first).toMatchObject({ queried: 3, paid: 2, failed: 1 });
    expect(await Promise.all(ids.map(paymentStatus))).toEqual(["succeeded", "pending", "succeeded"]);
    const line = warned.mock.calls.map((a) => String(a[0])).find((l) => l.includes("reconcile.item_failed"))!;
    expect(JSON.parse(line)).toMatchObject({ what: "payment", id: ids[1], error: "ProviderError", retryable: true });
    // No personal data in it: ids and the provider's status only.
    expect(line).not.toMatch(/\+86|openid|oUpF8/);
    warned.mockRestore();

    fake.faults = {};
    expect(await reconcilePendingPayments(live)).toMatchObject({ queried: 1, paid: 1, failed: 0 });
    expect(await Promise.all(ids.map(paymentStatus))).toEqual(["succeeded", "succeeded", "succeeded"]);
  });

  it("three processing withdrawals, the middle one's transfer query fails: the other two are paid, it is paid on the next pass", async () => {
    const m = await technicianWith(30_000, { provider: "wechatpay", openId: "oTechIsolation000000001" });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const wd = await withdraw(live, m.techSession, 10_000);
      expect(wd.status, JSON.stringify(wd.body)).toBe(201);
      expect((await approve(live, m, wd.body.id)).body.status).toBe("processing");
      fake.settleBill(outBillNo(wd.body.id), "SUCCESS");
      ids.push(wd.body.id);
    }
    fake.faults = { serverErrorFor: outBillNo(ids[1]!) };
    const first = await reconcilePendingPayments(live);
    expect(first).toMatchObject({ payoutsSettled: 2, failed: 1 });
    expect((await Promise.all(ids.map(withdrawal))).map((x) => x?.status)).toEqual(["paid", "processing", "paid"]);

    fake.faults = {};
    expect(await reconcilePendingPayments(live)).toMatchObject({ payoutsSettled: 1, failed: 0 });
    expect((await Promise.all(ids.map(withdrawal))).map((x) => x?.status)).toEqual(["paid", "paid", "paid"]);
  });
});

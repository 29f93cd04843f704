/**
 * Payouts through Alipay (alipay.fund.trans.uni.transfer, out_biz_no = our withdrawal id) with the
 * live client against the fake gateway: a transfer Alipay is still dealing with is processing until
 * alipay.fund.trans.common.query says it is final; a gateway that does not answer leaves the
 * withdrawal approved for reconciliation and tells the operator.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reconcilePendingPayments } from "../../src/money/reconcile.service";
import { FakeAlipay, alipayLiveEnv } from "../support/alipay-fake";
import { callWith, expectProblem } from "../support/http";
import { withdrawalLedger } from "../support/payments";
import { approve, technicianWith, totals, withdraw, withdrawal } from "../support/payouts";

describe("Alipay transfers", () => {
  let fake: FakeAlipay;
  beforeEach(() => {
    fake = new FakeAlipay().install();
  });
  afterEach(() => fake.uninstall());
  const live = alipayLiveEnv({ WITHDRAWAL_PAYOUT_PROVIDER: "alipay" });
  const payee = { provider: "alipay", identity: "tech.payout@example.com", identityType: "ALIPAY_LOGON_ID", realName: "李四" };

  it("a transfer Alipay is still dealing with is processing until alipay.fund.trans.common.query says SUCCESS or FAIL", async () => {
    const m = await technicianWith(50_000, payee);
    fake.transferStatus = "DEALING";
    const ok = await withdraw(live, m.techSession, 20_000);
    const bad = await withdraw(live, m.techSession, 10_000);
    expect((await approve(live, m, ok.body.id)).body).toMatchObject({ status: "processing" });
    expect((await approve(live, m, bad.body.id)).body).toMatchObject({ status: "processing" });
    expect(fake.transfers.get(ok.body.id)).toMatchObject({ amount: "200.00", name: "李四", status: "DEALING" });

    await reconcilePendingPayments(live);
    expect(await withdrawal(ok.body.id)).toMatchObject({ status: "processing" });
    expect(fake.calls.filter((c) => c === "alipay.fund.trans.common.query").length).toBeGreaterThanOrEqual(2);

    fake.settleTransfer(ok.body.id, "SUCCESS");
    fake.settleTransfer(bad.body.id, "FAIL", "PAYEE_CARD_INFO_ERROR");
    await reconcilePendingPayments(live);
    expect(await withdrawal(ok.body.id)).toMatchObject({ status: "paid", payoutRef: fake.transfers.get(ok.body.id)!.orderId });
    expect(await withdrawalLedger(ok.body.id)).toEqual({
      payout_request: { [`technician_payable:${m.tech.id}`]: 20_000, payouts_payable: -20_000 },
      withdrawal: { payouts_payable: 20_000, "provider_clearing:alipay": -20_000 },
    });
    expect(await withdrawal(bad.body.id)).toMatchObject({ status: "failed", reason: "payout fail: PAYEE_CARD_INFO_ERROR" });
    expect(Object.keys(await withdrawalLedger(bad.body.id))).toEqual(["payout_request", "payout_reversal"]);
    expect(await totals(m.techSession)).toMatchObject({ available: { amount: 30_000 }, withdrawn: { amount: 20_000 } });
    // Each transfer was asked for once under its out_biz_no.
    expect(fake.calls.filter((c) => c === "alipay.fund.trans.uni.transfer")).toHaveLength(2);
  });

  it("Alipay timing out or answering 5xx at approval: 503 PAYOUT_DELAYED; reconciliation sends it again under the same out_biz_no", async () => {
    const m = await technicianWith(50_000, payee);
    const quick = alipayLiveEnv({ WITHDRAWAL_PAYOUT_PROVIDER: "alipay", ALIPAY_TIMEOUT_MS: "50" });
    const a = await withdraw(quick, m.techSession, 10_000);
    fake.hang = true;
    expectProblem(await approve(quick, m, a.body.id), 503, "PAYOUT_DELAYED");
    fake.hang = false;
    const b = await withdraw(live, m.techSession, 10_000);
    fake.status = 502;
    expectProblem(await approve(live, m, b.body.id), 503, "PAYOUT_DELAYED");
    expect(fake.transfers.size).toBe(0);
    for (const id of [a.body.id, b.body.id]) expect(await withdrawal(id)).toMatchObject({ status: "approved" });

    fake.status = 200;
    await reconcilePendingPayments(live);
    for (const id of [a.body.id, b.body.id]) {
      expect(await withdrawal(id)).toMatchObject({ status: "paid" });
      expect(await withdrawalLedger(id)).toEqual({
        withdrawal: { [`technician_payable:${m.tech.id}`]: 10_000, "provider_clearing:alipay": -10_000 },
      });
    }
    expect(fake.transfers.size).toBe(2);
  });
  it("a payee Alipay does not know (PAYEE_NOT_EXIST) fails the withdrawal with the reason, its money back, listed as failed", async () => {
    const m = await technicianWith(50_000, { ...payee, identity: "nobody@example.com" });
    const wd = await withdraw(live, m.techSession, 15_000);
    const approved = await approve(live, m, wd.body.id);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ status: "failed" });
    expect(approved.body.reason).toContain("PAYEE_NOT_EXIST");
    expect(await withdrawalLedger(wd.body.id)).toEqual({});
    expect(await totals(m.techSession)).toMatchObject({ available: { amount: 50_000 }, withdrawing: { amount: 0 } });
    const failed = await callWith(live, "GET", "/v1/admin/withdrawals?status=failed", { token: m.merchantAdmin.token });
    expect(failed.body.items).toContainEqual(expect.objectContaining({ id: wd.body.id, status: "failed" }));
    const sent = fake.calls.filter((c) => c === "alipay.fund.trans.uni.transfer").length;
    await reconcilePendingPayments(live);
    expect(fake.calls.filter((c) => c === "alipay.fund.trans.uni.transfer")).toHaveLength(sent);
  });
});

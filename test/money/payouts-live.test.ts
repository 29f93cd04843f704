/**
 * Payouts through WeChat Pay's merchant transfers with the live client against the fake: a withdrawal
 * counts as paid only when WeChat Pay says SUCCESS (the transfer query or its notification);
 * a failure returns the money to the technician's balance through the ledger; a provider that does
 * not answer leaves the withdrawal approved for reconciliation and tells the operator.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { outBillNo, wechatpayApi, wechatpayClient } from "../../src/adapters/wechatpay";
import { reconcilePendingPayments } from "../../src/money/reconcile.service";
import { call, callWith, expectProblem } from "../support/http";
import { postWebhook, strangerKey, withdrawalLedger } from "../support/payments";
import { approve, outbox, technicianWith, totals, withdraw, withdrawal } from "../support/payouts";
import { WechatPayFake, liveEnv } from "../support/wechatpay-fake";

const OPENID = "oTechPayout0000000001";

describe("WeChat Pay merchant transfers", () => {
  let fake: WechatPayFake;
  beforeEach(() => {
    fake = new WechatPayFake().install();
  });
  afterEach(() => fake.uninstall());
  const live = liveEnv({ WITHDRAWAL_PAYOUT_PROVIDER: "wechatpay" });

  it("a transfer WeChat Pay accepted is processing, its money set aside, until the transfer query says SUCCESS", async () => {
    const m = await technicianWith(50_000, { provider: "wechatpay", openId: OPENID });
    const wd = await withdraw(live, m.techSession, 30_000);
    expect(wd.status, JSON.stringify(wd.body)).toBe(201);

    const approved = await approve(live, m, wd.body.id);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const bill = fake.bills.get(outBillNo(wd.body.id))!;
    expect(bill).toMatchObject({ state: "ACCEPTED", amount: 30_000, openid: OPENID });
    // WeChat Pay reports the final state to our webhook.
    expect(bill.notify_url).toMatch(/\/v1\/webhooks\/wechatpay$/);
    expect(approved.body).toMatchObject({ status: "processing", payoutRef: bill.transfer_bill_no, paidAt: null });
    expect(await withdrawalLedger(wd.body.id)).toEqual({
      payout_request: { [`technician_payable:${m.tech.id}`]: 30_000, payouts_payable: -30_000 },
    });
    expect(await totals(m.techSession)).toMatchObject({
      available: { amount: 20_000 },
      withdrawing: { amount: 30_000 },
      withdrawn: { amount: 0 },
    });

    // Still on its way (ACCEPTED, then WAIT_USER_CONFIRM and TRANSFERING): nothing changes.
    for (const state of ["ACCEPTED", "WAIT_USER_CONFIRM", "TRANSFERING"]) {
      fake.settleBill(bill.out_bill_no, state);
      await reconcilePendingPayments(live);
      expect(await withdrawal(wd.body.id)).toMatchObject({ status: "processing" });
    }
    expect(await outbox(wd.body.id)).toEqual([]);

    fake.settleBill(bill.out_bill_no, "SUCCESS");
    const pass = await reconcilePendingPayments(live);
    expect(pass.payoutsSettled).toBeGreaterThanOrEqual(1);
    expect(await withdrawal(wd.body.id)).toMatchObject({ status: "paid", payoutRef: bill.transfer_bill_no });
    expect(await withdrawalLedger(wd.body.id)).toEqual({
      payout_request: { [`technician_payable:${m.tech.id}`]: 30_000, payouts_payable: -30_000 },
      withdrawal: { payouts_payable: 30_000, "provider_clearing:wechatpay": -30_000 },
    });
    expect(await totals(m.techSession)).toMatchObject({
      available: { amount: 20_000 },
      withdrawing: { amount: 0 },
      withdrawn: { amount: 30_000 },
    });
    expect(await outbox(wd.body.id)).toEqual(["withdrawal.paid"]);
    // One transfer bill was ever created; every later look was a signed query by out_bill_no.
    expect(fake.seen.filter((x) => x.method === "POST")).toHaveLength(1);
    expect(
      fake.seen.filter((x) => x.path === `/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/${bill.out_bill_no}`).length,
    ).toBeGreaterThan(3);
  });

  it("a transfer that fails gives the money back through the ledger, and operators see the reason", async () => {
    const m = await technicianWith(50_000, { provider: "wechatpay", openId: OPENID });
    const wd = await withdraw(live, m.techSession, 50_000);
    expect((await approve(live, m, wd.body.id)).body.status).toBe("processing");
    expect((await totals(m.techSession)).available.amount).toBe(0);

    fake.settleBill(outBillNo(wd.body.id), "FAIL", "PAYEE_ACCOUNT_ABNORMAL");
    await reconcilePendingPayments(live);
    expect(await withdrawal(wd.body.id)).toMatchObject({ status: "failed", reason: "transfer fail: PAYEE_ACCOUNT_ABNORMAL" });
    expect(await withdrawalLedger(wd.body.id)).toEqual({
      payout_request: { [`technician_payable:${m.tech.id}`]: 50_000, payouts_payable: -50_000 },
      payout_reversal: { [`technician_payable:${m.tech.id}`]: -50_000, payouts_payable: 50_000 },
    });
    expect(await totals(m.techSession)).toMatchObject({
      available: { amount: 50_000 },
      withdrawing: { amount: 0 },
      withdrawn: { amount: 0 },
    });
    expect(await outbox(wd.body.id)).toEqual(["withdrawal.failed"]);

    const listed = await call("GET", `/v1/admin/withdrawals?status=failed&technicianId=${m.tech.id}`, { token: m.w.admin.token });
    expect(listed.body.items).toMatchObject([{ id: wd.body.id, status: "failed", reason: "transfer fail: PAYEE_ACCOUNT_ABNORMAL" }]);

    // A later pass changes nothing; the money can be withdrawn again.
    await reconcilePendingPayments(live);
    expect(Object.keys(await withdrawalLedger(wd.body.id))).toEqual(["payout_request", "payout_reversal"]);
    expect((await withdraw(live, m.techSession, 50_000)).status).toBe(201);
  });

  it("the transfer notification finishes the withdrawal once; duplicates, forgeries and strangers' bills change nothing", async () => {
    const m = await technicianWith(60_000, { provider: "wechatpay", openId: OPENID });
    const paid = await withdraw(live, m.techSession, 20_000);
    const failed = await withdraw(live, m.techSession, 30_000);
    await approve(live, m, paid.body.id);
    await approve(live, m, failed.body.id);

    fake.settleBill(outBillNo(paid.body.id), "SUCCESS");
    const notice = await fake.transferNotification(outBillNo(paid.body.id));
    const first = await postWebhook("wechatpay", notice.body, notice.headers);
    expect(first.status, JSON.stringify(first.body)).toBe(204);
    expect(await withdrawal(paid.body.id)).toMatchObject({ status: "paid" });
    const again = await postWebhook("wechatpay", notice.body, notice.headers);
    expect(again.status).toBe(204);
    expect(Object.keys(await withdrawalLedger(paid.body.id))).toEqual(["payout_request", "withdrawal"]);
    expect(await outbox(paid.body.id)).toEqual(["withdrawal.paid"]);

    // Signed by a key that is not WeChat Pay's: refused, nothing changes.
    fake.settleBill(outBillNo(failed.body.id), "FAIL", "PAYEE_ACCOUNT_ABNORMAL");
    const forged = await fake.transferNotification(outBillNo(failed.body.id), { key: await strangerKey() });
    expectProblem(await postWebhook("wechatpay", forged.body, forged.headers), 400, "FAIL");
    expect(await withdrawal(failed.body.id)).toMatchObject({ status: "processing" });
    // A bill that is not ours, or whose amount is not our withdrawal's: a security event, refused.
    fake.bills.set("wdrNOTOURS0000000000000000", {
      ...fake.bills.get(outBillNo(failed.body.id))!,
      out_bill_no: "wdrNOTOURS0000000000000000",
    });
    const stranger = await fake.transferNotification("wdrNOTOURS0000000000000000");
    expectProblem(await postWebhook("wechatpay", stranger.body, stranger.headers), 400, "FAIL");
    fake.bills.get(outBillNo(failed.body.id))!.amount = 1;
    const wrongAmount = await fake.transferNotification(outBillNo(failed.body.id));
    expectProblem(await postWebhook("wechatpay", wrongAmount.body, wrongAmount.headers), 400, "FAIL");
    expect(await withdrawal(failed.body.id)).toMatchObject({ status: "processing" });

    fake.bills.get(outBillNo(failed.body.id))!.amount = 30_000;
    const fail = await fake.transferNotification(outBillNo(failed.body.id));
    expect((await postWebhook("wechatpay", fail.body, fail.headers)).status).toBe(204);
    expect(await withdrawal(failed.body.id)).toMatchObject({ status: "failed", reason: "transfer fail: PAYEE_ACCOUNT_ABNORMAL" });
    expect(Object.keys(await withdrawalLedger(failed.body.id))).toEqual(["payout_request", "payout_reversal"]);
    expect(await totals(m.techSession)).toMatchObject({ available: { amount: 40_000 }, withdrawn: { amount: 20_000 } });
  });

  it("transfers of ¥2,000 or more need the payee's real name: 409 without it, sent RSA-OAEP encrypted with it", async () => {
    const m = await technicianWith(300_000, { provider: "wechatpay", openId: OPENID });
    const zh = await withdraw(live, m.techSession, 200_000, "zh-CN");
    expectProblem(zh, 409, "PAYEE_NAME_REQUIRED");
    expect(zh.body.detail).toBe("微信转账 2000.00 元及以上需要收款人真实姓名：请先在微信收款账户中填写（PUT /v1/technician/payee）。");
    const en = await withdraw(live, m.techSession, 200_000, "en");
    expect(en.body.detail).toBe(
      "WeChat Pay transfers of ¥2000.00 or more need your real name: add it to your WeChat payout account (PUT /v1/technician/payee) first.",
    );
    expect((await call("GET", "/v1/technician/withdrawals", { token: m.techSession.token })).body.items).toEqual([]);

    const named = await call("PUT", "/v1/technician/payee", {
      token: m.techSession.token,
      body: { provider: "wechatpay", openId: OPENID, realName: "张三" },
    });
    expect(named.body).toMatchObject({ provider: "wechatpay", realName: "*三" });
    const wd = await withdraw(live, m.techSession, 200_000);
    expect(wd.status, JSON.stringify(wd.body)).toBe(201);
    expect((await approve(live, m, wd.body.id)).body.status).toBe("processing");
    // The fake decrypted user_name with the private key of the serial the request named.
    const bill = fake.bills.get(outBillNo(wd.body.id))!;
    expect(bill.user_name).toBe("张三");
    const sent = fake.seen.find((x) => x.method === "POST" && x.path === "/v3/fund-app/mch-transfer/transfer-bills")!;
    expect(sent.body).not.toContain("张三");
    expect(JSON.parse(sent.body).user_name).toMatch(/^[A-Za-z0-9+/]{300,}={0,2}$/);

    // Below ¥2,000 the name is not sent.
    const small = await withdraw(live, m.techSession, 19_999);
    await approve(live, m, small.body.id);
    expect(fake.bills.get(outBillNo(small.body.id))!.user_name).toBeUndefined();
  });

  it("the fake refuses a ¥2,000 transfer without user_name, and the client never sends one", async () => {
    const api = wechatpayApi(live);
    const refused = await api.call("POST", "/v3/fund-app/mch-transfer/transfer-bills", {
      appid: env.WECHATPAY_APPID,
      out_bill_no: "wdrNONAME00000000000001",
      transfer_scene_id: "1005",
      openid: OPENID,
      transfer_amount: 200_000,
      transfer_remark: "x",
    });
    expect(refused.status).toBe(400);
    expect(fake.bills.size).toBe(0);
    const answer = await wechatpayClient(live).payout({
      withdrawalId: "wdr_NONAME00000000000002",
      provider: "wechatpay",
      technicianId: "tch_x",
      amount: 200_000,
      currency: "CNY",
      payeeOpenId: OPENID,
    });
    expect(answer).toEqual({ status: "failed", reason: "transfers of ¥2,000 or more need the payee's real name" });
    expect(fake.seen.filter((x) => x.method === "POST")).toHaveLength(1);
  });

  it("WeChat Pay timing out or answering 5xx at approval: 503 PAYOUT_DELAYED, still approved, paid out by reconciliation once", async () => {
    const m = await technicianWith(50_000, { provider: "wechatpay", openId: OPENID });
    const quick = liveEnv({ WITHDRAWAL_PAYOUT_PROVIDER: "wechatpay", WECHATPAY_TIMEOUT_MS: "50" });
    const a = await withdraw(quick, m.techSession, 10_000);
    fake.faults = { hang: true };
    const timedOut = await approve(quick, m, a.body.id, "en");
    expectProblem(timedOut, 503, "PAYOUT_DELAYED");
    expect(timedOut.body.detail).toBe(
      "The withdrawal is approved, but WeChat Pay did not answer; it is paid out automatically once the provider answers.",
    );
    expect(timedOut.body.withdrawal).toMatchObject({ id: a.body.id, status: "approved" });
    expect(await withdrawal(a.body.id)).toMatchObject({ status: "approved", payoutRef: null });
    expect(await withdrawalLedger(a.body.id)).toEqual({});
    // The decision stands: approving again is a conflict, not a second payout.
    fake.faults = {};
    expectProblem(await approve(quick, m, a.body.id), 409, "WITHDRAWAL_DECIDED");

    const b = await withdraw(live, m.techSession, 10_000);
    fake.faults = { serverError: true };
    const down = await approve(live, m, b.body.id, "zh-CN");
    expectProblem(down, 503, "PAYOUT_DELAYED");
    expect(down.body.detail).toBe("提现已批准，但微信支付暂时无响应；恢复后系统将自动打款。");
    expect(fake.bills.size).toBe(0);

    // The provider is back: reconciliation sends both, each once, under its out_bill_no.
    fake.faults = {};
    await reconcilePendingPayments(live);
    for (const id of [a.body.id, b.body.id]) {
      expect(await withdrawal(id)).toMatchObject({ status: "processing" });
      expect(fake.bills.get(outBillNo(id))).toMatchObject({ amount: 10_000 });
    }
    await reconcilePendingPayments(live);
    expect(fake.seen.filter((x) => x.method === "POST" && x.status === 200)).toHaveLength(2);
    for (const id of [a.body.id, b.body.id]) fake.settleBill(outBillNo(id));
    await reconcilePendingPayments(live);
    for (const id of [a.body.id, b.body.id]) expect(await withdrawal(id)).toMatchObject({ status: "paid" });
  });
  it("WAIT_USER_CONFIRM: the technician's withdrawal carries confirmation { mchId, appId, package } until the transfer is final", async () => {
    const m = await technicianWith(50_000, { provider: "wechatpay", openId: OPENID });
    fake.newBillState = "WAIT_USER_CONFIRM";
    const wd = await withdraw(live, m.techSession, 12_000);
    const approved = await approve(live, m, wd.body.id);
    expect(approved.body).toMatchObject({ status: "processing" });
    const pkg = `affffddafdfafddffda==${outBillNo(wd.body.id)}`;
    const mine = async () =>
      (await callWith(live, "GET", "/v1/technician/withdrawals", { token: m.techSession.token })).body.items.find(
        (w: { id: string }) => w.id === wd.body.id,
      );
    expect(await mine()).toMatchObject({
      status: "processing",
      confirmation: { mchId: live.WECHATPAY_MCHID, appId: live.WECHATPAY_APPID, package: pkg },
    });
    // Operators do not get the technician's confirmation package.
    const staff = await callWith(live, "GET", `/v1/admin/withdrawals?technicianId=${m.tech.id}`, { token: m.merchantAdmin.token });
    expect(staff.body.items[0]).not.toHaveProperty("confirmation");

    fake.settleBill(outBillNo(wd.body.id), "SUCCESS");
    await reconcilePendingPayments(live);
    expect(await mine()).toMatchObject({ status: "paid", confirmation: null });
  });

  it("a transfer WeChat Pay refuses (403 NOT_ENOUGH) fails the withdrawal with the reason, its money back; a 429 stays approved", async () => {
    const m = await technicianWith(50_000, { provider: "wechatpay", openId: OPENID });
    const wd = await withdraw(live, m.techSession, 20_000);
    fake.refuseTransfer = { status: 403, code: "NOT_ENOUGH", message: "商户运营账户资金不足" };
    const approved = await approve(live, m, wd.body.id);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ status: "failed", reason: "payout refused: NOT_ENOUGH" });
    expect(await withdrawalLedger(wd.body.id)).toEqual({});
    expect(await outbox(wd.body.id)).toEqual(["withdrawal.failed"]);
    expect(await totals(m.techSession)).toMatchObject({ available: { amount: 50_000 }, withdrawing: { amount: 0 } });
    const failed = await callWith(live, "GET", "/v1/admin/withdrawals?status=failed", { token: m.merchantAdmin.token });
    expect(failed.body.items.map((w: { id: string }) => w.id)).toContain(wd.body.id);
    // Not retried: reconciliation leaves a failed withdrawal alone.
    const posts = fake.seen.length;
    await reconcilePendingPayments(live);
    expect(await withdrawal(wd.body.id)).toMatchObject({ status: "failed" });
    expect(fake.seen.slice(posts).filter((s) => JSON.stringify(s).includes(outBillNo(wd.body.id)))).toEqual([]);

    // Rate limited: worth trying again, so the approval stands for reconciliation.
    const later = await withdraw(live, m.techSession, 10_000);
    fake.refuseTransfer = { status: 429, code: "FREQUENCY_LIMITED", message: "频率超限" };
    expectProblem(await approve(live, m, later.body.id), 503, "PAYOUT_DELAYED");
    expect(await withdrawal(later.body.id)).toMatchObject({ status: "approved" });
    fake.refuseTransfer = null;
    await reconcilePendingPayments(live);
    expect(await withdrawal(later.body.id)).toMatchObject({ status: "processing" });
  });
});

import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { outBillNo } from "../../src/adapters/wechatpay";
import { payoutPayee } from "../../src/technicians/payees.service";
import { at } from "../support/booking";
import { createMerchant, signInMerchantAdmin } from "../support/catalog";
import { call, callWith, expectProblem, signIn, type Session } from "../support/http";
import { completeVisit, paidOrder } from "../support/payments";
import { WechatPayFake, liveEnv } from "../support/wechatpay-fake";
import { addTechnician, merchantWorld } from "../support/world";

const OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
const ALIPAY_LOGIN = "payee.zhang@example.com";
const REAL_NAME = "张三丰";

const getPayee = (s: Session) => call("GET", "/v1/technician/payee", { token: s.token });
const putPayee = (s: Session, body: unknown) => call("PUT", "/v1/technician/payee", { token: s.token, body });
const rawRows = (technicianId: string) =>
  env.DB.prepare("SELECT * FROM technician_payees WHERE technician_id = ? ORDER BY provider").bind(technicianId).all();

describe("technician payout accounts", () => {
  it("sets, reads masked, replaces and deletes; stored encrypted", async () => {
    const m = await merchantWorld();
    const s = m.techSession;
    expect((await getPayee(s)).body).toEqual({ items: [] });

    const set = await putPayee(s, { provider: "wechatpay", openId: OPENID });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ provider: "wechatpay", account: "oUp****eS6o", accountType: "WECHAT_OPENID", realName: null });

    const ali = await putPayee(s, { provider: "alipay", identity: ALIPAY_LOGIN, identityType: "ALIPAY_LOGON_ID", realName: REAL_NAME });
    expect(ali.status).toBe(200);
    expect(ali.body).toMatchObject({ provider: "alipay", account: "pay****.com", accountType: "ALIPAY_LOGON_ID", realName: "**丰" });

    let listed = (await getPayee(s)).body.items;
    expect(listed.map((p: { provider: string }) => p.provider)).toEqual(["alipay", "wechatpay"]);
    expect(JSON.stringify(listed)).not.toContain(OPENID);
    expect(JSON.stringify(listed)).not.toContain(REAL_NAME);

    // PII at rest: the raw rows hold ciphertext only
    const rows = (await rawRows(m.tech.id)).results;
    expect(rows).toHaveLength(2);
    const raw = JSON.stringify(rows);
    for (const clear of [OPENID, ALIPAY_LOGIN, REAL_NAME]) expect(raw).not.toContain(clear);
    expect(rows.every((r) => String(r.account_enc).startsWith("pii1."))).toBe(true);

    // replacing keeps one account per provider
    const replaced = await putPayee(s, { provider: "wechatpay", openId: "oNewOpenId0000000001" });
    expect(replaced.body).toMatchObject({ provider: "wechatpay", account: "oNe****0001" });
    expect((await rawRows(m.tech.id)).results).toHaveLength(2);

    // a payout names the stored account in clear to the provider
    expect(await payoutPayee(env, m.tech.id, "alipay")).toEqual({
      payee: { identity: ALIPAY_LOGIN, identityType: "ALIPAY_LOGON_ID", name: REAL_NAME },
    });
    expect(await payoutPayee(env, m.tech.id, "wechatpay")).toEqual({ payeeOpenId: "oNewOpenId0000000001" });
    expect(await payoutPayee(env, m.tech.id, "stripe")).toBeNull();

    expect((await call("DELETE", "/v1/technician/payee/alipay", { token: s.token })).status).toBe(204);
    expectProblem(await call("DELETE", "/v1/technician/payee/alipay", { token: s.token }), 404);
    listed = (await getPayee(s)).body.items;
    expect(listed).toMatchObject([{ provider: "wechatpay", account: "oNe****0001" }]);
  });

  it("refuses invalid input with 400 problem+json, changing nothing", async () => {
    const m = await merchantWorld();
    const s = m.techSession;
    await putPayee(s, { provider: "wechatpay", openId: OPENID });
    const before = JSON.stringify((await rawRows(m.tech.id)).results);
    for (const body of [
      {},
      { provider: "stripe", openId: OPENID },
      { provider: "wechatpay", openId: "has spaces in it" },
      { provider: "wechatpay", openId: OPENID, extra: 1 },
      { provider: "alipay", identity: ALIPAY_LOGIN, identityType: "ALIPAY_LOGON_ID" },
      { provider: "alipay", identity: ALIPAY_LOGIN, identityType: "EMAIL", realName: REAL_NAME },
      { provider: "alipay", identity: " ", identityType: "ALIPAY_USER_ID", realName: REAL_NAME },
      { provider: "alipay", openId: OPENID, identity: ALIPAY_LOGIN, identityType: "ALIPAY_LOGON_ID", realName: REAL_NAME },
    ]) {
      expectProblem(await putPayee(s, body), 400, "VALIDATION_FAILED");
    }
    expectProblem(await call("DELETE", "/v1/technician/payee/stripe", { token: s.token }), 400);
    // Without an openid the WeChat one bound to the account is meant; there is none here.
    expectProblem(await putPayee(s, { provider: "wechatpay" }), 409, "WECHAT_NOT_BOUND");
    expect(JSON.stringify((await rawRows(m.tech.id)).results)).toBe(before);
  });

  it("is the technician's own; staff see it masked within their scope", async () => {
    const m = await merchantWorld();
    await putPayee(m.techSession, {
      provider: "alipay",
      identity: "2088102146225135",
      identityType: "ALIPAY_USER_ID",
      realName: REAL_NAME,
    });

    // another technician sees only their own (none), and cannot reach this one's through staff routes
    const other = await addTechnician(m.w, m.w.center, { merchantId: m.merchantId });
    const otherSession = await other.session();
    expect((await getPayee(otherSession)).body).toEqual({ items: [] });
    expectProblem(await call("GET", `/v1/admin/technicians/${m.tech.id}/payee`, { token: otherSession.token }), 403);
    expectProblem(await call("DELETE", "/v1/technician/payee/alipay", { token: otherSession.token }), 404);
    expect((await rawRows(m.tech.id)).results).toHaveLength(1);

    // a customer may not use the technician routes
    expectProblem(await getPayee(await signIn()), 403);

    // operators/admins and the technician's own merchant admin see it masked; another merchant's admin does not
    const staffView = await call("GET", `/v1/admin/technicians/${m.tech.id}/payee`, { token: m.merchantAdmin.token });
    expect(staffView.status).toBe(200);
    expect(staffView.body.items).toMatchObject([
      { provider: "alipay", account: "208****5135", accountType: "ALIPAY_USER_ID", realName: "**丰" },
    ]);
    expect((await call("GET", `/v1/admin/technicians/${m.tech.id}/payee`, { token: m.w.admin.token })).body).toEqual(staffView.body);
    const stranger = await signInMerchantAdmin(m.w.admin, await createMerchant(m.w.admin));
    expectProblem(await call("GET", `/v1/admin/technicians/${m.tech.id}/payee`, { token: stranger.token }), 404);
    expectProblem(await call("GET", "/v1/admin/technicians/tch_missing/payee", { token: m.w.admin.token }), 404);
  });
});

describe("withdrawals with live providers pay the account on file", () => {
  let fake: WechatPayFake;
  beforeEach(() => {
    fake = new WechatPayFake().install();
  });
  afterEach(() => fake.uninstall());

  let keys = 0;
  const withdrawWith = (e: Env, s: Session, amount: number) =>
    callWith(e, "POST", "/v1/technician/withdrawals", {
      token: s.token,
      headers: { "Idempotency-Key": `payee-wd-${Date.now()}-${(keys += 1)}` },
      body: { amount },
    });

  it("answers 409 PAYEE_ACCOUNT_MISSING without an openid on file, then transfers to the stored openid", async () => {
    const m = await merchantWorld();
    const { order } = await paidOrder(m.w, { start: at(m.w, 2, "10:00") });
    await completeVisit(m.w, m.techSession, order);
    await env.DB.prepare("UPDATE ledger_entries SET available_at = ? WHERE account = ?")
      .bind(Date.now() - 1, `technician_payable:${m.tech.id}`)
      .run();
    const live = liveEnv({ WITHDRAWAL_PAYOUT_PROVIDER: "wechatpay" });

    const missing = await withdrawWith(live, m.techSession, 4000);
    expectProblem(missing, 409, "PAYEE_ACCOUNT_MISSING");
    expect(missing.body.provider).toBe("wechatpay");
    expect((await call("GET", "/v1/technician/withdrawals", { token: m.techSession.token })).body.items).toEqual([]);

    await putPayee(m.techSession, { provider: "wechatpay", openId: OPENID });
    const wd = await withdrawWith(live, m.techSession, 4000);
    expect(wd.status).toBe(201);
    const approved = await callWith(live, "POST", `/v1/admin/withdrawals/${wd.body.id}/approve`, { token: m.w.admin.token });
    expect(approved.status).toBe(200);
    const bill = fake.bills.get(outBillNo(wd.body.id));
    expect(bill).toMatchObject({ openid: OPENID, amount: 4000 });
    // Accepted by WeChat Pay, not finished: processing until the transfer query or notification says so.
    expect(approved.body).toMatchObject({ status: "processing", payoutRef: bill!.transfer_bill_no });
  });
});

/**
 * Mini-program sign-in and binding against a local fake of WeChat's server API (code2session), and
 * the bound openid at work: JSAPI payments default to it, a technician's WeChat payout account can
 * be set from it.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { payoutPayee } from "../../src/technicians/payees.service";
import { call, callWith, expectProblem, signIn, type Session } from "../support/http";
import { pendingOrder } from "../support/payments";
import { WechatFake } from "../support/wechat-fake";
import { WechatPayFake, liveEnv } from "../support/wechatpay-fake";
import { addTechnician, createWorld, merchantWorld } from "../support/world";
import { freshCenter } from "../support/fixtures";

let fake: WechatFake;
let app: { appid: string; secret: string };
let wx: Env;

beforeEach(() => {
  fake = new WechatFake().install();
  app = fake.app();
  wx = fake.env(app);
});
afterEach(() => fake.uninstall());

const openid = () => `o${crypto.randomUUID().replace(/-/g, "").slice(0, 27)}`;
const signInWx = (code: string, e = wx, lang = "zh-CN") =>
  callWith(e, "POST", "/v1/auth/wechat", { body: { code }, headers: { "Accept-Language": lang } });
const bindWx = (s: Session, code: string, e = wx, lang = "zh-CN") =>
  callWith(e, "POST", "/v1/me/wechat", { token: s.token, body: { code }, headers: { "Accept-Language": lang } });
const rows = (appid: string) =>
  env.DB.prepare("SELECT * FROM wechat_bindings WHERE appid = ? ORDER BY openid")
    .bind(appid)
    .all<Record<string, unknown>>()
    .then((r) => r.results);

describe("signing in with WeChat", () => {
  it("signs a bound account in with the same tokens as the OTP sign-in", async () => {
    const s = await signIn();
    const me = openid();
    const bound = await bindWx(s, fake.login(app.appid, me));
    expect(bound.status, JSON.stringify(bound.body)).toBe(200);
    expect(bound.body).toMatchObject({ bound: true, appid: app.appid, unionid: false, lang: "zh" });
    expect(bound.body.openId).toBe(`${me.slice(0, 3)}****${me.slice(-4)}`);

    const res = await signInWx(fake.login(app.appid, me));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ bound: true, account: { id: s.accountId, roles: ["customer"] }, expiresIn: 900 });
    // The access token works, and the refresh token rotates like any other.
    const profile = await call("GET", "/v1/me", { token: res.body.accessToken });
    expect(profile.body).toMatchObject({ id: s.accountId, phone: s.phone });
    const rotated = await call("POST", "/v1/auth/token", { body: { grantType: "refresh_token", refreshToken: res.body.refreshToken } });
    expect(rotated.status).toBe(200);
    expect(fake.calls.code2session).toBe(2);
  });

  it("answers bound: false for a WeChat nobody bound, and creates nothing", async () => {
    const accounts = async () => (await env.DB.prepare("SELECT count(*) AS n FROM accounts").first<{ n: number }>())!.n;
    const before = await accounts();
    const res = await signInWx(fake.login(app.appid, openid()));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ bound: false });
    expect(await accounts()).toBe(before);
    expect(await rows(app.appid)).toEqual([]);
  });

  it("signs in through another app of the same open platform by unionid, and binds the new openid", async () => {
    const s = await signIn();
    const unionid = `oUnion${crypto.randomUUID().slice(0, 8)}`;
    await bindWx(s, fake.login(app.appid, openid(), unionid));
    const other = fake.app();
    const there = openid();
    const res = await signInWx(fake.login(other.appid, there, unionid), fake.env(other), "en");
    expect(res.body).toMatchObject({ bound: true, account: { id: s.accountId } });
    expect(await rows(other.appid)).toMatchObject([{ account_id: s.accountId, openid: there, unionid, lang: "en" }]);
  });

  it("refuses an unknown, expired-by-use or other app's code with 400 WECHAT_CODE_INVALID", async () => {
    expectProblem(await signInWx("0f00ba4unknowncode"), 400, "WECHAT_CODE_INVALID");
    const code = fake.login(app.appid, openid());
    expect((await signInWx(code)).status).toBe(200);
    expectProblem(await signInWx(code), 400, "WECHAT_CODE_INVALID");
    expectProblem(await signInWx(fake.login(fake.app().appid, openid())), 400, "WECHAT_CODE_INVALID");
    expect(fake.errcodes).toEqual([40029, 40163, 40029]);
  });

  it("answers 503 WECHAT_UNAVAILABLE with Retry-After, never a 500, when WeChat is busy or down", async () => {
    fake.faults.busy = true;
    const busy = await signInWx(fake.login(app.appid, openid()));
    expectProblem(busy, 503, "WECHAT_UNAVAILABLE");
    expect(busy.headers.get("Retry-After")).toBe("5");
    fake.faults = { serverError: true };
    expectProblem(await signInWx(fake.login(app.appid, openid())), 503, "WECHAT_UNAVAILABLE");
    const s = await signIn();
    expectProblem(await bindWx(s, fake.login(app.appid, openid())), 503, "WECHAT_UNAVAILABLE");
    expect(await rows(app.appid)).toEqual([]);
  });

  it("is refused by WeChat with a wrong AppSecret (503, logged without the secret), and 409 without one", async () => {
    const logs = [vi.spyOn(console, "log"), vi.spyOn(console, "error"), vi.spyOn(console, "warn")];
    const wrong = fake.env(app, { WECHAT_MINIPROGRAM_SECRET: "0".repeat(32) });
    const code = fake.login(app.appid, openid());
    expectProblem(await signInWx(code, wrong), 503, "WECHAT_UNAVAILABLE");
    expect(fake.errcodes).toEqual([40125]);
    // The code was not consumed by the refused call: it still signs in with the right secret.
    expect((await signInWx(code)).body).toEqual({ bound: false });
    expectProblem(
      await signInWx(fake.login(app.appid, openid()), fake.env(app, { WECHAT_MINIPROGRAM_SECRET: "" })),
      409,
      "WECHAT_NOT_CONFIGURED",
    );
    const logged = JSON.stringify(logs.map((l) => l.mock.calls));
    expect(logged).toContain("wechat.code2session_failed");
    for (const secret of ["0".repeat(32), app.secret, code]) expect(logged).not.toContain(secret);
  });

  it("refuses malformed input with 400 and an unauthenticated bind with 401", async () => {
    for (const body of [{}, { code: "" }, { code: "abc", extra: 1 }, { code: 42 }, { code: "含中文" }]) {
      expectProblem(await callWith(wx, "POST", "/v1/auth/wechat", { body }), 400);
    }
    expectProblem(await callWith(wx, "POST", "/v1/me/wechat", { body: { code: "abc" } }), 401);
    expect(fake.calls.code2session).toBe(0);
  });
});

describe("binding and unbinding", () => {
  it("shows the binding masked, rebinds, refuses another account's WeChat, and unbinds", async () => {
    const s = await signIn();
    expect((await callWith(wx, "GET", "/v1/me/wechat", { token: s.token })).body).toEqual({ bound: false });
    const first = openid();
    await bindWx(s, fake.login(app.appid, first));
    // Binding the same WeChat again refreshes it; the language follows the client.
    expect((await bindWx(s, fake.login(app.appid, first), wx, "en")).body).toMatchObject({ bound: true, lang: "en" });
    const second = openid();
    await bindWx(s, fake.login(app.appid, second));
    expect(await rows(app.appid)).toMatchObject([{ account_id: s.accountId, openid: second }]);

    const other = await signIn();
    expectProblem(await bindWx(other, fake.login(app.appid, second)), 409, "WECHAT_ALREADY_BOUND");
    expect(await rows(app.appid)).toMatchObject([{ account_id: s.accountId, openid: second }]);

    const view = await callWith(wx, "GET", "/v1/me/wechat", { token: s.token });
    expect(view.body).toMatchObject({ bound: true, appid: app.appid, openId: `${second.slice(0, 3)}****${second.slice(-4)}` });
    expect(JSON.stringify(view.body)).not.toContain(second);

    expect((await callWith(wx, "DELETE", "/v1/me/wechat", { token: s.token })).status).toBe(204);
    expectProblem(await callWith(wx, "DELETE", "/v1/me/wechat", { token: s.token }), 404);
    expect((await signInWx(fake.login(app.appid, second))).body).toEqual({ bound: false });
    // Now free for the other account.
    expect((await bindWx(other, fake.login(app.appid, second))).status).toBe(200);
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ? AND action LIKE 'account.wechat.%' ORDER BY seq")
      .bind(s.accountId)
      .all<{ action: string }>();
    expect(audit.results.map((r) => r.action)).toEqual(["account.wechat.bound", "account.wechat.bound", "account.wechat.unbound"]);
  });

  it("never stores or logs the session key or the login code", async () => {
    const logs = [vi.spyOn(console, "log"), vi.spyOn(console, "error"), vi.spyOn(console, "warn")];
    const s = await signIn();
    const code = fake.login(app.appid, openid());
    await bindWx(s, code);
    await signInWx(fake.login(app.appid, openid()));
    expect(fake.sessionKeys).toHaveLength(2);
    const stored = JSON.stringify(await rows(app.appid));
    const logged = JSON.stringify(logs.map((l) => l.mock.calls));
    for (const secret of [...fake.sessionKeys, code, app.secret]) {
      expect(stored).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
  });
});

describe("the bound openid", () => {
  it("pays a JSAPI prepay when the request names no openid", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { customer, order } = await pendingOrder(w);
    // Bound under the mini program, whose appid is WeChat Pay's by default.
    const payer = fake.app(env.WECHATPAY_APPID);
    const me = openid();
    const bound = await bindWx(customer.session, fake.login(payer.appid, me), fake.env(payer, { WECHAT_MINIPROGRAM_APPID: "" }));
    expect(bound.body).toMatchObject({ bound: true, appid: env.WECHATPAY_APPID });
    fake.uninstall();

    const pay = new WechatPayFake().install();
    try {
      const res = await callWith(liveEnv(), "POST", `/v1/orders/${order.id}/payments`, {
        token: customer.session.token,
        headers: { "Idempotency-Key": `jsapi-${order.id}` },
        body: { provider: "wechatpay", channel: "jsapi" },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(pay.trades.get(res.body.id)).toMatchObject({ trade_type: "JSAPI", openid: me });
      expect(JSON.parse(pay.seen[0]!.body)).toMatchObject({ appid: env.WECHATPAY_APPID, payer: { openid: me } });
    } finally {
      pay.uninstall();
    }
  });

  it("becomes a technician's WeChat payout account without typing it; 409 WECHAT_NOT_BOUND before binding", async () => {
    const m = await merchantWorld();
    const put = () => call("PUT", "/v1/technician/payee", { token: m.techSession.token, body: { provider: "wechatpay" } });
    expectProblem(await put(), 409, "WECHAT_NOT_BOUND");
    const payer = fake.app(env.WECHATPAY_APPID);
    const me = openid();
    await bindWx(m.techSession, fake.login(payer.appid, me), fake.env(payer, { WECHAT_MINIPROGRAM_APPID: "" }));
    const res = await put();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      provider: "wechatpay",
      accountType: "WECHAT_OPENID",
      account: `${me.slice(0, 3)}****${me.slice(-4)}`,
    });
    expect(await payoutPayee(env, m.tech.id, "wechatpay")).toEqual({ payeeOpenId: me });
  });
});

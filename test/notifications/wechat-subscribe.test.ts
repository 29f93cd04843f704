/**
 * WeChat subscribe messages as a notification channel, against a local fake of WeChat's server API
 * that checks the app's credentials at stable_token, the access token on every send, the template's
 * fields and WeChat's value limits, and the user's subscriptions. Recipients bind their WeChat
 * through the API; messages go through the Worker's real queue handler.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fitField, sendSubscribeMessage } from "../../src/adapters/wechat";
import { ProviderError } from "../../src/adapters/provider-error";
import { ConfigError, parseConfig } from "../../src/config";
import type { OutboxMessage, OutboxMessageOf } from "../../src/domain/outbox";
import worker from "../../src/index";
import { callWith, signIn, type Session } from "../support/http";
import { writeOutbox } from "../support/queue";
import { WECHAT_FAKE_BASE, WechatFake } from "../support/wechat-fake";

let fake: WechatFake;
beforeEach(() => {
  fake = new WechatFake().install();
});
afterEach(() => {
  fake.uninstall();
  vi.useRealTimers();
});

const FIELDS = ["thing1", "thing2", "character_string3"];

/** A mini program of its own (the access token cache is per isolate and app), a template for `order.en_route`. */
function setUp(over: Partial<Record<string, string>> = {}) {
  const app = fake.app();
  const templateId = fake.template(app.appid, FIELDS);
  const templates = {
    "order.en_route": {
      templateId,
      page: "pages/order/detail?id={orderId}",
      data: { thing1: "title", thing2: "body", character_string3: "orderId" },
    },
  };
  const e = fake.env(app, { WECHAT_NOTIFY: "live", WECHAT_SUBSCRIBE_TEMPLATES: JSON.stringify(templates), ...over });
  return { app, templateId, e };
}

/** A customer who bound their WeChat (in `lang`) and subscribed `times` to the template. */
async function boundCustomer(s: ReturnType<typeof setUp>, lang = "zh-CN", times = 1): Promise<Session & { openid: string }> {
  const session = await signIn();
  const openid = `o${crypto.randomUUID().replace(/-/g, "").slice(0, 27)}`;
  const res = await callWith(s.e, "POST", "/v1/me/wechat", {
    token: session.token,
    body: { code: fake.login(s.app.appid, openid) },
    headers: { "Accept-Language": lang },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  if (times > 0) fake.subscribe(s.app.appid, openid, s.templateId, times);
  return { ...session, openid };
}

let seq = 0;
/** The customer's technician set off: the notice `order.en_route`, on every channel. */
function enRoute(customerId: string): OutboxMessageOf<"order.status"> {
  seq += 1;
  return {
    id: `msg_wx${Date.now()}${seq}`,
    topic: "order.status",
    payload: { orderId: `ord_wx${Date.now()}${seq}`, customerId, technicianId: null, from: "accepted", to: "en_route", reason: "" },
  };
}

/** Runs the Worker's notifications consumer on the messages (their outbox rows written first); what it acked and retried. */
async function consume(e: Env, messages: OutboxMessage[]) {
  await writeOutbox(messages);
  const batch = createMessageBatch(
    "doorstep-notifications",
    messages.map((m, i) => ({ id: `q${i}`, timestamp: new Date(), attempts: 1, body: m })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, e);
  const result = await getQueueResult(batch, ctx);
  return { acked: result.explicitAcks, retried: result.retryMessages.map((r) => r.msgId) };
}

const channels = async (m: OutboxMessage) =>
  (
    await env.DB.prepare("SELECT channel FROM notification_deliveries WHERE message_id = ? ORDER BY channel")
      .bind(`${m.id}#order.en_route`)
      .all<{ channel: string }>()
  ).results.map((r) => r.channel);

describe("subscribe messages", () => {
  it("send the notice's template in the recipient's language, with the page filled in and values fitted", async () => {
    const s = setUp();
    const zh = await boundCustomer(s, "zh-CN");
    const en = await boundCustomer(s, "en");
    const [mz, me] = [enRoute(zh.accountId), enRoute(en.accountId)];
    expect(await consume(s.e, [mz, me])).toEqual({ acked: ["q0", "q1"], retried: [] });

    expect(fake.sent.map((x) => x.body)).toEqual([
      {
        touser: zh.openid,
        template_id: s.templateId,
        page: `pages/order/detail?id=${mz.payload.orderId}`,
        data: {
          thing1: { value: "师傅已出发" },
          thing2: { value: "师傅正在赶来，可在订单中查看实时位置。" },
          character_string3: { value: mz.payload.orderId },
        },
        miniprogram_state: "formal",
        lang: "zh_CN",
      },
      {
        touser: en.openid,
        template_id: s.templateId,
        page: `pages/order/detail?id=${me.payload.orderId}`,
        data: {
          // Both cut to WeChat's 20 characters for a thing field.
          thing1: { value: "Technician on the w…" },
          thing2: { value: "Your technician is …" },
          character_string3: { value: me.payload.orderId },
        },
        miniprogram_state: "formal",
        lang: "en_US",
      },
    ]);
    expect(await channels(mz)).toEqual(["push", "sms", "wechat"]);
    // Delivered once: the same message again sends nothing more.
    fake.subscribe(s.app.appid, zh.openid, s.templateId);
    await consume(s.e, [mz]);
    expect(fake.sent).toHaveLength(2);
  });

  it("fetch the stable access token once for many sends, with the app's credentials and force_refresh false", async () => {
    const s = setUp();
    const c = await boundCustomer(s, "zh-CN", 5);
    for (let i = 0; i < 5; i += 1) expect((await consume(s.e, [enRoute(c.accountId)])).acked).toEqual(["q0"]);
    expect(fake.sent).toHaveLength(5);
    expect(fake.calls.stableToken).toBe(1);
    expect(fake.tokenRequests).toEqual([{ grant_type: "client_credential", appid: s.app.appid, force_refresh: false }]);
    expect(fake.errcodes).toEqual([]);
  });

  it("fetch the token again and send once more after 40001 or 42001", async () => {
    const s = setUp();
    const c = await boundCustomer(s, "zh-CN", 3);
    await consume(s.e, [enRoute(c.accountId)]);
    fake.revokeTokens();
    expect((await consume(s.e, [enRoute(c.accountId)])).acked).toEqual(["q0"]);
    fake.expireTokens();
    expect((await consume(s.e, [enRoute(c.accountId)])).acked).toEqual(["q0"]);
    expect(fake.errcodes).toEqual([40001, 42001]);
    expect(fake.calls.stableToken).toBe(3);
    expect(fake.sent).toHaveLength(3);
  });

  it("renew a token shortly before it expires instead of sending with it", async () => {
    const s = setUp();
    const c = await boundCustomer(s, "zh-CN", 2);
    vi.useFakeTimers({ toFake: ["Date"] });
    await consume(s.e, [enRoute(c.accountId)]);
    // 1 h 57 min later: the token has 3 minutes left, inside the renewal margin.
    vi.setSystemTime(Date.now() + (7200 - 180) * 1000);
    await consume(s.e, [enRoute(c.accountId)]);
    expect(fake.calls.stableToken).toBe(2);
    expect(fake.errcodes).toEqual([]);
    expect(fake.sent).toHaveLength(2);
  });

  it("skip a user without a subscription (43101) for good: acked, not retried, the other channels delivered", async () => {
    const s = setUp();
    const c = await boundCustomer(s, "zh-CN", 0);
    const m = enRoute(c.accountId);
    expect(await consume(s.e, [m])).toEqual({ acked: ["q0"], retried: [] });
    expect(fake.errcodes).toEqual([43101]);
    expect(await channels(m)).toEqual(["push", "sms"]);
  });

  it("leave a busy or failing WeChat to the queue's retry, then send once", async () => {
    const s = setUp();
    const c = await boundCustomer(s, "zh-CN", 2);
    // A first message caches the access token: the faults below hit the send itself.
    await consume(s.e, [enRoute(c.accountId)]);
    const m = enRoute(c.accountId);
    fake.faults.busy = true;
    expect(await consume(s.e, [m])).toEqual({ acked: [], retried: ["q0"] });
    fake.faults = { serverError: true };
    expect(await consume(s.e, [m])).toEqual({ acked: [], retried: ["q0"] });
    // What went out on the other channels is kept and not sent again.
    expect(await channels(m)).toEqual(["push", "sms"]);
    fake.faults = {};
    expect(await consume(s.e, [m])).toEqual({ acked: ["q0"], retried: [] });
    expect(await channels(m)).toEqual(["push", "sms", "wechat"]);
    expect(fake.sent).toHaveLength(2);
    expect(fake.calls).toMatchObject({ stableToken: 1, send: 2 });
  });

  it("go to nobody without a binding, without a template for the kind, or with WECHAT_NOTIFY=off", async () => {
    const s = setUp();
    const c = await boundCustomer(s);
    const stranger = await signIn();
    await consume(s.e, [enRoute(stranger.accountId)]);
    await consume(fake.env(s.app, { WECHAT_NOTIFY: "live", WECHAT_SUBSCRIBE_TEMPLATES: "{}" }), [enRoute(c.accountId)]);
    await consume({ ...s.e, WECHAT_NOTIFY: "off" } as Env, [enRoute(c.accountId)]);
    expect(fake.calls).toEqual({ code2session: 1, stableToken: 0, send: 0 });
  });

  it("skip a template WeChat refuses, logging why, without retrying", async () => {
    const s = setUp();
    const c = await boundCustomer(s);
    // A refusal is a warning (the notice still reaches the other channels).
    const logs = vi.spyOn(console, "warn");
    const broken = {
      "order.en_route": {
        templateId: s.templateId,
        data: { thing1: "title", thing2: "body", character_string3: "orderId", thing4: "title" },
      },
    };
    const m = enRoute(c.accountId);
    expect(await consume({ ...s.e, WECHAT_SUBSCRIBE_TEMPLATES: JSON.stringify(broken) } as Env, [m])).toEqual({
      acked: ["q0"],
      retried: [],
    });
    expect(fake.errcodes).toEqual([47003]);
    expect(logs.mock.calls.some(([line]) => String(line).includes('"msg":"wechat.refused"'))).toBe(true);
  });

  it("never log the access token, the AppSecret or the openid", async () => {
    const s = setUp();
    const c = await boundCustomer(s);
    const logs = [vi.spyOn(console, "log"), vi.spyOn(console, "error"), vi.spyOn(console, "warn")];
    fake.faults.busy = true;
    await consume(s.e, [enRoute(c.accountId)]);
    fake.faults = {};
    await consume(s.e, [enRoute(c.accountId)]);
    await consume(s.e, [enRoute(c.accountId)]); // 43101: no subscription left
    const logged = JSON.stringify(logs.map((l) => l.mock.calls));
    const token = [...fake.apps.get(s.app.appid)!.tokens.keys()][0]!;
    for (const secret of [token, s.app.secret, c.openid]) expect(logged).not.toContain(secret);
  });
});

describe("the subscribe client", () => {
  const cfg = (secret: string, appid: string) =>
    parseConfig({
      ENVIRONMENT: "development",
      JWT_SECRET: "x".repeat(32),
      WECHAT_API_BASE: WECHAT_FAKE_BASE,
      WECHAT_MINIPROGRAM_APPID: appid,
      WECHAT_MINIPROGRAM_SECRET: secret,
    });

  it("is refused the access token with a wrong AppSecret, and sends nothing", async () => {
    const app = fake.app();
    const err = await sendSubscribeMessage(cfg("f".repeat(32), app.appid), {
      openid: "oX",
      templateId: "t",
      data: { thing1: "x" },
      lang: "zh_CN",
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(false);
    expect((err as ProviderError).message).not.toContain("f".repeat(32));
    expect(fake.errcodes).toEqual([40125]);
    expect(fake.calls.send).toBe(0);
  });

  it("fits values to WeChat's field limits by field type", () => {
    expect(fitField("thing1", "一二三四五六七八九十一二三四五六七八九十一")).toBe("一二三四五六七八九十一二三四五六七八九…");
    expect(fitField("thing1", "一二三四五六七八九十一二三四五六七八九十")).toBe("一二三四五六七八九十一二三四五六七八九十");
    expect(fitField("phrase2", "已完成服务了")).toBe("已完成服务");
    expect(fitField("character_string3", "x".repeat(40))).toHaveLength(32);
    expect(fitField("time4", "2025-12-03 14:30:00 extra")).toBe("2025-12-03 14:30:00 extra");
  });

  it("templates are validated with the configuration", () => {
    const parse = (v: string) => parseConfig({ ENVIRONMENT: "development", JWT_SECRET: "x".repeat(32), WECHAT_SUBSCRIBE_TEMPLATES: v });
    expect(() => parse("not json")).toThrow(/WECHAT_SUBSCRIBE_TEMPLATES/);
    expect(() => parse('{"order.en_route":{"templateId":"t","data":{"Title":"title"}}}')).toThrow(ConfigError);
    expect(() => parse('{"order.en_route":{"templateId":"t","data":{},"extra":1}}')).toThrow(ConfigError);
    expect(() => parseConfig({ ENVIRONMENT: "development", JWT_SECRET: "x".repeat(32), WECHAT_NOTIFY: "on" })).toThrow(/WECHAT_NOTIFY/);
    expect(parse('{"reminder.1h":{"templateId":"t","data":{"time1":"when"}}}')["WECHAT_SUBSCRIBE_TEMPLATES"]).toEqual({
      "reminder.1h": { templateId: "t", data: { time1: "when" } },
    });
  });
});

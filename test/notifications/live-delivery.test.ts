/**
 * End to end through real providers' contracts: a Worker configured for staging with Aliyun SMS and
 * live push (JPush), against the local fakes of test/support (each verifies our signature or
 * credentials and answers in the provider's shape). A sign-in code reaches the phone only through
 * the SMS provider; an order notice goes from the outbox through the notifications queue handler
 * to the providers with its approved template and parameters; a permanent refusal ends with the
 * dead letters at once, a 5xx is retried with backoff and then delivered, or dead-lettered after
 * the queue's last retry.
 *
 * The real queue's consumer runs with the configured (console) bindings, so the request under test
 * hands the messages it wrote (collected as they were written) to a capturing queue, and the test runs the Worker's own
 * queue handler on them with the live bindings, acknowledging and retrying as the queue would.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { OutboxEnvelope } from "../../src/domain/notifications";
import { at, book, newCustomer, quote, task, waitFor, type Customer } from "../support/booking";
import { routeFetch } from "../support/fetch-routes";
import { freshCenter } from "../support/fixtures";
import { call, callWith, signInWithRoles, uniquePhone } from "../support/http";
import { APP_KEY, googleFake, JPUSH_BASE, jpushFake, MASTER_SECRET, pushRoutes, type JPushFake } from "../support/push-fakes";
import { capturingQueue, consume, outboxRows } from "../support/queue";
import { SMS_VARS, smsFakes, TEMPLATES, type AliyunFake } from "../support/sms-fakes";
import { addTechnician, createWorld } from "../support/world";

const QUEUE = "doorstep-notifications";
const DLQ = "doorstep-notifications-dlq";

let aliyun: AliyunFake;
let jp: JPushFake;

beforeEach(() => {
  const sms = smsFakes();
  aliyun = sms.aliyun;
  jp = jpushFake();
  routeFetch([...sms.routes, ...pushRoutes(jp, googleFake(new Map()))]);
});

afterEach(() => vi.restoreAllMocks());

/**
 * The test bindings as a staging deployment would have them: no stand-in (so the configuration
 * accepts them outside development), Aliyun SMS and JPush at the fakes, no code in the answer.
 */
function liveEnv(notifications: Queue = env.NOTIFICATIONS): Env {
  return {
    ...env,
    ...SMS_VARS,
    ENVIRONMENT: "staging",
    PAYMENT_PROVIDER_CLIENT: "live",
    SANDBOX_WEBHOOK_SECRET: "",
    OTP_DEV_ECHO: "0",
    SMS_PROVIDER: "aliyun",
    PUSH_PROVIDER: "live",
    JPUSH_API_BASE: JPUSH_BASE,
    JPUSH_APP_KEY: APP_KEY,
    JPUSH_MASTER_SECRET: MASTER_SECRET,
    NOTIFICATIONS: notifications,
  } as Env;
}

/** Registers a JPush device for the customer; returns its registration id. */
async function registerDevice(c: Customer): Promise<string> {
  const token = `jp-${crypto.randomUUID()}`;
  const res = await call("POST", "/v1/me/devices", {
    token: c.session.token,
    body: { platform: "android", provider: "jpush", token, appVersion: "3.0.0" },
  });
  expect(res.status).toBe(200);
  return token;
}

/**
 * A booked and accepted order whose technician then sets off under the live bindings: returns the
 * `order.en_route` message the request handed to the queue after its answer.
 */
async function departedOrder() {
  const w = await createWorld(freshCenter());
  const tech = await addTechnician(w, w.center);
  const techSession = await tech.session();
  const customer = await newCustomer(w.center);
  const device = await registerDevice(customer);
  const booked = await book(customer, await quote(w, customer, at(w, 2, "10:00")));
  expect(booked.status).toBe(201);
  const orderId = booked.body.id as string;
  expect((await task(techSession, orderId, "accept")).status).toBe(200);
  // what came before went out through the configured queue; nothing of the order waits
  await waitFor(
    () => outboxRows(orderId),
    (rows) => rows.every((r) => r.sent_at !== null),
  );
  const captured = capturingQueue();
  const live = liveEnv(captured.queue);
  const departed = await callWith(live, "POST", `/v1/technician/tasks/${orderId}/depart`, { token: techSession.token, body: {} });
  expect(departed.status).toBe(200);
  const message = captured.sent.find((m) => m.topic === "order.status" && m.payload.to === "en_route");
  if (!message) throw new Error(`no en_route message handed to the queue: ${JSON.stringify(captured.sent.map((m) => m.topic))}`);
  // sent straight from the request: its row is written, and marked sent only once the consumer takes it
  expect((await outboxRows(orderId)).find((r) => r.id === message.id)).toMatchObject({ topic: "order.status", sent_at: null });
  return { customer, orderId, device, message, live };
}

async function deliveredChannels(message: OutboxEnvelope, kind: string): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT channel FROM notification_deliveries WHERE message_id = ? ORDER BY channel")
    .bind(`${message.id}#${kind}`)
    .all<{ channel: string }>();
  return results.map((r) => r.channel);
}

async function deadLetter(id: string) {
  const admin = await signInWithRoles(["operator"]);
  const res = await call("GET", "/v1/admin/notifications/dead-letters?pending=true", { token: admin.token });
  expect(res.status).toBe(200);
  return (res.body.items as { id: string; topic: string; error: string; attempts: number }[]).find((d) => d.id === id);
}

/** The delays the consumer asked the queue for, from its `notification.retry` lines (the test harness's queue result leaves them out). */
function retryDelays(errors: { mock: { calls: unknown[][] } }, id: string): number[] {
  return errors.mock.calls
    .map((args) => JSON.parse(String(args[0])) as { msg: string; id: string; delaySeconds: number })
    .filter((l) => l.msg === "notification.retry" && l.id === id)
    .map((l) => l.delaySeconds);
}

const EN_ROUTE = { title: "师傅已出发", body: "师傅正在赶来，可在订单中查看实时位置。" };

describe("a sign-in code through Aliyun SMS", () => {
  it("reaches the phone only through the provider, with the OTP template, and signs in", async () => {
    const phone = uniquePhone();
    const live = liveEnv();
    const otp = await callWith(live, "POST", "/v1/auth/otp", { body: { phone }, headers: { "CF-Connecting-IP": "10.81.0.1" } });
    expect(otp.status).toBe(202);
    expect(otp.body.devCode).toBeUndefined();
    expect(aliyun.received).toHaveLength(1);
    const q = aliyun.received[0]!.url.searchParams;
    expect(q.get("PhoneNumbers")).toBe(phone.slice(3));
    expect(q.get("TemplateCode")).toBe(TEMPLATES.otp.aliyun);
    const { code } = JSON.parse(q.get("TemplateParam")!) as { code: string };
    expect(code).toMatch(/^\d{6}$/);
    const signedIn = await callWith(live, "POST", "/v1/auth/token", { body: { phone, code } });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.accessToken).toMatch(/^eyJ/);
  });
});

describe("an order notice through the outbox, the queue and the providers", () => {
  it("reaches the customer by SMS with the approved template and by push on the registered device, once", async () => {
    const { customer, orderId, device, message, live } = await departedOrder();
    const result = await consume(QUEUE, [{ id: "q-live-1", body: message }], live);
    expect(result.explicitAcks).toEqual(["q-live-1"]);
    expect(result.retryMessages).toEqual([]);

    expect(aliyun.received).toHaveLength(1);
    const q = aliyun.received[0]!.url.searchParams;
    expect(q.get("PhoneNumbers")).toBe(customer.session.phone.slice(3));
    expect(q.get("SignName")).toBe(SMS_VARS.ALIYUN_SMS_SIGN_NAME);
    expect(q.get("TemplateCode")).toBe(TEMPLATES["order.en_route"].aliyun);
    // the template's parameters in order, nothing else
    expect(JSON.parse(q.get("TemplateParam")!)).toEqual({ title: EN_ROUTE.title, orderId });
    expect(Object.keys(JSON.parse(q.get("TemplateParam")!) as object)).toEqual(["title", "orderId"]);

    expect(jp.received).toHaveLength(1);
    expect(jp.received[0]).toMatchObject({
      audience: { registration_id: [device] },
      notification: {
        alert: EN_ROUTE.body,
        android: { title: EN_ROUTE.title, extras: { kind: "order.en_route", orderId } },
        ios: { alert: { title: EN_ROUTE.title, body: EN_ROUTE.body } },
      },
    });
    expect(await deliveredChannels(message, "order.en_route")).toEqual(["push", "sms"]);
    // the consumer, not the request, marked the message's outbox row sent
    expect((await outboxRows(orderId)).find((r) => r.id === message.id)?.sent_at).not.toBeNull();
    const inbox = await call("GET", "/v1/me/notifications", { token: customer.session.token });
    expect(
      inbox.body.items.some((n: { kind: string; data: { orderId?: string } }) => n.kind === "order.en_route" && n.data.orderId === orderId),
    ).toBe(true);

    // the queue delivering it again sends nothing twice
    const again = await consume(QUEUE, [{ id: "q-live-1b", body: message, attempts: 2 }], live);
    expect(again.explicitAcks).toEqual(["q-live-1b"]);
    expect(aliyun.received).toHaveLength(1);
    expect(jp.received).toHaveLength(1);
  });

  it("parks a permanent refusal with the dead letters at once, with the provider's reason, and still sends the other channel", async () => {
    const { message, live, orderId } = await departedOrder();
    aliyun.mode = "template-refused";
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const result = await consume(QUEUE, [{ id: "q-live-2", body: message }], live);
    expect(result.explicitAcks).toEqual(["q-live-2"]);
    expect(result.retryMessages).toEqual([]);

    const dead = await deadLetter(message.id);
    expect(dead).toMatchObject({ topic: "order.status", attempts: 1 });
    expect(dead!.error).toContain("sms order.en_route to the customer");
    expect(dead!.error).toContain("isv.SMS_TEMPLATE_ILLEGAL");
    expect(dead!.error).not.toContain("JPush");
    // the push went out and is recorded, so a replay sends only the SMS
    expect(jp.received).toHaveLength(1);
    expect(await deliveredChannels(message, "order.en_route")).toEqual(["push"]);
    const row = (await outboxRows(orderId)).find((r) => r.id === message.id);
    expect(row?.last_error).toContain("isv.SMS_TEMPLATE_ILLEGAL");
  });

  it("parks a push every device refused for good, naming the provider's refusal", async () => {
    const { message, live } = await departedOrder();
    jp.mode = "refused";
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const result = await consume(QUEUE, [{ id: "q-live-3", body: message }], live);
    expect(result.explicitAcks).toEqual(["q-live-3"]);
    expect(result.retryMessages).toEqual([]);
    const dead = await deadLetter(message.id);
    expect(dead!.error).toContain("push order.en_route to the customer: JPush refused the push (400, code 1003)");
    expect(await deliveredChannels(message, "order.en_route")).toEqual(["sms"]);
  });

  it("is refused by the provider when signed with another secret, and parked without being sent", async () => {
    const { message, live } = await departedOrder();
    const wrongKey = { ...live, ALIYUN_ACCESS_KEY_SECRET: "not-the-shared-secret" } as Env;
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const result = await consume(QUEUE, [{ id: "q-live-6", body: message }], wrongKey);
    expect(result.explicitAcks).toEqual(["q-live-6"]);
    expect(aliyun.received).toHaveLength(0);
    expect((await deadLetter(message.id))!.error).toContain("SignatureDoesNotMatch");
  });

  it("retries a 5xx with backoff, then delivers it once the provider answers", async () => {
    const { message, live, orderId } = await departedOrder();
    aliyun.mode = "unavailable";
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    // notification.retry is a warning: console.warn (src/lib/log.ts writes each level to its own sink)
    const errors = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const first = await consume(QUEUE, [{ id: "q-live-4", body: message, attempts: 1 }], live);
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages).toEqual([{ msgId: "q-live-4" }]);
    const second = await consume(QUEUE, [{ id: "q-live-4", body: message, attempts: 2 }], live);
    expect(second.retryMessages).toEqual([{ msgId: "q-live-4" }]);
    expect(retryDelays(errors, message.id)).toEqual([10, 20]);
    expect((await outboxRows(orderId)).find((r) => r.id === message.id)?.last_error).toContain("aliyun SMS answered 503");
    // push went out on the first attempt and is not sent again
    expect(jp.received).toHaveLength(1);
    expect(aliyun.received).toHaveLength(0);

    aliyun.mode = "ok";
    const third = await consume(QUEUE, [{ id: "q-live-4", body: message, attempts: 3 }], live);
    expect(third.explicitAcks).toEqual(["q-live-4"]);
    expect(third.retryMessages).toEqual([]);
    expect(aliyun.received).toHaveLength(1);
    expect(aliyun.received[0]!.url.searchParams.get("TemplateCode")).toBe(TEMPLATES["order.en_route"].aliyun);
    expect(jp.received).toHaveLength(1);
    expect(await deliveredChannels(message, "order.en_route")).toEqual(["push", "sms"]);
    expect(await deadLetter(message.id)).toBeUndefined();
  });

  it("dead-letters a 5xx that outlasts the queue's retries, with the last error", async () => {
    const { message, live } = await departedOrder();
    aliyun.mode = "unavailable";
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    // notification.retry is a warning: console.warn (src/lib/log.ts writes each level to its own sink)
    const errors = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    // wrangler.toml: max_retries = 5, so the sixth attempt is the last; each is retried, doubling
    for (let attempts = 1; attempts <= 6; attempts++) {
      const r = await consume(QUEUE, [{ id: "q-live-5", body: message, attempts }], live);
      expect(r.explicitAcks).toEqual([]);
      expect(r.retryMessages).toEqual([{ msgId: "q-live-5" }]);
    }
    expect(retryDelays(errors, message.id)).toEqual([10, 20, 40, 80, 160, 320]);
    expect(await deadLetter(message.id)).toBeUndefined();
    // then the queue moves it to the dead-letter queue, whose consumer keeps it for operators
    const parked = await consume(DLQ, [{ id: "q-live-5", body: message, attempts: 6 }], live);
    expect(parked.explicitAcks).toEqual(["q-live-5"]);
    const dead = await deadLetter(message.id);
    expect(dead).toMatchObject({ topic: "order.status", attempts: 6 });
    expect(dead!.error).toContain("aliyun SMS answered 503");
  });
});

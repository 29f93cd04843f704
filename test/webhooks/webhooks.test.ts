/**
 * Outbound webhooks end to end inside workerd: the outbox → the notifications queue → the webhooks
 * queue (both real) → a signed POST to the integrator's server (a `fetch` route that verifies the
 * signature on its own), retries, replays, rotation, pausing, the SSRF guard and merchant scope.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newId } from "../../src/lib/ids";
import type { OutboxMessage } from "../../src/domain/outbox";
import { waitFor } from "../support/booking";
import { routeFetch } from "../support/fetch-routes";
import { call, callWith, expectProblem, signInWithRoles, type Session } from "../support/http";
import { paidOrder } from "../support/payments";
import { capturingQueue, consume, writeOutbox } from "../support/queue";
import { verifySignature, webhookReceiver } from "../support/webhook-receiver";
import { merchantWorld } from "../support/world";

const QUEUE = "doorstep-webhooks";
const SUBS = "/v1/admin/webhook-subscriptions";
const DELIVERIES = "/v1/admin/webhook-deliveries";

afterEach(() => {
  vi.restoreAllMocks();
});

const subscribe = (s: Session, body: Record<string, unknown>) => call("POST", SUBS, { token: s.token, body });
const deliveriesOf = async (s: Session, subscriptionId: string) =>
  (await call("GET", `${DELIVERIES}?subscriptionId=${subscriptionId}&limit=100`, { token: s.token })).body.items as {
    id: string;
    status: string;
    attempts: number;
    lastStatusCode: number | null;
    nextRetryAt: string | null;
    eventId: string;
    eventType: string;
    requestBody: string;
    responseBody: string | null;
  }[];
const subscriptionRows = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM webhook_subscriptions").first<{ n: number }>())!.n;

/** A made-up outbox message of `topic` about a made-up order (no merchant: platform subscriptions hear it), written as its producer would. */
async function outboxMessage(
  topic: "review.created" | "refund.succeeded" | "order.status",
  extra: Record<string, unknown> = {},
): Promise<OutboxMessage> {
  const base = { orderId: newId("ord"), customerId: newId("acc") };
  const payload =
    topic === "review.created"
      ? { ...base, technicianId: null, reviewId: newId("rev"), overall: 5 }
      : topic === "refund.succeeded"
        ? { ...base, refundId: newId("rfd"), kind: "cancellation", amount: 1200, currency: "CNY" }
        : { ...base, technicianId: null, from: "confirmed", to: "cancelled", reason: "test" };
  const m = { id: newId("msg"), topic, payload: { ...payload, ...extra } } as OutboxMessage;
  await writeOutbox([m]);
  return m;
}

/** Fans `messages` out through the consumer with `vars`, catching the deliveries it queues instead of sending them. */
async function fanOut(messages: OutboxMessage[], vars: Record<string, string> = {}) {
  const captured = capturingQueue();
  const e = { ...env, ...vars, WEBHOOKS: captured.queue } as Env;
  const result = await consume(
    QUEUE,
    messages.map((message, i) => ({ id: `ev${i}`, body: { kind: "event", message } })),
    e,
  );
  expect(result.explicitAcks.length).toBe(messages.length);
  return { e, deliveryIds: (captured.sent as unknown as { deliveryId: string }[]).map((s) => s.deliveryId) };
}

const sendOnce = (e: Env, deliveryId: string, attempts: number) =>
  consume(QUEUE, [{ id: `d${attempts}${deliveryId}`, body: { kind: "delivery", deliveryId }, attempts }], e);

describe("webhook deliveries", () => {
  // First in the file: no subscription exists yet.
  it("are not handed to the webhooks queue while no subscription exists (the notifications batch's read tells), and are once one does", async () => {
    const live = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM webhook_subscriptions WHERE status IN ('active', 'paused')").first<{ n: number }>())!
        .n;
    expect(await live()).toBe(0);
    const notify = async (m: OutboxMessage) => {
      const captured = capturingQueue();
      const result = await consume("doorstep-notifications", [{ id: m.id, body: m }], { ...env, WEBHOOKS: captured.queue } as Env);
      expect(result.explicitAcks).toEqual([m.id]);
      return captured.sent as unknown as { kind: string; message: { id: string } }[];
    };
    expect(await notify(await outboxMessage("order.status"))).toEqual([]);
    const a = await merchantWorld({ technician: false });
    expect((await subscribe(a.merchantAdmin, { url: "https://hooks.forward.test/", events: ["order.cancelled"] })).status).toBe(201);
    const heard = await outboxMessage("order.status");
    expect(await notify(heard)).toEqual([{ kind: "event", message: expect.objectContaining({ id: heard.id }) }]);
  });

  it("signs each delivery so the integrator verifies it with its secret, refuses a tampered one, and keeps merchants apart", async () => {
    const a = await merchantWorld();
    const b = await merchantWorld({ technician: false });
    let secretA = "";
    let secretB = "";
    const recvA = webhookReceiver("https://hooks.merchant-a.test/", () => [secretA]);
    const recvB = webhookReceiver("https://hooks.merchant-b.test/", () => [secretB]);
    routeFetch([recvA.route, recvB.route]);

    const subA = await subscribe(a.merchantAdmin, {
      url: "https://hooks.merchant-a.test/doorstep",
      events: ["order.created", "payment.succeeded"],
      description: "ERP",
    });
    expect(subA.status, JSON.stringify(subA.body)).toBe(201);
    expect(subA.body).toMatchObject({ merchantId: a.merchantId, status: "active", events: ["order.created", "payment.succeeded"] });
    expect(subA.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    secretA = subA.body.secret;
    const subB = await subscribe(b.merchantAdmin, {
      url: "https://hooks.merchant-b.test/",
      events: ["order.created", "payment.succeeded"],
    });
    expect(subB.status).toBe(201);
    secretB = subB.body.secret;
    // The secret is shown once: never in a read.
    const read = await call("GET", `${SUBS}/${subA.body.id}`, { token: a.merchantAdmin.token });
    expect(read.status).toBe(200);
    expect(read.body.secret).toBeUndefined();
    expect(JSON.stringify(read.body)).not.toContain(secretA);

    const { order } = await paidOrder(a.w);
    const got = await waitFor(
      async () => recvA.received.filter((r) => r.event.data.orderId === order.id),
      (r) => r.some((x) => x.event.type === "order.created") && r.some((x) => x.event.type === "payment.succeeded"),
      15_000,
    );
    const created = got.find((r) => r.event.type === "order.created")!;
    const paid = got.find((r) => r.event.type === "payment.succeeded")!;
    expect(created.verified && paid.verified).toBe(true);
    expect(created.event.data).toMatchObject({
      orderId: order.id,
      merchantId: a.merchantId,
      status: "pending_payment",
      previousStatus: null,
    });
    expect(paid.event.data).toMatchObject({ orderId: order.id, merchantId: a.merchantId, amount: expect.any(Number) });
    expect(created.headers["doorstep-event"]).toBe("order.created");
    expect(created.headers["doorstep-event-id"]).toBe(created.event.id);
    expect(created.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    // The integrator's check refuses anything altered: the body, the signature, the timestamp, another secret.
    const sig = created.signature!;
    expect(await verifySignature(sig, created.body, [secretA])).toBe(true);
    expect(await verifySignature(sig, created.body.replace(order.id, "ord_forged"), [secretA])).toBe(false);
    expect(
      await verifySignature(
        sig.replace(/v1=(.)/, (_, c: string) => `v1=${c === "0" ? "1" : "0"}`),
        created.body,
        [secretA],
      ),
    ).toBe(false);
    expect(
      await verifySignature(
        sig.replace(/t=(\d+)/, (_, t: string) => `t=${Number(t) + 1}`),
        created.body,
        [secretA],
      ),
    ).toBe(false);
    expect(await verifySignature(sig, created.body, [secretB])).toBe(false);
    expect(await verifySignature(sig, created.body, [secretA], 300, Date.now() + 3_600_000)).toBe(false);
    // A delivery whose signature does not verify is refused by the receiver (a forged one sent straight to it).
    const forged = await fetch("https://hooks.merchant-a.test/doorstep", {
      method: "POST",
      headers: { "doorstep-signature": sig },
      body: created.body.replace(order.id, "ord_forged"),
    });
    expect(forged.status).toBe(400);

    // Merchant B's subscription heard nothing of merchant A's order.
    expect(recvB.received.filter((r) => r.event.data.orderId === order.id)).toEqual([]);

    // The delivery log: status, attempts, status code, latency; merchant A's only to merchant A and the platform.
    const log = await waitFor(
      () => deliveriesOf(a.merchantAdmin, subA.body.id),
      (items) => items.filter((d) => d.status === "succeeded").length >= 2,
    );
    const first = log.find((d) => d.eventType === "order.created")!;
    expect(first).toMatchObject({ status: "succeeded", attempts: 1, lastStatusCode: 200, nextRetryAt: null, responseBody: "ok" });
    expect(JSON.parse(first.requestBody)).toEqual(created.event);
    const bLog = (await call("GET", DELIVERIES, { token: b.merchantAdmin.token })).body.items as { id: string }[];
    expect(bLog.map((d) => d.id)).not.toContain(first.id);
    const platform = await signInWithRoles(["operator"]);
    expect(
      ((await call("GET", `${DELIVERIES}?limit=100`, { token: platform.token })).body.items as { id: string }[]).map((d) => d.id),
    ).toContain(first.id);
    expectProblem(await call("GET", `${DELIVERIES}/${first.id}`, { token: b.merchantAdmin.token }), 404, "NOT_FOUND");
    expectProblem(await call("POST", `${DELIVERIES}/${first.id}/replay`, { token: b.merchantAdmin.token }), 404, "NOT_FOUND");
    expectProblem(await call("GET", `${SUBS}/${subA.body.id}`, { token: b.merchantAdmin.token }), 404, "NOT_FOUND");
    expectProblem(
      await call("POST", `${SUBS}/${subA.body.id}/rotate-secret`, { token: b.merchantAdmin.token, body: {} }),
      404,
      "NOT_FOUND",
    );
    // Merchant B cannot subscribe to merchant A's events either.
    const before = await subscriptionRows();
    expectProblem(
      await subscribe(b.merchantAdmin, { url: "https://hooks.merchant-b.test/", events: ["order.created"], merchantId: a.merchantId }),
      404,
    );
    expect(await subscriptionRows()).toBe(before);

    for (const [s, id] of [
      [a.merchantAdmin, subA.body.id],
      [b.merchantAdmin, subB.body.id],
    ] as const) {
      expect((await call("DELETE", `${SUBS}/${id}`, { token: s.token })).status).toBe(204);
    }
    expectProblem(await call("GET", `${SUBS}/${subA.body.id}`, { token: a.merchantAdmin.token }), 404);
  });

  it("retries a failing receiver through the real queue until it answers, with the same event each time", async () => {
    const m = await merchantWorld();
    let secret = "";
    const recv = webhookReceiver(
      "https://hooks.flaky.test/",
      () => [secret],
      (n) => (n <= 2 ? 503 : 200),
    );
    routeFetch([recv.route]);
    const sub = await subscribe(m.merchantAdmin, { url: "https://hooks.flaky.test/in", events: ["order.created"] });
    secret = sub.body.secret;
    const { order } = await paidOrder(m.w);
    const log = await waitFor(
      () => deliveriesOf(m.merchantAdmin, sub.body.id),
      (items) => items.some((d) => d.status === "succeeded"),
      15_000,
    );
    expect(log.find((d) => d.eventType === "order.created")).toMatchObject({ status: "succeeded", attempts: 3, lastStatusCode: 200 });
    const mine = recv.received.filter((r) => r.event.data.orderId === order.id);
    expect(mine.length).toBe(3);
    expect(new Set(mine.map((r) => r.event.id)).size).toBe(1);
    expect(new Set(mine.map((r) => r.body)).size).toBe(1);
    expect(mine.every((r) => r.verified)).toBe(true);
    await call("DELETE", `${SUBS}/${sub.body.id}`, { token: m.merchantAdmin.token });
  });

  it("backs off doubling from WEBHOOK_RETRY_SECONDS, gives up after WEBHOOK_MAX_ATTEMPTS, and replays one delivery on request", async () => {
    const admin = await signInWithRoles(["operator"]);
    let secret = "";
    let up = false;
    const recv = webhookReceiver(
      "https://hooks.backoff.test/",
      () => [secret],
      () => (up ? 200 : 500),
    );
    routeFetch([recv.route]);
    const sub = await subscribe(admin, { url: "https://hooks.backoff.test/", events: ["review.posted"] });
    secret = sub.body.secret;
    const message = await outboxMessage("review.created");
    const { e, deliveryIds } = await fanOut([message], { WEBHOOK_RETRY_SECONDS: "30", WEBHOOK_MAX_ATTEMPTS: "4" });
    expect(deliveryIds.length).toBe(1);
    const id = deliveryIds[0]!;
    // The same message again makes no second delivery.
    expect((await fanOut([message])).deliveryIds).toEqual([id]);
    expect(
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE subscription_id = ?")
        .bind(sub.body.id)
        .first<{ n: number }>())!.n,
    ).toBe(1);

    // The queue is asked to retry the message; the log says when (the delay doubles from 30 s).
    const delays: number[] = [];
    for (const attempt of [1, 2, 3]) {
      const r = await sendOnce(e, id, attempt);
      expect(r.explicitAcks).toEqual([]);
      expect(r.retryMessages.length).toBe(1);
      const d = (await call("GET", `${DELIVERIES}/${id}`, { token: admin.token })).body;
      expect(d).toMatchObject({ status: "retrying", attempts: attempt, lastStatusCode: 500, lastError: "answered 500" });
      expect(d.lastLatencyMs).toEqual(expect.any(Number));
      delays.push((Date.parse(d.nextRetryAt) - Date.parse(d.lastAttemptAt)) / 1000);
    }
    expect(delays).toEqual([30, 60, 120]);
    const last = await sendOnce(e, id, 4);
    expect(last.retryMessages).toEqual([]);
    expect(last.explicitAcks.length).toBe(1);
    expect((await call("GET", `${DELIVERIES}/${id}`, { token: admin.token })).body).toMatchObject({
      status: "failed",
      attempts: 4,
      nextRetryAt: null,
    });
    expect(recv.received.length).toBe(4);

    up = true;
    const replayed = await call("POST", `${DELIVERIES}/${id}/replay`, { token: admin.token });
    expect(replayed.status).toBe(202);
    expect(replayed.body.status).toBe("pending");
    const done = await waitFor(
      async () => (await call("GET", `${DELIVERIES}/${id}`, { token: admin.token })).body,
      (d) => d.status === "succeeded",
    );
    expect(done).toMatchObject({ attempts: 5, lastStatusCode: 200 });
    expect(recv.received.length).toBe(5);
    expect(recv.received[4]!.body).toBe(recv.received[0]!.body);
    await call("DELETE", `${SUBS}/${sub.body.id}`, { token: admin.token });
  });

  it("replays every failed delivery of a subscription since a time, and only those", async () => {
    const admin = await signInWithRoles(["operator"]);
    let secret = "";
    let up = false;
    const recv = webhookReceiver(
      "https://hooks.replay.test/",
      () => [secret],
      () => (up ? 200 : 500),
    );
    routeFetch([recv.route]);
    const sub = await subscribe(admin, { url: "https://hooks.replay.test/", events: ["refund.succeeded"] });
    secret = sub.body.secret;
    const since = new Date(Date.now() - 1000).toISOString();
    const { e, deliveryIds } = await fanOut([await outboxMessage("refund.succeeded"), await outboxMessage("refund.succeeded")], {
      WEBHOOK_MAX_ATTEMPTS: "1",
    });
    expect(deliveryIds.length).toBe(2);
    for (const id of deliveryIds) await sendOnce(e, id, 1);
    expect((await deliveriesOf(admin, sub.body.id)).map((d) => d.status)).toEqual(["failed", "failed"]);

    const stranger = (await merchantWorld({ technician: false })).merchantAdmin;
    expectProblem(await call("POST", `${SUBS}/${sub.body.id}/replay`, { token: stranger.token, body: { since } }), 404);
    expectProblem(
      await call("POST", `${SUBS}/${sub.body.id}/replay`, { token: admin.token, body: { since: "yesterday" } }),
      400,
      "VALIDATION_FAILED",
    );
    up = true;
    const res = await call("POST", `${SUBS}/${sub.body.id}/replay`, { token: admin.token, body: { since } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toEqual({ replayed: 2, more: false });
    const log = await waitFor(
      () => deliveriesOf(admin, sub.body.id),
      (items) => items.every((d) => d.status === "succeeded"),
    );
    expect(log.map((d) => d.attempts)).toEqual([2, 2]);
    // Nothing is failed any more: a second replay sends nothing.
    expect((await call("POST", `${SUBS}/${sub.body.id}/replay`, { token: admin.token, body: { since } })).body).toEqual({
      replayed: 0,
      more: false,
    });
    await call("DELETE", `${SUBS}/${sub.body.id}`, { token: admin.token });
  });

  it("signs with the new and the old secret during a rotation's overlap, and with the new one alone after it", async () => {
    const admin = await signInWithRoles(["operator"]);
    const recv = webhookReceiver("https://hooks.rotate.test/", () => []);
    routeFetch([recv.route]);
    const sub = await subscribe(admin, { url: "https://hooks.rotate.test/", events: ["order.cancelled"] });
    const s1 = sub.body.secret as string;
    const rotated = await call("POST", `${SUBS}/${sub.body.id}/rotate-secret`, { token: admin.token, body: { overlapSeconds: 3600 } });
    expect(rotated.status).toBe(200);
    const s2 = rotated.body.secret as string;
    expect(s2).not.toBe(s1);
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(3_590_000);

    const deliver = async () => {
      const { e, deliveryIds } = await fanOut([await outboxMessage("order.status")]);
      await sendOnce(e, deliveryIds[0]!, 1);
      return recv.received[recv.received.length - 1]!;
    };
    const during = await deliver();
    const [, v1new, v1old] = during.signature!.split(",");
    expect(during.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    const t = during.signature!.split(",")[0]!;
    // The new secret's signature comes first; a receiver holding either secret accepts the delivery.
    expect(await verifySignature(`${t},${v1new}`, during.body, [s2])).toBe(true);
    expect(await verifySignature(`${t},${v1new}`, during.body, [s1])).toBe(false);
    expect(await verifySignature(`${t},${v1old}`, during.body, [s1])).toBe(true);
    expect(await verifySignature(during.signature, during.body, [s1])).toBe(true);
    expect(await verifySignature(during.signature, during.body, [s2])).toBe(true);

    // The overlap over (test set-up: its end moved into the past): the old secret no longer signs.
    await env.DB.prepare("UPDATE webhook_subscriptions SET previous_secret_until = ? WHERE id = ?")
      .bind(Date.now() - 1, sub.body.id)
      .run();
    expect((await call("GET", `${SUBS}/${sub.body.id}`, { token: admin.token })).body.previousSecretExpiresAt).toBeNull();
    const after = await deliver();
    expect(after.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(await verifySignature(after.signature, after.body, [s2])).toBe(true);
    expect(await verifySignature(after.signature, after.body, [s1])).toBe(false);

    // A rotation without overlap: the previous secret stops at once.
    const s3 = (await call("POST", `${SUBS}/${sub.body.id}/rotate-secret`, { token: admin.token, body: { overlapSeconds: 0 } })).body
      .secret as string;
    const now = await deliver();
    expect(await verifySignature(now.signature, now.body, [s3])).toBe(true);
    expect(await verifySignature(now.signature, now.body, [s2])).toBe(false);
    await call("DELETE", `${SUBS}/${sub.body.id}`, { token: admin.token });
  });

  it("holds deliveries while a subscription is paused and sends them when it resumes; a deleted one gets nothing", async () => {
    const admin = await signInWithRoles(["operator"]);
    let secret = "";
    const recv = webhookReceiver("https://hooks.pause.test/", () => [secret]);
    routeFetch([recv.route]);
    const sub = await subscribe(admin, { url: "https://hooks.pause.test/", events: ["order.cancelled"] });
    secret = sub.body.secret;
    const paused = await call("PATCH", `${SUBS}/${sub.body.id}`, { token: admin.token, body: { status: "paused" } });
    expect(paused.body.status).toBe("paused");
    // Written as held, and not queued to be sent.
    expect((await fanOut([await outboxMessage("order.status")])).deliveryIds).toEqual([]);
    const [held] = await deliveriesOf(admin, sub.body.id);
    expect(held).toMatchObject({ status: "held", attempts: 0 });
    expect(recv.received.length).toBe(0);
    expectProblem(await call("POST", `${DELIVERIES}/${held!.id}/replay`, { token: admin.token }), 409, "CONFLICT");

    expect((await call("PATCH", `${SUBS}/${sub.body.id}`, { token: admin.token, body: { status: "active" } })).body.status).toBe("active");
    await waitFor(
      () => deliveriesOf(admin, sub.body.id),
      (items) => items[0]?.status === "succeeded",
    );
    expect(recv.received.length).toBe(1);
    expect(recv.received[0]!.verified).toBe(true);

    expect((await call("DELETE", `${SUBS}/${sub.body.id}`, { token: admin.token })).status).toBe(204);
    const late = await fanOut([await outboxMessage("order.status")]);
    expect(late.deliveryIds).toEqual([]);
    expect(recv.received.length).toBe(1);
  });
});

describe("the SSRF guard", () => {
  const refused: [string, string][] = [
    ["http://hooks.example.com/in", "not_https"],
    ["https://10.1.2.3/in", "private_address"],
    ["https://192.168.0.10/in", "private_address"],
    ["https://127.0.0.1/in", "loopback_address"],
    ["https://2130706433/in", "loopback_address"],
    ["https://169.254.169.254/latest/meta-data/", "metadata_address"],
    ["https://[::1]/in", "loopback_address"],
    ["https://[::ffff:10.0.0.1]/in", "private_address"],
    ["https://[fe80::1]/in", "link_local_address"],
    ["https://localhost/in", "local_name"],
    ["https://api.localhost/in", "local_name"],
    ["https://metadata.google.internal/computeMetadata/v1/", "metadata_address"],
    ["https://user:pass@hooks.example.com/in", "credentials_in_url"],
    ["http://127.0.0.1:8788/in", "not_https"],
  ];

  it("answers 422 WEBHOOK_URL_REFUSED with the reason for every private, loopback, link-local or metadata target, and writes nothing", async () => {
    const admin = await signInWithRoles(["operator"]);
    const before = await subscriptionRows();
    for (const [url, reason] of refused) {
      const res = await subscribe(admin, { url, events: ["order.created"] });
      expectProblem(res, 422, "WEBHOOK_URL_REFUSED");
      expect(res.body.reason, url).toBe(reason);
      expect(res.body.errors).toEqual([{ path: "body.url", message: reason }]);
    }
    expect(await subscriptionRows()).toBe(before);
    // A change of URL is checked the same way and changes nothing.
    const sub = await subscribe(admin, { url: "https://hooks.example.com/in", events: ["order.created"] });
    expect(sub.status).toBe(201);
    expectProblem(
      await call("PATCH", `${SUBS}/${sub.body.id}`, { token: admin.token, body: { url: "https://[::1]/x" } }),
      422,
      "WEBHOOK_URL_REFUSED",
    );
    expect((await call("GET", `${SUBS}/${sub.body.id}`, { token: admin.token })).body.url).toBe("https://hooks.example.com/in");
    await call("DELETE", `${SUBS}/${sub.body.id}`, { token: admin.token });
  });

  it("takes http://127.0.0.1 only when WEBHOOK_ALLOW_LOCAL_HTTP is on", async () => {
    const admin = await signInWithRoles(["operator"]);
    const body = { url: "http://127.0.0.1:8788/in", events: ["order.created"] };
    expectProblem(await subscribe(admin, body), 422, "WEBHOOK_URL_REFUSED");
    const local = { ...env, WEBHOOK_ALLOW_LOCAL_HTTP: "1" } as Env;
    const ok = await callWith(local, "POST", SUBS, { token: admin.token, body });
    expect(ok.status).toBe(201);
    // Only 127.0.0.1 and only plain http to it: other local targets stay refused.
    expectProblem(await callWith(local, "POST", SUBS, { token: admin.token, body: { ...body, url: "http://10.0.0.1/in" } }), 422);
    expectProblem(await callWith(local, "POST", SUBS, { token: admin.token, body: { ...body, url: "http://localhost:8788/in" } }), 422);
    await call("DELETE", `${SUBS}/${ok.body.id}`, { token: admin.token });
  });

  it("resolves host names over DNS-over-HTTPS when WEBHOOK_DOH_URL is set and refuses one that points inside", async () => {
    const admin = await signInWithRoles(["operator"]);
    const asked: string[] = [];
    const records: Record<string, { A?: string[]; AAAA?: string[] }> = {
      "inside.example.com": { A: ["10.0.0.5"] },
      "sneaky.example.com": { A: ["93.184.216.34"], AAAA: ["::1"] },
      "public.example.com": { A: ["93.184.216.34"] },
    };
    routeFetch([
      [
        "https://doh.test/dns-query",
        (req) => {
          const u = new URL(req.url);
          const name = u.searchParams.get("name")!;
          const type = u.searchParams.get("type") as "A" | "AAAA";
          asked.push(`${name} ${type} ${req.headers.get("accept")}`);
          const data = records[name]?.[type] ?? [];
          return Promise.resolve(
            Response.json({ Status: 0, Answer: data.map((d) => ({ name, type: type === "A" ? 1 : 28, TTL: 60, data: d })) }),
          );
        },
      ],
    ]);
    const doh = { ...env, WEBHOOK_DOH_URL: "https://doh.test/dns-query" } as Env;
    const post = (url: string) => callWith(doh, "POST", SUBS, { token: admin.token, body: { url, events: ["order.created"] } });
    const inside = await post("https://inside.example.com/in");
    expectProblem(inside, 422, "WEBHOOK_URL_REFUSED");
    expect(inside.body.reason).toBe("private_address");
    expect((await post("https://sneaky.example.com/in")).body.reason).toBe("loopback_address");
    expect((await post("https://nowhere.example.com/in")).body.reason).toBe("unresolvable");
    const ok = await post("https://public.example.com/in");
    expect(ok.status).toBe(201);
    expect(asked).toContain("public.example.com AAAA application/dns-json");
    await call("DELETE", `${SUBS}/${ok.body.id}`, { token: admin.token });
  });
});

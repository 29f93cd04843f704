import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { OpenAPIHono } from "@hono/zod-openapi";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { getDb } from "../../src/db/client";
import { outboxRow, runBatch } from "../../src/db/repositories/statements";
import type { AppEnv } from "../../src/env";
import { AppError } from "../../src/errors";
import worker from "../../src/index";
import { drainOutbox, OUTBOX_GRACE_MS } from "../../src/notifications/outbox.service";
import { at, book, newCustomer, quote, task, waitFor } from "../support/booking";
import { countingEnv } from "../support/counting";
import { freshCenter } from "../support/fixtures";
import { call, callWith, expectProblem, signInWithRoles, type Session } from "../support/http";
import { capturingQueue, consume, outboxRows, watchingSends, writeOutbox } from "../support/queue";
import { addTechnician, createWorld } from "../support/world";

interface Notice {
  id: string;
  kind: string;
  title: { zh: string; en: string };
  data: { orderId?: string };
  read: boolean;
}

async function inbox(s: Session, query = ""): Promise<{ items: Notice[]; unread: number; nextCursor: string | null }> {
  const res = await call("GET", `/v1/me/notifications${query}`, { token: s.token });
  expect(res.status).toBe(200);
  return res.body;
}

/** Waits until the account has a notice of `kind` about `orderId` (delivered by the real queue consumer). */
async function noticeOf(s: Session, kind: string, orderId: string): Promise<Notice> {
  const list = await waitFor(
    () => inbox(s),
    (b) => b.items.some((n) => n.kind === kind && n.data.orderId === orderId),
    15_000,
  );
  const found = list.items.find((n) => n.kind === kind && n.data.orderId === orderId);
  if (!found) throw new Error(`no ${kind} notice for ${orderId}; have ${JSON.stringify(list.items.map((n) => n.kind))}`);
  return found;
}

async function bookedWorld() {
  const w = await createWorld(freshCenter());
  const tech = await addTechnician(w, w.center);
  const techSession = await tech.session();
  const customer = await newCustomer(w.center);
  const res = await book(customer, await quote(w, customer, at(w, 2, "10:00")));
  expect(res.status).toBe(201);
  return { w, tech, techSession, customer, order: res.body as { id: string; status: string; start: string } };
}

/** The order's outbox message of `topic` whose payload moved it `to`. */
async function envelope(orderId: string, to = "assigned", topic = "order.status") {
  const row = (await outboxRows(orderId)).find((r) => r.topic === topic && JSON.parse(r.payload).to === to);
  if (!row) throw new Error(`no ${topic} message to ${to} for ${orderId}`);
  return { id: row.id, topic: row.topic, payload: JSON.parse(row.payload) as Record<string, unknown> };
}

describe("notifications through the outbox and the queue", () => {
  it("tells the technician of a new job and the customer of each step, through the real queue", async () => {
    const { techSession, customer, order } = await bookedWorld();
    expect(order.status).toBe("assigned");

    const offer = await noticeOf(techSession, "task.offered", order.id);
    expect(offer.title.zh).toBe("您有新订单");
    expect(offer.read).toBe(false);
    await noticeOf(customer.session, "order.confirmed", order.id);

    expect((await task(techSession, order.id, "accept")).status).toBe(200);
    await noticeOf(customer.session, "order.accepted", order.id);
    expect((await task(techSession, order.id, "depart")).status).toBe(200);
    await noticeOf(customer.session, "order.en_route", order.id);

    // every message of the order was handed to the queue, none is waiting
    await waitFor(
      () => outboxRows(order.id),
      (rows) => rows.every((r) => r.sent_at !== null),
    );
    expect((await outboxRows(order.id)).every((r) => r.sent_at !== null)).toBe(true);
  });

  it("lists newest first with an unread count, marks read one or all, and keeps accounts apart", async () => {
    const { techSession, customer, order } = await bookedWorld();
    await noticeOf(customer.session, "order.confirmed", order.id);
    expect((await task(techSession, order.id, "accept")).status).toBe(200);
    await noticeOf(customer.session, "order.accepted", order.id);

    const before = await inbox(customer.session);
    expect(before.items.map((n) => n.kind)).toEqual(["order.accepted", "order.confirmed"]);
    expect(before.unread).toBe(2);
    const paged = await inbox(customer.session, "?limit=1");
    expect(paged.items).toHaveLength(1);
    expect(paged.nextCursor).not.toBeNull();
    expect((await inbox(customer.session, `?limit=1&cursor=${paged.nextCursor}`)).items[0]!.kind).toBe("order.confirmed");

    const first = before.items[1]!;
    const read = await call("POST", `/v1/me/notifications/${first.id}/read`, { token: customer.session.token });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: first.id, read: true });
    const again = await call("POST", `/v1/me/notifications/${first.id}/read`, { token: customer.session.token });
    expect(again.body.readAt).toBe(read.body.readAt);
    expect((await inbox(customer.session)).unread).toBe(1);
    expect((await inbox(customer.session, "?unread=true")).items.map((n) => n.id)).toEqual([before.items[0]!.id]);

    // someone else's notice is not found, and reading it changes nothing
    expectProblem(await call("POST", `/v1/me/notifications/${before.items[0]!.id}/read`, { token: techSession.token }), 404);
    expect((await inbox(customer.session)).unread).toBe(1);
    expect((await inbox(techSession)).items.every((n) => n.kind.startsWith("task."))).toBe(true);

    const all = await call("POST", "/v1/me/notifications/read-all", { token: customer.session.token });
    expect(all.body).toEqual({ updated: 1 });
    expect((await inbox(customer.session)).unread).toBe(0);

    expectProblem(await call("GET", "/v1/me/notifications"), 401);
    expectProblem(await call("GET", "/v1/me/notifications?unread=maybe", { token: customer.session.token }), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", "/v1/me/notifications?cursor=nonsense", { token: customer.session.token }), 400, "INVALID_CURSOR");
  });

  it("tells the customer when the job passes to another technician, and the one who declined", async () => {
    const w = await createWorld(freshCenter());
    const a = await addTechnician(w, w.center);
    const b = await addTechnician(w, { lat: w.center.lat + 0.02, lng: w.center.lng });
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 3, "14:00")))).body;
    const first = order.technician.id === a.id ? a : b;
    const firstSession = await first.session();
    expect((await task(firstSession, order.id, "decline", { reason: "too far" })).status).toBe(200);
    await noticeOf(customer.session, "order.redispatching", order.id);
    await noticeOf(firstSession, "task.reassigned", order.id);
    const second = first === a ? b : a;
    await noticeOf(await second.session(), "task.offered", order.id);
  });
});

describe("the consumer", () => {
  it("retries with backoff when a channel fails, then delivers each notice once however often it runs", async () => {
    const { techSession, order } = await bookedWorld();
    const m = await envelope(order.id);
    expect(m.payload).toMatchObject({ to: "assigned" });
    const failingPush = { ...env, PUSH_PROVIDER: "webhook", PUSH_WEBHOOK_URL: "http://127.0.0.1:9/push" } as Env;

    const failed = await consume("doorstep-notifications", [{ id: "q1", body: m, attempts: 1 }], failingPush);
    expect(failed.explicitAcks).toEqual([]);
    expect(failed.retryMessages.map((r) => r.msgId)).toEqual(["q1"]);
    const later = await consume("doorstep-notifications", [{ id: "q1", body: m, attempts: 3 }], failingPush);
    expect(later.retryMessages.map((r) => r.msgId)).toEqual(["q1"]);
    const row = (await outboxRows(order.id)).find((r) => r.id === m.id)!;
    expect(row.attempts).toBe(3);
    expect(row.last_error).toMatch(/./);
    // the in-app notice went in before the push failed; SMS had not been tried
    const deliveries = async () =>
      (
        await env.DB.prepare("SELECT channel FROM notification_deliveries WHERE message_id = ? ORDER BY channel")
          .bind(`${m.id}#task.offered`)
          .all<{
            channel: string;
          }>()
      ).results.map((r) => r.channel);

    // the background drain may have delivered it through the real queue already; either way, each
    // channel is delivered exactly once from here on
    const ok = await consume("doorstep-notifications", [{ id: "q1", body: m, attempts: 4 }]);
    expect(ok.explicitAcks).toEqual(["q1"]);
    expect(ok.retryMessages).toEqual([]);
    expect(await deliveries()).toEqual(["push", "sms"]);
    await consume("doorstep-notifications", [{ id: "q1", body: m, attempts: 5 }]);
    await consume("doorstep-notifications", [{ id: "q2", body: m, attempts: 1 }]);
    expect(await deliveries()).toEqual(["push", "sms"]);
    const offers = (await inbox(techSession)).items.filter((n) => n.kind === "task.offered" && n.data.orderId === order.id);
    expect(offers).toHaveLength(1);
  });

  it("reads once and writes once per queue batch, however many messages it holds", async () => {
    const { order } = await bookedWorld();
    const m = await envelope(order.id);
    /** What one batch of `n` fresh copies of the message costs, counted on the real bindings. */
    const batchOf = async (n: number) => {
      const copies = Array.from({ length: n }, () => ({ ...m, id: `msg_rt${crypto.randomUUID().replace(/-/g, "")}` }));
      await writeOutbox(copies);
      const counted = countingEnv();
      const r = await consume(
        "doorstep-notifications",
        copies.map((c, i) => ({ id: `rt${n}-${i}`, body: c })),
        counted.env,
      );
      expect(r.explicitAcks.sort()).toEqual(copies.map((_, i) => `rt${n}-${i}`).sort());
      expect(r.retryMessages).toEqual([]);
      // the consumer marked every row of the batch sent
      const marked = await env.DB.prepare(
        "SELECT count(*) AS n FROM outbox WHERE id IN (SELECT value FROM json_each(?)) AND sent_at IS NOT NULL",
      )
        .bind(JSON.stringify(copies.map((c) => c.id)))
        .first<number>("n");
      expect(marked).toBe(n);
      return { copies, counts: counted.counts };
    };
    const two = await batchOf(2);
    const twenty = await batchOf(20);
    for (const { counts } of [two, twenty]) {
      // one statement reads everything, one batch writes notices, deliveries, the rows marked sent
      // and the batch's queue lag (the metrics rollup); then the live map reads the batch's orders
      // once to tell their cells (src/operations live-socket)
      expect(counts.d1).toBe(3);
      expect(counts.sql[0]).toMatch(/^SELECT/);
      expect(counts.sql[1]).toMatch(/UPDATE outbox SET sent_at/);
      expect(counts.sql[2]).toMatch(/^select .* from "orders" left join "technicians"/i);
      expect(counts.batchedStatements).toBeLessThanOrEqual(4);
      expect(counts.drain).toBe(0);
    }
    // the statements do not grow with the batch: 20 messages cost what 2 do
    expect(twenty.counts.batchedStatements).toBe(two.counts.batchedStatements);
    // and each of the 20 told the technician once
    const sources = await env.DB.prepare(
      "SELECT count(DISTINCT source_id) AS n FROM notifications WHERE source_id IN (SELECT value || '#task.offered' FROM json_each(?))",
    )
      .bind(JSON.stringify(twenty.copies.map((c) => c.id)))
      .first<number>("n");
    expect(sources).toBe(20);
  });

  it("reads nothing for a message that is not for people, and only marks it sent", async () => {
    const unrelated = countingEnv();
    await writeOutbox([{ id: "msg_rt2", topic: "ledger.posted", payload: {} }]);
    const r = await consume(
      "doorstep-notifications",
      [{ id: "rt2", body: { id: "msg_rt2", topic: "ledger.posted", payload: {} } }],
      unrelated.env,
    );
    expect(r.explicitAcks).toEqual(["rt2"]);
    expect(unrelated.counts.sql).toEqual([expect.stringMatching(/^UPDATE outbox SET sent_at/)]);
    expect(await env.DB.prepare("SELECT sent_at FROM outbox WHERE id = 'msg_rt2'").first("sent_at")).not.toBeNull();
  });

  it("drops a message whose outbox row was never written, and delivers the rest of its batch", async () => {
    const { order } = await bookedWorld();
    const m = await envelope(order.id);
    const ghost = { ...m, id: `msg_ghost${crypto.randomUUID().replace(/-/g, "")}` };
    const real = { ...m, id: `msg_real${crypto.randomUUID().replace(/-/g, "")}` };
    await writeOutbox([real]);
    const logs = vi.spyOn(console, "warn");
    const r = await consume("doorstep-notifications", [
      { id: "ghost1", body: ghost },
      { id: "real1", body: real },
    ]);
    expect(r.explicitAcks.sort()).toEqual(["ghost1", "real1"]);
    expect(r.retryMessages).toEqual([]);
    const notices = async (id: string) =>
      (await env.DB.prepare("SELECT count(*) AS n FROM notifications WHERE source_id LIKE ?").bind(`${id}#%`).first<number>("n")) ?? 0;
    expect(await notices(ghost.id)).toBe(0);
    expect(await notices(real.id)).toBeGreaterThan(0);
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM notification_deliveries WHERE message_id LIKE ?").bind(`${ghost.id}#%`).first("n"),
    ).toBe(0);
    // no row was made up for it either
    expect(await env.DB.prepare("SELECT id FROM outbox WHERE id = ?").bind(ghost.id).first()).toBeNull();
    expect(logs.mock.calls.some(([line]) => String(line).includes('"msg":"notification.dropped"') && String(line).includes(ghost.id))).toBe(
      true,
    );
    logs.mockRestore();
  });

  it("delivers a message already marked sent all the same, each channel once", async () => {
    const { order } = await bookedWorld();
    const m = await envelope(order.id);
    const copy = { ...m, id: `msg_sent${crypto.randomUUID().replace(/-/g, "")}` };
    await writeOutbox([copy]);
    await env.DB.prepare("UPDATE outbox SET sent_at = 1 WHERE id = ?").bind(copy.id).run();
    expect((await consume("doorstep-notifications", [{ id: "sent1", body: copy }])).explicitAcks).toEqual(["sent1"]);
    expect((await consume("doorstep-notifications", [{ id: "sent2", body: copy }])).explicitAcks).toEqual(["sent2"]);
    const channels = await env.DB.prepare("SELECT channel FROM notification_deliveries WHERE message_id = ? ORDER BY channel")
      .bind(`${copy.id}#task.offered`)
      .all<{ channel: string }>();
    expect(channels.results.map((c) => c.channel)).toEqual(["push", "sms"]);
    // the first mark stands
    expect(await env.DB.prepare("SELECT sent_at FROM outbox WHERE id = ?").bind(copy.id).first("sent_at")).toBe(1);
  });

  it("parks a message the queue gave up on as a dead letter; operators list and replay it once", async () => {
    const { techSession, customer, order } = await bookedWorld();
    const m = await envelope(order.id);
    const failingPush = { ...env, PUSH_PROVIDER: "webhook", PUSH_WEBHOOK_URL: "http://127.0.0.1:9/push" } as Env;
    await consume("doorstep-notifications", [{ id: "q9", body: m, attempts: 6 }], failingPush);
    const dlq = await consume("doorstep-notifications-dlq", [{ id: "q9", body: m, attempts: 6 }]);
    expect(dlq.explicitAcks).toEqual(["q9"]);

    const admin = await signInWithRoles(["operator"]);
    const list = await call("GET", "/v1/admin/notifications/dead-letters?pending=true", { token: admin.token });
    expect(list.status).toBe(200);
    const dead = list.body.items.find((d: { id: string }) => d.id === m.id);
    expect(dead).toMatchObject({ topic: "order.status", attempts: 6, replayedAt: null });
    expect(dead.error).toMatch(/./);

    expectProblem(await call("GET", "/v1/admin/notifications/dead-letters", { token: customer.session.token }), 403);
    expectProblem(await call("POST", `/v1/admin/notifications/dead-letters/${m.id}/replay`, { token: customer.session.token }), 403);
    expectProblem(await call("POST", "/v1/admin/notifications/dead-letters/msg_nothing/replay", { token: admin.token }), 404);

    const replayed = await call("POST", `/v1/admin/notifications/dead-letters/${m.id}/replay`, { token: admin.token });
    expect(replayed.status).toBe(200);
    expect(replayed.body.replayedAt).not.toBeNull();
    expectProblem(
      await call("POST", `/v1/admin/notifications/dead-letters/${m.id}/replay`, { token: admin.token }),
      409,
      "ALREADY_REPLAYED",
    );
    // the real queue consumer delivers the replay
    await noticeOf(techSession, "task.offered", order.id);
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ?").bind(m.id).all<{ action: string }>();
    expect(audit.results.map((r) => r.action)).toEqual(["notification.replay"]);
    expect(
      (await call("GET", "/v1/admin/notifications/dead-letters?pending=true", { token: admin.token })).body.items.some(
        (d: { id: string }) => d.id === m.id,
      ),
    ).toBe(false);
  });

  it("dead-letters a body that is not an outbox message at once, without retrying it", async () => {
    const r = await consume("doorstep-notifications", [{ id: "junk1", body: "hello" }]);
    expect(r.explicitAcks).toEqual(["junk1"]);
    const row = await env.DB.prepare("SELECT topic FROM dead_letters WHERE id = 'msg_malformedjunk1'").first<{ topic: string }>();
    expect(row?.topic).toBe("malformed");
  });

  it("dead-letters a message whose payload does not match its topic at once, saying what is wrong", async () => {
    const body = { id: "msg_badpayload1", topic: "order.status", payload: { orderId: 42 } };
    const r = await consume("doorstep-notifications", [{ id: "bad1", body }]);
    expect(r.explicitAcks).toEqual(["bad1"]);
    expect(r.retryMessages).toEqual([]);
    const row = await env.DB.prepare("SELECT topic, error FROM dead_letters WHERE id = 'msg_badpayload1'").first<{
      topic: string;
      error: string;
    }>();
    expect(row?.topic).toBe("order.status");
    expect(row?.error).toMatch(/^not a valid outbox message: payload\.orderId: /);
  });

  it("gives none for topics that are not for people", async () => {
    const r = await consume("doorstep-notifications", [{ id: "other1", body: { id: "msg_other1", topic: "ledger.posted", payload: {} } }]);
    expect(r.explicitAcks).toEqual(["other1"]);
  });
});

describe("the outbox hand-off", () => {
  it("sends what a request wrote after its answer, with no D1 statement, and nothing for an answer of 400 or more", async () => {
    // A route of its own that writes an outbox message, then answers as told.
    const probe = new OpenAPIHono<AppEnv>();
    probe.post("/v1/test-outbox/:status", async (c) => {
      const status = Number(c.req.param("status"));
      const id = `msg_probe${crypto.randomUUID().replace(/-/g, "")}`;
      await runBatch(getDb(c.env), [
        outboxRow(
          getDb(c.env),
          { id, topic: "withdrawal.paid", payload: { withdrawalId: "wd_x", technicianId: "tch_x", amount: 1 } },
          Date.now(),
        ),
      ]);
      if (status >= 400) throw AppError.of(status === 409 ? "ALREADY_REPLAYED" : "VALIDATION_FAILED");
      return c.json({ id }, 200);
    });
    const app = createApp([probe]);
    const run = async (status: number) => {
      const captured = capturingQueue();
      const { env: counted, counts } = countingEnv({ ...env, NOTIFICATIONS: captured.queue } as Env);
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`http://doorstep.test/v1/test-outbox/${status}`, { method: "POST" }), counted, ctx);
      await waitOnExecutionContext(ctx);
      return { res, counts, sent: captured.sent };
    };
    const ok = await run(200);
    expect(ok.res.status).toBe(200);
    const { id } = (await ok.res.json()) as { id: string };
    expect(ok.sent.map((m) => m.id)).toEqual([id]);
    expect(ok.sent[0]).toEqual({ id, topic: "withdrawal.paid", payload: { withdrawalId: "wd_x", technicianId: "tch_x", amount: 1 } });
    // the write itself, and nothing after it: no claim, no settle, one send
    expect(ok.counts).toMatchObject({ d1: 1, drain: 0, queue: 1 });

    for (const status of [409, 400]) {
      const refused = await run(status);
      expect(refused.res.status).toBe(status);
      expect(refused.sent).toEqual([]);
      expect(refused.counts).toMatchObject({ drain: 0, queue: 0 });
    }
  });

  it("leaves what the request could not hand over to the cron's backstop, which sends it after the grace and not before", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const customer = await newCustomer(w.center);
    const q = await quote(w, customer, at(w, 2, "10:00"));
    const refusing = new Proxy(env.NOTIFICATIONS, {
      get(target, prop) {
        if (prop === "sendBatch") return () => Promise.reject(new Error("injected queue failure"));
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const logs = vi.spyOn(console, "error");
    const booked = await callWith({ ...env, NOTIFICATIONS: refusing } as Env, "POST", "/v1/orders", {
      token: customer.session.token,
      headers: { "Idempotency-Key": `backstop-${crypto.randomUUID()}` },
      body: { quoteId: q.id, addressId: customer.addressId, start: q.start, paymentPlan: "after_service" },
    });
    expect(booked.status).toBe(201);
    const orderId = booked.body.id as string;
    expect(logs.mock.calls.some(([line]) => String(line).includes('"msg":"outbox.send_failed"'))).toBe(true);
    logs.mockRestore();
    const unsent = async () => (await outboxRows(orderId)).filter((r) => r.sent_at === null).map((r) => r.id);
    const written = (await outboxRows(orderId)).map((r) => r.id);
    expect(written.length).toBeGreaterThanOrEqual(2);
    expect(await unsent()).toEqual(written);

    // Within the grace the backstop leaves them alone (the request path may still be on it).
    const { queue: watching, sent } = watchingSends(env.NOTIFICATIONS);
    const early = await drainOutbox({ ...env, NOTIFICATIONS: watching } as Env, { now: Date.now() + OUTBOX_GRACE_MS - 10_000 });
    expect(sent.filter((id) => written.includes(id))).toEqual([]);
    expect(early.failed).toBe(0);
    expect(await unsent()).toEqual(written);

    // After it, the cron's run sends them (and marks them sent), and the real consumer tells people.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + OUTBOX_GRACE_MS + 1_000);
      await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), {
        ...env,
        NOTIFICATIONS: watching,
      } as Env);
    } finally {
      vi.useRealTimers();
    }
    expect(sent.filter((id) => written.includes(id)).sort()).toEqual([...written].sort());
    expect(await unsent()).toEqual([]);
    await noticeOf(customer.session, "order.confirmed", orderId);
  });

  it("never hands one message to two concurrent drains", async () => {
    const now = Date.now();
    const ids = Array.from({ length: 30 }, (_, i) => `msg_conc${String(i).padStart(3, "0")}`);
    await env.DB.batch(
      ids.map((id) =>
        env.DB.prepare("INSERT INTO outbox (id, topic, payload, created_at) VALUES (?, 'test.none', '{}', ?)").bind(id, now - 3_600_000),
      ),
    );
    const { queue: counting, sent } = watchingSends(env.NOTIFICATIONS);
    await Promise.all(Array.from({ length: 5 }, () => drainOutbox({ ...env, NOTIFICATIONS: counting })));
    const mine = sent.filter((id) => ids.includes(id));
    expect(mine.sort()).toEqual(ids);
  });
});

describe("reminders from the cron trigger", () => {
  it("reminds customer and technician 24 h and 1 h before the visit, once each", async () => {
    const { techSession, customer, order } = await bookedWorld();
    const start = Date.parse(order.start);
    const run = async (now: number) => {
      await worker.scheduled(createScheduledController({ scheduledTime: now, cron: "* * * * *" }), env);
    };
    const reminders = async () => (await outboxRows(order.id)).filter((r) => r.topic === "order.reminder");

    await run(start - 25 * 3_600_000);
    expect(await reminders()).toHaveLength(0);
    await run(start - 23 * 3_600_000);
    await run(start - 22 * 3_600_000);
    expect((await reminders()).map((r) => JSON.parse(r.payload).lead)).toEqual(["24h"]);
    await noticeOf(customer.session, "reminder.24h", order.id);
    await noticeOf(techSession, "reminder.24h", order.id);

    await run(start - 30 * 60_000);
    await run(start - 20 * 60_000);
    expect((await reminders()).map((r) => JSON.parse(r.payload).lead).sort()).toEqual(["1h", "24h"]);
    const hour = await noticeOf(customer.session, "reminder.1h", order.id);
    expect(hour.title.en).toBe("Visit within the hour");
  });

  it("sends no reminder for a cancelled order or one booked inside the reminder window", async () => {
    const { customer, order } = await bookedWorld();
    const start = Date.parse(order.start);
    expect(
      (await call("POST", `/v1/orders/${order.id}/cancel`, { token: customer.session.token, body: { reason: "plans changed" } })).status,
    ).toBe(200);
    await worker.scheduled(createScheduledController({ scheduledTime: start - 30 * 60_000, cron: "* * * * *" }), env);

    expect((await outboxRows(order.id)).filter((r) => r.topic === "order.reminder")).toEqual([]);

    // an order booked two hours before its start gets the 1 h reminder but never a "tomorrow" one
    const late = await bookedWorld();
    const lateStart = Date.parse(late.order.start);
    await env.DB.prepare("UPDATE orders SET created_at = ? WHERE id = ?")
      .bind(lateStart - 2 * 3_600_000, late.order.id)
      .run();
    for (const now of [lateStart - 100 * 60_000, lateStart - 50 * 60_000]) {
      await worker.scheduled(createScheduledController({ scheduledTime: now, cron: "* * * * *" }), env);
    }
    const leads = (await outboxRows(late.order.id)).filter((r) => r.topic === "order.reminder").map((r) => JSON.parse(r.payload).lead);
    expect(leads).toEqual(["1h"]);
  });
});

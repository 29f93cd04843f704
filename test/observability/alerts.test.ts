/**
 * Alerts: each trigger (dead letters, exception queue above the threshold, a cell alarm that keeps
 * failing; reconciliation mismatches in test/money/statements.test.ts) reaches the signed webhook
 * and the operators' notification centre, once per key within ALERT_DEDUP_MINUTES.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signAlert } from "../../src/adapters/alert-webhook";
import { ALARM_FAILURES_REPORTED } from "../../src/domain/cell-events";
import { checkExceptionQueues, raiseAlert } from "../../src/observability";
import { alertReceiver, ALERT_SECRET, ALERT_URL, verifyAlertSignature } from "../support/alert-receiver";
import { at, book, newCustomer, quote } from "../support/booking";
import { cellOutbox, deliverCellEvents, freshCell, runCellAlarm, withCellEnv } from "../support/cell";
import { routeFetch } from "../support/fetch-routes";
import { freshCenter } from "../support/fixtures";
import { call, signInAdmin } from "../support/http";
import { consume } from "../support/queue";
import { addTechnician, createWorld } from "../support/world";

const alerting = (extra: Record<string, string> = {}) =>
  ({ ...env, ALERT_WEBHOOK_URL: ALERT_URL, ALERT_WEBHOOK_SECRET: ALERT_SECRET, ...extra }) as Env;

function installReceiver(secret = ALERT_SECRET) {
  const receiver = alertReceiver(secret);
  routeFetch([[ALERT_URL, (req) => receiver.handle(req)]]);
  return receiver;
}

async function alertRow(key: string) {
  return env.DB.prepare("SELECT kind, occurrences, suppressed, sent_at AS sentAt FROM alerts WHERE key = ?")
    .bind(key)
    .first<{ kind: string; occurrences: number; suppressed: number; sentAt: number }>();
}

/** The admin's (an operator's) notices of kind `alert.<kind>`. */
async function operatorNotices(kind: string) {
  const admin = await signInAdmin();
  const res = await call("GET", "/v1/me/notifications?limit=100", { token: admin.token });
  return (res.body.items as { kind: string; title: { zh: string; en: string }; data: Record<string, unknown> }[]).filter(
    (n) => n.kind === `alert.${kind}`,
  );
}

afterEach(() => vi.restoreAllMocks());

describe("the alert webhook", () => {
  it("posts JSON signed with the secret, which the receiver verifies", async () => {
    const receiver = installReceiver();
    const key = `test:${crypto.randomUUID()}`;
    const out = await raiseAlert(alerting(), { kind: "dead_letter", key, details: { queue: "q", id: "msg_1", topic: "order.status" } });
    expect(out).toMatchObject({ sent: true, webhook: true });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]).toMatchObject({ status: 200, body: { kind: "dead_letter", key, details: { queue: "q" } } });
    const body = receiver.received[0]!.body!;
    expect(body.title).toEqual({ zh: expect.any(String), en: expect.any(String) });
  });

  it("a receiver with another secret refuses it (401), and the failure is logged, not thrown", async () => {
    const receiver = installReceiver("some-other-secret-entirely-000000");
    vi.spyOn(console, "error").mockImplementation(() => {});
    const out = await raiseAlert(alerting(), { kind: "dead_letter", key: `test:${crypto.randomUUID()}`, details: { queue: "q" } });
    expect(receiver.received.map((r) => r.status)).toEqual([401]);
    expect(out).toMatchObject({ sent: true, webhook: false });
  });

  it("a tampered body or a stale timestamp does not verify", async () => {
    const body = JSON.stringify({ kind: "dead_letter", key: "k" });
    const now = Date.now();
    const header = await signAlert(ALERT_SECRET, body, Math.floor(now / 1000));
    expect(await verifyAlertSignature(ALERT_SECRET, header, body, now)).toBe(true);
    expect(await verifyAlertSignature(ALERT_SECRET, header, body.replace('"k"', '"K"'), now)).toBe(false);
    expect(await verifyAlertSignature(ALERT_SECRET, header, body, now + 600_000)).toBe(false);
  });

  it("is refused by the configuration without its secret", async () => {
    const { parseConfig } = await import("../../src/config");
    const vars = env as unknown as Record<string, unknown>;
    expect(() => parseConfig({ ...vars, ALERT_WEBHOOK_URL: ALERT_URL, ALERT_WEBHOOK_SECRET: "" })).toThrow(/ALERT_WEBHOOK_SECRET/);
    expect(() => parseConfig({ ...vars, ALERT_WEBHOOK_URL: ALERT_URL, ALERT_WEBHOOK_SECRET: ALERT_SECRET })).not.toThrow();
  });
});

describe("de-duplication", () => {
  it("sends one key once per window, counts the repeats, and sends again after the window", async () => {
    const receiver = installReceiver();
    const key = `test:${crypto.randomUUID()}`;
    const e = alerting({ ALERT_DEDUP_MINUTES: "10" });
    const t0 = Date.now();
    const a = { kind: "dead_letter" as const, key, details: { queue: "q" } };
    expect((await raiseAlert(e, a, t0)).sent).toBe(true);
    expect((await raiseAlert(e, a, t0 + 60_000)).sent).toBe(false);
    expect(await raiseAlert(e, a, t0 + 9 * 60_000)).toMatchObject({ sent: false, suppressed: 2 });
    expect(receiver.received).toHaveLength(1);
    expect(await raiseAlert(e, a, t0 + 10 * 60_000 + 1)).toMatchObject({ sent: true, suppressed: 0 });
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.body).toMatchObject({ occurrences: 4 });
    expect(await alertRow(key)).toMatchObject({ occurrences: 4, suppressed: 0, sentAt: t0 + 10 * 60_000 + 1 });
    // Another key is not held back by this one.
    expect((await raiseAlert(e, { ...a, key: `${key}:other` }, t0 + 60_000)).sent).toBe(true);
  });

  it("racing raises of one key send it once", async () => {
    const receiver = installReceiver();
    const key = `test:${crypto.randomUUID()}`;
    const now = Date.now();
    const outs = await Promise.all(
      Array.from({ length: 8 }, () => raiseAlert(alerting(), { kind: "dead_letter", key, details: { queue: "q" } }, now)),
    );
    expect(outs.filter((o) => o.sent)).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
    expect(await alertRow(key)).toMatchObject({ occurrences: 8, suppressed: 7 });
  });
});

describe("triggers", () => {
  it("a notification dead letter alerts the webhook and every operator's notification centre", async () => {
    const receiver = installReceiver();
    vi.spyOn(console, "error").mockImplementation(() => {});
    const before = (await operatorNotices("dead_letter")).length;
    await env.DB.prepare("DELETE FROM alerts WHERE key = 'dead_letter:doorstep-notifications'").run();
    const id = `msg_dlq${crypto.randomUUID().replace(/-/g, "")}`;
    const body = { id, topic: "order.status", payload: { orderId: "ord_x" } };
    await consume("doorstep-notifications-dlq", [{ id: "d1", body }], alerting());
    expect(receiver.received.map((r) => r.body)).toEqual([
      expect.objectContaining({ kind: "dead_letter", key: "dead_letter:doorstep-notifications", details: expect.objectContaining({ id }) }),
    ]);
    const notices = await operatorNotices("dead_letter");
    expect(notices.length).toBe(before + 1);
    expect(notices[0]!.title).toEqual({ zh: "消息进入死信队列", en: "A message reached the dead letters" });
    // A second dead letter within the window: parked, counted, not sent again.
    await consume("doorstep-notifications-dlq", [{ id: "d2", body: { ...body, id: `${id}b` } }], alerting());
    expect(receiver.received).toHaveLength(1);
    expect(await alertRow("dead_letter:doorstep-notifications")).toMatchObject({ occurrences: 2, suppressed: 1 });
  });

  it("a cell event the queue gave up on alerts under the cell-events queue's key", async () => {
    const receiver = installReceiver();
    vi.spyOn(console, "error").mockImplementation(() => {});
    await env.DB.prepare("DELETE FROM alerts WHERE key = 'dead_letter:doorstep-cell-events'").run();
    await consume("doorstep-cell-events-dlq", [{ id: "c1", body: { id: "evt_1", cell: "c", type: "batch.due" } }], alerting());
    expect(receiver.received.map((r) => r.body?.key)).toEqual(["dead_letter:doorstep-cell-events"]);
  });

  it("an exception queue above the threshold alerts for its city, and is measured every run", async () => {
    const receiver = installReceiver();
    vi.spyOn(console, "error").mockImplementation(() => {});
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const c = await newCustomer(w.center);
    const ids: string[] = [];
    for (const hhmm of ["10:00", "13:00"]) {
      const o = await book(c, await quote(w, c, at(w, 2, hhmm)), { technicianId: t.id });
      expect(o.status).toBe(201);
      ids.push(o.body.id);
    }
    await env.DB.prepare(`UPDATE orders SET exception = 'no_candidate' WHERE id IN (?, ?)`)
      .bind(...ids)
      .run();
    const cityKey = `exception_queue:${w.cityId}`;
    // At the threshold: measured, no alert.
    await checkExceptionQueues(alerting({ ALERT_EXCEPTION_QUEUE_THRESHOLD: "2" }));
    expect(await alertRow(cityKey)).toBeNull();
    const gauge = await env.DB.prepare("SELECT total, max FROM metrics_hourly WHERE name = 'exception_queue' AND city_id = ?")
      .bind(w.cityId)
      .first();
    expect(gauge).toEqual({ total: 2, max: 2 });
    // Above it: one alert for the city.
    const out = await checkExceptionQueues(alerting({ ALERT_EXCEPTION_QUEUE_THRESHOLD: "1" }));
    expect(out.alerted).toBeGreaterThanOrEqual(1);
    expect(receiver.received.map((r) => r.body)).toContainEqual(
      expect.objectContaining({ kind: "exception_queue", cityId: w.cityId, details: { size: 2, threshold: 1 } }),
    );
    expect(await alertRow(cityKey)).toMatchObject({ kind: "exception_queue", occurrences: 1 });
  });

  it(`a cell whose alarm fails ${ALARM_FAILURES_REPORTED} times in a row reports it, and the Worker alerts once it can send`, async () => {
    const receiver = installReceiver();
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { name, stub } = freshCell("alarm-failing");
    await stub.setDeadline("ord_alarm", "accept", Date.now() - 1, 1);
    const refusing = { ...env, CELL_EVENTS: { sendBatch: () => Promise.reject(new Error("injected queue failure")) } };
    for (let i = 0; i < ALARM_FAILURES_REPORTED; i++) await withCellEnv(stub, refusing, (cell) => cell.alarm());
    expect(await stub.alarmFailures()).toMatchObject({ failures: ALARM_FAILURES_REPORTED, error: expect.stringContaining("injected") });
    expect((await cellOutbox(name)).map((e) => [e.type, e.sentAt])).toEqual([
      ["deadline", null],
      ["alarm.failed", null],
    ]);
    // The queue works again: both go out, the count is reset, and the consumer alerts.
    const sent = await runCellAlarm(name);
    expect((await stub.alarmFailures()).failures).toBe(0);
    const report = sent.find((e) => e.type === "alarm.failed")!;
    expect(report).toMatchObject({ cell: name, failures: ALARM_FAILURES_REPORTED });
    await deliverCellEvents([report], alerting());
    expect(receiver.received.map((r) => r.body)).toContainEqual(
      expect.objectContaining({
        kind: "cell_alarm_failed",
        key: `cell_alarm_failed:${name}`,
        details: expect.objectContaining({ cell: name }),
      }),
    );
    expect((await operatorNotices("cell_alarm_failed")).some((n) => n.data.cell === name)).toBe(true);
  });
});

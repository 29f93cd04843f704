/**
 * Number privacy (隐私号) against a local fake of Aliyun Phone Number Protection (Dyplsapi) that
 * checks every request's ACS3-HMAC-SHA256 signature with its own copy of the AccessKey secret.
 * The Worker binds through the notifications consumer (after the order's `order.status` message)
 * and the cron; tests run both with the privacy variables set (`privacyEnv`), while the queue's own
 * consumer runs with the tests' default configuration (privacy off), which does nothing here.
 */
import { createExecutionContext, createMessageBatch, createScheduledController, env, getQueueResult } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { numberPrivacy, pnsExpiration } from "../../src/adapters/number-privacy";
import { ConfigError, parseConfig } from "../../src/config";
import { e164OfMainland } from "../../src/domain/phone";
import { bindingRetryDelayMs, changesNumberBinding, syncOrderNumber } from "../../src/visit/number-privacy.service";
import { at, book, newCustomer, quote, task, type Customer } from "../support/booking";
import { countingEnv } from "../support/counting";
import { auditActions, freshCenter } from "../support/fixtures";
import { callWith, signInAdmin, type Session } from "../support/http";
import { PNS_POOL_KEY, PnsFake, privacyEnv } from "../support/pns-fake";
import { PNG, uploadPhoto, visitTo } from "../support/visit";
import { addTechnician, createWorld, type TestTechnician } from "../support/world";

/** The contact phone of every test customer's address (`newCustomer`). */
const CONTACT = "+8613912345678";
const MASKED = "+86139****5678";
const national = (e164: string) => e164.slice(3);

let fake: PnsFake;
beforeEach(() => {
  fake = new PnsFake().install();
});
afterEach(() => fake.uninstall());

interface BindingRow {
  id: string;
  technician_id: string;
  status: string;
  subs_id: string | null;
  secret_no: string | null;
  expires_at: number | null;
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  unbound_at: number | null;
}

async function rows(orderId: string): Promise<BindingRow[]> {
  const { results } = await env.DB.prepare("SELECT * FROM number_bindings WHERE order_id = ? ORDER BY created_at, id")
    .bind(orderId)
    .all<BindingRow>();
  return results;
}

/** Runs the notifications consumer (as configured by `e`) on the order's latest `order.status` message to `to`. */
async function deliverStatus(orderId: string, to: string, e: Env = privacyEnv()) {
  const { results } = await env.DB.prepare(
    "SELECT id, topic, payload FROM outbox WHERE topic = 'order.status' AND json_extract(payload, '$.orderId') = ? AND json_extract(payload, '$.to') = ? ORDER BY created_at DESC LIMIT 1",
  )
    .bind(orderId, to)
    .all<{ id: string; topic: string; payload: string }>();
  const row = results[0];
  if (!row) throw new Error(`no order.status message to ${to} for ${orderId}`);
  const batch = createMessageBatch("doorstep-notifications", [
    { id: row.id, timestamp: new Date(), attempts: 1, body: { id: row.id, topic: row.topic, payload: JSON.parse(row.payload) as unknown } },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, e);
  return getQueueResult(batch, ctx);
}

/** The Worker's cron run at `at` (epoch ms). */
const cron = (atMs: number, e: Env = privacyEnv()) =>
  worker.scheduled(createScheduledController({ scheduledTime: atMs, cron: "* * * * *" }), e);

const customerView = (c: Customer, orderId: string, e: Env = privacyEnv()) =>
  callWith(e, "GET", `/v1/orders/${orderId}`, { token: c.session.token });
const taskView = (s: Session, orderId: string, e: Env = privacyEnv()) =>
  callWith(e, "GET", `/v1/technician/tasks/${orderId}`, { token: s.token });

/** Calls the fake saw for bindings of this technician. */
const bindCalls = (tech: TestTechnician) => fake.seen.filter((s) => s.action === "BindAxb" && s.params.PhoneNoB === national(tech.phone));

/** A world with one technician and an order they accepted (the consumer has not run yet). */
async function acceptedOrder() {
  const w = await createWorld(freshCenter());
  const tech = await addTechnician(w, w.center);
  const session = await tech.session();
  const { customer, order } = await visitTo(w, session, "accepted");
  return { w, tech, session, customer, order };
}

/** Both sides see X (and never the other's real number); returns X. */
async function expectBoth(customer: Customer, session: Session, tech: TestTechnician, orderId: string): Promise<string> {
  const [row] = (await rows(orderId)).filter((r) => r.status === "active");
  expect(row?.technician_id).toBe(tech.id);
  const x = e164OfMainland(row!.secret_no!);
  const seen = await customerView(customer, orderId);
  expect(seen.status).toBe(200);
  expect(seen.body.virtualNumber).toBe(x);
  expect(JSON.stringify(seen.body)).not.toContain(national(tech.phone));
  const theirs = await taskView(session, orderId);
  expect(theirs.body).toMatchObject({ revealed: true, virtualNumber: x, address: { contactPhone: x } });
  expect(JSON.stringify(theirs.body)).not.toContain(national(CONTACT));
  return x;
}

/** Neither side has a virtual number; the technician sees what today's rules show. */
async function expectNone(customer: Customer, session: Session, orderId: string, contactPhone: string, e: Env = privacyEnv()) {
  const seen = await customerView(customer, orderId, e);
  expect(seen.status).toBe(200);
  expect(seen.body.virtualNumber).toBeNull();
  const theirs = await taskView(session, orderId, e);
  expect(theirs.status).toBe(200);
  expect(theirs.body).toMatchObject({ virtualNumber: null, address: { contactPhone } });
}

async function walkToCompleted(w: { center: { lat: number; lng: number } }, s: Session, order: { id: string; startCode: string }) {
  expect((await task(s, order.id, "depart")).status).toBe(200);
  await uploadPhoto(s, order.id, "arrive");
  expect((await task(s, order.id, "arrive", { lat: w.center.lat, lng: w.center.lng })).status).toBe(200);
  expect((await task(s, order.id, "start", { code: order.startCode })).status).toBe(200);
  await uploadPhoto(s, order.id, "complete", { type: "image/png", bytes: PNG });
  expect((await task(s, order.id, "complete")).status).toBe(200);
}

describe("number privacy with Aliyun Phone Number Protection", () => {
  it("binds the contact and the technician once accepted: both see X, staff still reveal the real contact (audited)", async () => {
    const { tech, session, customer, order } = await acceptedOrder();
    await expectNone(customer, session, order.id, CONTACT);

    const result = await deliverStatus(order.id, "accepted");
    expect(result.retryMessages).toEqual([]);
    const [row] = await rows(order.id);
    expect(row).toMatchObject({ status: "active", technician_id: tech.id, last_error: null });
    const bound = fake.byOutId(row!.id)!;
    expect(bound).toMatchObject({
      poolKey: PNS_POOL_KEY,
      a: national(CONTACT),
      b: national(tech.phone),
      x: row!.secret_no,
      subsId: row!.subs_id,
    });
    // Expiration: the provider's own safety net, after the visit's end plus the grace (Beijing time).
    expect(bound.expiration).toBe(pnsExpiration(row!.expires_at!));
    expect(row!.expires_at!).toBeGreaterThan(Date.parse(order.start) + 60 * 60_000);

    expect(await expectBoth(customer, session, tech, order.id)).toBe(`+86${bound.x}`);
    const listed = await callWith(privacyEnv(), "GET", "/v1/technician/tasks", { token: session.token });
    expect(listed.body.items.find((t: { id: string }) => t.id === order.id).address.contactPhone).toBe(`+86${bound.x}`);

    const admin = await signInAdmin();
    const revealed = await callWith(privacyEnv(), "POST", `/v1/admin/orders/${order.id}/contact`, {
      token: admin.token,
      body: { reason: "客户投诉核实" },
    });
    expect(revealed.body.contactPhone).toBe(CONTACT);
    expect(await auditActions(order.id)).toContain("order.contact.reveal");
  });

  it("costs the consumer nothing beyond its batch read and write when the binding is already in line", async () => {
    const { tech, order } = await acceptedOrder();
    await deliverStatus(order.id, "accepted");
    expect(bindCalls(tech)).toHaveLength(1);
    // The same change delivered again (the queue may): the batch read shows the binding active, so no call and no statement of its own.
    const counted = countingEnv(privacyEnv());
    const again = await deliverStatus(order.id, "accepted", counted.env);
    expect(again.retryMessages).toEqual([]);
    // the batch's read and write, and the live map's one read of the batch's orders (src/operations live-socket)
    expect(counted.counts.d1).toBe(3);
    expect(counted.counts.sql[2]).toMatch(/^select .* from "orders" left join "technicians"/i);
    expect(counted.counts.sql.filter((q) => /number_bindings/.test(q))).toHaveLength(1);
    expect(counted.counts.sql[0]).toMatch(/^SELECT/);
    expect(bindCalls(tech)).toHaveLength(1);
  });

  it("keeps X through the reveal grace after completion, then the cron unbinds it", async () => {
    const { w, tech, session, customer, order } = await acceptedOrder();
    await deliverStatus(order.id, "accepted");
    await walkToCompleted(w, session, order);
    await deliverStatus(order.id, "completed");
    const x = await expectBoth(customer, session, tech, order.id);

    await cron(Date.now() + 30 * 60_000);
    expect(fake.active().some((b) => b.b === national(tech.phone))).toBe(true);

    await cron(Date.now() + (Number(env.REVEAL_GRACE_MINUTES) + 2) * 60_000);
    const [row] = await rows(order.id);
    expect(row).toMatchObject({ status: "released" });
    expect(row!.unbound_at).not.toBeNull();
    expect(fake.byOutId(row!.id)!.active).toBe(false);
    expect(fake.seen.find((s) => s.action === "UnbindSubscription" && s.params.SubsId === row!.subs_id)).toMatchObject({
      code: "OK",
      params: { PoolKey: PNS_POOL_KEY, SecretNo: national(x) },
    });
    // Unbound while the grace still runs in real time: the technician sees what today's rules show.
    await expectNone(customer, session, order.id, CONTACT);
  });

  it("unbinds when the order is cancelled", async () => {
    const { tech, session, customer, order } = await acceptedOrder();
    await deliverStatus(order.id, "accepted");
    await expectBoth(customer, session, tech, order.id);

    const cancelled = await callWith(privacyEnv(), "POST", `/v1/orders/${order.id}/cancel`, {
      token: customer.session.token,
      body: { reason: "计划有变" },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.virtualNumber).toBeNull();
    await deliverStatus(order.id, "cancelled");
    const [row] = await rows(order.id);
    expect(row).toMatchObject({ status: "released" });
    expect(fake.byOutId(row!.id)!.active).toBe(false);
    expect((await customerView(customer, order.id)).body.virtualNumber).toBeNull();
  });

  it("binds the new technician when the order changes hands, and unbinds the one who gave it back", async () => {
    const w = await createWorld(freshCenter());
    const techs = [await addTechnician(w, w.center), await addTechnician(w, w.center)];
    const customer = await newCustomer(w.center);
    const order = (await book(customer, await quote(w, customer, at(w, 2, "10:00")))).body;
    const first = techs.find((t) => t.id === order.technician.id)!;
    const second = techs.find((t) => t !== first)!;
    const [s1, s2] = [await first.session(), await second.session()];

    expect((await task(s1, order.id, "accept")).status).toBe(200);
    await deliverStatus(order.id, "accepted");
    const x1 = await expectBoth(customer, s1, first, order.id);

    const given = await callWith(privacyEnv(), "POST", `/v1/technician/tasks/${order.id}/cancel`, {
      token: s1.token,
      body: { reason: "车坏了" },
    });
    expect(given.status).toBe(200);
    expect((await customerView(customer, order.id)).body).toMatchObject({ technician: { id: second.id }, virtualNumber: null });
    await deliverStatus(order.id, "dispatching");
    expect(fake.active().filter((b) => b.b === national(first.phone))).toEqual([]);

    expect((await task(s2, order.id, "accept")).status).toBe(200);
    await deliverStatus(order.id, "accepted");
    const all = await rows(order.id);
    expect(all.map((r) => [r.technician_id, r.status])).toEqual([
      [first.id, "released"],
      [second.id, "active"],
    ]);
    const x2 = await expectBoth(customer, s2, second, order.id);
    expect(
      fake.active().filter((b) => b.a === national(CONTACT) && (b.b === national(first.phone) || b.b === national(second.phone))),
    ).toEqual([expect.objectContaining({ b: national(second.phone), x: national(x2) })]);
    expect(x1).toMatch(/^\+86170/);
    expect((await taskView(s1, order.id)).status).toBe(404);
  });

  it("while the provider is down the usual masking rules apply; the cron retries with backoff and binds once it is back", async () => {
    const { tech, session, customer, order } = await acceptedOrder();
    fake.faults.unavailable = true;
    const result = await deliverStatus(order.id, "accepted");
    // The notices still go out: the consumer acks the message, it does not retry it for the binding.
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toHaveLength(1);
    const t0 = Date.now();
    let [row] = await rows(order.id);
    expect(row).toMatchObject({ status: "pending", attempts: 1, last_error: "HTTP_503", subs_id: null });
    expect(row!.next_attempt_at!).toBeGreaterThanOrEqual(t0 + bindingRetryDelayMs(1) - 5_000);
    await expectNone(customer, session, order.id, CONTACT);

    // Not due yet: nothing is asked.
    await cron(t0);
    expect(bindCalls(tech)).toHaveLength(1);

    // Due, but the pool is empty, then the connection fails: each failure waits longer.
    fake.faults.unavailable = false;
    const pool = fake.pool;
    fake.pool = [];
    await cron(t0 + 31_000);
    [row] = await rows(order.id);
    expect(row).toMatchObject({ status: "pending", attempts: 2, last_error: "isv.NO_AVAILABLE_NUMBER" });
    fake.faults.unreachable = true;
    await cron(row!.next_attempt_at!);
    [row] = await rows(order.id);
    expect(row).toMatchObject({ status: "pending", attempts: 3, last_error: "UNREACHABLE" });
    expect(bindingRetryDelayMs(3)).toBe(120_000);
    await expectNone(customer, session, order.id, CONTACT);

    fake.faults.unreachable = false;
    fake.pool = pool;
    await cron(row!.next_attempt_at!);
    [row] = await rows(order.id);
    expect(row).toMatchObject({ status: "active", attempts: 0, last_error: null });
    await expectBoth(customer, session, tech, order.id);
  });

  it("a request signed with the wrong secret is refused (SignatureDoesNotMatch), recorded as a failure and bound later with the right one", async () => {
    const { tech, session, customer, order } = await acceptedOrder();
    await deliverStatus(order.id, "accepted", privacyEnv({ ALIYUN_ACCESS_KEY_SECRET: "not-the-access-key-secret" }));
    expect(bindCalls(tech).map((c) => [c.status, c.code])).toEqual([[400, "SignatureDoesNotMatch"]]);
    expect(fake.active().filter((b) => b.b === national(tech.phone))).toEqual([]);
    const [row] = await rows(order.id);
    expect(row).toMatchObject({ status: "pending", last_error: "SignatureDoesNotMatch" });
    await expectNone(customer, session, order.id, CONTACT);

    await cron(row!.next_attempt_at!);
    expect(bindCalls(tech).map((c) => c.code)).toEqual(["SignatureDoesNotMatch", "OK"]);
    await expectBoth(customer, session, tech, order.id);
  });

  it("an OK answer without a usable SecretBindDTO is not believed: nothing is shown and the bind is tried again", async () => {
    const { tech, session, customer, order } = await acceptedOrder();
    fake.faults.malformed = true;
    await deliverStatus(order.id, "accepted");
    const [row] = await rows(order.id);
    expect(row).toMatchObject({ status: "pending", secret_no: null, last_error: "MALFORMED_ANSWER" });
    await expectNone(customer, session, order.id, CONTACT);
    fake.faults.malformed = false;
    await cron(row!.next_attempt_at!);
    await expectBoth(customer, session, tech, order.id);
  });

  it("two workers syncing the same order at once make one binding", async () => {
    const { tech, order } = await acceptedOrder();
    const e = privacyEnv();
    const results = await Promise.all([syncOrderNumber(e, order.id), syncOrderNumber(e, order.id), syncOrderNumber(e, order.id)]);
    expect(results.reduce((n, r) => n + r.bound, 0)).toBe(1);
    expect(bindCalls(tech)).toHaveLength(1);
    expect(await rows(order.id)).toHaveLength(1);
  });

  it("replaces a binding about to expire while the order still needs one", async () => {
    const { tech, session, customer, order } = await acceptedOrder();
    await deliverStatus(order.id, "accepted");
    const [old] = await rows(order.id);
    await env.DB.prepare("UPDATE number_bindings SET expires_at = ? WHERE id = ?")
      .bind(Date.now() + 5 * 60_000, old!.id)
      .run();
    await cron(Date.now());
    const all = await rows(order.id);
    expect(all.map((r) => r.status)).toEqual(["released", "active"]);
    expect(fake.byOutId(old!.id)!.active).toBe(false);
    expect(fake.byOutId(all[1]!.id)!.active).toBe(true);
    await expectBoth(customer, session, tech, order.id);
  });

  it("never writes a real number (or X) to the logs, whatever the provider answers", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
    const spies = (["log", "info", "warn", "error"] as const).map((m) => vi.spyOn(console, m).mockImplementation(capture));
    try {
      const { tech, order } = await acceptedOrder();
      fake.faults.unreachable = true;
      await deliverStatus(order.id, "accepted");
      fake.faults.unreachable = false;
      await cron(Date.now() + 31_000, privacyEnv({ ALIYUN_ACCESS_KEY_SECRET: "wrong" }));
      await cron(Date.now() + 10 * 60_000);
      const [row] = await rows(order.id);
      expect(row?.status).toBe("active");
      expect(bindCalls(tech).map((c) => c.code)).toEqual(["unreachable", "SignatureDoesNotMatch", "OK"]);
      expect(lines.filter((l) => l.includes("number_privacy.retry"))).toHaveLength(2);
      for (const secret of [national(CONTACT), national(tech.phone), row!.secret_no!]) {
        expect(lines.filter((l) => l.includes(secret))).toEqual([]);
      }
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });
});

describe("number privacy switched off (the default)", () => {
  it("calls nobody, stores nothing and shows what today's rules show", async () => {
    const { w, session, customer, order } = await acceptedOrder();
    await deliverStatus(order.id, "accepted", env);
    await cron(Date.now() + 5 * 60_000, env);
    expect(fake.seen).toEqual([]);
    expect(await rows(order.id)).toEqual([]);
    await expectNone(customer, session, order.id, CONTACT, env);
    await walkToCompleted(w, session, order);
    await expectNone(customer, session, order.id, CONTACT, env);
  });

  it("a binding left over from when it was on is not shown", async () => {
    const { session, customer, order } = await acceptedOrder();
    await deliverStatus(order.id, "accepted");
    expect((await rows(order.id))[0]?.status).toBe("active");
    await expectNone(customer, session, order.id, CONTACT, env);
  });

  it("masks as today before acceptance, with privacy on or off", async () => {
    const w = await createWorld(freshCenter());
    const session = await (await addTechnician(w, w.center)).session();
    const { customer, order } = await visitTo(w, session, "assigned");
    for (const e of [env, privacyEnv()]) {
      const seen = await taskView(session, order.id, e);
      expect(seen.body).toMatchObject({ revealed: false, virtualNumber: null, address: { contactPhone: MASKED } });
      expect((await customerView(customer, order.id, e)).body.virtualNumber).toBeNull();
    }
  });
});

describe("number privacy rules", () => {
  it("writes Expiration in Beijing time, as Dyplsapi reads it", () => {
    expect(pnsExpiration(Date.UTC(2026, 11, 31, 16, 30, 5))).toBe("2027-01-01 00:30:05");
  });

  it("turns the provider's national numbers into E.164", () => {
    expect(e164OfMainland("17012345678")).toBe("+8617012345678");
    expect(e164OfMainland("02131075869")).toBe("+862131075869");
  });

  it("retries after 30 s, doubling, at most every 30 minutes", () => {
    expect([1, 2, 3, 7, 20].map(bindingRetryDelayMs)).toEqual([30_000, 60_000, 120_000, 1_800_000, 1_800_000]);
  });

  it("looks at an order's binding only for changes into, out of or after the statuses that show the number", () => {
    expect(changesNumberBinding("assigned", "accepted")).toBe(true);
    expect(changesNumberBinding("accepted", "assigned")).toBe(true);
    expect(changesNumberBinding("en_route", "cancelled")).toBe(true);
    expect(changesNumberBinding("completed", "after_sales")).toBe(true);
    expect(changesNumberBinding("confirmed", "assigned")).toBe(false);
    expect(changesNumberBinding("pending_payment", "cancelled")).toBe(false);
  });

  it("refuses an unknown NUMBER_PRIVACY and an aliyun provider without its pool or keys", () => {
    const base = { ENVIRONMENT: "development", JWT_SECRET: "x".repeat(32) };
    expect(() => parseConfig({ ...base, NUMBER_PRIVACY: "tencent" })).toThrow(ConfigError);
    expect(numberPrivacy(parseConfig(base))).toBeNull();
    expect(() =>
      numberPrivacy(parseConfig({ ...base, NUMBER_PRIVACY: "aliyun", ALIYUN_ACCESS_KEY_ID: "id", ALIYUN_ACCESS_KEY_SECRET: "s" })),
    ).toThrow("ALIYUN_PNS_POOL_KEY");
  });
});

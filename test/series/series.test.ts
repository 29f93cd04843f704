/**
 * Recurring visits over HTTP in workerd: one world in a daylight-saving zone (Europe/Berlin), two
 * technicians, series booked through the owner cell as orders; the horizon run by the cron's step.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { WEEKDAYS } from "../../src/domain/shifts";
import { isoWeekdayIndex } from "../../src/domain/zoned";
import { runDueSeries } from "../../src/series";
import { book, newCustomer, orderOf, quote, waitFor, type Customer } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signIn, uniquePhone } from "../support/http";
import { addTechnician, createWorld, localDay, type TestTechnician, type World } from "../support/world";

const ZONE = "Europe/Berlin";
let w: World;
let t1: TestTechnician;
let t2: TestTechnician;

beforeAll(async () => {
  w = await createWorld(freshCenter(), { timeZone: ZONE, horizonDays: 14, leadTimeMinutes: 60 });
  t1 = await addTechnician(w, w.center);
  t2 = await addTechnician(w, w.center);
});

const weekdayOf = (date: string) => WEEKDAYS[isoWeekdayIndex(date)]!;

/** `HH:MM` on a local date in the world's zone as ISO with the zone's offset of that day. */
function localIso(date: string, hhmm: string): string {
  const probe = new Date(`${date}T12:00:00Z`);
  const part = new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, timeZoneName: "longOffset" })
    .formatToParts(probe)
    .find((p) => p.type === "timeZoneName")!.value;
  const offset = part === "GMT" ? "+00:00" : part.slice(3);
  return `${date}T${hhmm}:00${offset}`;
}

function weekly(c: Customer, days: number, extra: Record<string, unknown> = {}) {
  const startDate = localDay(ZONE, days);
  return call("POST", "/v1/series", {
    token: c.session.token,
    body: {
      serviceId: w.serviceId,
      addressId: c.addressId,
      timeOfDay: "09:00",
      rule: { freq: "weekly", interval: 1, byDay: [weekdayOf(startDate)] },
      startDate,
      count: 4,
      ...extra,
    },
  });
}

/** Takes a technician at a time with another customer's booking (chosen technician). */
async function occupy(tech: TestTechnician, startIso: string) {
  const other = await newCustomer(w.center);
  const q = await quote(w, other, startIso);
  const res = await book(other, q, { technicianId: tech.id });
  expect(res.status).toBe(201);
}

const seriesOf = async (c: Customer, id: string) => {
  const res = await call("GET", `/v1/series/${id}`, { token: c.session.token });
  expect(res.status).toBe(200);
  return res.body;
};

describe("recurring visits", () => {
  it("books the visits within the horizon as orders with the preferred technician at 09:00 local, and tells the second contact", async () => {
    const c = await newCustomer(w.center);
    const contactPhone = uniquePhone();
    const res = await weekly(c, 2, { preferredTechnicianId: t1.id, contact: { name: "女儿", phone: contactPhone } });
    expect(res.status).toBe(201);
    const s = res.body;
    expect(s.rrule).toBe(`FREQ=WEEKLY;INTERVAL=1;BYDAY=${weekdayOf(s.startDate).slice(0, 2).toUpperCase()};COUNT=4`);
    // 14 days of service horizon: the visits 2 and 9 days ahead, not those 16 and 23 days ahead.
    expect(s.visits.map((v: any) => v.date)).toEqual([localDay(ZONE, 2), localDay(ZONE, 9)]);
    for (const v of s.visits) {
      expect(v).toMatchObject({ status: "booked", technicianId: t1.id, start: localIso(v.date, "09:00") });
      const order = await orderOf(c, v.orderId);
      expect(order.technician.id).toBe(t1.id);
      expect(order.paymentPlan ?? "after_service").toBe("after_service");
    }
    const contact = await signIn(contactPhone);
    const inbox = await waitFor(
      () => call("GET", "/v1/me/notifications", { token: contact.token }),
      (r) => r.body.items?.filter((n: any) => n.kind === "series.booked").length === 2,
    );
    expect(inbox.body.items.filter((n: any) => n.kind === "series.booked")).toHaveLength(2);
    expect(inbox.body.items[0].title).toMatchObject({ zh: "周期上门已预约" });
  });

  it("runs of the horizon, three at once, never book a date twice", async () => {
    const c = await newCustomer(w.center);
    const created = (await weekly(c, 3)).body;
    await env.DB.prepare("UPDATE series SET next_run_at = 0 WHERE id = ?").bind(created.id).run();
    await Promise.all([runDueSeries(env), runDueSeries(env), runDueSeries(env)]);
    const after = await seriesOf(c, created.id);
    expect(after.visits.map((v: any) => [v.id, v.orderId])).toEqual(created.visits.map((v: any) => [v.id, v.orderId]));
    const orders = await call("GET", "/v1/orders?limit=50", { token: c.session.token });
    expect(orders.body.items.map((o: any) => o.id).sort()).toEqual(created.visits.map((v: any) => v.orderId).sort());
  });

  it("takes another technician when the preferred one is taken; with nobody free the visit is unbookable with alternatives, and one of them books it", async () => {
    const c = await newCustomer(w.center);
    const first = localDay(ZONE, 4);
    const second = localDay(ZONE, 11);
    await occupy(t1, localIso(first, "09:00"));
    await occupy(t1, localIso(second, "09:00"));
    await occupy(t2, localIso(second, "09:00"));
    const s = (await weekly(c, 4, { preferredTechnicianId: t1.id })).body;
    const [a, b] = s.visits;
    expect(a).toMatchObject({ date: first, status: "booked", technicianId: t2.id });
    expect(b).toMatchObject({ date: second, status: "unbookable", orderId: null, problem: "SLOT_UNAVAILABLE" });
    expect(b.problemText.en).toBe("no technician is free at that time");
    expect(b.alternatives.length).toBeGreaterThan(0);
    const starts = b.alternatives.map((x: any) => Date.parse(x.start));
    expect(starts).not.toContain(Date.parse(b.start));
    // The customer is told, with all channels.
    const told = await waitFor(
      () => call("GET", "/v1/me/notifications", { token: c.session.token }),
      (r) => r.body.items?.some((n: any) => n.kind === "series.unbookable"),
    );
    expect(told.body.items.some((n: any) => n.kind === "series.unbookable")).toBe(true);

    const pick = b.alternatives[0];
    const moved = await call("POST", `/v1/series/${s.id}/visits/${second}/reschedule`, {
      token: c.session.token,
      body: { start: pick.start, technicianId: pick.technicianId },
    });
    expect(moved.status).toBe(200);
    const visit = moved.body.visits.find((v: any) => v.date === second);
    expect(visit).toMatchObject({ status: "booked", technicianId: pick.technicianId, movedFrom: b.start });
    expect(Date.parse(visit.start)).toBe(Date.parse(pick.start));
    expect((await orderOf(c, visit.orderId)).technician.id).toBe(pick.technicianId);
  });

  it("skips a booked visit under the cancellation policy and a date not booked yet; a date off the rule is refused", async () => {
    const c = await newCustomer(w.center);
    const s = (await weekly(c, 2)).body;
    const [booked] = s.visits;
    const skipped = await call("POST", `/v1/series/${s.id}/visits/${booked.date}/skip`, {
      token: c.session.token,
      body: { reason: "出差" },
    });
    expect(skipped.status).toBe(200);
    expect(skipped.body.visits.find((v: any) => v.date === booked.date)).toMatchObject({ status: "skipped", orderId: booked.orderId });
    const order = await orderOf(c, booked.orderId);
    expect(order.status).toBe("cancelled");
    // Not paid (pay after service): nothing to refund, decided by the policy all the same.
    expect(order.refund).toMatchObject({ amount: { amount: 0 } });

    const later = localDay(ZONE, 16);
    const ahead = await call("POST", `/v1/series/${s.id}/visits/${later}/skip`, { token: c.session.token, body: {} });
    expect(ahead.status).toBe(200);
    expect(ahead.body.visits.find((v: any) => v.date === later)).toMatchObject({ status: "skipped", orderId: null });
    expectProblem(
      await call("POST", `/v1/series/${s.id}/visits/${later}/skip`, { token: c.session.token, body: {} }),
      409,
      "OCCURRENCE_NOT_CHANGEABLE",
    );
    expectProblem(
      await call("POST", `/v1/series/${s.id}/visits/${localDay(ZONE, 3)}/skip`, { token: c.session.token, body: {} }),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("pauses (booked visits cancelled), resumes (booked again), changes from a date onwards and cancels the rest", async () => {
    const c = await newCustomer(w.center);
    // Days 5 and 12: no other test of the file books a technician then.
    const s = (await weekly(c, 5, { count: null, untilDate: localDay(ZONE, 40) })).body;
    expect(s.visits.map((v: any) => v.status)).toEqual(["booked", "booked"]);
    const firstOrders = s.visits.map((v: any) => v.orderId);

    const paused = await call("POST", `/v1/series/${s.id}/pause`, { token: c.session.token, body: {} });
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe("paused");
    expect(paused.body.visits.map((v: any) => v.status)).toEqual(["cancelled", "cancelled"]);
    for (const id of firstOrders) expect((await orderOf(c, id)).status).toBe("cancelled");
    expectProblem(await call("POST", `/v1/series/${s.id}/pause`, { token: c.session.token, body: {} }), 409, "SERIES_NOT_ACTIVE");

    const resumed = await call("POST", `/v1/series/${s.id}/resume`, { token: c.session.token, body: {} });
    expect(resumed.status).toBe(200);
    expect(resumed.body.visits.map((v: any) => v.status)).toEqual(["booked", "booked"]);
    expect(resumed.body.visits.map((v: any) => v.orderId).some((id: string) => firstOrders.includes(id))).toBe(false);

    const from = localDay(ZONE, 12);
    const changed = await call("POST", `/v1/series/${s.id}/change`, { token: c.session.token, body: { from, timeOfDay: "10:30" } });
    expect(changed.status).toBe(201);
    expect(changed.body).toMatchObject({ previousSeriesId: s.id, startDate: from, timeOfDay: "10:30", untilDate: localDay(ZONE, 40) });
    expect(changed.body.visits[0]).toMatchObject({ date: from, status: "booked", start: localIso(from, "10:30") });
    const old = await seriesOf(c, s.id);
    expect(old.untilDate).toBe(localDay(ZONE, 11));
    expect(old.visits.map((v: any) => v.status)).toEqual(["booked", "cancelled"]);

    const cancelled = await call("POST", `/v1/series/${changed.body.id}/cancel`, { token: c.session.token, body: { reason: "搬家" } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe("ended");
    expect(cancelled.body.visits.every((v: any) => v.status === "cancelled")).toBe(true);
    expect((await orderOf(c, changed.body.visits[0].orderId)).status).toBe("cancelled");
  });

  it("refuses bad input with nothing written, hides another customer's series, and needs a service paid after the visit", async () => {
    const c = await newCustomer(w.center);
    const count = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM series").first<{ n: number }>())!.n;
    const before = await count();
    const startDate = localDay(ZONE, 2);
    const base = { serviceId: w.serviceId, addressId: c.addressId, timeOfDay: "09:00", startDate };
    for (const body of [
      { ...base, rule: { freq: "weekly", interval: 1, byDay: [] } },
      { ...base, rule: { freq: "weekly", interval: 1, byDay: ["mon"] }, untilDate: localDay(ZONE, 1) },
      { ...base, rule: { freq: "weekly", interval: 1, byDay: ["mon"] }, timeOfDay: "25:00" },
      { ...base, rule: { freq: "monthly", interval: 1, byMonthDay: 31, byWeekday: { day: "mon", nth: 1 } } },
      { ...base, rule: { freq: "weekly", interval: 1, byDay: ["mon"] }, startDate: localDay(ZONE, -2) },
      { ...base, rule: { freq: "weekly", interval: 1, byDay: ["mon"] }, contact: { name: "x", phone: "12" } },
    ]) {
      expectProblem(await call("POST", "/v1/series", { token: c.session.token, body }), 400);
    }
    expect(await count()).toBe(before);

    const mine = (await weekly(c, 2)).body;
    const stranger = await newCustomer(w.center);
    expectProblem(await call("GET", `/v1/series/${mine.id}`, { token: stranger.session.token }), 404, "NOT_FOUND");
    expectProblem(await call("POST", `/v1/series/${mine.id}/pause`, { token: stranger.session.token, body: {} }), 404, "NOT_FOUND");
    expect((await call("GET", "/v1/series", { token: stranger.session.token })).body.items).toEqual([]);
    expectProblem(
      await call("POST", "/v1/series", {
        token: stranger.session.token,
        body: { ...base, customerId: c.session.accountId, rule: { freq: "weekly", interval: 1, byDay: ["mon"] } },
      }),
      403,
      "FORBIDDEN",
    );

    await env.DB.prepare("UPDATE services SET payment_options = ? WHERE id = ?")
      .bind(JSON.stringify({ full: true, depositPercent: null, afterService: false }), w.serviceId)
      .run();
    try {
      expectProblem(await weekly(c, 2), 400, "SERIES_PAYMENT_PLAN");
    } finally {
      await env.DB.prepare("UPDATE services SET payment_options = ? WHERE id = ?")
        .bind(JSON.stringify({ full: true, depositPercent: null, afterService: true }), w.serviceId)
        .run();
    }
  });
});

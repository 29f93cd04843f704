/**
 * Staff alerts of visits that could not be booked: the operators and the series' merchant admins get
 * one notice per visit, never a second one on a later run of the horizon, even with runs at once.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { WEEKDAYS } from "../../src/domain/shifts";
import { isoWeekdayIndex } from "../../src/domain/zoned";
import { runDueSeries } from "../../src/series";
import { book, newCustomer, quote, type Customer } from "../support/booking";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { call, signInWithRoles, type Session } from "../support/http";
import { addTechnician, createWorld, localDay, type TestTechnician, type World } from "../support/world";

const ZONE = "Asia/Shanghai";
const KIND = "series.staff_unbookable";
let w: World;
let t1: TestTechnician;
let t2: TestTechnician;
let operator: Session;
let adminA: Session;
let adminB: Session;

beforeAll(async () => {
  const merchantA = await insertMerchant("Merchant A");
  const merchantB = await insertMerchant("Merchant B");
  w = await createWorld(freshCenter(), { timeZone: ZONE, horizonDays: 14, leadTimeMinutes: 60, merchantId: merchantA });
  t1 = await addTechnician(w, w.center, { merchantId: merchantA });
  t2 = await addTechnician(w, w.center, { merchantId: merchantA });
  [operator, adminA, adminB] = await Promise.all([
    signInWithRoles(["operator"]),
    signInWithRoles(["merchant_admin"], merchantA),
    signInWithRoles(["merchant_admin"], merchantB),
  ]);
});

const weekdayOf = (date: string) => WEEKDAYS[isoWeekdayIndex(date)]!;
const at9 = (date: string) => `${date}T09:00:00+08:00`;

async function occupy(tech: TestTechnician, startIso: string) {
  const other = await newCustomer(w.center);
  const res = await book(other, await quote(w, other, startIso), { technicianId: tech.id });
  expect(res.status).toBe(201);
}

/** A weekly series of one visit `days` ahead at 09:00, with t1 preferred. */
async function oneVisit(c: Customer, days: number) {
  const startDate = localDay(ZONE, days);
  const res = await call("POST", "/v1/series", {
    token: c.session.token,
    body: {
      serviceId: w.serviceId,
      addressId: c.addressId,
      timeOfDay: "09:00",
      rule: { freq: "weekly", interval: 1, byDay: [weekdayOf(startDate)] },
      startDate,
      count: 1,
      preferredTechnicianId: t1.id,
    },
  });
  expect(res.status).toBe(201);
  return res.body;
}

/** The staff notices of a visit in one account's notification centre. */
async function noticesOf(s: Session, occurrenceId: string) {
  const res = await call("GET", "/v1/me/notifications?limit=100", { token: s.token });
  expect(res.status).toBe(200);
  return res.body.items.filter((n: any) => n.kind === KIND && n.data?.occurrenceId === occurrenceId);
}

/** Every staff notice row of a visit (all accounts). */
async function rowsOf(occurrenceId: string): Promise<{ account_id: string }[]> {
  const { results } = await env.DB.prepare("SELECT account_id FROM notifications WHERE source_id = ?")
    .bind(`series-unbookable:${occurrenceId}`)
    .all<{ account_id: string }>();
  return results;
}

describe("staff alerts of visits that could not be booked", () => {
  it("tells the operators and the series' merchant admins once, in both languages with the alternatives, and not again on the next run", async () => {
    const date = localDay(ZONE, 3);
    await occupy(t1, at9(date));
    await occupy(t2, at9(date));
    const c = await newCustomer(w.center);
    const s = await oneVisit(c, 3);
    const [v] = s.visits;
    expect(v).toMatchObject({ date, status: "unbookable", problem: "SLOT_UNAVAILABLE" });

    const [forOperator] = await noticesOf(operator, v.id);
    expect(forOperator).toBeDefined();
    expect(forOperator.title).toEqual({ zh: "周期上门未能预约", en: "A repeat visit could not be booked" });
    expect(forOperator.body.zh).toContain("该时段没有空闲的师傅");
    expect(forOperator.body.en).toContain("no technician is free at that time");
    expect(forOperator.body.en).not.toContain("SLOT_UNAVAILABLE");
    expect(forOperator.data).toMatchObject({ seriesId: s.id, occurrenceId: v.id, date });
    expect(v.alternatives.length).toBeGreaterThan(0);
    const instants = (xs: any[]) => xs.map((a) => [a.technicianId, Date.parse(a.start)]);
    expect(instants(forOperator.data.alternatives)).toEqual(instants(v.alternatives));
    expect(await noticesOf(adminA, v.id)).toHaveLength(1);
    expect(await noticesOf(adminB, v.id)).toHaveLength(0);
    const before = await rowsOf(v.id);
    expect(before.filter((r) => r.account_id === operator.accountId)).toHaveLength(1);

    // Another run of the horizon leaves the visit as it is and tells nobody again.
    await env.DB.prepare("UPDATE series SET next_run_at = 0 WHERE id = ?").bind(s.id).run();
    await runDueSeries(env);
    expect((await rowsOf(v.id)).length).toBe(before.length);
    expect(await noticesOf(operator, v.id)).toHaveLength(1);
    expect(await noticesOf(adminA, v.id)).toHaveLength(1);
  });

  it("runs of the horizon at once claim a blocked date once and tell staff once", async () => {
    const date = localDay(ZONE, 5);
    await occupy(t1, at9(date));
    await occupy(t2, at9(date));
    const c = await newCustomer(w.center);
    const s = await oneVisit(c, 5);
    // The date as if not reached yet by the horizon: no row, the series due.
    await env.DB.prepare("DELETE FROM series_occurrences WHERE series_id = ?").bind(s.id).run();
    await env.DB.prepare("UPDATE series SET next_run_at = 0 WHERE id = ?").bind(s.id).run();
    await Promise.all([runDueSeries(env), runDueSeries(env), runDueSeries(env), runDueSeries(env)]);
    const after = (await call("GET", `/v1/series/${s.id}`, { token: c.session.token })).body;
    expect(after.visits).toHaveLength(1);
    const [v] = after.visits;
    expect(v).toMatchObject({ date, status: "unbookable" });
    expect(await noticesOf(operator, v.id)).toHaveLength(1);
    expect(await noticesOf(adminA, v.id)).toHaveLength(1);
    const rows = await rowsOf(v.id);
    expect(new Set(rows.map((r) => r.account_id)).size).toBe(rows.length);
  });

  it("lists the visits ahead that could not be booked in the caller's scope, and booking an alternative from it takes the visit off", async () => {
    const date = localDay(ZONE, 6);
    await occupy(t1, at9(date));
    await occupy(t2, at9(date));
    const c = await newCustomer(w.center);
    const s = await oneVisit(c, 6);
    const [v] = s.visits;
    expect(v.status).toBe("unbookable");
    const list = (token: string, query = "") => call("GET", `/v1/admin/series/unbookable?limit=100${query}`, { token });

    const mine = await list(adminA.token);
    expect(mine.status).toBe(200);
    const item = mine.body.items.find((i: any) => i.id === v.id);
    expect(item).toMatchObject({ seriesId: s.id, date, cityId: w.cityId, problem: "SLOT_UNAVAILABLE" });
    expect(item.problemText.en).toBe("no technician is free at that time");
    expect(item.alternatives).toEqual(v.alternatives);
    expect((await list(operator.token, `&cityId=${w.cityId}`)).body.items.map((i: any) => i.id)).toContain(v.id);
    // Another merchant's admin sees none of it, and may not ask for another merchant's.
    expect((await list(adminB.token)).body.items.map((i: any) => i.id)).not.toContain(v.id);
    expect((await list(adminB.token, `&merchantId=${s.merchantId ?? item.merchantId}`)).status).toBe(403);
    expect((await list(c.session.token)).status).toBe(403);
    expect((await list(operator.token, "&cursor=%25%25")).status).toBe(400);

    // Pages of one: every visit once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await call("GET", `/v1/admin/series/unbookable?limit=1${cursor ? `&cursor=${cursor}` : ""}`, {
        token: operator.token,
      });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((i: any) => i.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(v.id);

    // "Book this": the series' reschedule route with the alternative.
    const pick = item.alternatives[0];
    const booked = await call("POST", `/v1/series/${item.seriesId}/visits/${item.date}/reschedule`, {
      token: adminA.token,
      body: { start: pick.start, technicianId: pick.technicianId },
    });
    expect(booked.status).toBe(200);
    expect(booked.body.visits.find((x: any) => x.date === date)).toMatchObject({ status: "booked", technicianId: pick.technicianId });
    expect((await list(adminA.token)).body.items.map((i: any) => i.id)).not.toContain(v.id);
    expect((await list(operator.token)).body.items.map((i: any) => i.id)).not.toContain(v.id);
  });
});

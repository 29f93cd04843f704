/** Personal-data helpers (src/privacy): exports asked for and waited on, deletions asked for, the daily cron. */
import { createScheduledController, env } from "cloudflare:test";
import worker from "../../src/index";
import { expect } from "vitest";
import { BACKUP_CRON } from "../../src/backups";
import { earnPoints, runMembershipNightly } from "../../src/membership";
import { newId } from "../../src/lib/ids";
import { call, signIn, signInAdmin, uniquePhone, type Session } from "./http";
import { WEEKDAYS } from "../../src/domain/shifts";
import { isoWeekdayIndex } from "../../src/domain/zoned";
import { at, waitFor, type Customer } from "./booking";
import { visitTo } from "./visit";
import { localDay, type World } from "./world";

/** The current policy version as configured for tests. */
export const POLICY = env.PRIVACY_POLICY_VERSION;

/** Asks for an export with `token` and waits until it is ready; the request as its owner sees it. */
export async function readyExport(token: string): Promise<{ id: string; downloadUrl: string; [k: string]: unknown }> {
  const asked = await call("POST", "/v1/me/data-exports", { token, headers: { "X-Client": "test/1.0" } });
  expect(asked.status, JSON.stringify(asked.body)).toBe(202);
  const done = await waitFor(
    () => call("GET", `/v1/me/data-requests/${asked.body.id}`, { token }),
    (r) => r.body.status === "ready",
  );
  expect(done.body.status).toBe("ready");
  return done.body;
}

/** Downloads through a signed link, as a browser would (no Authorization header). */
export function download(url: string) {
  return call("GET", url);
}

/** A fresh account's ready export link (each download consumes one). */
export async function freshExportLink(): Promise<string> {
  return (await readyExport((await signIn()).token)).downloadUrl;
}

/** A fresh account's waiting deletion request id. */
export async function freshDeletionId(): Promise<string> {
  const s = await signIn();
  const res = await call("POST", "/v1/me/deletion", { token: s.token });
  expect(res.status).toBe(202);
  return res.body.id;
}

/** Runs the Worker's daily cron (backup, then deletions and retention) as the trigger would at `at`. */
export async function runDailyCron(at: number): Promise<void> {
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: BACKUP_CRON }), env);
}

/**
 * Gives a new customer (no order yet) data in the areas that joined personal data later, through
 * their HTTP routes: a recurring-visit series far ahead (nothing booked yet, so the deletion is not
 * held by open orders) with notes and a second contact, and another customer's series naming them
 * as second contact (src/series); a paid package, points earned by a completed paid order and a
 * level (src/membership); a birthday, their share code read from a device, an invitation they
 * accepted and one someone accepted from them, a wallet coupon (src/coupons).
 */
export async function loyalCustomer(w: World, tech: Session, c: Customer, other: Customer, day: number) {
  const admin = await signInAdmin();
  const token = c.session.token;
  const startDate = localDay(w.timeZone, 60);
  const rule = { freq: "weekly", interval: 1, byDay: [WEEKDAYS[isoWeekdayIndex(startDate)]] };
  const notes = `系列备注 ${newId("n")}`;
  const contactPhone = uniquePhone();
  const series = await call("POST", "/v1/series", {
    token,
    body: {
      serviceId: w.serviceId,
      addressId: c.addressId,
      timeOfDay: "09:00",
      rule,
      startDate,
      count: 4,
      notes,
      contact: { name: "女儿", phone: contactPhone },
    },
  });
  expect(series.status, JSON.stringify(series.body)).toBe(201);
  expect(series.body.visits).toEqual([]);
  // Someone else's series names this customer as their second contact.
  const theirs = await call("POST", "/v1/series", {
    token: other.session.token,
    body: {
      serviceId: w.serviceId,
      addressId: other.addressId,
      timeOfDay: "10:00",
      rule,
      startDate,
      count: 2,
      contact: { name: "邻居", phone: c.session.phone },
    },
  });
  expect(theirs.status, JSON.stringify(theirs.body)).toBe(201);

  expect((await call("PUT", "/v1/me/birthday", { token, body: { monthDay: "05-17" } })).status).toBe(200);
  const deviceId = newId("device");
  const mine = await call("GET", "/v1/me/referral", { token, headers: { "X-Device-Id": deviceId } });
  expect(mine.status).toBe(200);
  const inviter = await signIn();
  const inviterCode = (await call("GET", "/v1/me/referral", { token: inviter.token })).body.code as string;
  const accepted = await call("POST", "/v1/me/referral/accept", {
    token,
    headers: { "X-Device-Id": deviceId },
    body: { code: inviterCode },
  });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
  const invitee = await signIn();
  expect((await call("POST", "/v1/me/referral/accept", { token: invitee.token, body: { code: mine.body.code } })).status).toBe(200);
  const coupon = await call("POST", `/v1/admin/accounts/${c.session.accountId}/coupons`, {
    token: admin.token,
    body: { name: "补偿券", kind: "fixed", value: 700, validDays: 30 },
  });
  expect(coupon.status, JSON.stringify(coupon.body)).toBe(201);

  const plan = await call("POST", "/v1/admin/package-plans", {
    token: admin.token,
    body: {
      serviceId: w.serviceId,
      kind: "visits",
      units: 3,
      price: 30_000,
      validDays: 90,
      refundPercent: 80,
      nameZh: "保洁三次卡",
      nameEn: "3 cleanings",
    },
  });
  expect(plan.status, JSON.stringify(plan.body)).toBe(201);
  const bought = await call("POST", "/v1/me/packages", { token, body: { planId: plan.body.id } });
  expect(bought.status, JSON.stringify(bought.body)).toBe(201);
  const paid = await call("POST", `/v1/admin/packages/${bought.body.id}/payment`, {
    token: admin.token,
    body: { provider: "cash", reference: "R-9" },
  });
  expect(paid.status, JSON.stringify(paid.body)).toBe(200);

  const { order } = await visitTo(w, tech, "completed", { customer: c, paid: true, start: at(w, day, "14:00") });
  // The cron earns points 100 orders at a time, over every world of the file.
  for (let i = 0; i < 20; i++) {
    const earned = await env.DB.prepare("SELECT 1 FROM points_entries WHERE order_id = ? AND kind = 'earn'").bind(order.id).first();
    if (earned) break;
    await earnPoints(env);
  }
  await runMembershipNightly(env);
  const points = await env.DB.prepare("SELECT balance FROM points_accounts WHERE account_id = ?")
    .bind(c.session.accountId)
    .first<{ balance: number }>();
  expect(points?.balance).toBeGreaterThan(0);
  return {
    seriesId: series.body.id as string,
    othersSeriesId: theirs.body.id as string,
    notes,
    contactPhone,
    deviceId,
    code: mine.body.code as string,
    inviterId: inviter.accountId,
    inviteeId: invitee.accountId,
    couponId: coupon.body.id as string,
    packageId: bought.body.id as string,
    orderId: order.id as string,
    points: points!.balance,
  };
}

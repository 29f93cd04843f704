import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runDailyPrivacy } from "../../src/scheduled";
import { newId } from "../../src/lib/ids";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signIn, signInAdmin } from "../support/http";
import { runDailyCron } from "../support/privacy";
import { visitTo } from "../support/visit";
import { addTechnician, createWorld } from "../support/world";

const DAY = 86_400_000;

/** Visit photo rows (and their R2 objects) of an order, taken `ageDays` ago. */
async function photosAged(orderId: string, ageDays: number, n: number, kind = "arrive"): Promise<{ id: string; key: string }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const id = newId("pho");
    const key = `retention/${orderId}/${id}.jpg`;
    await env.PHOTOS.put(key, new Uint8Array([1, 2, 3]));
    await env.DB.prepare(
      "INSERT INTO order_photos (id, order_id, kind, r2_key, content_type, size, created_by, created_at) VALUES (?, ?, ?, ?, 'image/jpeg', 3, 'test', ?)",
    )
      .bind(id, orderId, kind, key, Date.now() - ageDays * DAY)
      .run();
    out.push({ id, key });
  }
  return out;
}

async function deliveriesAged(ageDays: number, n: number): Promise<string[]> {
  const ids = [];
  for (let i = 0; i < n; i++) {
    const id = newId("msg");
    await env.DB.prepare(
      "INSERT INTO notification_deliveries (message_id, account_id, channel, kind, sent_at) VALUES (?, 'acc_retention', 'sms', 'test', ?)",
    )
      .bind(id, Date.now() - ageDays * DAY)
      .run();
    ids.push(id);
  }
  return ids;
}

/** Stored day plans of `n` technicians for the local date `ageDays` ago (the route plans' queue builds them; here written as stored). */
async function dayPlansAged(ageDays: number, n: number): Promise<{ technicianId: string; date: string }[]> {
  const date = new Date(Date.now() - ageDays * DAY).toISOString().slice(0, 10);
  const out = [];
  for (let i = 0; i < n; i++) {
    const technicianId = newId("tec");
    await env.DB.prepare(
      "INSERT INTO day_plans (technician_id, date, status, basis, moves, created_at, updated_at) VALUES (?, ?, 'ready', 'b', '[]', ?, ?)",
    )
      .bind(technicianId, date, Date.now(), Date.now())
      .run();
    out.push({ technicianId, date });
  }
  return out;
}

const dayPlanLeft = async (p: { technicianId: string; date: string }) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM day_plans WHERE technician_id = ? AND date = ?")
    .bind(p.technicianId, p.date)
    .first<{ n: number }>())!.n;
const photoLeft = async (id: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM order_photos WHERE id = ?").bind(id).first<{ n: number }>())!.n;
const deliveryLeft = async (id: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM notification_deliveries WHERE message_id = ?").bind(id).first<{ n: number }>())!.n;

describe("retention", () => {
  it("the daily cron deletes visit photos, delivery records and day plans older than their periods, and only those", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const { order } = await visitTo(w, tech, "arrived");
    const photoDays = Number(env.VISIT_PHOTO_RETENTION_DAYS);
    const deliveryDays = Number(env.NOTIFICATION_DELIVERY_RETENTION_DAYS);
    const oldPhotos = await photosAged(order.id, photoDays + 1, 2);
    const youngPhotos = await photosAged(order.id, photoDays - 1, 1);
    const oldReviewPhoto = await photosAged(order.id, photoDays + 10, 1, "review");
    const oldDeliveries = await deliveriesAged(deliveryDays + 1, 2);
    const youngDeliveries = await deliveriesAged(deliveryDays - 1, 1);
    const planDays = Number(env.DAY_PLAN_RETENTION_DAYS);
    const oldPlans = await dayPlansAged(planDays + 2, 2);
    const youngPlans = await dayPlansAged(planDays - 2, 1);
    const todaysPlans = await dayPlansAged(0, 1);

    await runDailyCron(Date.now());

    for (const p of oldPhotos) {
      expect(await photoLeft(p.id)).toBe(0);
      expect(await env.PHOTOS.head(p.key)).toBeNull();
    }
    for (const p of [...youngPhotos, ...oldReviewPhoto]) {
      expect(await photoLeft(p.id)).toBe(1);
      expect(await env.PHOTOS.head(p.key)).not.toBeNull();
    }
    for (const id of oldDeliveries) expect(await deliveryLeft(id)).toBe(0);
    for (const id of youngDeliveries) expect(await deliveryLeft(id)).toBe(1);
    for (const d of oldPlans) expect(await dayPlanLeft(d)).toBe(0);
    for (const d of [...youngPlans, ...todaysPlans]) expect(await dayPlanLeft(d)).toBe(1);
  });

  it("deletes at most RETENTION_BATCH_SIZE rows per kind and run, says more is left, and the next run carries on", async () => {
    const ids = await deliveriesAged(Number(env.NOTIFICATION_DELIVERY_RETENTION_DAYS) + 30, 5);
    const small = { ...env, RETENTION_BATCH_SIZE: "2" };
    await runDailyPrivacy(small, Date.now());
    const left = async () => (await Promise.all(ids.map(deliveryLeft))).reduce((a, b) => a + b, 0);
    expect(await left()).toBe(3);
    const admin = await signInAdmin();
    const shown = await call("GET", "/v1/admin/privacy/retention", { token: admin.token });
    expect(shown.status).toBe(200);
    expect(shown.body.lastRun.kinds.find((k: { kind: string }) => k.kind === "notification_deliveries")).toMatchObject({
      deleted: 2,
      more: true,
    });
    await runDailyPrivacy(small, Date.now());
    await runDailyPrivacy(small, Date.now());
    expect(await left()).toBe(0);
  });

  it("shows operators every period with its variable, positions kept by the cell; others may not look", async () => {
    const admin = await signInAdmin();
    const res = await call("GET", "/v1/admin/privacy/retention", { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      {
        kind: "positions",
        variable: "POSITION_RETENTION_HOURS",
        unit: "hours",
        period: Number(env.POSITION_RETENTION_HOURS),
        byCell: true,
      },
      {
        kind: "visit_photos",
        variable: "VISIT_PHOTO_RETENTION_DAYS",
        unit: "days",
        period: Number(env.VISIT_PHOTO_RETENTION_DAYS),
        byCell: false,
      },
      {
        kind: "chats",
        variable: "CHAT_RETENTION_DAYS",
        unit: "days",
        period: Number(env.CHAT_RETENTION_DAYS),
        byCell: false,
      },
      {
        kind: "notification_deliveries",
        variable: "NOTIFICATION_DELIVERY_RETENTION_DAYS",
        unit: "days",
        period: Number(env.NOTIFICATION_DELIVERY_RETENTION_DAYS),
        byCell: false,
      },
      {
        kind: "day_plans",
        variable: "DAY_PLAN_RETENTION_DAYS",
        unit: "days",
        period: Number(env.DAY_PLAN_RETENTION_DAYS),
        byCell: false,
      },
    ]);
    expect(res.body).toMatchObject({
      coolingOffDays: Number(env.DELETION_COOLING_OFF_DAYS),
      exportLinkMinutes: Number(env.EXPORT_LINK_TTL_MINUTES),
    });
    expectProblem(await call("GET", "/v1/admin/privacy/retention", { token: (await signIn()).token }), 403);
  });
});

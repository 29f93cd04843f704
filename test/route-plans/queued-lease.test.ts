/**
 * A plan left `queued` by a lost queue message: inside the lease nothing happens; past it the cron
 * sends it to the queue once more (and the consumer builds it); still queued a lease after that, it
 * is `failed` with a reason in both languages. Each step happens once.
 */
import { env } from "cloudflare:test";
import { cellToLatLng } from "h3-js";
import { describe, expect, it } from "vitest";
import { call, expectProblem } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, cellAt, createWorld, localDay } from "../support/world";
import { waitFor } from "../support/booking";
import { settleLostQueued } from "../../src/route-plans";
import { config } from "../../src/config";
import { runScheduled } from "../../src/scheduled";

const LEASE_MS = config(env).ROUTE_PLAN_ACCEPT_LEASE_SECONDS * 1000;

/** A queued plan of a cell with one technician whose queue message never went out, requested `agoMs` ago. */
async function lostPlan(agoMs: number, touchedAgoMs = agoMs) {
  const w = await createWorld(freshCenter());
  const [lat, lng] = cellToLatLng(cellAt(w.center));
  const t = await addTechnician(w, { lat, lng });
  const id = `rpl_lost${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO route_plans (id, cell, date, merchant_id, status, requested_by, moves, technicians, created_at, updated_at) VALUES (?, ?, ?, NULL, 'queued', ?, '[]', '[]', ?, ?)",
  )
    .bind(id, t.homeCell, localDay(w.timeZone, 2), w.admin.accountId, now - agoMs, now - touchedAgoMs)
    .run();
  return { w, id };
}

const getPlan = (token: string, id: string) => call("GET", `/v1/admin/route-plans/${id}`, { token });

describe("a plan whose queue message was lost (the queued lease)", () => {
  it("is left alone inside the lease, then sent again once and built by the consumer", async () => {
    const { w, id } = await lostPlan(LEASE_MS - 30_000);
    expect(await settleLostQueued(env)).toEqual({ resent: 0, failed: 0 });
    expect((await getPlan(w.admin.token, id)).body.status).toBe("queued");

    // the lease lapses
    const later = Date.now() + 60_000; // 30 s past the lease
    expect(await settleLostQueued(env, later)).toEqual({ resent: 1, failed: 0 });
    // settled once: a second run inside the new lease finds nothing to do
    expect(await settleLostQueued(env, later)).toEqual({ resent: 0, failed: 0 });
    const built = await waitFor(
      () => getPlan(w.admin.token, id),
      (r) => r.body.status !== "queued",
      15_000,
    );
    expect(built.body).toMatchObject({ status: "ready", failure: null, failureText: null });
  });

  it("fails with a reason in both languages when still queued a lease after it was sent again", async () => {
    // sent again a lease ago and more (updated_at moved past created_at), still queued
    const { w, id } = await lostPlan(3 * LEASE_MS, 2 * LEASE_MS);
    expect(await settleLostQueued(env)).toEqual({ resent: 0, failed: 1 });
    const got = (await getPlan(w.admin.token, id)).body;
    expect(got).toMatchObject({ status: "failed", failure: "queue message lost", statusText: { en: "failed", zh: "生成失败" } });
    expect(got.failureText.zh).toContain("请重新生成方案");
    expect(got.failureText.en).toContain("request a new plan");
    expectProblem(await call("POST", `/v1/admin/route-plans/${id}/accept`, { token: w.admin.token }), 409, "PLAN_NOT_READY");
    // failed once, and a failed plan is not sent again
    expect(await settleLostQueued(env)).toEqual({ resent: 0, failed: 0 });
    // it may be discarded like any failed plan
    expect((await call("POST", `/v1/admin/route-plans/${id}/discard`, { token: w.admin.token })).body.status).toBe("discarded");
  });

  it("a plan the consumer built is never touched", async () => {
    const { w, id } = await lostPlan(3 * LEASE_MS);
    // built meanwhile: not queued any more
    await env.DB.prepare("UPDATE route_plans SET status = 'ready' WHERE id = ?").bind(id).run();
    expect(await settleLostQueued(env)).toEqual({ resent: 0, failed: 0 });
    expect((await getPlan(w.admin.token, id)).body.status).toBe("ready");
  });

  it("is taken up by the every-minute cron", async () => {
    const { w, id } = await lostPlan(LEASE_MS + 60_000);
    await runScheduled(env);
    const built = await waitFor(
      () => getPlan(w.admin.token, id),
      (r) => r.body.status !== "queued",
      15_000,
    );
    expect(built.body.status).toBe("ready");
  });
});

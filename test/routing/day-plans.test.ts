/**
 * Stored day plans: a technician's day with flexible-window jobs is planned by the route-plans queue
 * consumer, never on the read; the read shows the stored plan while its basis is the day, queues one
 * build per changed day (parallel reads too), and a build whose message was lost is taken up again.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, type Session } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld, localDay } from "../support/world";
import { at, bookFixed, bookWindow, waitFor } from "../support/booking";
import { settleLostDayPlans, technicianDayRoute } from "../../src/routing";
import { config } from "../../src/config";
import { runScheduled } from "../../src/scheduled";

const LEASE_MS = config(env).ROUTE_PLAN_ACCEPT_LEASE_SECONDS * 1000;

/** A day whose flexible job (08:00, far from home) is better placed after the fixed job there (11:00). */
async function dayWithFlexibleJob() {
  const w = await createWorld(freshCenter(), { durationMinutes: 60 });
  const tech = await addTechnician(w, w.center);
  const session = await tech.session();
  const far = { lat: w.center.lat + 0.05, lng: w.center.lng };
  const { order: flex } = await bookWindow(w, far, at(w, 2, "08:00"), at(w, 2, "16:00"));
  await bookFixed(w, w.center, at(w, 2, "09:30"));
  await bookFixed(w, far, at(w, 2, "11:00"));
  return { w, tech, session, flex, date: localDay(w.timeZone, 2) };
}

const route = (session: Session, date: string) => call("GET", `/v1/technician/route?date=${date}`, { token: session.token });
const planned = (session: Session, date: string) =>
  waitFor(
    () => route(session, date),
    (r) => r.body.proposalStatus !== "planning",
    15_000,
  );

/** The Worker's bindings with the day plans' queue sends recorded; `drop` keeps them from the queue (a lost message). */
function recordingEnv(drop = false) {
  const sent: unknown[] = [];
  const queue = {
    send: async (body: unknown) => {
      sent.push(body);
      if (!drop) await env.ROUTE_PLANS.send(body);
    },
  };
  return { env: { ...env, ROUTE_PLANS: queue } as unknown as Env, sent };
}

const stored = (technicianId: string, date: string) =>
  env.DB.prepare("SELECT status, basis, moves, updated_at FROM day_plans WHERE technician_id = ? AND date = ?")
    .bind(technicianId, date)
    .first<{ status: string; basis: string; moves: string; updated_at: number }>();

describe("a technician's day plan, built off the request and stored", () => {
  it("is never planned on a read: no proposal until the queue consumer stored it, then the stored one", async () => {
    const { tech, date } = await dayWithFlexibleJob();
    const { env: rec, sent } = recordingEnv(true);
    // reads while the build's message waits (here: never delivered) show no proposal, however often
    for (let i = 0; i < 3; i++) {
      const r = await technicianDayRoute(rec, tech.id, date);
      expect(r).toMatchObject({ proposal: null, proposalStatus: "planning" });
    }
    expect(sent).toEqual([{ dayPlan: { technicianId: tech.id, date } }]);
    expect((await stored(tech.id, date))!.status).toBe("queued");
    // the consumer builds it (the message delivered), and the read shows the stored proposal
    await env.ROUTE_PLANS.send(sent[0]);
    const session = await tech.session();
    const ready = await planned(session, date);
    expect(ready.body.proposalStatus).toBe("ready");
    expect(ready.body.proposalStatusText).toEqual({ en: "A re-planned route is ready", zh: "已生成调整后的路线" });
    expect(ready.body.proposal.savedMinutes).toBeGreaterThan(0);
    const row = (await stored(tech.id, date))!;
    expect(row.status).toBe("ready");
    expect(ready.body.proposal.basis).toBe(row.basis);
    expect(JSON.parse(row.moves)).toHaveLength(1);
    // reading the ready plan queues nothing more
    const again = recordingEnv();
    await Promise.all(Array.from({ length: 4 }, () => technicianDayRoute(again.env, tech.id, date)));
    expect(again.sent).toEqual([]);
  });

  it("a changed day makes the stored plan stale: parallel reads queue exactly one build, which stores the new day", async () => {
    const { w, tech, session, date } = await dayWithFlexibleJob();
    const first = recordingEnv();
    const reads = await Promise.all(Array.from({ length: 8 }, () => technicianDayRoute(first.env, tech.id, date)));
    expect(reads.every((r) => r.proposalStatus === "planning")).toBe(true);
    expect(first.sent).toHaveLength(1);
    const before = (await planned(session, date)).body.proposal;
    expect(before).not.toBeNull();

    // the day changes (a new job): the stored plan is not shown any more, one build is queued
    await bookFixed(w, w.center, at(w, 2, "15:00"));
    const second = recordingEnv();
    const stale = await Promise.all(Array.from({ length: 8 }, () => technicianDayRoute(second.env, tech.id, date)));
    expect(stale.every((r) => r.proposal === null && r.proposalStatus === "planning")).toBe(true);
    expect(second.sent).toHaveLength(1);
    const after = (await planned(session, date)).body;
    expect(after.proposalStatus).toBe("ready");
    expect(after.proposal.basis).not.toBe(before.basis);
    expect(after.stops).toHaveLength(4);
  });

  it("a new shift for the day or a moved home makes the stored plan stale too: rebuilt on the new basis", async () => {
    const { w, tech, session, date } = await dayWithFlexibleJob();
    const first = (await planned(session, date)).body;
    expect(first.proposalStatus).toBe("ready");
    const basis0 = first.proposal.basis;

    // the day's shift changes (an exception for that date): the read queues a build of the new day
    const shift = await call("PUT", `/v1/admin/technicians/${tech.id}/shifts`, {
      token: w.admin.token,
      body: { weekly: null, exceptions: [{ date, intervals: [{ start: "07:00", end: "21:00" }] }] },
    });
    expect(shift.status).toBe(200);
    const rec = recordingEnv();
    const stale = await technicianDayRoute(rec.env, tech.id, date);
    expect(stale).toMatchObject({ proposal: null, proposalStatus: "planning" });
    expect(rec.sent).toHaveLength(1);
    const second = (await planned(session, date)).body;
    expect(second.proposalStatus).toBe("ready");
    expect(second.proposal.basis).not.toBe(basis0);
    expect((await stored(tech.id, date))!.basis).toBe(second.proposal.basis);

    // the technician's home moves (a few hundred metres): stale again, rebuilt from the new home
    const moved = { lat: w.center.lat + 0.003, lng: w.center.lng - 0.002 };
    const move = await call("POST", `/v1/admin/technicians/${tech.id}/move`, { token: w.admin.token, body: { home: moved } });
    expect(move.status).toBe(200);
    const rec2 = recordingEnv();
    expect(await technicianDayRoute(rec2.env, tech.id, date)).toMatchObject({ proposal: null, proposalStatus: "planning" });
    expect(rec2.sent).toHaveLength(1);
    const third = (await planned(session, date)).body;
    expect(third.proposalStatus).toBe("ready");
    expect(new Set([basis0, second.proposal.basis, third.proposal.basis]).size).toBe(3);

    // an unchanged day keeps its plan: a read queues nothing
    const rec3 = recordingEnv();
    expect((await technicianDayRoute(rec3.env, tech.id, date)).proposalStatus).toBe("ready");
    expect(rec3.sent).toHaveLength(0);
  });

  it("the apply uses the stored plan: 409 ROUTE_NOT_PLANNED before it is built, ROUTE_CHANGED for an old basis", async () => {
    const { w, tech, session, flex, date } = await dayWithFlexibleJob();
    const { env: rec, sent } = recordingEnv(true);
    await technicianDayRoute(rec, tech.id, date);
    const basis = (await stored(tech.id, date))!.basis;
    // the day's basis, but no plan built yet: nothing planned on the apply, nothing changed
    for (const lang of ["en", "zh-CN"]) {
      const res = await call("POST", "/v1/technician/route/apply", {
        token: session.token,
        headers: { "Accept-Language": lang },
        body: { date, basis },
      });
      expectProblem(res, 409, "ROUTE_NOT_PLANNED");
      expect(res.body.detail).toMatch(lang === "en" ? /Nothing was changed/ : /未做任何更改/);
    }
    const row = await env.DB.prepare("SELECT start_at FROM orders WHERE id = ?").bind(flex.id).first<{ start_at: number }>();
    expect(row!.start_at).toBe(Date.parse(at(w, 2, "08:00")));

    await env.ROUTE_PLANS.send(sent[0]);
    const ready = (await planned(session, date)).body;
    // the stored plan's moves are what the apply applies
    const moves = JSON.parse((await stored(tech.id, date))!.moves) as { id: string; start: number }[];
    expect(moves.map((m) => m.id)).toEqual([flex.id]);
    expect(Date.parse(ready.proposal.stops.find((s: { orderId: string }) => s.orderId === flex.id).plannedStart)).toBe(moves[0]!.start);
    expectProblem(
      await call("POST", "/v1/technician/route/apply", { token: session.token, body: { date, basis: "old-basis" } }),
      409,
      "ROUTE_CHANGED",
    );
    const res = await call("POST", "/v1/technician/route/apply", { token: session.token, body: { date, basis: ready.proposal.basis } });
    expect(res.status).toBe(200);
    expect(res.body.moved).toEqual([flex.id]);
    const moved = await env.DB.prepare("SELECT start_at FROM orders WHERE id = ?").bind(flex.id).first<{ start_at: number }>();
    expect(moved!.start_at).toBe(moves[0]!.start);
    // a repeat changes nothing
    const twice = await call("POST", "/v1/technician/route/apply", { token: session.token, body: { date, basis: ready.proposal.basis } });
    expect(twice.status).toBe(200);
    expect(twice.body.moved).toEqual([]);
  });

  it("a build whose message was lost is sent again past the lease (once per lease) and built", async () => {
    const { tech, session, date } = await dayWithFlexibleJob();
    const lost = recordingEnv(true);
    await technicianDayRoute(lost.env, tech.id, date);
    expect(lost.sent).toHaveLength(1);
    // inside the lease: neither a read nor the cron sends it again
    const inside = recordingEnv(true);
    await technicianDayRoute(inside.env, tech.id, date);
    expect(inside.sent).toEqual([]);
    expect(await settleLostDayPlans(inside.env)).toEqual({ resent: 0 });
    expect(inside.sent).toEqual([]);
    // past the lease: the cron sends it once, and the consumer builds it (other days of this file's
    // tests may be queued too: only this technician's messages are counted)
    const later = Date.now() + LEASE_MS + 60_000;
    const cron = recordingEnv();
    const mine = () => cron.sent.filter((m) => (m as { dayPlan: { technicianId: string } }).dayPlan.technicianId === tech.id);
    expect((await settleLostDayPlans(cron.env, later)).resent).toBeGreaterThanOrEqual(1);
    expect(mine()).toEqual([{ dayPlan: { technicianId: tech.id, date } }]);
    await settleLostDayPlans(cron.env, later);
    expect(mine()).toHaveLength(1);
    expect((await planned(session, date)).body.proposalStatus).toBe("ready");
  });

  it("a failed build answers failed within its lease and is tried again once by the first read after it", async () => {
    const { tech, session, date } = await dayWithFlexibleJob();
    expect((await planned(session, date)).body.proposalStatus).toBe("ready");
    const fail = (ms: number) =>
      env.DB.prepare("UPDATE day_plans SET status = 'failed', moves = '[]', updated_at = ? WHERE technician_id = ? AND date = ?")
        .bind(Date.now() - ms, tech.id, date)
        .run();
    await fail(0);
    const inside = recordingEnv(true);
    expect((await technicianDayRoute(inside.env, tech.id, date)).proposalStatus).toBe("failed");
    expect(inside.sent).toEqual([]);
    // the apply of the day's own basis finds no plan ready
    const basis = (await stored(tech.id, date))!.basis;
    expectProblem(
      await call("POST", "/v1/technician/route/apply", { token: session.token, body: { date, basis } }),
      409,
      "ROUTE_NOT_PLANNED",
    );
    // a lease later: parallel reads queue one new build, which the consumer stores
    await fail(LEASE_MS + 60_000);
    const reads = recordingEnv();
    const answers = await Promise.all(Array.from({ length: 5 }, () => technicianDayRoute(reads.env, tech.id, date)));
    expect(answers.map((a) => a.proposalStatus)).toEqual(Array(5).fill("planning"));
    expect(reads.sent).toEqual([{ dayPlan: { technicianId: tech.id, date } }]);
    expect((await planned(session, date)).body.proposalStatus).toBe("ready");
  });

  it("a lost build is taken up by the next read past the lease, and by the every-minute cron", async () => {
    const { tech, session, date } = await dayWithFlexibleJob();
    const lost = recordingEnv(true);
    await technicianDayRoute(lost.env, tech.id, date);
    const age = (ms: number) =>
      env.DB.prepare("UPDATE day_plans SET updated_at = ? WHERE technician_id = ? AND date = ?")
        .bind(Date.now() - ms, tech.id, date)
        .run();
    // a read past the lease queues it again (once of parallel reads); its message is lost too
    await age(LEASE_MS + 60_000);
    const reads = recordingEnv(true);
    await Promise.all(Array.from({ length: 5 }, () => technicianDayRoute(reads.env, tech.id, date)));
    expect(reads.sent).toHaveLength(1);
    // the cron takes it up a lease later
    await age(LEASE_MS + 60_000);
    await runScheduled(env);
    expect((await planned(session, date)).body.proposalStatus).toBe("ready");
  });
});

/**
 * Team route plans: requested, built by the route-plans queue consumer, accepted atomically through
 * the cell (every start kept) or refused as stale with nothing changed; merchant scope; bad input.
 */
import { env } from "cloudflare:test";
import { cellToLatLng } from "h3-js";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { auditActions, freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, cellAt, createWorld, localDay, type World } from "../support/world";
import { at, book, newCustomer, quote, waitFor } from "../support/booking";
import { settleLapsedAccepts } from "../../src/route-plans";

async function bookAt(w: World, point: { lat: number; lng: number }, hhmm: string) {
  const c = await newCustomer(point);
  const res = await book(c, await quote(w, c, at(w, 2, hhmm), { lat: point.lat, lng: point.lng }));
  if (res.status !== 201) throw new Error(`book: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; technician: { id: string }; start: string; end: string };
}

async function row(orderId: string) {
  return env.DB.prepare("SELECT technician_id, start_at, end_at FROM orders WHERE id = ?")
    .bind(orderId)
    .first<{ technician_id: string; start_at: number; end_at: number }>();
}

/**
 * Two technicians of one cell, t1 homed west and t2 east; a job near each home, both at 10:00, put
 * on the far technician by the dispatcher: a plan should hand each back to the near one.
 */
async function crossedDay(opts: { merchantId?: string } = {}) {
  const w = await createWorld(freshCenter(), opts);
  const [lat, lng] = cellToLatLng(cellAt(w.center));
  const west = { lat, lng: lng - 0.02 };
  const east = { lat, lng: lng + 0.02 };
  const t1 = await addTechnician(w, west, { merchantId: opts.merchantId });
  const t2 = await addTechnician(w, east, { merchantId: opts.merchantId });
  const a = await bookAt(w, west, "10:00");
  const b = await bookAt(w, east, "10:00");
  const cell = t1.homeCell;
  expect(t2.homeCell).toBe(cell);
  const wanted = [
    { order: a, to: t2.id },
    { order: b, to: t1.id },
  ].filter((m) => m.order.technician.id !== m.to);
  if (wanted.length > 0) {
    const res = await call("POST", `/v1/admin/cells/${cell}/moves`, {
      token: w.admin.token,
      body: { moves: wanted.map((m) => ({ orderId: m.order.id, technicianId: m.to, start: m.order.start, end: m.order.end })) },
    });
    expect(res.status).toBe(200);
  }
  return { w, t1, t2, a, b, cell, date: localDay(w.timeZone, 2) };
}

const request = (token: string, body: unknown) => call("POST", "/v1/admin/route-plans", { token, body });
const getPlan = (token: string, id: string) => call("GET", `/v1/admin/route-plans/${id}`, { token });

async function readyPlan(token: string, cellId: string, date: string) {
  const res = await request(token, { cellId, date });
  expect(res.status).toBe(202);
  expect(res.body.status).toBe("queued");
  const plan = await waitFor(
    () => getPlan(token, res.body.id),
    (r) => r.body.status !== "queued",
    15_000,
  );
  expect(plan.body.status).toBe("ready");
  return plan.body;
}

describe("team route plans", () => {
  it("builds a plan in the queue consumer that keeps every start, and accepting applies it through the cell", async () => {
    const { w, t1, t2, a, b, cell, date } = await crossedDay();
    const plan = await readyPlan(w.admin.token, cell, date);
    expect(plan.moves).toHaveLength(2);
    const byOrder = new Map(plan.moves.map((m: { orderId: string }) => [m.orderId, m]));
    expect(byOrder.get(a.id)).toMatchObject({ technicianId: t1.id, fromTechnicianId: t2.id });
    expect(byOrder.get(b.id)).toMatchObject({ technicianId: t2.id, fromTechnicianId: t1.id });
    for (const m of plan.moves as { orderId: string; start: string; end: string }[]) {
      const o = m.orderId === a.id ? a : b;
      expect([Date.parse(m.start), Date.parse(m.end)]).toEqual([Date.parse(o.start), Date.parse(o.end)]);
    }
    expect(plan.after.travelMinutes).toBeLessThan(plan.before.travelMinutes);
    expect(plan.statusText).toEqual({ en: "ready", zh: "已就绪" });

    const accepted = await call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: w.admin.token });
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe("accepted");
    const ra = (await row(a.id))!;
    const rb = (await row(b.id))!;
    expect(ra.technician_id).toBe(t1.id);
    expect(rb.technician_id).toBe(t2.id);
    expect([ra.start_at, ra.end_at]).toEqual([Date.parse(a.start), Date.parse(a.end)]);
    expect([rb.start_at, rb.end_at]).toEqual([Date.parse(b.start), Date.parse(b.end)]);
    expect(await auditActions(plan.id)).toEqual(["route_plan.accepted"]);

    // A repeat answers the accepted plan again and applies nothing more.
    const again = await call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: w.admin.token });
    expect(again.status).toBe(200);
    expect(again.body.moveId).toBe(accepted.body.moveId);
    const moves = await env.DB.prepare("SELECT COUNT(*) AS n FROM cell_moves WHERE cell = ?").bind(cell).first<{ n: number }>();
    expect(moves!.n).toBe(2); // the dispatcher's crossing move and the plan's

    const listed = await call("GET", `/v1/admin/route-plans?cellId=${cell}&date=${date}&limit=1`, { token: w.admin.token });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((p: { id: string }) => p.id)).toEqual([plan.id]);
  });

  it("refuses a plan whose day changed since it was built (409 PLAN_STALE, status stale, nothing changed)", async () => {
    const { w, t1, t2, a, cell, date } = await crossedDay();
    const plan = await readyPlan(w.admin.token, cell, date);
    // The day changes: a further booking (at 16:00) lands on one of the technicians.
    await bookAt(w, w.center, "16:00");
    const before = await row(a.id);
    const res = await call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: w.admin.token });
    expectProblem(res, 409, "PLAN_STALE");
    expect(await row(a.id)).toEqual(before);
    expect([t1.id, t2.id]).toContain(before!.technician_id);
    expect((await getPlan(w.admin.token, plan.id)).body.status).toBe("stale");
    expectProblem(await call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: w.admin.token }), 409, "PLAN_STALE");
  });

  it("applies exactly one of several parallel accepts", async () => {
    const { w, cell, date } = await crossedDay();
    const plan = await readyPlan(w.admin.token, cell, date);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: w.admin.token })),
    );
    expect(answers.every((r) => r.status === 200 || (r.status === 409 && r.body.code === "CONCURRENT_UPDATE"))).toBe(true);
    expect(answers.some((r) => r.status === 200)).toBe(true);
    const moves = await env.DB.prepare("SELECT COUNT(*) AS n FROM cell_moves WHERE cell = ?").bind(cell).first<{ n: number }>();
    expect(moves!.n).toBe(2);
    expect(await auditActions(plan.id)).toEqual(["route_plan.accepted"]);
  });

  it("discards a plan (repeats answer it again) and then refuses to accept it", async () => {
    const { w, a, cell, date } = await crossedDay();
    const plan = await readyPlan(w.admin.token, cell, date);
    const before = await row(a.id);
    for (let i = 0; i < 2; i++) {
      const res = await call("POST", `/v1/admin/route-plans/${plan.id}/discard`, { token: w.admin.token });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe("discarded");
    }
    expectProblem(await call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: w.admin.token }), 409, "PLAN_NOT_READY");
    expect(await row(a.id)).toEqual(before);
  });

  it("limits a merchant_admin to its own team's plans", async () => {
    const merchantId = await insertMerchant();
    const { w, cell, date } = await crossedDay({ merchantId });
    const mine = await signInWithRoles(["merchant_admin"], merchantId);
    const other = await signInWithRoles(["merchant_admin"], await insertMerchant());
    const plan = await readyPlan(mine.token, cell, date);
    expect(plan.merchantId).toBe(merchantId);
    expectProblem(await getPlan(other.token, plan.id), 404, "NOT_FOUND");
    expectProblem(await call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: other.token }), 404, "NOT_FOUND");
    expectProblem(await request(other.token, { cellId: cell, date }), 404, "NOT_FOUND");
    expectProblem(await request(other.token, { cellId: cell, date, merchantId }), 404, "NOT_FOUND");
    const listed = await call("GET", `/v1/admin/route-plans?cellId=${cell}&date=${date}`, { token: other.token });
    expect(listed.body.items).toEqual([]);
    expect((await getPlan(w.admin.token, plan.id)).status).toBe(200);
    const accepted = await call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: mine.token });
    expect(accepted.status).toBe(200);
  });

  it("answers bad input with a 4xx problem and stores nothing", async () => {
    const { w, cell } = await crossedDay();
    const count = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM route_plans WHERE cell = ?").bind(cell).first<{ n: number }>())!.n;
    const n = await count();
    expectProblem(await request(w.admin.token, { cellId: cell, date: "2030-02-30" }), 400, "VALIDATION_FAILED");
    expectProblem(await request(w.admin.token, { cellId: cell, date: "tomorrow" }), 400, "VALIDATION_FAILED");
    expectProblem(await request(w.admin.token, { cellId: cell }), 400, "VALIDATION_FAILED");
    expectProblem(await request(w.admin.token, { cellId: cell, date: "2030-01-01", extra: 1 }), 400, "VALIDATION_FAILED");
    expectProblem(await request(w.admin.token, { cellId: "85000000000000f", date: "2030-01-01" }), 404, "NOT_FOUND");
    expectProblem(await getPlan(w.admin.token, "rpl_nothing"), 404, "NOT_FOUND");
    expectProblem(await call("POST", "/v1/admin/route-plans/rpl_nothing/accept", { token: w.admin.token }), 404, "NOT_FOUND");
    expectProblem(await call("GET", `/v1/admin/route-plans?cellId=${cell}`, { token: w.admin.token }), 400, "VALIDATION_FAILED");
    const customer = await signInWithRoles(["customer"]);
    expect((await request(customer.token, { cellId: cell, date: "2030-01-01" })).status).toBe(403);
    expect(await count()).toBe(n);
  });
});

describe("a plan whose accept died (the acceptance lease)", () => {
  /** The plan as an accept leaves it when its request dies after ready → accepting, `agoMs` ago. */
  const dieAccepting = (id: string, agoMs: number) =>
    env.DB.prepare("UPDATE route_plans SET status = 'accepting', updated_at = ? WHERE id = ?")
      .bind(Date.now() - agoMs, id)
      .run();
  const LAPSED = 10 * 60_000;

  it("is left alone inside the lease, then ready again when nothing was applied, and can be accepted", async () => {
    const { w, t1, a, cell, date } = await crossedDay();
    const plan = await readyPlan(w.admin.token, cell, date);
    await dieAccepting(plan.id, 5_000);
    expect(await settleLapsedAccepts(env)).toEqual({ ready: 0, accepted: 0, failed: 0 });
    expectProblem(await call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: w.admin.token }), 409, "CONCURRENT_UPDATE");

    await dieAccepting(plan.id, LAPSED);
    expect(await settleLapsedAccepts(env)).toEqual({ ready: 1, accepted: 0, failed: 0 });
    expect((await getPlan(w.admin.token, plan.id)).body).toMatchObject({ status: "ready", failure: null, failureText: null });
    const accepted = await call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: w.admin.token });
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe("accepted");
    expect((await row(a.id))!.technician_id).toBe(t1.id);
  });

  it("is accepted when its moves went through before the accept died", async () => {
    const { w, cell, date } = await crossedDay();
    const plan = await readyPlan(w.admin.token, cell, date);
    // What the dying accept did: the plan's moves through the cell, then nothing more.
    const res = await call("POST", `/v1/admin/cells/${cell}/moves`, {
      token: w.admin.token,
      body: {
        moves: plan.moves.map((m: { orderId: string; technicianId: string; start: string; end: string }) => ({
          orderId: m.orderId,
          technicianId: m.technicianId,
          start: m.start,
          end: m.end,
        })),
      },
    });
    expect(res.status).toBe(200);
    await dieAccepting(plan.id, LAPSED);
    expect(await settleLapsedAccepts(env)).toEqual({ ready: 0, accepted: 1, failed: 0 });
    expect((await getPlan(w.admin.token, plan.id)).body.status).toBe("accepted");
    expect(await auditActions(plan.id)).toEqual(["route_plan.accepted"]);
    // Settled once: a second run finds nothing.
    expect(await settleLapsedAccepts(env)).toEqual({ ready: 0, accepted: 0, failed: 0 });
  });

  it("fails with a reason in both languages when the day changed otherwise, and is not accepted", async () => {
    const { w, a, cell, date } = await crossedDay();
    const plan = await readyPlan(w.admin.token, cell, date);
    await bookAt(w, w.center, "16:00");
    await dieAccepting(plan.id, LAPSED);
    const before = await row(a.id);
    expect(await settleLapsedAccepts(env)).toEqual({ ready: 0, accepted: 0, failed: 1 });
    const got = (await getPlan(w.admin.token, plan.id)).body;
    expect(got).toMatchObject({ status: "failed", statusText: { en: "failed", zh: "生成失败" } });
    expect(got.failureText.zh).toContain("采纳过程中断");
    expect(got.failureText.en).toContain("acceptance was interrupted");
    expectProblem(await call("POST", `/v1/admin/route-plans/${plan.id}/accept`, { token: w.admin.token }), 409, "PLAN_NOT_READY");
    expect(await row(a.id)).toEqual(before);
  });
});

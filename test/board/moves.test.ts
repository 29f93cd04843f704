/**
 * POST /v1/admin/cells/{cellId}/moves: several orders moved at once through their technicians'
 * home cell, all or nothing, with D1 in step (technician, times, timeline, notices, the move's record).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signInWithRoles } from "../support/http";
import { auditActions, freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, createWorld, type World } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";

const HOUR = 3_600_000;

async function bookAt(w: World, hhmm: string, days = 2) {
  const c = await newCustomer(w.center);
  const res = await book(c, await quote(w, c, at(w, days, hhmm)));
  if (res.status !== 201) throw new Error(`book: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; technician: { id: string }; status: string; start: string; end: string };
}

async function row(orderId: string) {
  return env.DB.prepare("SELECT technician_id, hold_key, start_at, end_at, status, version FROM orders WHERE id = ?")
    .bind(orderId)
    .first<{ technician_id: string | null; hold_key: string | null; start_at: number; end_at: number; status: string; version: number }>();
}

const moveOf = (orderId: string, technicianId: string, start: number, hours = 2) => ({
  orderId,
  technicianId,
  start: new Date(start).toISOString(),
  end: new Date(start + hours * HOUR).toISOString(),
});

const moves = (token: string, cellId: string, list: unknown[]) =>
  call("POST", `/v1/admin/cells/${cellId}/moves`, { token, body: { moves: list } });

/** Two technicians homed in one cell, each with a 10:00 order two days ahead. */
async function twoBusy() {
  const w = await createWorld(freshCenter());
  const t1 = await addTechnician(w, w.center);
  const t2 = await addTechnician(w, w.center);
  const a = await bookAt(w, "10:00");
  const b = await bookAt(w, "10:00");
  expect(new Set([a.technician.id, b.technician.id])).toEqual(new Set([t1.id, t2.id]));
  return { w, t1, t2, a, b, cell: t1.homeCell };
}

describe("POST /v1/admin/cells/{cellId}/moves", () => {
  it("swaps two orders between their technicians, which two single assignments could not do", async () => {
    const { w, a, b, cell } = await twoBusy();
    const start = Date.parse(a.start);
    const res = await moves(w.admin.token, cell, [moveOf(a.id, b.technician.id, start), moveOf(b.id, a.technician.id, start)]);
    expect(res.status).toBe(200);
    expect(res.body.orders).toMatchObject([
      { id: a.id, technicianId: b.technician.id, status: "assigned" },
      { id: b.id, technicianId: a.technician.id, status: "assigned" },
    ]);
    expect((await row(a.id))!.technician_id).toBe(b.technician.id);
    expect((await row(b.id))!.technician_id).toBe(a.technician.id);
    const timeline = await call("GET", `/v1/admin/orders/${a.id}`, { token: w.admin.token });
    expect(timeline.body.timeline.at(-1)).toMatchObject({ reason: "moved by the dispatcher" });
    const record = await env.DB.prepare("SELECT cell, moves FROM cell_moves WHERE id = ?")
      .bind(res.body.moveId)
      .first<{ cell: string; moves: string }>();
    expect(record?.cell).toBe(cell);
    expect(JSON.parse(record!.moves)).toHaveLength(2);
    expect(await auditActions(cell)).toContain("cell.moves");
    const notices = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM outbox WHERE topic = 'order.status' AND json_extract(payload, '$.orderId') = ? AND json_extract(payload, '$.reason') = ?",
    )
      .bind(a.id, "moved by the dispatcher")
      .first<{ n: number }>();
    expect(notices?.n).toBe(1);
    // Each technician an order was taken from is told so.
    for (const o of [a, b]) {
      const told = await env.DB.prepare(
        "SELECT json_extract(payload, '$.technicianId') AS t FROM outbox WHERE topic = 'order.reassigned' AND json_extract(payload, '$.orderId') = ?",
      )
        .bind(o.id)
        .all<{ t: string }>();
      expect(told.results.map((r) => r.t)).toEqual([o.technician.id]);
    }
  });

  it("refuses a move into an occupied time with the failing move and why, and changes nothing", async () => {
    const { w, a, b, cell } = await twoBusy();
    const before = [await row(a.id), await row(b.id)];
    const later = Date.parse(a.start) + 3 * HOUR;
    // a moves away first (fine on its own), then b goes onto a's technician at a's new time: clash.
    const res = await moves(w.admin.token, cell, [moveOf(a.id, a.technician.id, later), moveOf(b.id, a.technician.id, later + HOUR)]);
    expectProblem(res, 409, "MOVE_REFUSED");
    expect(res.body.failure).toMatchObject({ index: 1, orderId: b.id, reason: "SLOT_UNAVAILABLE", clashWith: a.id });
    expect(res.body.failure.message).toEqual({ zh: expect.any(String), en: expect.any(String) });
    expect([await row(a.id), await row(b.id)]).toEqual(before);
    // the calendar did not change either: the same swap back in time still fits where they were
    const board = await call("GET", `/v1/admin/board?cellId=${cell}&date=${a.start.slice(0, 10)}`, { token: w.admin.token });
    const jobs = board.body.technicians.flatMap((t: { jobs: { orderId: string; start: string }[] }) => t.jobs);
    expect(jobs.find((j: { orderId: string }) => j.orderId === a.id).start).toBe(new Date(Date.parse(a.start)).toISOString());
  });

  it("refuses outside shifts and a changed duration; bad input is 400", async () => {
    const { w, a, t1, cell } = await twoBusy();
    const day = Date.parse(a.start) - 10 * HOUR; // 00:00 local
    expect((await moves(w.admin.token, cell, [moveOf(a.id, a.technician.id, day + 21 * HOUR)])).body.failure).toMatchObject({
      reason: "OUTSIDE_SHIFT",
    });
    expect((await moves(w.admin.token, cell, [moveOf(a.id, a.technician.id, day + 14 * HOUR, 3)])).body.failure).toMatchObject({
      reason: "DURATION_CHANGED",
    });
    expectProblem(await moves(w.admin.token, cell, []), 400);
    expectProblem(await moves(w.admin.token, cell, [{ orderId: a.id, technicianId: t1.id, start: "soon", end: "later" }]), 400);
    expectProblem(await moves(w.admin.token, cell, [moveOf("ord_missing", t1.id, day + 14 * HOUR)]), 404);
    expect((await row(a.id))!.start_at).toBe(Date.parse(a.start));
  });

  it("places an order that has no technician onto a free one", async () => {
    const { w, t1, cell } = await twoBusy();
    const c = await bookAt(w, "15:00");
    // dispatch found nobody: the order waits without a technician or calendar entry
    await env.CELL.getByName(cell).release((await row(c.id))!.hold_key!);
    await env.DB.prepare(
      "UPDATE orders SET technician_id = NULL, hold_key = NULL, status = 'dispatching', exception = 'no_candidate' WHERE id = ?",
    )
      .bind(c.id)
      .run();
    const start = Date.parse(c.start);
    const res = await moves(w.admin.token, cell, [moveOf(c.id, t1.id, start)]);
    expect(res.status).toBe(200);
    const after = (await row(c.id))!;
    expect(after).toMatchObject({ technician_id: t1.id, status: "assigned" });
    expect(after.hold_key).toMatch(new RegExp(`^${c.id}:`));
    const schedule = await env.CELL.getByName(cell).schedule(t1.id, start - HOUR, start + 3 * HOUR);
    expect(schedule.ok && schedule.items.map((i) => i.orderId)).toContain(after.hold_key);
  });

  it("lets a merchant_admin move only its merchant's orders and technicians", async () => {
    const merchantId = await insertMerchant();
    const w = await createWorld(freshCenter(), { merchantId });
    const t1 = await addTechnician(w, w.center, { merchantId });
    const t2 = await addTechnician(w, w.center, { merchantId });
    const stranger = await addTechnician(w, w.center);
    const a = await bookAt(w, "10:00");
    const mine = await signInWithRoles(["merchant_admin"], merchantId);
    const other = await signInWithRoles(["merchant_admin"], await insertMerchant());
    const free = a.technician.id === t1.id ? t2.id : t1.id;
    const start = Date.parse(a.start) + 2 * HOUR;
    expectProblem(await moves(other.token, t1.homeCell, [moveOf(a.id, free, start)]), 404);
    expectProblem(await moves(mine.token, t1.homeCell, [moveOf(a.id, stranger.id, start)]), 404);
    expect((await moves(mine.token, t1.homeCell, [moveOf(a.id, free, start)])).status).toBe(200);
  });

  it("of parallel requests moving different orders into one technician's same time, exactly one wins", async () => {
    const w = await createWorld(freshCenter());
    const techs = [];
    for (let i = 0; i < 4; i++) techs.push(await addTechnician(w, w.center));
    const orders = [];
    for (let i = 0; i < 4; i++) orders.push(await bookAt(w, "10:00"));
    const target = techs[0]!;
    const start = Date.parse(orders[0]!.start) + 4 * HOUR;
    const results = await Promise.all(orders.map((o) => moves(w.admin.token, target.homeCell, [moveOf(o.id, target.id, start)])));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expectProblem(r, 409);
    const there = [];
    for (const o of orders) {
      const r = (await row(o.id))!;
      if (r.technician_id === target.id && r.start_at === start) there.push(o.id);
    }
    expect(there).toHaveLength(1);
  });

  it("of parallel moves of the same order, one wins and the cell ends where D1 says", async () => {
    const { w, a, b, cell } = await twoBusy();
    const base = Date.parse(a.start);
    const results = await Promise.all(
      [3, 4, 5, 6].map((h) => moves(w.admin.token, cell, [moveOf(a.id, a.technician.id, base + h * HOUR)])),
    );
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    const final = (await row(a.id))!;
    const schedule = await env.CELL.getByName(cell).schedule(final.technician_id!, base - 12 * HOUR, base + 12 * HOUR);
    const item = schedule.ok ? schedule.items.find((i) => i.orderId === final.hold_key) : undefined;
    expect(item).toMatchObject({ start: final.start_at, end: final.end_at });
    expect((await row(b.id))!.technician_id).toBe(b.technician.id);
  });
});

/**
 * Multi-moves larger than the board's 40 from code (accepted route plans take up to 200): one cell
 * transaction, one D1 batch whose guard checks the orders in parts under D1's 100 bound parameters.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { applyOrderMoves, MAX_MOVES, MAX_PLAN_MOVES } from "../../src/board";
import { moveRecordRefused, moveRecordStatements } from "../../src/board/board.repo";
import { getDb } from "../../src/db/client";
import { runBatch } from "../../src/db/repositories/statements";
import { pointColumns } from "../../src/lib/coordinates";
import { Pii } from "../../src/lib/pii";
import { failureText } from "../../src/route-plans/route-plans.service";
import { call, expectProblem } from "../support/http";
import { freshCenter } from "../support/fixtures";
import { addTechnician, createWorld, insertTechnicians, type World } from "../support/world";
import { at, book, newCustomer, quote } from "../support/booking";

const HOUR = 3_600_000;
const OPERATOR = { type: "operator" as const, id: null };

/**
 * `count` orders waiting for a technician (dispatching, no calendar entry) at the world's centre:
 * one booked through the API, the others copies of its row under new ids (fast, for hundreds).
 */
async function waitingOrders(w: World, count: number): Promise<{ ids: string[]; duration: number; day: number }> {
  const c = await newCustomer(w.center);
  const res = await book(c, await quote(w, c, at(w, 2, "10:00")));
  if (res.status !== 201) throw new Error(`book: ${res.status}`);
  const first = res.body.id as string;
  const tech = await env.DB.prepare("SELECT hold_key FROM orders WHERE id = ?").bind(first).first<{ hold_key: string }>();
  const cell = (await env.DB.prepare("SELECT home_cell FROM technicians WHERE id = ?")
    .bind(res.body.technician.id)
    .first<{ home_cell: string }>())!;
  await env.CELL.getByName(cell.home_cell).release(tech!.hold_key);
  await env.DB.prepare("UPDATE orders SET technician_id = NULL, hold_key = NULL, status = 'dispatching' WHERE id = ?").bind(first).run();
  const row = (await env.DB.prepare("SELECT * FROM orders WHERE id = ?").bind(first).first<Record<string, unknown>>())!;
  const names = Object.keys(row);
  const ids = [first];
  const statements = [];
  const pii = await Pii.fromEnv(env);
  for (let i = 1; i < count; i++) {
    const id = `${first}x${i}`;
    ids.push(id);
    // The exact point is sealed for its row: sealed again for the copy.
    const sealed = (await pointColumns(pii, "orders", id, w.center)).coordsEnc;
    statements.push(
      env.DB.prepare(`INSERT INTO orders (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`).bind(
        ...names.map((n) => (n === "id" ? id : n === "coords_enc" ? sealed : row[n])),
      ),
    );
  }
  await env.DB.batch(statements);
  const duration = (row.end_at as number) - (row.start_at as number);
  return { ids, duration, day: (row.start_at as number) - 10 * HOUR };
}

describe("multi-moves above the board's 40", () => {
  it("applies 150 moves from code in one multi-move: D1 and the cell agree", async () => {
    const w = await createWorld(freshCenter());
    const techs = await insertTechnicians(w, 40);
    const { ids, duration, day } = await waitingOrders(w, 150);
    // Four jobs a technician: 08:00, 11:00, 14:00, 17:00 local (shifts 08:00–20:00).
    const starts = [8, 11, 14, 17].map((h) => day + h * HOUR);
    const moves = ids.map((orderId, i) => {
      const start = starts[i % 4]!;
      return { orderId, technicianId: techs[Math.floor(i / 4)]!, start, end: start + duration };
    });
    expect(duration).toBeLessThanOrEqual(3 * HOUR);
    // Not through the board's bound...
    await expect(applyOrderMoves(env, OPERATOR, "any", moves)).rejects.toMatchObject({ status: 400 });
    // ...but within a plan's.
    const done = await applyOrderMoves(env, OPERATOR, "unused", moves, undefined, MAX_PLAN_MOVES);
    expect(done.orders).toHaveLength(150);
    const rows = (
      await env.DB.prepare(
        `SELECT id, technician_id, hold_key, start_at, end_at, status FROM orders WHERE id IN (SELECT value FROM json_each(?))`,
      )
        .bind(JSON.stringify(ids))
        .all<{ id: string; technician_id: string; hold_key: string; start_at: number; end_at: number; status: string }>()
    ).results;
    expect(rows).toHaveLength(150);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const m of moves)
      expect(byId.get(m.orderId)).toMatchObject({ technician_id: m.technicianId, start_at: m.start, status: "assigned" });
    const cell = (await env.DB.prepare("SELECT home_cell FROM technicians WHERE id = ?").bind(techs[0]).first<{ home_cell: string }>())!
      .home_cell;
    const items = (await env.CELL.getByName(cell).exportCalendar(day, day + 24 * HOUR)).items;
    const byKey = new Map(items.map((i) => [i.orderId, i]));
    for (const r of rows) expect(byKey.get(r.hold_key)).toMatchObject({ technicianId: r.technician_id, start: r.start_at, end: r.end_at });
    const record = await env.DB.prepare("SELECT moves FROM cell_moves WHERE id = ?").bind(done.moveId).first<{ moves: string }>();
    expect(JSON.parse(record!.moves)).toHaveLength(150);
  });

  it("the board's endpoint still takes at most 40 moves a request", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const move = { orderId: "ord_x", technicianId: t.id, start: "2030-01-01T10:00:00Z", end: "2030-01-01T12:00:00Z" };
    const res = await call("POST", `/v1/admin/cells/${t.homeCell}/moves`, {
      token: w.admin.token,
      body: { moves: Array.from({ length: MAX_MOVES + 1 }, (_, i) => ({ ...move, orderId: `ord_${i}` })) },
    });
    expectProblem(res, 400);
  });

  it("the record's guard fails the whole batch when an order of a later part of 40 does not carry its event", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { ids } = await waitingOrders(w, 130);
    const db = getDb(env);
    const won = ids.map((orderId, i) => ({ orderId, eventId: `evt_big${i}` }));
    const stamp = (list: typeof won) =>
      list.map((x) => env.DB.prepare("UPDATE orders SET last_event_id = ?, version = version + 1 WHERE id = ?").bind(x.eventId, x.orderId));
    const record = (id: string) => ({ id, cell: "c", actorId: null, moves: [], createdAt: Date.now() });
    // Order 125 (the fourth part) is left out: nothing of the batch stays.
    const before = await env.DB.prepare("SELECT SUM(version) AS v FROM orders WHERE id IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(ids))
      .first<{ v: number }>();
    const err = await runBatch(db, [...stamp(won.filter((_, i) => i !== 125)), ...moveRecordStatements(db, record("mov_big1"), won)]).catch(
      (e: unknown) => e,
    );
    expect(moveRecordRefused(err)).toBe(true);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM cell_moves WHERE id = 'mov_big1'").first("n")).toBe(0);
    const after = await env.DB.prepare("SELECT SUM(version) AS v FROM orders WHERE id IN (SELECT value FROM json_each(?))")
      .bind(JSON.stringify(ids))
      .first<{ v: number }>();
    expect(after).toEqual(before);
    // Every order stamped: the record is written, with its time.
    await runBatch(db, [...stamp(won), ...moveRecordStatements(db, record("mov_big2"), won)]);
    expect(await env.DB.prepare("SELECT created_at IS NOT NULL AS ok FROM cell_moves WHERE id = 'mov_big2'").first("ok")).toBe(1);
  });

  it("a plan refused for too many moves says the bound it was refused at, in both languages", () => {
    expect(failureText(`more than ${MAX_PLAN_MOVES} moves`)).toEqual({ en: "more than 200 moves", zh: "调整超过 200 处" });
    expect(failureText("more than 40 moves")).toEqual({ en: "more than 40 moves", zh: "调整超过 40 处" });
  });
});
